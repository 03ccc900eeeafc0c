import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { FROST_TEXTURE_COUNT, frostTextureAt } from './ops/frost-texture';
import { imageRng, randint } from './ops/random';

/** Frost parameters: weight of the image and of the frost texture (out = a·x + b·frost). */
export type FrostConstants = readonly [image: number, frost: number];

/** Per severity: ImageNet-C's, CIFAR-10-C's and editlab's small constants. */
export const FROST_CONSTANTS: Record<ShiftPreset, readonly FrostConstants[]> = {
  imagenet: [[1, 0.4], [0.8, 0.6], [0.7, 0.7], [0.65, 0.7], [0.6, 0.75]],
  cifar: [[1, 0.2], [1, 0.3], [0.9, 0.4], [0.85, 0.4], [0.75, 0.45]],
  small: [[1, 0.4], [0.9, 0.5], [0.8, 0.6], [0.7, 0.7], [0.6, 0.8]],
};

/** Side of the texture an image of this size crops from: 1.5 × its longer side. */
export function frostTextureSide(height: number, width: number): number {
  return Math.ceil(1.5 * Math.max(height, width));
}

registerShift({
  name: 'frost',
  family: 'corruption',
  group: 'weather',
  description: 'frost on the lens: a random crop of one of five generated frost textures, blended in',
  constants: FROST_CONSTANTS,
  apply(images, shape, options) {
    const [a, b] = constantsOf(FROST_CONSTANTS, options);
    const { height: H, width: W, channels: C } = shape;
    const side = frostTextureSide(H, W);
    return mapImages(images, shape, (img, out, i) => {
      const rand = imageRng(options.seed, i);
      const texture = frostTextureAt(randint(rand, 0, FROST_TEXTURE_COUNT), side, C);
      const y0 = randint(rand, 0, side - H);
      const x0 = randint(rand, 0, side - W);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const t = ((y + y0) * side + x + x0) * C;
          const p = (y * W + x) * C;
          for (let c = 0; c < C; c++) {
            const v = a * img[p + c] + b * texture[t + c];
            out[p + c] = v < 0 ? 0 : v > 1 ? 1 : v;
          }
        }
      }
    });
  },
});
