import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { scaleSaturation } from './ops/color';

/** Saturation change per severity: S → clip(S·scale + offset). */
export type SaturateConstants = readonly [scale: number, offset: number];

/**
 * Per severity: ImageNet-C's and CIFAR-10-C's (which first desaturate, then oversaturate), and
 * editlab's small constants, which only oversaturate, so strength grows with severity.
 */
export const SATURATE_CONSTANTS: Record<ShiftPreset, readonly SaturateConstants[]> = {
  imagenet: [[0.3, 0], [0.1, 0], [2, 0], [5, 0.1], [20, 0.2]],
  cifar: [[0.3, 0], [0.1, 0], [1.5, 0], [2, 0.1], [2.5, 0.2]],
  small: [[1.5, 0], [2, 0], [3, 0], [5, 0.1], [10, 0.2]],
};

/**
 * Grayscale images have no hue, so for them "saturation" is the distance from mid-gray:
 * each value becomes 0.5 + (x − 0.5)·scale + sign(x − 0.5)·offset/2, clipped — scale < 1
 * washes the image towards gray like desaturation, scale > 1 pushes values to black and white.
 */
export function saturateGray(x: number, scale: number, offset: number): number {
  const d = x - 0.5;
  const v = 0.5 + d * scale + (d > 0 ? 1 : d < 0 ? -1 : 0) * (offset / 2);
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

registerShift({
  name: 'saturate',
  family: 'corruption',
  group: 'digital',
  heldOut: true,
  random: false,
  description: 'saturation change in HSV: S·a + b, hue and value kept (grayscale: distance from mid-gray scaled)',
  constants: SATURATE_CONSTANTS,
  apply(images, shape, options) {
    const [scale, offset] = constantsOf(SATURATE_CONSTANTS, options);
    return mapImages(images, shape, (img, out) => {
      if (shape.channels === 1) {
        for (let k = 0; k < img.length; k++) out[k] = saturateGray(img[k], scale, offset);
        return;
      }
      const rgb = new Float64Array(3);
      for (let k = 0; k < img.length; k += 3) {
        rgb[0] = img[k]; rgb[1] = img[k + 1]; rgb[2] = img[k + 2];
        scaleSaturation(rgb, scale, offset);
        for (let j = 0; j < 3; j++) out[k + j] = Math.min(1, Math.max(0, rgb[j]));
      }
    });
  },
});
