import { fineTuneEdit, layerIndex } from './fine-tune';
import { registerEditMethod } from './registry';

/**
 * Local fine-tuning: train only layer ℓ's weights (and bias) on the edit set with
 * cross-entropy, batch-norm statistics frozen.
 */
registerEditMethod({
  name: 'local-ft',
  description: "fine-tune one layer's weights and bias on the edit set",
  run: (model, editSet, options) => {
    const target = layerIndex(model, options.layer);
    return fineTuneEdit('local-ft', model, editSet, options, (_, i) => i === target);
  },
});
