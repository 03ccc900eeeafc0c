import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { filter2d } from './ops/filter';
import { addSeparableTaps, applySparse, clippedZoomTaps, sparseOperator, type SparseOperator } from './ops/geometry';
import { motionBlurTaps } from './ops/motion';
import { imageRng, normalSampler, uniformIn } from './ops/random';

/**
 * Snow parameters: flake field mean and σ, zoom of the field, threshold below which it is
 * cleared, motion blur radius and σ of the flakes, and the weight kept by the image (the rest
 * goes to a brightened gray copy).
 */
export type SnowConstants = readonly [mean: number, sigma: number, zoom: number, threshold: number, blurRadius: number, blurSigma: number, keep: number];

/** Per severity: ImageNet-C's, CIFAR-10-C's and editlab's small constants. */
export const SNOW_CONSTANTS: Record<ShiftPreset, readonly SnowConstants[]> = {
  imagenet: [
    [0.1, 0.3, 3, 0.5, 10, 4, 0.8],
    [0.2, 0.3, 2, 0.5, 12, 4, 0.7],
    [0.55, 0.3, 4, 0.9, 12, 8, 0.7],
    [0.55, 0.3, 4.5, 0.85, 12, 8, 0.65],
    [0.55, 0.3, 2.5, 0.85, 12, 12, 0.55],
  ],
  cifar: [
    [0.1, 0.2, 1, 0.6, 8, 3, 0.95],
    [0.1, 0.2, 1, 0.5, 10, 4, 0.9],
    [0.15, 0.3, 1.75, 0.55, 10, 4, 0.9],
    [0.25, 0.3, 2.25, 0.6, 12, 6, 0.85],
    [0.3, 0.3, 1.25, 0.65, 14, 12, 0.8],
  ],
  small: [
    [0.1, 0.3, 2, 0.6, 6, 2, 0.9],
    [0.2, 0.3, 2, 0.6, 8, 3, 0.85],
    [0.25, 0.3, 2, 0.6, 10, 4, 0.8],
    [0.3, 0.3, 2, 0.6, 12, 5, 0.75],
    [0.35, 0.3, 2, 0.6, 12, 6, 0.7],
  ],
};

const zooms = new Map<string, SparseOperator>();
function zoomOperator(height: number, width: number, z: number): SparseOperator {
  const key = `${height}:${width}:${z}`;
  let op = zooms.get(key);
  if (!op) {
    const rows = Array.from({ length: height * width }, () => new Map<number, number>());
    addSeparableTaps(rows, clippedZoomTaps(height, z), clippedZoomTaps(width, z), width, 1);
    zooms.set(key, (op = sparseOperator(rows)));
  }
  return op;
}

registerShift({
  name: 'snow',
  family: 'corruption',
  group: 'weather',
  description: 'falling snow: a thresholded, zoomed, motion-blurred noise layer (and its 180° rotation) over a brightened image',
  constants: SNOW_CONSTANTS,
  apply(images, shape, options) {
    const [mean, sigma, zoom, threshold, blurRadius, blurSigma, keep] = constantsOf(SNOW_CONSTANTS, options);
    const { height: H, width: W, channels: C } = shape;
    const N = H * W;
    const op = zoomOperator(H, W, zoom);
    const field = new Float32Array(N);
    const zoomed = new Float32Array(N);
    const flakes = new Float32Array(N);
    return mapImages(images, shape, (img, out, i) => {
      const rand = imageRng(options.seed, i);
      const normal = normalSampler(rand);
      for (let p = 0; p < N; p++) field[p] = mean + sigma * normal();
      applySparse(op, field, zoomed, 1);
      // Threshold, clip, 8-bit (truncating) as ImageNet-C's PIL round trip does.
      for (let p = 0; p < N; p++) {
        const v = zoomed[p] < threshold ? 0 : Math.min(1, Math.max(0, zoomed[p]));
        zoomed[p] = Math.floor(v * 255) / 255;
      }
      const angle = uniformIn(rand, -135, -45);
      filter2d(zoomed, flakes, H, W, 1, motionBlurTaps(blurRadius, blurSigma, angle, H, W), 'nearest');
      for (let p = 0; p < N; p++) flakes[p] = Math.round(flakes[p] * 255) / 255;
      for (let p = 0; p < N; p++) {
        const snow = flakes[p] + flakes[N - 1 - p];
        const gray = C === 3 ? 0.299 * img[3 * p] + 0.587 * img[3 * p + 1] + 0.114 * img[3 * p + 2] : img[p];
        const bright = gray * 1.5 + 0.5;
        for (let c = 0; c < C; c++) {
          const x = img[p * C + c];
          const v = keep * x + (1 - keep) * Math.max(x, bright) + snow;
          out[p * C + c] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
      }
    });
  },
});
