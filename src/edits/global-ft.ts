import { fineTuneEdit, layerIndex } from './fine-tune';
import { registerEditMethod } from './registry';

/**
 * Global fine-tuning: train every layer from ℓ to the output (model.layers is topologically
 * ordered, so that is every layer at or after ℓ) on the edit set; batch-norm statistics frozen.
 */
registerEditMethod({
  name: 'global-ft',
  description: 'fine-tune every layer from ℓ to the output on the edit set',
  run: (model, editSet, options) => {
    const from = layerIndex(model, options.layer);
    return fineTuneEdit('global-ft', model, editSet, options, (_, i) => i >= from);
  },
});

/**
 * Whole-model interpolation (WiSE-FT / PAINT): fine-tune every parameter; the sweep then
 * interpolates all of them, θ(α) = (1 − α)θ₀ + αθ₁. `layer` is ignored.
 */
registerEditMethod({
  name: 'interp',
  description: 'fine-tune all layers; interpolate every parameter (WiSE-FT / PAINT)',
  run: (model, editSet, options) => fineTuneEdit('interp', model, editSet, options, () => true),
});
