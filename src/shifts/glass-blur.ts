import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { convolveAxis, gaussianKernel } from './ops/filter';
import { imageRng, randint } from './ops/random';

/** Glass blur parameters: Gaussian σ, largest pixel displacement, shuffle passes. */
export type GlassBlurConstants = readonly [sigma: number, maxDelta: number, iterations: number];

/**
 * Per severity. imagenet and cifar are ImageNet-C's and CIFAR-10-C's (CIFAR's severities 3 and
 * 4 are not ordered by strength); small is monotone in every parameter.
 */
export const GLASS_BLUR_CONSTANTS: Record<ShiftPreset, readonly GlassBlurConstants[]> = {
  imagenet: [[0.7, 1, 2], [0.9, 2, 1], [1, 2, 3], [1.1, 3, 2], [1.5, 4, 2]],
  cifar: [[0.05, 1, 1], [0.25, 1, 1], [0.4, 1, 1], [0.25, 1, 2], [0.4, 1, 2]],
  small: [[0.4, 1, 1], [0.5, 1, 2], [0.6, 1, 3], [0.7, 2, 2], [0.8, 2, 3]],
};

registerShift({
  name: 'glass_blur',
  family: 'corruption',
  group: 'blur',
  description: 'frosted-glass blur: Gaussian blur, local pixel shuffling (8-bit), Gaussian blur again',
  constants: GLASS_BLUR_CONSTANTS,
  apply(images, shape, options) {
    const [sigma, delta, iterations] = constantsOf(GLASS_BLUR_CONSTANTS, options);
    const { height: H, width: W, channels: C } = shape;
    const k = gaussianKernel(sigma);
    const tmp = new Float64Array(H * W * C);
    const blurred = new Float32Array(H * W * C);
    const q = new Uint8Array(H * W * C);
    const blur = (src: ArrayLike<number>, dst: Float32Array) => {
      convolveAxis(src, tmp, H, W, C, k, 'x', 'nearest');
      convolveAxis(tmp, dst, H, W, C, k, 'y', 'nearest');
    };
    return mapImages(images, shape, (img, out, i) => {
      const rand = imageRng(options.seed, i);
      blur(img, blurred);
      // np.uint8(x · 255): truncation.
      for (let p = 0; p < q.length; p++) q[p] = Math.min(255, Math.max(0, Math.floor(blurred[p] * 255)));
      for (let it = 0; it < iterations; it++) {
        for (let h = H - delta; h > delta; h--) {
          for (let w = W - delta; w > delta; w--) {
            const dx = randint(rand, -delta, delta);
            const dy = randint(rand, -delta, delta);
            const a = (h * W + w) * C;
            const b = ((h + dy) * W + (w + dx)) * C;
            for (let c = 0; c < C; c++) {
              const t = q[a + c];
              q[a + c] = q[b + c];
              q[b + c] = t;
            }
          }
        }
      }
      for (let p = 0; p < q.length; p++) blurred[p] = q[p] / 255;
      blur(blurred, out);
      for (let p = 0; p < out.length; p++) out[p] = out[p] < 0 ? 0 : out[p] > 1 ? 1 : out[p];
    });
  },
});
