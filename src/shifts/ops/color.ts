/**
 * Colour helpers. Grayscale conventions used by every shift: luminance is ITU-R 601 luma
 * (0.299 R + 0.587 G + 0.114 B, OpenCV's RGB2GRAY), and an RGB colour applied to a grayscale
 * image is replaced by its luma.
 */

/** ITU-R 601 luma weights (OpenCV's COLOR_RGB2GRAY). */
export const LUMA: readonly [number, number, number] = [0.299, 0.587, 0.114];

/** Luma of one RGB colour. */
export function luma(r: number, g: number, b: number): number {
  return LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
}

/** The luminance plane of one interleaved image (a copy for 1 channel). */
export function lumaPlane(image: ArrayLike<number>, pixels: number, channels: number): Float32Array {
  const out = new Float32Array(pixels);
  if (channels === 1) for (let p = 0; p < pixels; p++) out[p] = image[p];
  else for (let p = 0; p < pixels; p++) out[p] = luma(image[3 * p], image[3 * p + 1], image[3 * p + 2]);
  return out;
}

/** A colour (RGB in [0, 1]) as the channel values of an image with `channels` channels. */
export function colorFor(rgb: readonly [number, number, number], channels: number): number[] {
  return channels === 3 ? [...rgb] : [luma(rgb[0], rgb[1], rgb[2])];
}

/**
 * HSV brightness shift of one RGB pixel with hue and saturation kept (scikit-image's rgb2hsv →
 * V' = clip(V + delta) → hsv2rgb, in closed form): with V = max(r, g, b) > 0 every channel
 * scales by V'/V; a black pixel (V = 0, S = 0) becomes gray V'.
 */
export function shiftValue(rgb: Float64Array | number[], delta: number): void {
  const v = Math.max(rgb[0], rgb[1], rgb[2]);
  const v2 = Math.min(1, Math.max(0, v + delta));
  if (v > 0) {
    const k = v2 / v;
    rgb[0] *= k;
    rgb[1] *= k;
    rgb[2] *= k;
  } else {
    rgb[0] = rgb[1] = rgb[2] = v2;
  }
}

/**
 * HSV saturation change of one RGB pixel with hue and value kept: S' = clip(S·scale + offset).
 * In closed form each channel c becomes V − (V − c)·S'/S. A gray pixel (S = 0) has hue 0 in
 * scikit-image, so a positive offset turns it red: R = V, G = B = V(1 − S'), as in ImageNet-C.
 */
export function scaleSaturation(rgb: Float64Array | number[], scale: number, offset: number): void {
  const v = Math.max(rgb[0], rgb[1], rgb[2]);
  if (v <= 0) return;
  const min = Math.min(rgb[0], rgb[1], rgb[2]);
  const s = (v - min) / v;
  const s2 = Math.min(1, Math.max(0, s * scale + offset));
  if (s > 0) {
    const k = s2 / s;
    for (let c = 0; c < 3; c++) rgb[c] = v - (v - rgb[c]) * k;
  } else {
    rgb[0] = v;
    rgb[1] = rgb[2] = v * (1 - s2);
  }
}
