import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { convolveAxis, gaussianKernel } from './ops/filter';
import { boxBlur3, canny, chamferDistance, correlate3, equalizeHistogram } from './ops/edges';
import { luma } from './ops/color';
import { imageRng, normalSampler } from './ops/random';

/**
 * Spatter parameters: liquid field mean and σ, its blur σ, the threshold below which it is
 * dry, the strength (water) or the blur σ of the mud mask, and the kind: 0 water, 1 mud.
 */
export type SpatterConstants = readonly [mean: number, sigma: number, blur: number, threshold: number, strength: number, mud: 0 | 1];

/** Per severity: ImageNet-C's, CIFAR-10-C's and editlab's small constants. */
export const SPATTER_CONSTANTS: Record<ShiftPreset, readonly SpatterConstants[]> = {
  imagenet: [[0.65, 0.3, 4, 0.69, 0.6, 0], [0.65, 0.3, 3, 0.68, 0.6, 0], [0.65, 0.3, 2, 0.68, 0.5, 0], [0.65, 0.3, 1, 0.65, 1.5, 1], [0.67, 0.4, 1, 0.65, 1.5, 1]],
  cifar: [[0.62, 0.1, 0.7, 0.7, 0.5, 0], [0.65, 0.1, 0.8, 0.7, 0.5, 0], [0.65, 0.3, 1, 0.69, 0.5, 0], [0.65, 0.1, 0.7, 0.69, 0.6, 1], [0.65, 0.1, 0.5, 0.68, 0.6, 1]],
  small: [[0.65, 0.3, 1, 0.69, 0.6, 0], [0.65, 0.3, 1, 0.66, 0.8, 0], [0.65, 0.3, 1, 0.63, 0.6, 1], [0.65, 0.3, 1, 0.6, 0.6, 1], [0.65, 0.3, 1, 0.55, 0.6, 1]],
};

/** Pale turquoise water and mud brown (RGB; grayscale images get their luma). */
export const SPATTER_COLORS = { water: [175 / 255, 238 / 255, 238 / 255], mud: [63 / 255, 42 / 255, 20 / 255] } as const;

const EMBOSS = [-2, -1, 0, -1, 1, 1, 0, 1, 2];

function blurPlane(plane: Float64Array, H: number, W: number, sigma: number): Float64Array {
  const k = gaussianKernel(sigma);
  const tmp = new Float64Array(H * W);
  const out = new Float64Array(H * W);
  convolveAxis(plane, tmp, H, W, 1, k, 'x', 'nearest');
  convolveAxis(tmp, out, H, W, 1, k, 'y', 'nearest');
  return out;
}

/**
 * The water mask of ImageNet-C's spatter: the wet area (8-bit) times a shading made from the
 * distance to the drops' Canny edges (capped at 20, blurred, equalised, embossed, blurred),
 * normalised to max 1 and scaled by `strength`.
 */
function waterMask(liquid: Float64Array, H: number, W: number, strength: number): Float64Array {
  const N = H * W;
  const wet = new Uint8Array(N);
  for (let p = 0; p < N; p++) wet[p] = Math.min(255, Math.floor(liquid[p] * 255));
  const edges = canny(wet, H, W, 50, 150);
  const notEdge = new Uint8Array(N);
  for (let p = 0; p < N; p++) notEdge[p] = 255 - edges[p];
  const dist = boxBlur3(chamferDistance(notEdge, H, W, 20), H, W);
  const d8 = new Uint8Array(N);
  for (let p = 0; p < N; p++) d8[p] = Math.floor(dist[p]);
  const eq = equalizeHistogram(d8);
  const emb = correlate3(eq, H, W, EMBOSS);
  for (let p = 0; p < N; p++) emb[p] = Math.min(255, Math.max(0, Math.round(emb[p])));
  const shade = boxBlur3(emb, H, W);
  const m = new Float64Array(N);
  let max = 0;
  for (let p = 0; p < N; p++) {
    m[p] = wet[p] * Math.round(shade[p]);
    if (m[p] > max) max = m[p];
  }
  for (let p = 0; p < N; p++) m[p] = max > 0 ? (m[p] / max) * strength : 0;
  return m;
}

registerShift({
  name: 'spatter',
  family: 'corruption',
  group: 'weather',
  heldOut: true,
  description: 'spatter: water drops (milder severities) or mud splashes (severer) from a thresholded, blurred noise field',
  constants: SPATTER_CONSTANTS,
  apply(images, shape, options) {
    const [mean, sigma, blur, threshold, strength, mud] = constantsOf(SPATTER_CONSTANTS, options);
    const { height: H, width: W, channels: C } = shape;
    const N = H * W;
    const water = C === 3 ? [...SPATTER_COLORS.water] : [luma(...SPATTER_COLORS.water)];
    const brown = C === 3 ? [...SPATTER_COLORS.mud] : [luma(...SPATTER_COLORS.mud)];
    const field = new Float64Array(N);
    return mapImages(images, shape, (img, out, i) => {
      const normal = normalSampler(imageRng(options.seed, i));
      for (let p = 0; p < N; p++) field[p] = mean + sigma * normal();
      const liquid = blurPlane(field, H, W, blur);
      for (let p = 0; p < N; p++) if (liquid[p] < threshold) liquid[p] = 0;
      if (mud === 0) {
        const m = waterMask(liquid, H, W, strength);
        for (let p = 0; p < N; p++) for (let c = 0; c < C; c++) {
          const v = img[p * C + c] + m[p] * water[c];
          out[p * C + c] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
      } else {
        const mask = new Float64Array(N);
        for (let p = 0; p < N; p++) mask[p] = liquid[p] > threshold ? 1 : 0;
        const m = blurPlane(mask, H, W, strength);
        for (let p = 0; p < N; p++) {
          const a = m[p] < 0.8 ? 0 : m[p];
          for (let c = 0; c < C; c++) {
            const v = img[p * C + c] * (1 - a) + brown[c] * a;
            out[p * C + c] = v < 0 ? 0 : v > 1 ? 1 : v;
          }
        }
      }
    });
  },
});
