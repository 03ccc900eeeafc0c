/**
 * Paired statistics of an edit: the original and the edited model see the same images, so
 * their per-example correctness is compared example by example (BRIEF §4) rather than as two
 * independent accuracies. Inputs are correctness bitsets as the study stores them (bit i of
 * example i is `bits[i >> 3] >> (i & 7) & 1`, see `packCorrect` in src/study/sweep.ts).
 */
import { mulberry32 } from '../engine/rng';
import { logGamma } from './accuracy';
import { sortedQuantile } from './effective-robustness';

/** How the examples moved between the original and the edited model. */
export interface FlipCounts {
  /** Wrong before the edit, right after. */
  fixed: number;
  /** Right before the edit, wrong after. */
  broken: number;
  both_correct: number;
  both_wrong: number;
  /** Number of examples. */
  n: number;
}

/** Set bits of every byte value: popcount by table lookup, 8 examples per step. */
const BYTE_POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => {
  let count = 0;
  for (let v = b; v; v >>= 1) count += v & 1;
  return count;
});

/** Throws unless `bits` holds exactly `n` examples (`what` names it in the message). */
function checkBitset(bits: Uint8Array, n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`editlab: ${what}: n must be a non-negative integer, got ${n}.`);
  if (bits.length !== Math.ceil(n / 8)) {
    throw new Error(`editlab: ${what}: a bitset of ${n} examples has ${Math.ceil(n / 8)} bytes, got ${bits.length}.`);
  }
}

/** The bits of the last byte that are examples (the padding bits above `n` are ignored). */
function lastByteMask(n: number): number {
  return n % 8 === 0 ? 0xff : (1 << (n % 8)) - 1;
}

/**
 * Fixed / broken / unchanged counts of two correctness bitsets over the same `n` examples, the
 * cells of McNemar's table. Padding bits past `n` in the last byte are ignored.
 * @example const { fixed, broken } = flipCounts(originalBits, editedBits, 10000); mcnemarExact(fixed, broken)
 */
export function flipCounts(original: Uint8Array, edited: Uint8Array, n: number): FlipCounts {
  checkBitset(original, n, 'flipCounts (original)');
  checkBitset(edited, n, 'flipCounts (edited)');
  let fixed = 0, broken = 0, bothCorrect = 0;
  const last = original.length - 1;
  for (let i = 0; i < original.length; i++) {
    const mask = i === last ? lastByteMask(n) : 0xff;
    const o = original[i] & mask, e = edited[i] & mask;
    fixed += BYTE_POPCOUNT[~o & e & 0xff];
    broken += BYTE_POPCOUNT[o & ~e & 0xff];
    bothCorrect += BYTE_POPCOUNT[o & e];
  }
  return { fixed, broken, both_correct: bothCorrect, both_wrong: n - fixed - broken - bothCorrect, n };
}

/**
 * Exact two-sided McNemar test: under "the edit changes nothing", each discordant example is
 * fixed or broken with probability ½, so p = min(1, 2·P(X ≤ min(fixed, broken))) for
 * X ~ Binomial(fixed + broken, ½); p = 1 without discordant examples. Computed in log space from
 * the largest term down: relative error ~1e-10 at 100 000 discordant examples (from ln Γ).
 * @example mcnemarExact(1, 9) // 0.021484375 = 2·(1 + 10)/1024
 */
