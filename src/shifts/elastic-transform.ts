import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { convolveAxis, gaussianKernel } from './ops/filter';
import { affineFromPoints, invertAffine, sampleBilinearInto } from './ops/geometry';
import { imageRng, uniformIn } from './ops/random';

/**
 * Elastic transform parameters in pixels: displacement scale α, smoothing σ of the
 * displacement field, and the largest jitter of the three points defining a random affine map.
 */
export type ElasticConstants = readonly [alpha: number, sigma: number, affine: number];

/**
 * Per severity. imagenet: ImageNet-C's, which are multiples of 244 (its authors meant 224;
 * kept as published); cifar: CIFAR-10-C's multiples of 32 (severity 1 is an affine jitter
 * only); small: editlab's, all three growing with severity.
 */
export const ELASTIC_CONSTANTS: Record<ShiftPreset, readonly ElasticConstants[]> = {
  imagenet: [[244 * 2, 244 * 0.7, 244 * 0.1], [244 * 2, 244 * 0.08, 244 * 0.2], [244 * 0.05, 244 * 0.01, 244 * 0.02], [244 * 0.07, 244 * 0.01, 244 * 0.02], [244 * 0.12, 244 * 0.01, 244 * 0.02]],
  cifar: [[32 * 0, 32 * 0, 32 * 0.08], [32 * 0.05, 32 * 0.2, 32 * 0.07], [32 * 0.08, 32 * 0.06, 32 * 0.06], [32 * 0.1, 32 * 0.04, 32 * 0.05], [32 * 0.1, 32 * 0.03, 32 * 0.03]],
  small: [[4, 1.5, 0.5], [6, 1.5, 1], [8, 1.5, 1.5], [10, 1.5, 2], [12, 1.5, 2.5]],
};

function smoothField(field: Float64Array, H: number, W: number, sigma: number, scale: number): Float64Array {
  const out = new Float64Array(H * W);
  if (sigma > 0) {
    const k = gaussianKernel(sigma, 3);
    const tmp = new Float64Array(H * W);
    convolveAxis(field, tmp, H, W, 1, k, 'x', 'reflect');
    convolveAxis(tmp, out, H, W, 1, k, 'y', 'reflect');
  } else out.set(field);
  for (let p = 0; p < out.length; p++) out[p] *= scale;
  return out;
}

registerShift({
  name: 'elastic_transform',
  family: 'corruption',
  group: 'digital',
  description: 'elastic transform: a random affine warp (reflect-101 borders), then a smooth random displacement field (bilinear, reflect borders)',
  constants: ELASTIC_CONSTANTS,
  apply(images, shape, options) {
    const [alpha, sigma, jitter] = constantsOf(ELASTIC_CONSTANTS, options);
    const { height: H, width: W, channels: C } = shape;
    const N = H * W;
    const warped = new Float32Array(N * C);
    const fx = new Float64Array(N);
    const fy = new Float64Array(N);
    // ImageNet-C's points: centre ± a third of the shorter side, as (x, y) pairs from (h//2, w//2).
    const cx = Math.floor(H / 2), cy = Math.floor(W / 2);
    const s = Math.floor(Math.min(H, W) / 3);
    const pts1: Array<[number, number]> = [[cx + s, cy + s], [cx + s, cy - s], [cx - s, cy - s]];
    return mapImages(images, shape, (img, out, i) => {
      const rand = imageRng(options.seed, i);
      const pts2 = pts1.map(([x, y]) => [x + uniformIn(rand, -jitter, jitter), y + uniformIn(rand, -jitter, jitter)] as [number, number]);
      // cv2.warpAffine: dst(x, y) = src(M⁻¹(x, y)).
      const [a, b, c0, d, e, f] = invertAffine(affineFromPoints(pts1, pts2));
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        const sx = a * x + b * y + c0;
        const sy = d * x + e * y + f;
        sampleBilinearInto(img, H, W, C, sy, sx, 'reflect101', warped, (y * W + x) * C);
      }
      for (let p = 0; p < N; p++) fx[p] = uniformIn(rand, -1, 1);
      for (let p = 0; p < N; p++) fy[p] = uniformIn(rand, -1, 1);
      const dx = smoothField(fx, H, W, sigma, alpha);
      const dy = smoothField(fy, H, W, sigma, alpha);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
        const p = y * W + x;
        sampleBilinearInto(warped, H, W, C, y + dy[p], x + dx[p], 'reflect', out, p * C);
      }
      for (let q = 0; q < out.length; q++) out[q] = out[q] < 0 ? 0 : out[q] > 1 ? 1 : out[q];
    });
  },
});
