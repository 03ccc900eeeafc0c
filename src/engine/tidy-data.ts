import * as tf from '@tensorflow/tfjs';

/**
 * The values of the tensor `f` returns, every tensor made on the way disposed. Use it instead
 * of `tf.tidy(() => t.dataSync())`: tidy searches whatever its function returns for tensors, key
 * by key, so returning a typed array costs ≈ 1.3 µs an element (measured here: 1.3 s for a
 * million floats, 3 ms when read outside). `f` may return a tensor it did not make: a clone is
 * read and disposed, never the tensor itself.
 */
export function tidyData<T extends tf.TypedArray = Float32Array>(f: () => tf.Tensor): T {
  const result = tf.tidy(() => f().clone());
  try {
    return result.dataSync() as T;
  } finally {
    result.dispose();
  }
}
