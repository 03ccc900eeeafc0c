/**
 * What the page shows at one α, computed from predictions: accuracy with its Clopper–Pearson
 * interval (the library's `accuracy`) and the examples that flipped relative to α = 0.
 */
import { accuracy } from '../../metrics/accuracy';
import type { NamedSet, SetGroup } from '../format';

/** One set at one α: a row of the table and of the charts. */
export interface SetResult {
  set: string;
  group: SetGroup;
  alpha: number;
  accuracy: number;
  correct: number;
  n: number;
  ci_lo: number;
  ci_hi: number;
  /** Accuracy of the original model (α = 0) on the same images. */
  original: number;
  /** Indices wrong at α = 0 and right at α. */
  fixed: number[];
  /** Indices right at α = 0 and wrong at α. */
  broken: number[];
}

/** Indices of the examples fixed and broken between two prediction vectors. */
export function flips(before: ArrayLike<number>, after: ArrayLike<number>, labels: ArrayLike<number>): { fixed: number[]; broken: number[] } {
  const fixed: number[] = [];
  const broken: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const was = before[i] === labels[i];
    const is = after[i] === labels[i];
    if (!was && is) fixed.push(i);
    else if (was && !is) broken.push(i);
  }
  return { fixed, broken };
}

/** The results of every set at α, given the predictions at α and at α = 0. */
export function setResults(sets: readonly NamedSet[], alpha: number, predicted: readonly Int32Array[], original: readonly Int32Array[]): SetResult[] {
  return sets.map(({ entry, set }, i) => {
    const now = accuracy(predicted[i], set.labels);
    return {
      set: entry.name, group: entry.group, alpha,
      accuracy: now.accuracy, correct: now.correct, n: now.n, ci_lo: now.ci_lo, ci_hi: now.ci_hi,
      original: accuracy(original[i], set.labels).accuracy,
      ...flips(original[i], predicted[i], set.labels),
    };
  });
}

/** A fraction as the page prints it: a percentage with two decimals (as `editlab eval` prints). */
export function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
