/**
 * Seeded randomness for shifts. Every image of a batch draws from its own stream, seeded by
 * (seed, index in the batch), so a result never depends on how a data set was split into
 * batches before the index, and streams never overlap. Only mulberry32 (integer arithmetic)
 * and V8's fdlibm-derived Math.log/sqrt/cos/sin/exp are used, so the same seed gives the same
 * bytes on every machine.
 */
import { mulberry32, normalSampler } from '../../engine/rng';

/** A 32-bit hash of two 32-bit integers (murmur3 finaliser over a mix of both). */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a >>> 0, 0x9e3779b1) ^ Math.imul((b >>> 0) + 0x7f4a7c15, 0x85ebca77)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit seed from a seed and a string key (FNV-1a of the key, mixed with the seed). */
export function seedFromKey(seed: number, key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mixSeed(seed, h >>> 0);
}

/** The uniform [0, 1) stream of image `index` of a batch shifted with `seed`. */
export function imageRng(seed: number, index: number): () => number {
  return mulberry32(mixSeed(seed, index));
}

/** A standard normal sampler on a uniform stream. */
export { normalSampler };

/** Uniform integer in [lo, hi) (numpy's randint convention: hi excluded). */
export function randint(uniform: () => number, lo: number, hi: number): number {
  return lo + Math.floor(uniform() * (hi - lo));
}

/** Uniform float in [lo, hi). */
export function uniformIn(uniform: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * uniform();
}

/**
 * A Poisson sample with mean `lambda`: inversion by sequential search for lambda < 10 (one
 * uniform), else Hörmann's transformed rejection with squeeze (PTRS, 1993), which is exact
 * and takes ~1.2 uniforms pairs on average.
 */
export function poisson(uniform: () => number, lambda: number): number {
  if (!(lambda > 0)) return 0;
  if (lambda < 10) {
    const u = uniform();
    let p = Math.exp(-lambda);
    let cdf = p;
    let k = 0;
    while (u > cdf && k < 1000) {
      k++;
      p *= lambda / k;
      cdf += p;
    }
    return k;
  }
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const U = uniform() - 0.5;
    const V = uniform();
    const us = 0.5 - Math.abs(U);
    const k = Math.floor(((2 * a) / us + b) * U + lambda + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (Math.log(V) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k)) return k;
  }
}

const LOG_FACT = (() => {
  const t = new Float64Array(256);
  for (let i = 2; i < 256; i++) t[i] = t[i - 1] + Math.log(i);
  return t;
})();

/** ln k! (table below 256, Stirling series above). */
export function logFactorial(k: number): number {
  if (k < 256) return LOG_FACT[k];
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x * x * x);
}
