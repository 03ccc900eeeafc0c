/**
 * Linear filters on one interleaved image (height × width × channels, row-major, channels
 * last), written as plain loops in a fixed order so results are bit-identical everywhere.
 */

/** How a filter reads outside the image. */
export type BorderMode =
  /** a a a | a b c d | d d d (scikit-image `gaussian`'s default, scipy 'nearest') */
  | 'nearest'
  /** c b a | a b c d | d c b (scipy 'reflect', half-sample symmetric) */
  | 'reflect'
  /** d c b | a b c d | c b a (OpenCV's default BORDER_REFLECT_101, scipy 'mirror') */
  | 'reflect101';

/** Index of position `p` (any integer) of an axis of length `n` under a border mode. */
export function borderIndex(p: number, n: number, mode: BorderMode): number {
  if (p >= 0 && p < n) return p;
  if (n === 1) return 0;
  if (mode === 'nearest') return p < 0 ? 0 : n - 1;
  if (mode === 'reflect') {
    const period = 2 * n;
    const q = ((p % period) + period) % period;
    return q < n ? q : period - 1 - q;
  }
  const period = 2 * n - 2;
  const q = ((p % period) + period) % period;
  return q < n ? q : period - q;
}

/** Table t with t[p + r] = borderIndex(p) for p in [-r, n + r). */
export function borderTable(n: number, r: number, mode: BorderMode): Int32Array {
  const t = new Int32Array(n + 2 * r);
  for (let p = -r; p < n + r; p++) t[p + r] = borderIndex(p, n, mode);
  return t;
}

/**
 * A normalised 1-D Gaussian kernel of standard deviation `sigma`, radius
 * floor(truncate·sigma + 0.5) (scipy.ndimage's rule; scikit-image's `gaussian` uses truncate 4).
 */
export function gaussianKernel(sigma: number, truncate = 4): Float64Array {
  if (!(sigma > 0)) return Float64Array.of(1);
  const r = Math.floor(truncate * sigma + 0.5);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    k[i + r] = Math.exp((-0.5 / (sigma * sigma)) * i * i);
    sum += k[i + r];
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/**
 * Correlates every row (axis 'x') or column (axis 'y') with an odd-length kernel centred on
 * the pixel: dst[p] = Σ_t k[t] · src[p + t − r]. `dst` must not alias `src`.
 */
export function convolveAxis(
  src: ArrayLike<number>, dst: Float32Array | Float64Array, height: number, width: number, channels: number,
  kernel: ArrayLike<number>, axis: 'x' | 'y', mode: BorderMode,
): void {
  const r = (kernel.length - 1) >> 1;
  const klen = kernel.length;
  const n = axis === 'x' ? width : height;
  const table = borderTable(n, r, mode);
  // Offsets (in values) of one step along the axis, and of one step across it.
  const along = axis === 'x' ? channels : width * channels;
  const across = axis === 'x' ? width * channels : channels;
  const lines = axis === 'x' ? height : width;
  for (let line = 0; line < lines; line++) {
    const base = line * across;
    for (let p = 0; p < n; p++) {
      const interior = p - r >= 0 && p + r < n;
      for (let c = 0; c < channels; c++) {
        let s = 0;
        if (interior) {
          let q = base + (p - r) * along + c;
          for (let t = 0; t < klen; t++, q += along) s += kernel[t] * src[q];
        } else {
          for (let t = 0; t < klen; t++) s += kernel[t] * src[base + table[p + t] * along + c];
        }
        dst[base + p * along + c] = s;
      }
    }
  }
}

/** Separable Gaussian blur of one image (rows, then columns); returns a new array. */
export function gaussianBlur(
  src: ArrayLike<number>, height: number, width: number, channels: number, sigma: number,
  mode: BorderMode = 'nearest', truncate = 4,
): Float32Array {
  const out = new Float32Array(height * width * channels);
  if (!(sigma > 0)) {
    for (let i = 0; i < out.length; i++) out[i] = src[i];
    return out;
  }
  const k = gaussianKernel(sigma, truncate);
  const tmp = new Float64Array(out.length);
  convolveAxis(src, tmp, height, width, channels, k, 'x', mode);
  convolveAxis(tmp, out, height, width, channels, k, 'y', mode);
  return out;
}

/** One tap of a 2-D filter: weight `w` at offset (dy, dx). */
export interface Tap {
  dy: number;
  dx: number;
  w: number;
}

/**
 * Correlates one image with a sparse 2-D kernel: dst(y, x) = Σ w · src(y + dy, x + dx), reading
 * outside the image through `mode` (OpenCV's filter2D with its default border is 'reflect101').
 */
export function filter2d(
  src: ArrayLike<number>, dst: Float32Array | Float64Array, height: number, width: number, channels: number,
  taps: readonly Tap[], mode: BorderMode,
): void {
  let r = 0;
  for (const t of taps) r = Math.max(r, Math.abs(t.dy), Math.abs(t.dx));
  const ty = borderTable(height, r, mode);
  const tx = borderTable(width, r, mode);
  const offs = Int32Array.from(taps, (t) => (t.dy * width + t.dx) * channels);
  const ws = Float64Array.from(taps, (t) => t.w);
  const dys = Int32Array.from(taps, (t) => t.dy);
  const dxs = Int32Array.from(taps, (t) => t.dx);
  const nt = taps.length;
  for (let y = 0; y < height; y++) {
    const yInterior = y - r >= 0 && y + r < height;
    for (let x = 0; x < width; x++) {
      const interior = yInterior && x - r >= 0 && x + r < width;
      const p = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) {
        let s = 0;
        if (interior) {
          for (let t = 0; t < nt; t++) s += ws[t] * src[p + c + offs[t]];
        } else {
          for (let t = 0; t < nt; t++) s += ws[t] * src[(ty[y + dys[t] + r] * width + tx[x + dxs[t] + r]) * channels + c];
        }
        dst[p + c] = s;
      }
    }
  }
}

/** Clamps to [0, 1] into a float32 destination. */
export function clampInto(src: ArrayLike<number>, dst: Float32Array, offset = 0): void {
  for (let i = 0; i < src.length; i++) {
    const v = src[i];
    dst[offset + i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
}
