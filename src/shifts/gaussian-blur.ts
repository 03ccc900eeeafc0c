import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { convolveAxis, gaussianKernel } from './ops/filter';

/**
 * Blur standard deviation in pixels per severity (scikit-image's `gaussian`: separable kernel
 * of radius floor(4σ + ½), edge pixels repeated).
 */
export const GAUSSIAN_BLUR_SIGMA: Record<ShiftPreset, readonly number[]> = {
  imagenet: [1, 2, 3, 4, 6],
  cifar: [0.4, 0.6, 0.7, 0.8, 1],
  small: [0.5, 0.75, 1, 1.5, 2],
};

registerShift({
  name: 'gaussian_blur',
  family: 'corruption',
  group: 'blur',
  heldOut: true,
  random: false,
  description: 'Gaussian blur of standard deviation σ pixels (edges repeated)',
  constants: GAUSSIAN_BLUR_SIGMA,
  apply(images, shape, options) {
    const sigma = constantsOf(GAUSSIAN_BLUR_SIGMA, options);
    const k = gaussianKernel(sigma);
    const { height, width, channels } = shape;
    const tmp = new Float64Array(height * width * channels);
    return mapImages(images, shape, (img, out) => {
      convolveAxis(img, tmp, height, width, channels, k, 'x', 'nearest');
      convolveAxis(tmp, out, height, width, channels, k, 'y', 'nearest');
      for (let q = 0; q < out.length; q++) out[q] = out[q] < 0 ? 0 : out[q] > 1 ? 1 : out[q];
    });
  },
});
