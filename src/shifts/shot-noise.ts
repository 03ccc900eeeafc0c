import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { imageRng, poisson } from './ops/random';

/** Photon count at full intensity per severity: x → Poisson(x·c)/c (smaller c, more noise). */
export const SHOT_NOISE_RATE: Record<ShiftPreset, readonly number[]> = {
  imagenet: [60, 25, 12, 5, 3],
  cifar: [500, 250, 100, 75, 50],
  small: [30, 12, 6, 3, 1.5],
};

registerShift({
  name: 'shot_noise',
  family: 'corruption',
  group: 'noise',
  description: 'Poisson (photon) noise Poisson(x·c)/c, clipped to [0, 1]',
  constants: SHOT_NOISE_RATE,
  apply(images, shape, options) {
    const c = constantsOf(SHOT_NOISE_RATE, options);
    return mapImages(images, shape, (img, out, i) => {
      const rand = imageRng(options.seed, i);
      for (let k = 0; k < img.length; k++) out[k] = Math.min(1, poisson(rand, img[k] * c) / c);
    });
  },
});
