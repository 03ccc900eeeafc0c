import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { imageRng } from './ops/random';

/**
 * Fraction of values replaced per severity (salt and pepper, half each), drawn per value
 * (per channel), as scikit-image's random_noise(mode='s&p') does.
 */
export const IMPULSE_NOISE_AMOUNT: Record<ShiftPreset, readonly number[]> = {
  imagenet: [0.03, 0.06, 0.09, 0.17, 0.27],
  cifar: [0.01, 0.02, 0.03, 0.05, 0.07],
  small: [0.03, 0.06, 0.09, 0.17, 0.27],
};

registerShift({
  name: 'impulse_noise',
  family: 'corruption',
  group: 'noise',
  description: 'salt-and-pepper noise: a fraction of values set to 0 or 1',
  constants: IMPULSE_NOISE_AMOUNT,
  apply(images, shape, options) {
    const amount = constantsOf(IMPULSE_NOISE_AMOUNT, options);
    return mapImages(images, shape, (img, out, i) => {
      const rand = imageRng(options.seed, i);
      for (let k = 0; k < img.length; k++) {
        const u = rand();
        const salt = rand() < 0.5;
        out[k] = u < amount ? (salt ? 1 : 0) : img[k];
      }
    });
  },
});
