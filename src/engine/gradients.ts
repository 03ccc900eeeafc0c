/**
 * Gradients editlab registers for every backend where tfjs's own are pathological.
 *
 * Tile: tfjs accumulates the gradient with one slice and one add per tile, which for a layer
 * norm's tiled scale over [batch, tokens, dim] means batch × tokens kernel calls per weight
 * (28 s per ViT training step). The same gradient is one reshape and one sum: view dy as
 * [reps_0, x_0, reps_1, x_1, …] and sum over the reps axes.
 *
 * Fused convolutions: tfjs's `fused.conv2d` (what a Conv2D layer calls, with its bias) has a
 * custom gradient that computes the gradients of all its inputs whether or not they are
 * needed. Fine-tuning one layer then computes, and throws away, the filter gradient of every
 * frozen convolution after it and the input gradient of the trained one: half the backward
 * convolutions. While gradients are recorded, a conv with a linear activation runs as conv2d
 * plus a bias add instead, whose gradients tfjs computes only where a variable needs them (the
 * other activations already run unfused there). The same values, up to rounding.
 */
import * as tf from '@tensorflow/tfjs';

let registered = false;
let unfusedConvGradients = true;

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

type FusedConv2dArgs = Parameters<typeof tf.fused.conv2d>[0];

/**
 * Routes `fused.conv2d` with a linear activation to conv2d plus a bias add while gradients are
 * recorded (see the module's comment); every other call goes to tfjs's own.
 */
function installUnfusedConvGradients(): void {
  const fused = tf.fused as { conv2d: typeof tf.fused.conv2d };
  const original = fused.conv2d;
  const unfused = ((args: FusedConv2dArgs) => {
    const linear = args.activation == null || args.activation === 'linear';
    if (!unfusedConvGradients || !linear || tf.engine().state.gradientDepth === 0) return original(args);
    const { x, filter, strides, pad, dataFormat = 'NHWC', dilations = [1, 1], dimRoundingMode, bias } = args;
    const y = tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, strides, pad, dataFormat, dilations, dimRoundingMode);
    // Layers without a bias pass null.
    return bias == null ? y : tf.add(y, bias);
  }) as typeof tf.fused.conv2d;
  try {
    fused.conv2d = unfused;
  } catch {
    // An ES-module namespace (a bundle, a browser) cannot be assigned to: tfjs's own gradients stay.
  }
}

/**
 * Turns the unfused convolution gradients on or off (on by default; see the module's comment).
 * Returns the previous setting. Off, tfjs computes every input's gradient of a fused conv.
 */
export function setUnfusedConvGradients(on: boolean): boolean {
  const was = unfusedConvGradients;
  unfusedConvGradients = on;
  return was;
}

/** Registers editlab's gradients (idempotent). */
export function registerGradients(): void {
  if (registered) return;
  installUnfusedConvGradients();
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
