/**
 * Resampling geometry: scipy.ndimage-style zoom (order 1), precomputed sparse linear operators,
 * bilinear sampling with border modes, and affine maps from three point pairs.
 */
import { borderIndex, type BorderMode } from './filter';

/** Python's round(): halves to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Linear taps of one axis: output j reads i0[j]·(1 − f[j]) + i1[j]·f[j]. */
export interface AxisTaps {
  i0: Int32Array;
  i1: Int32Array;
  f: Float64Array;
}

/**
 * ImageNet-C's `clipped_zoom` along one axis of length n with factor z ≥ 1: crop the central
 * ceil(n/z) samples (starting at floor((n − ceil(n/z))/2)), zoom them with scipy.ndimage.zoom
 * (order 1: output size round(ceil(n/z)·z), sample k at k·(in − 1)/(out − 1)) and keep the
 * central n (trimmed at floor((out − n)/2)).
 */
export function clippedZoomTaps(n: number, z: number): AxisTaps {
  const ch = Math.min(n, Math.ceil(n / z));
  const top = Math.floor((n - ch) / 2);
  const out = Math.max(n, roundHalfEven(ch * z));
  const trim = Math.floor((out - n) / 2);
  const scale = out > 1 ? (ch - 1) / (out - 1) : 0;
  const i0 = new Int32Array(n);
  const i1 = new Int32Array(n);
  const f = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const s = (j + trim) * scale;
    const k = Math.min(Math.floor(s), ch - 1);
    i0[j] = top + k;
    i1[j] = top + Math.min(k + 1, ch - 1);
    f[j] = s - k;
  }
  return { i0, i1, f };
}

/**
 * A linear map from an image's pixels to an image's pixels, as sparse rows: output pixel p
 * is Σ_k w[k] · input pixel src[k] for k in [start[p], start[p + 1]), the same for every channel.
 */
export interface SparseOperator {
  start: Int32Array;
  src: Int32Array;
  w: Float64Array;
}

/** Builds a sparse operator from per-pixel maps of source pixel → weight (merging repeats). */
export function sparseOperator(rows: ReadonlyArray<Map<number, number>>): SparseOperator {
  const start = new Int32Array(rows.length + 1);
  let total = 0;
  for (let p = 0; p < rows.length; p++) {
    start[p] = total;
    total += rows[p].size;
  }
  start[rows.length] = total;
  const src = new Int32Array(total);
  const w = new Float64Array(total);
  let k = 0;
  for (const row of rows) {
    for (const [s, weight] of [...row.entries()].sort((a, b) => a[0] - b[0])) {
      src[k] = s;
      w[k++] = weight;
    }
  }
  return { start, src, w };
}

/** Applies a sparse operator to one interleaved image. */
export function applySparse(op: SparseOperator, image: ArrayLike<number>, out: Float32Array | Float64Array, channels: number): void {
  const pixels = op.start.length - 1;
  for (let p = 0; p < pixels; p++) {
    const a = op.start[p];
    const b = op.start[p + 1];
    for (let c = 0; c < channels; c++) {
      let s = 0;
      for (let k = a; k < b; k++) s += op.w[k] * image[op.src[k] * channels + c];
      out[p * channels + c] = s;
    }
  }
}

/** Adds the bilinear taps of (taps y) ⊗ (taps x) scaled by `scale` into per-pixel maps. */
export function addSeparableTaps(rows: Array<Map<number, number>>, ty: AxisTaps, tx: AxisTaps, width: number, scale: number): void {
  const height = ty.i0.length;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const row = rows[y * width + x];
      const fy = ty.f[y];
      const fx = tx.f[x];
      const add = (yy: number, xx: number, w: number) => {
        if (w === 0) return;
        const key = yy * width + xx;
        row.set(key, (row.get(key) ?? 0) + w * scale);
      };
      add(ty.i0[y], tx.i0[x], (1 - fy) * (1 - fx));
      add(ty.i0[y], tx.i1[x], (1 - fy) * fx);
      add(ty.i1[y], tx.i0[x], fy * (1 - fx));
      add(ty.i1[y], tx.i1[x], fy * fx);
    }
  }
}

/** Reflects a coordinate into [−½, n − ½] with scipy's 'reflect' (half-sample symmetric) rule. */
function reflectCoordinate(c: number, n: number): number {
  if (c >= -0.5 && c <= n - 0.5) return c;
  const period = 2 * n;
  let q = (c + 0.5) % period;
  if (q < 0) q += period;
  q -= 0.5;
  return q > n - 0.5 ? period - 1 - q : q;
}

