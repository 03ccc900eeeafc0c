import { fineTuneEdit } from './fine-tune';
import { registerEditMethod, type MethodProtocol } from './registry';

/** Local fine-tuning's protocol, shared by 1-LI (which interpolates the same edit). */
export const LOCAL_FT_PROTOCOL: MethodProtocol = { layer: 'middle', steps: 160, learning_rate: 3e-3, exemplars: 64 };

/**
 * Local fine-tuning: train only layer ℓ's weights (and bias) on the edit set with
 * cross-entropy, batch-norm statistics frozen.
 */
registerEditMethod({
  name: 'local-ft',
  description: "fine-tune one layer's weights and bias on the edit set",
  protocol: LOCAL_FT_PROTOCOL,
  run: (model, editSet, options) => fineTuneEdit('local-ft', model, editSet, options, (l) => l.name === options.layer),
});
