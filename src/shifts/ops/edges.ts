/**
 * Edge and distance helpers on single planes (height × width), re-implemented from the
 * OpenCV operations ImageNet-C's spatter uses (Canny, distanceTransform, equalizeHist) and
 * reused by the sketch renditions.
 */
import { borderTable, type BorderMode } from './filter';

/** Sobel derivatives (3×3, OpenCV's kernels) of a plane; borders by `mode`. */
export function sobel(plane: ArrayLike<number>, height: number, width: number, mode: BorderMode = 'reflect101'): { gx: Float64Array; gy: Float64Array } {
  const gx = new Float64Array(height * width);
  const gy = new Float64Array(height * width);
  const ty = borderTable(height, 1, mode);
  const tx = borderTable(width, 1, mode);
  for (let y = 0; y < height; y++) {
    const ym = ty[y] * width;
    const y0 = y * width;
    const yp = ty[y + 2] * width;
    for (let x = 0; x < width; x++) {
      const xm = tx[x];
      const xp = tx[x + 2];
      const a = plane[ym + xm], b = plane[ym + x], c = plane[ym + xp];
      const d = plane[y0 + xm], f = plane[y0 + xp];
      const g = plane[yp + xm], h = plane[yp + x], i = plane[yp + xp];
      gx[y0 + x] = c + 2 * f + i - a - 2 * d - g;
      gy[y0 + x] = g + 2 * h + i - a - 2 * b - c;
    }
  }
  return { gx, gy };
}

/**
 * Canny edges of a plane (values on the 0–255 scale) with OpenCV's defaults: 3×3 Sobel, L1
 * gradient magnitude |gx| + |gy|, non-maximum suppression in four directions, hysteresis
 * between `low` and `high` over 8-connected pixels. Returns 255 at edges, 0 elsewhere.
 */
export function canny(plane: ArrayLike<number>, height: number, width: number, low: number, high: number): Uint8Array {
  const { gx, gy } = sobel(plane, height, width, 'nearest');
  const n = height * width;
  const mag = new Float64Array(n);
  for (let p = 0; p < n; p++) mag[p] = Math.abs(gx[p]) + Math.abs(gy[p]);
  const TAN22 = 0.4142135623730951;
  const TAN67 = 2.414213562373095;
  // 0: none, 1: weak candidate, 2: strong
  const state = new Uint8Array(n);
  const at = (y: number, x: number) => (y < 0 || y >= height || x < 0 || x >= width ? 0 : mag[y * width + x]);
  const stack: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const m = mag[p];
      if (m <= low) continue;
      const ax = Math.abs(gx[p]);
      const ay = Math.abs(gy[p]);
      let a: number, b: number;
      if (ay <= ax * TAN22) {
        a = at(y, x - 1); b = at(y, x + 1);
      } else if (ay > ax * TAN67) {
        a = at(y - 1, x); b = at(y + 1, x);
      } else if (gx[p] * gy[p] > 0) {
        a = at(y - 1, x - 1); b = at(y + 1, x + 1);
      } else {
        a = at(y - 1, x + 1); b = at(y + 1, x - 1);
      }
      if (!(m > a && m >= b)) continue;
      if (m > high) {
        state[p] = 2;
        stack.push(p);
      } else state[p] = 1;
    }
  }
  while (stack.length) {
    const p = stack.pop() as number;
    const y = (p / width) | 0;
    const x = p - y * width;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const yy = y + dy, xx = x + dx;
        if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
        const q = yy * width + xx;
        if (state[q] === 1) {
          state[q] = 2;
          stack.push(q);
        }
      }
    }
  }
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) if (state[p] === 2) out[p] = 255;
  return out;
}

/**
 * Distance of every pixel to the nearest zero pixel by the 5×5 chamfer metric OpenCV uses for
 * DIST_L2 with mask 5 (steps 1, 1.4 and 2.1969), capped at `cap`. With no zero pixel every
 * distance is `cap`.
 */
