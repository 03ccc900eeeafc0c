import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { imageRng, normalSampler } from './ops/random';

/** Multiplicative noise standard deviation per severity: x + x·N(0, c²). */
export const SPECKLE_NOISE_SIGMA: Record<ShiftPreset, readonly number[]> = {
  imagenet: [0.15, 0.2, 0.35, 0.45, 0.6],
  cifar: [0.06, 0.1, 0.12, 0.16, 0.2],
  small: [0.25, 0.4, 0.6, 0.8, 1.0],
};

registerShift({
  name: 'speckle_noise',
  family: 'corruption',
  group: 'noise',
  heldOut: true,
  description: 'multiplicative (speckle) noise x + x·N(0, σ²), clipped to [0, 1]',
  constants: SPECKLE_NOISE_SIGMA,
  apply(images, shape, options) {
    const sigma = constantsOf(SPECKLE_NOISE_SIGMA, options);
    return mapImages(images, shape, (img, out, i) => {
      const normal = normalSampler(imageRng(options.seed, i));
      for (let k = 0; k < img.length; k++) {
        const v = img[k] + img[k] * sigma * normal();
        out[k] = v < 0 ? 0 : v > 1 ? 1 : v;
      }
    });
  },
});
