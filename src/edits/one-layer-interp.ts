/**
 * 1-layer interpolation (1-LI): fine-tune layer ℓ alone, then move only that layer back toward
 * the original, W_ℓ(α) = (1 − α)W₀ + αW₁, with α chosen on held-out edit data (the best
 * held-out edit accuracy; ties go to the smaller α, i.e. the smaller change).
 */

import { subset, type ImageSet } from '../data/image-set';
import { permutation } from '../engine/rng';
import { cloneModel } from '../models/clone';
import { predict } from '../models/predict';
import { Edit } from './edit';
import { edit, registerEditMethod } from './registry';

/** α grid searched by 1-LI. */
export const ONE_LAYER_ALPHAS = Array.from({ length: 21 }, (_, i) => i / 20);

registerEditMethod({
  name: 'one-layer-interp',
  description: 'local fine-tuning of ℓ, then only ℓ interpolated toward the original at the α that is best on held-out edit data',
  async run(model, editSet, options) {
    let train: ImageSet = editSet;
    let validation = options.validation;
    if (!validation) {
      if (editSet.n < 4) throw new Error('editlab: one-layer-interp needs at least 4 exemplars (a quarter is held out to choose α) or options.validation.');
      const order = permutation(editSet.n, (options.seed ?? 0) + 7);
      const cut = Math.floor(editSet.n / 4);
      validation = subset(editSet, order.subarray(0, cut));
      train = subset(editSet, order.subarray(cut));
    }
    const local = await edit(model, train, 'local-ft', options);
    const copy = await cloneModel(model);
    let best = { alpha: 0, correct: -1 };
    try {
      for (const alpha of ONE_LAYER_ALPHAS) {
        local.applyTo(copy, alpha);
        const predicted = predict(copy, validation).predicted;
        const correct = predicted.reduce((n, p, i) => n + (p === validation!.labels[i] ? 1 : 0), 0);
        if (correct > best.correct) best = { alpha, correct };
      }
    } finally {
      copy.dispose();
    }
    const weights = local.weightsAt(best.alpha);
    const changes = local.changes.map((c, i) => ({ ...c, original: c.original.clone(), edited: weights[i] }));
    local.dispose();
    return new Edit('one-layer-interp', model, changes, { alpha: best.alpha, validation_accuracy: best.correct / validation.n });
  },
});
