/**
 * Effective robustness (Taori et al. 2020; Miller et al. 2021, "accuracy on the line"): fit
 * T(acc_shift) = a·T(acc_ID) + b by least squares over a cloud of standard models, T = probit
 * (default) or logit; a model's effective robustness is its shifted accuracy minus the line's
 * prediction at its ID accuracy, and an edit's OOD penalty is the change of that quantity.
 */
import { mulberry32 } from '../engine/rng';

/** The axis transform of the fit. */
export type AccuracyTransform = 'probit' | 'logit';

/** Accuracies are clipped to [ε, 1 − ε] before transforming (a 0 or 1 would be infinite). */
export const ACCURACY_CLIP = 1e-4;

/** Standard normal CDF Φ, from erfc (|error| < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  // Numerical Recipes' erfc Chebyshev fit.
  const erfc = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** Standard normal quantile Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation (|rel. error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`editlab: normalQuantile needs p in (0, 1), got ${p}.`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) => (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** T(accuracy): probit or logit of the clipped accuracy. */
export function transformAccuracy(accuracy: number, transform: AccuracyTransform = 'probit'): number {
  const p = Math.min(1 - ACCURACY_CLIP, Math.max(ACCURACY_CLIP, accuracy));
  return transform === 'probit' ? normalQuantile(p) : Math.log(p / (1 - p));
}

/** T⁻¹: back from the transformed axis to an accuracy. */
export function untransformAccuracy(value: number, transform: AccuracyTransform = 'probit'): number {
  return transform === 'probit' ? normalCdf(value) : 1 / (1 + Math.exp(-value));
}

/** A fitted line on the transformed axes. */
export interface AccuracyLine {
  transform: AccuracyTransform;
  slope: number;
  intercept: number;
  /** Models it was fitted on. */
  n: number;
  /** Coefficient of determination on the transformed axes. */
  r2: number;
}

/**
 * Least-squares line of T(ood) on T(id) over the cloud's (id, ood) accuracy pairs.
 * @example const line = fitAccuracyLine(accuracyPairs(loadCloud(), { family: 'corruption' }))
 */
export function fitAccuracyLine(points: readonly { id: number; ood: number }[], transform: AccuracyTransform = 'probit'): AccuracyLine {
  if (transform !== 'probit' && transform !== 'logit') throw new Error(`editlab: unknown transform "${transform}"; expected probit or logit.`);
  if (points.length < 2) throw new Error(`editlab: fitting a line needs at least 2 models, got ${points.length}.`);
  const x = points.map((p) => transformAccuracy(p.id, transform));
  const y = points.map((p) => transformAccuracy(p.ood, transform));
  const mx = x.reduce((s, v) => s + v, 0) / x.length;
  const my = y.reduce((s, v) => s + v, 0) / y.length;
  let sxx = 0, sxy = 0, syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxx += (x[i] - mx) ** 2;
    sxy += (x[i] - mx) * (y[i] - my);
    syy += (y[i] - my) ** 2;
  }
  if (sxx === 0) throw new Error('editlab: every model of the cloud has the same ID accuracy; the line is undetermined.');
  const slope = sxy / sxx;
  return { transform, slope, intercept: my - slope * mx, n: points.length, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

/** β(x): the shifted accuracy the line predicts at ID accuracy `id`. */
export function baselineAccuracy(line: AccuracyLine, id: number): number {
  return untransformAccuracy(line.slope * transformAccuracy(id, line.transform) + line.intercept, line.transform);
}

/** ρ = acc_shift − β(acc_ID): how much better (or worse) than the cloud predicts. */
export function effectiveRobustness(line: AccuracyLine, model: { id: number; ood: number }): number {
  return model.ood - baselineAccuracy(line, model.id);
}

/**
 * The OOD penalty of an edit: ρ(edited) − ρ(original), in accuracy units (×100 for percentage
 * points). Negative = the edit made the model less robust than its ID accuracy predicts.
 */
export function oodPenalty(line: AccuracyLine, original: { id: number; ood: number }, edited: { id: number; ood: number }): number {
  return effectiveRobustness(line, edited) - effectiveRobustness(line, original);
}

/** One x of a {@link lineBand}: the line's value and its bootstrap interval, on the transformed axes. */
export interface LineBandPoint {
  x: number;
  y: number;
  /** The interval's ends (named as every interval in editlab: docs/conventions.md). */
  ci_lo: number;
  ci_hi: number;
}

/**
 * A bootstrap band around the accuracy line: refit on `samples` resamples of the cloud's
 * models (with replacement, seeded) and take the central `level` interval of the predicted
 * T(ood) at each transformed ID accuracy in `xs`.
 */
export function lineBand(points: readonly { id: number; ood: number }[], xs: readonly number[], options: { transform?: AccuracyTransform; samples?: number; level?: number; seed?: number } = {}): LineBandPoint[] {
  const { transform = 'probit', samples = 500, level = 0.95, seed = 0 } = options;
  const line = fitAccuracyLine(points, transform);
  const rand = mulberry32(seed);
  const fits: AccuracyLine[] = [];
  for (let s = 0; s < samples; s++) {
    const resample = points.map(() => points[Math.floor(rand() * points.length)]);
    // A resample whose models share one ID accuracy has no line; draw again.
    if (resample.every((p) => p.id === resample[0].id)) { s--; continue; }
    fits.push(fitAccuracyLine(resample, transform));
  }
  return xs.map((x) => {
    const ys = fits.map((f) => f.slope * x + f.intercept).sort((a, b) => a - b);
    return { x, y: line.slope * x + line.intercept, ci_lo: sortedQuantile(ys, (1 - level) / 2), ci_hi: sortedQuantile(ys, (1 + level) / 2) };
  });
}

/** The p-quantile of ascending `sorted` values, nearest rank (bootstrap percentile intervals). */
export function sortedQuantile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
}
