import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { imageRng, normalSampler } from './ops/random';

/**
 * Noise standard deviation per severity. imagenet and cifar are ImageNet-C's and
 * CIFAR-10-C's constants; small is editlab's (see SMALL_PRESET_CALIBRATION in ./calibration).
 */
export const GAUSSIAN_NOISE_SIGMA: Record<ShiftPreset, readonly number[]> = {
  imagenet: [0.08, 0.12, 0.18, 0.26, 0.38],
  cifar: [0.04, 0.06, 0.08, 0.09, 0.1],
  small: [0.1, 0.2, 0.3, 0.4, 0.55],
};

registerShift({
  name: 'gaussian_noise',
  family: 'corruption',
  group: 'noise',
  description: 'additive Gaussian noise x + N(0, σ²), clipped to [0, 1]',
  constants: GAUSSIAN_NOISE_SIGMA,
  apply(images, shape, options) {
    const sigma = constantsOf(GAUSSIAN_NOISE_SIGMA, options);
    return mapImages(images, shape, (img, out, i) => {
      const normal = normalSampler(imageRng(options.seed, i));
      for (let k = 0; k < img.length; k++) {
        const v = img[k] + sigma * normal();
        out[k] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    });
  },
});
