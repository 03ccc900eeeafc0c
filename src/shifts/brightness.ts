import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { shiftValue } from './ops/color';

/**
 * Amount added to the HSV value (brightness) per severity. On grayscale images the value is
 * the intensity itself, so x → min(1, x + c).
 */
export const BRIGHTNESS_DELTA: Record<ShiftPreset, readonly number[]> = {
  imagenet: [0.1, 0.2, 0.3, 0.4, 0.5],
  cifar: [0.05, 0.1, 0.15, 0.2, 0.3],
  small: [0.1, 0.2, 0.3, 0.4, 0.5],
};

registerShift({
  name: 'brightness',
  family: 'corruption',
  group: 'digital',
  random: false,
  description: 'brightness: HSV value + c, hue and saturation kept (grayscale: x + c), clipped',
  constants: BRIGHTNESS_DELTA,
  apply(images, shape, options) {
    const c = constantsOf(BRIGHTNESS_DELTA, options);
    return mapImages(images, shape, (img, out) => {
      if (shape.channels === 1) {
        for (let k = 0; k < img.length; k++) out[k] = Math.min(1, Math.max(0, img[k] + c));
        return;
      }
      const rgb = new Float64Array(3);
      for (let k = 0; k < img.length; k += 3) {
        rgb[0] = img[k]; rgb[1] = img[k + 1]; rgb[2] = img[k + 2];
        shiftValue(rgb, c);
        for (let j = 0; j < 3; j++) out[k + j] = Math.min(1, Math.max(0, rgb[j]));
      }
    });
  },
});
