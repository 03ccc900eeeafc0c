/**
 * Gradients editlab registers for every backend where tfjs's own are pathological.
 *
 * Tile: tfjs accumulates the gradient with one slice and one add per tile, which for a layer
 * norm's tiled scale over [batch, tokens, dim] means batch × tokens kernel calls per weight
 * (28 s per ViT training step). The same gradient is one reshape and one sum: view dy as
 * [reps_0, x_0, reps_1, x_1, …] and sum over the reps axes.
 */
import * as tf from '@tensorflow/tfjs';

let registered = false;

/** The gradient of tile(x, reps) with respect to x. */
export function tileGradient(dy: tf.Tensor, xShape: number[], reps: number[]): tf.Tensor {
  return tf.tidy(() => {
    const view: number[] = [];
    const summed: number[] = [];
    xShape.forEach((size, i) => {
      if (reps[i] > 1) {
        summed.push(view.length);
        view.push(reps[i]);
      }
      if (size > 1 || reps[i] === 1) view.push(size);
    });
    const reduced = summed.length ? tf.sum(dy.reshape(view), summed) : dy;
    return reduced.reshape(xShape);
  });
}

/** Registers editlab's gradients (idempotent). */
export function registerGradients(): void {
  if (registered) return;
  tf.registerGradient({
    kernelName: 'Tile',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved;
      const { reps } = attrs as unknown as { reps: number[] };
      return { x: () => tileGradient(dy as tf.Tensor, x.shape, reps) };
    },
  });
  registered = true;
}
