/**
 * Hard subsets (an ImageNet-A analog): adversarial filtering of a test set against an ensemble
 * of models chosen by the caller. ImageNet-A kept the natural images a ResNet-50 got wrong;
 * here an image is kept when at least `minWrong` of the ensemble's models misclassify it
 * (default: a strict majority).
 */
import type * as tfTypes from '@tensorflow/tfjs';
import { subset, type ImageSet } from '../data/image-set';
import { predict } from '../engine/predict';

/** A model, or any function from an image set to predicted labels. */
export type Classifier = tfTypes.LayersModel | ((set: ImageSet) => ArrayLike<number>);

/** Options of {@link hardSubset}. */
export interface HardSubsetOptions {
  /** Keep an image when at least this many models misclassify it; default ⌊models/2⌋ + 1. */
  minWrong?: number;
  /** Batch size of model predictions. */
  batchSize?: number;
}

/** Per-class counts of a hard subset. */
export interface HardSubsetClass {
  label: number;
  class: string;
  /** Images of the class kept. */
  kept: number;
  /** Images of the class in the input set. */
  total: number;
  /** kept / total (0 when the class has no image). */
  fraction: number;
}

/** The result of {@link hardSubset}. */
export interface HardSubset {
  /** The kept images, in input order. */
  set: ImageSet;
  /** Their indices in the input set. */
  indices: Int32Array;
  /** For every input image, how many models got it wrong. */
  wrongVotes: Int32Array;
  /** Models in the ensemble. */
  models: number;
  /** The `minWrong` used. */
  minWrong: number;
  kept: number;
  total: number;
  /** Counts per class, in label order. */
  perClass: HardSubsetClass[];
}

/** The labels a classifier predicts for a set (a model in batches of `batchSize`). */
export function predictLabels(model: Classifier, set: ImageSet, batchSize: number): ArrayLike<number> {
  return typeof model === 'function' ? model(set) : predict(model, set, { batchSize }).predicted;
}

/**
 * Keeps the images of `set` that most models of `ensemble` misclassify, and reports how many
 * were kept from which classes.
 * @example const hard = hardSubset(testSet, [modelA, modelB, modelC]); hard.kept; hard.perClass
 */
export function hardSubset(set: ImageSet, ensemble: readonly Classifier[], options: HardSubsetOptions = {}): HardSubset {
  if (ensemble.length === 0) throw new Error('editlab: hardSubset needs at least one model in the ensemble.');
  const minWrong = options.minWrong ?? Math.floor(ensemble.length / 2) + 1;
  if (!Number.isInteger(minWrong) || minWrong < 1 || minWrong > ensemble.length) {
    throw new Error(`editlab: minWrong must be an integer from 1 to ${ensemble.length} (the ensemble size), got ${minWrong}.`);
  }
  const wrongVotes = new Int32Array(set.n);
  ensemble.forEach((model, m) => {
    const predicted = predictLabels(model, set, options.batchSize ?? 256);
    if (predicted.length !== set.n) throw new Error(`editlab: model ${m} of the ensemble returned ${predicted.length} predictions for ${set.n} images.`);
    for (let i = 0; i < set.n; i++) if (predicted[i] !== set.labels[i]) wrongVotes[i]++;
  });
  const indices: number[] = [];
  for (let i = 0; i < set.n; i++) if (wrongVotes[i] >= minWrong) indices.push(i);
  const classes = set.classes.length;
  const kept = new Int32Array(classes);
  const total = new Int32Array(classes);
  for (let i = 0; i < set.n; i++) {
    const y = set.labels[i];
    if (y >= 0 && y < classes) {
      total[y]++;
      if (wrongVotes[i] >= minWrong) kept[y]++;
    }
  }
  return {
    set: subset(set, indices),
    indices: Int32Array.from(indices),
    wrongVotes,
    models: ensemble.length,
    minWrong,
    kept: indices.length,
    total: set.n,
    perClass: Array.from({ length: classes }, (_, label) => ({
      label, class: set.classes[label], kept: kept[label], total: total[label], fraction: total[label] ? kept[label] / total[label] : 0,
    })),
  };
}