export function chamferDistance(plane: ArrayLike<number>, height: number, width: number, cap = Infinity): Float64Array {
  const A = 1, B = 1.4, C = 2.1969;
  const n = height * width;
  const d = new Float64Array(n);
  const BIG = 1e9;
  for (let p = 0; p < n; p++) d[p] = plane[p] === 0 ? 0 : BIG;
  const DY = [0, -1, -1, -1, -1, -1, -2, -2];
  const DX = [-1, 0, -1, 1, -2, 2, -1, 1];
  const DW = [A, A, B, B, C, C, C, C];
  for (let pass = 0; pass < 2; pass++) {
    const sgn = pass === 0 ? 1 : -1;
    for (let k = 0; k < n; k++) {
      const p = pass === 0 ? k : n - 1 - k;
      const y = (p / width) | 0;
      const x = p - y * width;
      let best = d[p];
      for (let t = 0; t < 8; t++) {
        const yy = y + sgn * DY[t], xx = x + sgn * DX[t];
        if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
        const v = d[yy * width + xx] + DW[t];
        if (v < best) best = v;
      }
      d[p] = best;
    }
  }
  for (let p = 0; p < n; p++) if (d[p] > cap) d[p] = cap;
  return d;
}

/** OpenCV's equalizeHist on 8-bit values (0–255 integers): the cumulative histogram, rescaled. */
export function equalizeHistogram(values: Uint8Array): Uint8Array {
  const hist = new Float64Array(256);
  for (const v of values) hist[v]++;
  let first = 0;
  while (first < 256 && hist[first] === 0) first++;
  const out = new Uint8Array(values.length);
  if (first === 256) return out;
  const total = values.length;
  if (hist[first] === total) {
    out.fill(first);
    return out;
  }
  const scale = 255 / (total - hist[first]);
  const lut = new Uint8Array(256);
  let sum = 0;
  for (let i = first + 1; i < 256; i++) {
    sum += hist[i];
    lut[i] = Math.min(255, Math.max(0, Math.round(sum * scale)));
  }
  for (let p = 0; p < values.length; p++) out[p] = lut[values[p]];
  return out;
}

/** Mean over the 3×3 neighbourhood of every pixel (OpenCV's blur, reflect-101 borders). */
export function boxBlur3(plane: ArrayLike<number>, height: number, width: number): Float64Array {
  const out = correlate3(plane, height, width, [1, 1, 1, 1, 1, 1, 1, 1, 1]);
  for (let p = 0; p < out.length; p++) out[p] /= 9;
  return out;
}

/** Correlation of a plane with a 3×3 kernel (row-major), reflect-101 borders. */
export function correlate3(plane: ArrayLike<number>, height: number, width: number, k: readonly number[]): Float64Array {
  const out = new Float64Array(height * width);
  const ty = borderTable(height, 1, 'reflect101');
  const tx = borderTable(width, 1, 'reflect101');
  for (let y = 0; y < height; y++) {
    const r0 = ty[y] * width, r1 = ty[y + 1] * width, r2 = ty[y + 2] * width;
    for (let x = 0; x < width; x++) {
      const c0 = tx[x], c1 = tx[x + 1], c2 = tx[x + 2];
      out[y * width + x] =
        k[0] * plane[r0 + c0] + k[1] * plane[r0 + c1] + k[2] * plane[r0 + c2] +
        k[3] * plane[r1 + c0] + k[4] * plane[r1 + c1] + k[5] * plane[r1 + c2] +
        k[6] * plane[r2 + c0] + k[7] * plane[r2 + c1] + k[8] * plane[r2 + c2];
    }
  }
  return out;
}

/** Grayscale dilation (maximum over a (2r+1)² square) of a plane. */
export function dilate(plane: ArrayLike<number>, height: number, width: number, r: number): Float64Array {
  const tmp = new Float64Array(height * width);
  const out = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = -Infinity;
      for (let k = Math.max(0, x - r); k <= Math.min(width - 1, x + r); k++) m = Math.max(m, plane[y * width + k]);
      tmp[y * width + x] = m;
    }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let m = -Infinity;
      for (let k = Math.max(0, y - r); k <= Math.min(height - 1, y + r); k++) m = Math.max(m, tmp[k * width + x]);
      out[y * width + x] = m;
    }
  }
  return out;
}
