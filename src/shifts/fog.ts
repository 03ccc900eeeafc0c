import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { nextPowerOfTwo, plasmaFractal } from './ops/plasma';
import { imageRng } from './ops/random';

/** Fog parameters: fog strength and the plasma fractal's wibble decay (larger: smoother fog). */
export type FogConstants = readonly [strength: number, wibbleDecay: number];

/** Per severity: ImageNet-C's, CIFAR-10-C's and editlab's small constants. */
export const FOG_CONSTANTS: Record<ShiftPreset, readonly FogConstants[]> = {
  imagenet: [[1.5, 2], [2, 2], [2.5, 1.7], [2.5, 1.5], [3, 1.4]],
  cifar: [[0.2, 3], [0.5, 3], [0.75, 2.5], [1, 2], [1.5, 1.75]],
  small: [[0.2, 3], [0.5, 3], [0.75, 2.5], [1, 2], [1.5, 1.75]],
};

registerShift({
  name: 'fog',
  family: 'corruption',
  group: 'weather',
  description: 'fog: a plasma fractal added, then rescaled to the image maximum: (x + s·fog)·max/(max + s)',
  constants: FOG_CONSTANTS,
  apply(images, shape, options) {
    const [s, decay] = constantsOf(FOG_CONSTANTS, options);
    const { height: H, width: W, channels: C } = shape;
    const size = nextPowerOfTwo(Math.max(H, W));
    return mapImages(images, shape, (img, out, i) => {
      const fog = plasmaFractal(size, decay, imageRng(options.seed, i));
      let max = 0;
      for (let k = 0; k < img.length; k++) if (img[k] > max) max = img[k];
      const scale = max / (max + s);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const f = s * fog[y * size + x];
          const p = (y * W + x) * C;
          for (let c = 0; c < C; c++) {
            const v = (img[p + c] + f) * scale;
            out[p + c] = v < 0 ? 0 : v > 1 ? 1 : v;
          }
        }
      }
    });
  },
});