/**
 * Bilinear samples of every channel of an interleaved image at (y, x) into out[at …], reading
 * outside through `mode` (coordinates reflected first for 'reflect', as scipy's
 * map_coordinates does).
 */
export function sampleBilinearInto(
  image: ArrayLike<number>, height: number, width: number, channels: number, y: number, x: number, mode: BorderMode,
  out: Float32Array | Float64Array, at: number,
): void {
  if (mode === 'reflect') {
    y = reflectCoordinate(y, height);
    x = reflectCoordinate(x, width);
  }
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const fy = y - y0;
  const fx = x - x0;
  let ya = y0, yb = y0 + 1, xa = x0, xb = x0 + 1;
  if (y0 < 0 || y0 + 1 >= height) { ya = borderIndex(y0, height, mode); yb = borderIndex(y0 + 1, height, mode); }
  if (x0 < 0 || x0 + 1 >= width) { xa = borderIndex(x0, width, mode); xb = borderIndex(x0 + 1, width, mode); }
  const w00 = (1 - fy) * (1 - fx), w01 = (1 - fy) * fx, w10 = fy * (1 - fx), w11 = fy * fx;
  const p00 = (ya * width + xa) * channels, p01 = (ya * width + xb) * channels;
  const p10 = (yb * width + xa) * channels, p11 = (yb * width + xb) * channels;
  for (let c = 0; c < channels; c++) {
    out[at + c] = w00 * image[p00 + c] + w01 * image[p01 + c] + w10 * image[p10 + c] + w11 * image[p11 + c];
  }
}

/**
 * Bilinear sample of channel c of an interleaved image at (y, x), reading outside through
 * `mode` (coordinates are reflected first for 'reflect', as scipy's map_coordinates does).
 */
export function sampleBilinear(
  image: ArrayLike<number>, height: number, width: number, channels: number, c: number, y: number, x: number, mode: BorderMode,
): number {
  if (mode === 'reflect') {
    y = reflectCoordinate(y, height);
    x = reflectCoordinate(x, width);
  }
  const y0 = Math.floor(y);
  const x0 = Math.floor(x);
  const fy = y - y0;
  const fx = x - x0;
  const ya = borderIndex(y0, height, mode);
  const yb = borderIndex(y0 + 1, height, mode);
  const xa = borderIndex(x0, width, mode);
  const xb = borderIndex(x0 + 1, width, mode);
  const v00 = image[(ya * width + xa) * channels + c];
  const v01 = image[(ya * width + xb) * channels + c];
  const v10 = image[(yb * width + xa) * channels + c];
  const v11 = image[(yb * width + xb) * channels + c];
  return (1 - fy) * ((1 - fx) * v00 + fx * v01) + fy * ((1 - fx) * v10 + fx * v11);
}

/** A 2×3 affine map [a b c; d e f]: (x, y) → (a x + b y + c, d x + e y + f). */
export type Affine = [number, number, number, number, number, number];

/** The affine map taking three source points to three destination points (OpenCV's getAffineTransform). */
export function affineFromPoints(src: ReadonlyArray<readonly [number, number]>, dst: ReadonlyArray<readonly [number, number]>): Affine {
  const [[x0, y0], [x1, y1], [x2, y2]] = src;
  const det = x0 * (y1 - y2) - y0 * (x1 - x2) + (x1 * y2 - x2 * y1);
  if (det === 0) throw new Error('affineFromPoints: the source points are collinear.');
  const solve = (u0: number, u1: number, u2: number): [number, number, number] => [
    (u0 * (y1 - y2) - y0 * (u1 - u2) + (u1 * y2 - u2 * y1)) / det,
    (x0 * (u1 - u2) - u0 * (x1 - x2) + (x1 * u2 - x2 * u1)) / det,
    (x0 * (y1 * u2 - y2 * u1) - y0 * (x1 * u2 - x2 * u1) + u0 * (x1 * y2 - x2 * y1)) / det,
  ];
  const [a, b, c] = solve(dst[0][0], dst[1][0], dst[2][0]);
  const [d, e, f] = solve(dst[0][1], dst[1][1], dst[2][1]);
  return [a, b, c, d, e, f];
}

/** The inverse of an affine map. */
export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (det === 0) throw new Error('invertAffine: the map is singular.');
  return [e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det];
}
