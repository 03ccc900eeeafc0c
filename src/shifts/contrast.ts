import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';

/** Contrast factor per severity: each channel → (x − mean)·c + mean, mean over the image's pixels of that channel. */
export const CONTRAST_FACTOR: Record<ShiftPreset, readonly number[]> = {
  imagenet: [0.4, 0.3, 0.2, 0.1, 0.05],
  cifar: [0.75, 0.5, 0.4, 0.3, 0.15],
  small: [0.75, 0.5, 0.4, 0.3, 0.15],
};

registerShift({
  name: 'contrast',
  family: 'corruption',
  group: 'digital',
  random: false,
  description: 'contrast reduction: (x − per-channel image mean)·c + mean',
  constants: CONTRAST_FACTOR,
  apply(images, shape, options) {
    const factor = constantsOf(CONTRAST_FACTOR, options);
    const C = shape.channels;
    const pixels = shape.height * shape.width;
    return mapImages(images, shape, (img, out) => {
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let p = 0; p < pixels; p++) sum += img[p * C + c];
        const mean = sum / pixels;
        for (let p = 0; p < pixels; p++) {
          const v = (img[p * C + c] - mean) * factor + mean;
          out[p * C + c] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
      }
    });
  },
});
