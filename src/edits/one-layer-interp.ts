/**
 * 1-layer interpolation (1-LI): fine-tune layer ℓ alone, then move only that layer back toward
 * the original, W_ℓ(α) = (1 − α)W₀ + αW₁, with α chosen on held-out edit data (the best
 * held-out edit accuracy; ties go to the smaller α, i.e. the smaller change).
 */

import type { ImageSet } from '../data/image-set';
import { permutation } from '../engine/rng';
import { cloneModel } from '../models/clone';
import { predict } from '../engine/predict';
import { Edit } from './edit';
import { LOCAL_FT_PROTOCOL } from './local-ft';
import { edit, registerEditMethod } from './registry';
import { subsetExemplars } from './tasks/task';

/** α grid searched by 1-LI. */
export const ONE_LAYER_ALPHAS = Array.from({ length: 21 }, (_, i) => i / 20);

/**
 * 1-LI from a local fine-tuning edit: W_ℓ(α*) with α* the value of {@link ONE_LAYER_ALPHAS} with
 * the most correct validation images (ties to the smaller α).
 * @param local the local-ft edit of the layer (not disposed)
 * @param validation held-out edit images, disjoint from the ones `local` was trained on
 */
export async function interpolateOneLayer(local: Edit, validation: ImageSet): Promise<Edit> {
  const copy = await cloneModel(local.model);
  let best = { alpha: 0, correct: -1 };
  try {
    for (const alpha of ONE_LAYER_ALPHAS) {
      local.applyTo(copy, alpha);
      const predicted = predict(copy, validation).predicted;
      const correct = predicted.reduce((n, p, i) => n + (p === validation.labels[i] ? 1 : 0), 0);
      if (correct > best.correct) best = { alpha, correct };
    }
  } finally {
    copy.dispose();
  }
  const weights = local.weightsAt(best.alpha);
  const changes = local.changes.map((c, i) => ({ ...c, original: c.original.clone(), edited: weights[i] }));
  return new Edit('one-layer-interp', local.model, changes, { alpha: best.alpha, validation_accuracy: best.correct / validation.n });
}

/** The exemplars split into training and validation: a seeded quarter held out to choose α. */
export function oneLayerSplit(editSet: ImageSet, seed: number): { train: ImageSet; validation: ImageSet } {
  if (editSet.n < 4) throw new Error(`editlab: one-layer-interp needs at least 4 exemplars (a quarter is held out to choose α) or options.validation; got ${editSet.n}.`);
  const order = permutation(editSet.n, seed + 7);
  const cut = Math.floor(editSet.n / 4);
  return { validation: subsetExemplars(editSet, order.subarray(0, cut)), train: subsetExemplars(editSet, order.subarray(cut)) };
}

registerEditMethod({
  name: 'one-layer-interp',
  description: 'local fine-tuning of ℓ, then only ℓ interpolated toward the original at the α that is best on held-out edit data',
  protocol: LOCAL_FT_PROTOCOL,
  reuses: 'local-ft',
  async run(model, editSet, options) {
    const { train, validation } = options.validation ? { train: editSet, validation: options.validation } : oneLayerSplit(editSet, options.seed ?? 0);
    const local = await edit(model, train, 'local-ft', options);
    try {
      return await interpolateOneLayer(local, validation);
    } finally {
      local.dispose();
    }
  },
});
