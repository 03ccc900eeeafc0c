/**
 * Re-estimating batch-norm statistics after training ("precise BN"): the moving averages that
 * inference uses lag behind the weights (momentum 0.99 forgets over ~100 steps), so a short run
 * or a high learning rate leaves them stale and a model far worse in inference than in training.
 * Here they become the plain average of batch statistics over training batches run with the
 * final weights.
 */
import { tf } from '../engine/backend';
import { permutation } from '../engine/rng';
import { subset, type ImageSet } from '../data/image-set';

/** Options of {@link recalibrateBatchNorm}. */
export interface RecalibrateOptions {
  /** Images to average over (whole batches; default 4096, at most the set). */
  images?: number;
  batchSize?: number;
  /** Seed of the image sample. */
  seed?: number;
  /** Called after every batch with its image count (progress). */
  onBatch?: (count: number) => void;
}

type BatchNormLayer = tf.layers.Layer & { momentum: number };

/**
 * Sets every BatchNormalization layer's moving mean and variance to the average of its batch
 * statistics over a seeded sample of `set`, run forward in training mode. Returns the number of
 * batches (0 when the model has no batch norm; the model is then untouched).
 */
export function recalibrateBatchNorm(model: tf.LayersModel, set: ImageSet, options: RecalibrateOptions = {}): number {
  const layers = model.layers.filter((l) => l.getClassName() === 'BatchNormalization') as BatchNormLayer[];
  if (!layers.length || set.n === 0) return 0;
  const batchSize = Math.min(options.batchSize ?? 128, set.n);
  const batches = Math.max(1, Math.floor(Math.min(options.images ?? 4096, set.n) / batchSize));
  const order = permutation(set.n, options.seed ?? 0);
  const momenta = layers.map((l) => l.momentum);
  try {
    for (let k = 1; k <= batches; k++) {
      // tfjs moves each statistic by (1 − momentum)·(batch − moving): 1 − 1/k makes it the running mean of the k batches.
      for (const l of layers) l.momentum = 1 - 1 / k;
      const batch = subset(set, order.subarray((k - 1) * batchSize, k * batchSize));
      tf.tidy(() => { model.apply(tf.tensor4d(batch.images, [batch.n, set.height, set.width, set.channels]), { training: true }); });
      options.onBatch?.(batch.n);
    }
  } finally {
    layers.forEach((l, i) => { l.momentum = momenta[i]; });
  }
  return batches;
}
