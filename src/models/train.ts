import { tf } from '../engine/backend';
import { permutation } from '../engine/rng';
import { subset, type ImageSet } from '../data/image-set';

/** Options of {@link train}. */
export interface TrainOptions {
  epochs?: number;
  /** Optimiser steps (batches); when set, training stops after this many and `epochs` is ignored. */
  steps?: number;
  batchSize?: number;
  /** Learning rate of Adam. */
  learningRate?: number;
  /** Seed of the data order. */
  seed?: number;
  /** Train only these variables (default: all trainable weights). */
  variables?: tf.Variable[];
  /**
   * Run layers in training mode (dropout, batch-norm statistics). Edits pass false, which
   * keeps batch-norm statistics frozen. Default: true.
   */
  trainingMode?: boolean;
  /** Called after every step with the step's loss. */
  onStep?: (step: number, totalSteps: number, loss: number) => void;
}

/** One-hot labels of a batch. */
function oneHot(labels: Int32Array, classes: number): tf.Tensor2D {
  return tf.oneHot(tf.tensor1d(labels, 'int32'), classes) as tf.Tensor2D;
}

/**
 * Trains a model with cross-entropy and Adam, in place. See {@link TrainOptions.trainingMode}. Returns the mean loss of the last epoch.
 */
export function train(model: tf.LayersModel, data: ImageSet, options: TrainOptions = {}): number {
  const { epochs = 1, batchSize = 128, learningRate = 1e-3, seed = 0, trainingMode = true, onStep } = options;
  if (data.n === 0) throw new Error('train: the training set is empty.');
  const classes = (model.outputs[0].shape[1] as number) ?? data.classes.length;
  const variables = options.variables ?? model.trainableWeights.map((w) => w.read() as tf.Variable);
  const optimizer = tf.train.adam(learningRate);
  const stepsPerEpoch = Math.ceil(data.n / batchSize);
  if (options.steps !== undefined && (!Number.isInteger(options.steps) || options.steps < 1)) throw new Error(`train: steps must be an integer ≥ 1, got ${options.steps}.`);
  const total = options.steps ?? epochs * stepsPerEpoch;
  // The model's own input shape: images, or a frozen prefix's features (see `frozenPrefix`).
  const inputShape = model.inputs[0].shape.slice(1).map((d, i) => d ?? [data.height, data.width, data.channels][i]);
  let lastEpochLoss = 0;
  for (let epoch = 0, step = 0; step < total; epoch++) {
    const order = permutation(data.n, seed * 7919 + epoch);
    let sum = 0;
    const inEpoch = Math.min(stepsPerEpoch, total - step);
    for (let s = 0; s < inEpoch; s++, step++) {
      const batch = subset(data, order.subarray(s * batchSize, (s + 1) * batchSize));
      const loss = tf.tidy(() => {
        const x = tf.tensor(batch.images, [batch.n, ...inputShape]);
        const y = oneHot(batch.labels, classes);
        return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: trainingMode }) as tf.Tensor) as tf.Scalar, true, variables)!;
      });
      const value = loss.dataSync()[0];
      loss.dispose();
      sum += value;
      onStep?.(step + 1, total, value);
    }
    lastEpochLoss = sum / inEpoch;
  }
  optimizer.dispose();
  return lastEpochLoss;
}
