import { constantsOf, mapImages, registerShift, type ShiftPreset } from './registry';
import { addSeparableTaps, applySparse, clippedZoomTaps, sparseOperator, type SparseOperator } from './ops/geometry';

/**
 * Zoom factors 1, 1 + step, …, 1 + (count − 1)·step per severity: the counts are those of
 * ImageNet-C's np.arange(1, stop, step) (floating point makes arange(1, 1.11, 0.01) include 1.11).
 */
export type ZoomBlurConstants = readonly [step: number, count: number];

/** Per severity: ImageNet-C's, CIFAR-10-C's and editlab's small constants. */
export const ZOOM_BLUR_CONSTANTS: Record<ShiftPreset, readonly ZoomBlurConstants[]> = {
  imagenet: [[0.01, 12], [0.01, 16], [0.02, 11], [0.02, 13], [0.03, 11]],
  cifar: [[0.01, 7], [0.01, 12], [0.01, 16], [0.01, 21], [0.01, 26]],
  small: [[0.01, 7], [0.02, 6], [0.02, 9], [0.03, 8], [0.03, 11]],
};

const operators = new Map<string, SparseOperator>();

/** The zoom blur as one sparse operator: the mean of the image and its centre-zoomed copies. */
export function zoomBlurOperator(height: number, width: number, step: number, count: number): SparseOperator {
  const key = `${height}:${width}:${step}:${count}`;
  let op = operators.get(key);
  if (op) return op;
  const rows = Array.from({ length: height * width }, (_, p) => new Map<number, number>([[p, 1 / (count + 1)]]));
  for (let k = 0; k < count; k++) {
    const z = 1 + k * step;
    addSeparableTaps(rows, clippedZoomTaps(height, z), clippedZoomTaps(width, z), width, 1 / (count + 1));
  }
  op = sparseOperator(rows);
  operators.set(key, op);
  return op;
}

registerShift({
  name: 'zoom_blur',
  family: 'corruption',
  group: 'blur',
  random: false,
  description: 'zoom blur: mean of the image and copies zoomed about the centre (bilinear)',
  constants: ZOOM_BLUR_CONSTANTS,
  apply(images, shape, options) {
    const [step, count] = constantsOf(ZOOM_BLUR_CONSTANTS, options);
    const op = zoomBlurOperator(shape.height, shape.width, step, count);
    return mapImages(images, shape, (img, out) => {
      applySparse(op, img, out, shape.channels);
      for (let q = 0; q < out.length; q++) out[q] = out[q] < 0 ? 0 : out[q] > 1 ? 1 : out[q];
    });
  },
});
