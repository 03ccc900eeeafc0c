/**
 * Accuracy with an exact (Clopper–Pearson) 95% interval.
 */

/** Accuracy of k correct out of n, with its Clopper–Pearson interval. */
export interface Accuracy {
  /** Fraction correct. */
  accuracy: number;
  /** Number of examples. */
  n: number;
  /** Number correct. */
  correct: number;
  /** Clopper–Pearson interval [lo, hi] at the requested level (95% by default). */
  ci: [number, number];
  /** The interval's ends again, named as every JSON and CSV output names them (docs/conventions.md). */
  ci_lo: number;
  ci_hi: number;
}

/** Accuracy and interval from a count of correct predictions. */
export function accuracyFromCounts(correct: number, n: number, level = 0.95): Accuracy {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`accuracy: n must be a positive integer, got ${n}.`);
  if (!Number.isInteger(correct) || correct < 0 || correct > n) throw new Error(`accuracy: correct must be an integer in [0, ${n}], got ${correct}.`);
  const ci = clopperPearson(correct, n, level);
  return { accuracy: correct / n, n, correct, ci, ci_lo: ci[0], ci_hi: ci[1] };
}

/** Accuracy of predicted labels against true labels. */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>, level = 0.95): Accuracy {
  if (predicted.length !== labels.length) {
    throw new Error(`accuracy: ${predicted.length} predictions for ${labels.length} labels.`);
  }
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return accuracyFromCounts(correct, labels.length, level);
}

/** Exact binomial interval: Beta quantiles at (1 ± level) / 2. */
export function clopperPearson(k: number, n: number, level = 0.95): [number, number] {
  const alpha = 1 - level;
  const lo = k === 0 ? 0 : betaQuantile(alpha / 2, k, n - k + 1);
  const hi = k === n ? 1 : betaQuantile(1 - alpha / 2, k + 1, n - k);
  return [lo, hi];
}

/** Inverse of the regularised incomplete beta function, by bisection (monotone, robust). */
export function betaQuantile(p: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** I_x(a, b), the regularised incomplete beta function (continued fraction, Numerical Recipes §6.4). */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(a * Math.log(x) + b * Math.log(1 - x) - logBeta(a, b));
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(x, a, b)) / a;
  return 1 - (front * betaFraction(1 - x, b, a)) / b;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** ln Γ(x) by the Lanczos approximation (g = 7, n = 9). */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
    -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}
