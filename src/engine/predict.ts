import { tf } from './backend';
import type { ImageSet } from '../data/image-set';

/** Per-example outputs of a model on an image set. */
export interface Predictions {
  /** Predicted label per example. */
  predicted: Int32Array;
  /** Logits, n × classes (only when requested). */
  logits?: Float32Array;
}

/**
 * Runs a model over an image set in batches (inference mode) and returns the argmax labels,
 * optionally the logits. Keeps no tensors alive.
 */
export function predict(model: tf.LayersModel, set: ImageSet, options: { batchSize?: number; logits?: boolean; onBatch?: (count: number) => void } = {}): Predictions {
  const batchSize = options.batchSize ?? 256;
  const size = set.height * set.width * set.channels;
  const predicted = new Int32Array(set.n);
  let logits: Float32Array | undefined;
  for (let start = 0; start < set.n; start += batchSize) {
    const count = Math.min(batchSize, set.n - start);
    tf.tidy(() => {
      const x = tf.tensor4d(set.images.subarray(start * size, (start + count) * size), [count, set.height, set.width, set.channels]);
      const y = model.predict(x, { batchSize: count }) as tf.Tensor2D;
      predicted.set(y.argMax(-1).dataSync() as Int32Array, start);
      if (options.logits) {
        logits ??= new Float32Array(set.n * y.shape[1]);
        logits.set(y.dataSync() as Float32Array, start * y.shape[1]);
      }
    });
    options.onBatch?.(count);
  }
  return { predicted, logits };
}
