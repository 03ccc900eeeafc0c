import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { filter2d } from './ops/filter';
import { motionBlurTaps } from './ops/motion';
import { imageRng, uniformIn } from './ops/random';

/** Motion blur parameters (ImageMagick's): kernel radius and σ in pixels. */
export type MotionBlurConstants = readonly [radius: number, sigma: number];

/** Per severity: ImageNet-C's, CIFAR-10-C's and editlab's small constants. The angle is uniform in [−45°, 45°) per image. */
export const MOTION_BLUR_CONSTANTS: Record<ShiftPreset, readonly MotionBlurConstants[]> = {
  imagenet: [[10, 3], [15, 5], [15, 8], [15, 12], [20, 15]],
  cifar: [[6, 1], [6, 1.5], [6, 2], [8, 2], [9, 2.5]],
  small: [[6, 1], [6, 1.5], [6, 2], [8, 3], [10, 4]],
};

registerShift({
  name: 'motion_blur',
  family: 'corruption',
  group: 'blur',
  description: 'motion blur along a random direction in [−45°, 45°) (one-sided Gaussian streak)',
  constants: MOTION_BLUR_CONSTANTS,
  apply(images, shape, options) {
    const [radius, sigma] = constantsOf(MOTION_BLUR_CONSTANTS, options);
    const { height, width, channels } = shape;
    return mapImages(images, shape, (img, out, i) => {
      const angle = uniformIn(imageRng(options.seed, i), -45, 45);
      filter2d(img, out, height, width, channels, motionBlurTaps(radius, sigma, angle, height, width), 'nearest');
      for (let q = 0; q < out.length; q++) out[q] = out[q] < 0 ? 0 : out[q] > 1 ? 1 : out[q];
    });
  },
});
