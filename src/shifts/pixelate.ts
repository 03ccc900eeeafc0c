import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { resampleWeights, resizeImage } from '../data/image-io';

/** Fraction of the size the image is reduced to per severity (box filter down, box filter up). */
export const PIXELATE_FACTOR: Record<ShiftPreset, readonly number[]> = {
  imagenet: [0.6, 0.5, 0.4, 0.3, 0.25],
  cifar: [0.95, 0.9, 0.85, 0.75, 0.65],
  small: [0.6, 0.45, 0.33, 0.22, 0.15],
};

registerShift({
  name: 'pixelate',
  family: 'corruption',
  group: 'digital',
  random: false,
  description: "pixelation: Pillow BOX resize to floor(c·size), then back (Pillow's box upscaling repeats pixels)",
  constants: PIXELATE_FACTOR,
  apply(images, shape, options) {
    const c = constantsOf(PIXELATE_FACTOR, options);
    const { height: H, width: W, channels: C } = shape;
    const h = Math.max(1, Math.floor(H * c));
    const w = Math.max(1, Math.floor(W * c));
    const down = { x: resampleWeights(W, w, 'box'), y: resampleWeights(H, h, 'box') };
    const up = { x: resampleWeights(w, W, 'box'), y: resampleWeights(h, H, 'box') };
    return mapImages(images, shape, (img, out) => {
      const small = resizeImage(img, H, W, C, h, w, 'box', down);
      const back = resizeImage(small, h, w, C, H, W, 'box', up);
      for (let q = 0; q < out.length; q++) out[q] = back[q] < 0 ? 0 : back[q] > 1 ? 1 : back[q];
    });
  },
});
