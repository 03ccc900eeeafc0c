import { downstreamLayers } from '../models/surgery';
import { fineTuneEdit } from './fine-tune';
import { registerEditMethod } from './registry';

/**
 * Global fine-tuning: train ℓ and every layer downstream of it in the graph (on a ResNet, not a
 * projection shortcut that reads the block's input) on the edit set; batch-norm statistics frozen.
 */
registerEditMethod({
  name: 'global-ft',
  description: 'fine-tune layer ℓ and every layer downstream of it on the edit set',
  protocol: { layer: 'middle', steps: 160, learning_rate: 3e-4, exemplars: 64 },
  run: (model, editSet, options) => {
    const trained = new Set(downstreamLayers(model, options.layer).map((l) => l.name));
    return fineTuneEdit('global-ft', model, editSet, options, (l) => trained.has(l.name));
  },
});

/**
 * Whole-model interpolation (WiSE-FT / PAINT): fine-tune every parameter; the sweep then
 * interpolates all of them, θ(α) = (1 − α)θ₀ + αθ₁. `layer` is ignored.
 */
registerEditMethod({
  name: 'interp',
  description: 'fine-tune all layers; interpolate every parameter (WiSE-FT / PAINT)',
  protocol: { layer: 'middle', steps: 160, learning_rate: 3e-4, exemplars: 64 },
  layerIndependent: true,
  run: (model, editSet, options) => fineTuneEdit('interp', model, editSet, options, () => true),
});