export function mcnemarExact(fixed: number, broken: number): number {
  for (const [name, v] of [['fixed', fixed], ['broken', broken]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new Error(`editlab: mcnemarExact: ${name} must be a non-negative integer, got ${v}.`);
  }
  const n = fixed + broken;
  if (n === 0) return 1;
  const k = Math.min(fixed, broken);
  // Terms C(n, j) for j ≤ k ≤ n/2 increase with j: sum them relative to the largest, C(n, k).
  const logLargest = logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
  let relativeSum = 1, term = 1;
  for (let j = k; j > 0; j--) {
    term *= j / (n - j + 1); // C(n, j−1) / C(n, j)
    relativeSum += term;
    if (term < relativeSum * 1e-17) break;
  }
  return Math.min(1, 2 * Math.exp(logLargest + Math.log(relativeSum) - n * Math.LN2));
}

/** One evaluated set's correctness for the original and the edited model, on the same images. */
export interface PairedCorrectness {
  original: Uint8Array;
  edited: Uint8Array;
  /** Number of images of the set. */
  n: number;
}

/** Options of {@link pairedBootstrap}. */
export interface PairedBootstrapOptions {
  /** Bootstrap resamples (default 1000). */
  samples?: number;
  /** Central coverage of the interval (default 0.95). */
  level?: number;
  /** Seed of the resampling (default 0): the same seed draws the same images. */
  seed?: number;
}

/** A statistic's value on the data and its bootstrap percentile interval. */
export interface BootstrapInterval {
  estimate: number;
  ci_lo: number;
  ci_hi: number;
  /** Number of resamples the interval comes from. */
  samples: number;
}

/**
 * Maps per-set accuracies to statistics: `original[s]` and `edited[s]` are set s's accuracies on
 * one (re)sample of its images. The arrays are reused between calls; copy what you keep.
 */
export type PairedStatistics = (original: Float64Array, edited: Float64Array) => ArrayLike<number>;

/**
 * Bootstrap of several statistics of paired correctness at once, sharing every resample (what
 * keeps e.g. per-shift and per-family penalties consistent): each resample draws every set's
 * images with replacement, independently per set and keeping its size, and gives both models
 * the same drawn images — that is what makes it paired. Returns one interval per statistic.
 * Cost is one random draw per image per resample, whatever the statistics.
 */
export function pairedBootstrapMany(sets: readonly PairedCorrectness[], statistics: PairedStatistics, options: PairedBootstrapOptions = {}): BootstrapInterval[] {
  const { samples = 1000, level = 0.95, seed = 0 } = options;
  if (!sets.length) throw new Error('editlab: pairedBootstrap needs at least one set.');
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`editlab: pairedBootstrap: samples must be a positive integer, got ${samples}.`);
  if (!(level > 0 && level < 1)) throw new Error(`editlab: pairedBootstrap: level must be in (0, 1), got ${level}.`);
  const flags = sets.map((set, s) => {
    checkBitset(set.original, set.n, `pairedBootstrap set ${s} (original)`);
    checkBitset(set.edited, set.n, `pairedBootstrap set ${s} (edited)`);
    if (set.n === 0) throw new Error(`editlab: pairedBootstrap set ${s} has no images.`);
    return { original: unpackFlags(set.original, set.n), edited: unpackFlags(set.edited, set.n) };
  });
  const original = new Float64Array(sets.length), edited = new Float64Array(sets.length);
  sets.forEach((set, s) => {
    original[s] = sumFlags(flags[s].original) / set.n;
    edited[s] = sumFlags(flags[s].edited) / set.n;
  });
  const estimates = Array.from(statistics(original, edited));
  const draws = estimates.map(() => new Float64Array(samples));
  const rand = mulberry32(seed);
  for (let b = 0; b < samples; b++) {
    for (let s = 0; s < sets.length; s++) {
      const n = sets[s].n, o = flags[s].original, e = flags[s].edited;
      let sumOriginal = 0, sumEdited = 0;
      for (let i = 0; i < n; i++) {
        const j = Math.floor(rand() * n);
        sumOriginal += o[j];
        sumEdited += e[j];
      }
      original[s] = sumOriginal / n;
      edited[s] = sumEdited / n;
    }
    const values = statistics(original, edited);
    if (values.length !== estimates.length) throw new Error(`editlab: pairedBootstrap: the statistics gave ${values.length} values on a resample but ${estimates.length} on the data.`);
    for (let k = 0; k < estimates.length; k++) draws[k][b] = values[k];
  }
  return estimates.map((estimate, k) => {
    const sorted = Array.from(draws[k].sort());
    return { estimate, ci_lo: sortedQuantile(sorted, (1 - level) / 2), ci_hi: sortedQuantile(sorted, (1 + level) / 2), samples };
  });
}

/**
 * Paired bootstrap percentile interval of one statistic of per-set accuracies (see
 * {@link pairedBootstrapMany} for the resampling).
 * @example pairedBootstrap([{ original, edited, n }], (o, e) => e[0] - o[0]) // accuracy change with its 95% interval
 */
export function pairedBootstrap(sets: readonly PairedCorrectness[], statistic: (original: Float64Array, edited: Float64Array) => number, options: PairedBootstrapOptions = {}): BootstrapInterval {
  return pairedBootstrapMany(sets, (o, e) => [statistic(o, e)], options)[0];
}

/** 0/1 flags of a bitset, one byte per example (what the resampling loop indexes). */
function unpackFlags(bits: Uint8Array, n: number): Uint8Array {
  const flags = new Uint8Array(n);
  for (let i = 0; i < n; i++) flags[i] = (bits[i >> 3] >> (i & 7)) & 1;
  return flags;
}

function sumFlags(flags: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < flags.length; i++) sum += flags[i];
  return sum;
}
