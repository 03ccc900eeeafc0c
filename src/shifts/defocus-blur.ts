import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { borderIndex, filter2d, type Tap } from './ops/filter';

/** Defocus blur parameters: disk radius in pixels, σ of the 3×3 (5×5 above radius 8) Gaussian that antialiases it. */
export type DefocusBlurConstants = readonly [radius: number, aliasBlur: number];

/** Per severity: ImageNet-C's, CIFAR-10-C's and editlab's small constants. */
export const DEFOCUS_BLUR_CONSTANTS: Record<ShiftPreset, readonly DefocusBlurConstants[]> = {
  imagenet: [[3, 0.1], [4, 0.5], [6, 0.5], [8, 0.5], [10, 0.5]],
  cifar: [[0.3, 0.4], [0.4, 0.5], [0.5, 0.6], [1, 0.2], [1.5, 0.1]],
  small: [[0.5, 0.6], [1, 0.5], [1.5, 0.5], [2, 0.5], [3, 0.5]],
};

/**
 * ImageNet-C's disk kernel: the pixels of a (2L+1)² grid (L = 8, or the radius above 8) within
 * `radius` of the centre, normalised, then blurred with OpenCV's GaussianBlur (ksize 3, or 5
 * above radius 8; reflect-101 borders). Entries below 1e-12 are dropped.
 */
export function diskKernel(radius: number, aliasBlur: number): Tap[] {
  const L = radius <= 8 ? 8 : Math.floor(radius);
  const ksize = radius <= 8 ? 3 : 5;
  const n = 2 * L + 1;
  const disk = new Float64Array(n * n);
  let sum = 0;
  for (let y = -L; y <= L; y++) for (let x = -L; x <= L; x++) if (x * x + y * y <= radius * radius) { disk[(y + L) * n + x + L] = 1; sum++; }
  for (let i = 0; i < disk.length; i++) disk[i] /= sum;
  // OpenCV getGaussianKernel(ksize, sigma).
  const g = new Float64Array(ksize);
  let gs = 0;
  const half = (ksize - 1) / 2;
  for (let i = 0; i < ksize; i++) { g[i] = Math.exp(-((i - half) ** 2) / (2 * aliasBlur * aliasBlur)); gs += g[i]; }
  for (let i = 0; i < ksize; i++) g[i] /= gs;
  const tmp = new Float64Array(n * n);
  const out = new Float64Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    let s = 0;
    for (let t = 0; t < ksize; t++) s += g[t] * disk[y * n + borderIndex(x + t - half, n, 'reflect101')];
    tmp[y * n + x] = s;
  }
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    let s = 0;
    for (let t = 0; t < ksize; t++) s += g[t] * tmp[borderIndex(y + t - half, n, 'reflect101') * n + x];
    out[y * n + x] = s;
  }
  const taps: Tap[] = [];
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) if (out[y * n + x] > 1e-12) taps.push({ dy: y - L, dx: x - L, w: out[y * n + x] });
  return taps;
}

registerShift({
  name: 'defocus_blur',
  family: 'corruption',
  group: 'blur',
  random: false,
  description: 'defocus: convolution with an antialiased disk (reflect-101 borders)',
  constants: DEFOCUS_BLUR_CONSTANTS,
  apply(images, shape, options) {
    const [radius, alias] = constantsOf(DEFOCUS_BLUR_CONSTANTS, options);
    const taps = diskKernel(radius, alias);
    const { height, width, channels } = shape;
    return mapImages(images, shape, (img, out) => {
      filter2d(img, out, height, width, channels, taps, 'reflect101');
      for (let q = 0; q < out.length; q++) out[q] = out[q] < 0 ? 0 : out[q] > 1 ? 1 : out[q];
    });
  },
});
