/**
 * Helpers shared by the renditions: the foreground mask of an image and its outline.
 * Renditions work on the luma of an image and are scale-aware: strokes are
 * max(1, round(shorter side / 28)) pixels wide, so a 28×28 image gets 1-pixel strokes and a
 * 224×224 one 8-pixel strokes.
 */
import { lumaPlane } from '../ops/color';

/** Stroke width (radius) for an image size. */
export function strokeRadius(height: number, width: number): number {
  return Math.max(1, Math.round(Math.min(height, width) / 28));
}

/** Median of the values on the image border: the background level. */
export function borderLevel(plane: ArrayLike<number>, height: number, width: number): number {
  const values: number[] = [];
  for (let x = 0; x < width; x++) values.push(plane[x], plane[(height - 1) * width + x]);
  for (let y = 1; y < height - 1; y++) values.push(plane[y * width], plane[y * width + width - 1]);
  values.sort((a, b) => a - b);
  return values[values.length >> 1];
}

/**
 * The object's mask (1 = object): pixels whose luma differs from the border median by more
 * than max(0.03, 8% of the largest difference) are object; background pixels reachable
 * from the border (4-connected) stay background, enclosed holes become object (filled shape).
 */
export function foregroundMask(image: ArrayLike<number>, height: number, width: number, channels: number): Uint8Array {
  const N = height * width;
  const gray = lumaPlane(image, N, channels);
  const bg = borderLevel(gray, height, width);
  let maxDiff = 0;
  for (let p = 0; p < N; p++) maxDiff = Math.max(maxDiff, Math.abs(gray[p] - bg));
  const t = Math.max(0.03, 0.08 * maxDiff);
  const object = new Uint8Array(N);
  for (let p = 0; p < N; p++) object[p] = Math.abs(gray[p] - bg) > t ? 1 : 0;
  // Flood the background from the border; what it cannot reach is object.
  const outside = new Uint8Array(N);
  const stack: number[] = [];
  const seed = (p: number) => { if (!object[p] && !outside[p]) { outside[p] = 1; stack.push(p); } };
  for (let x = 0; x < width; x++) { seed(x); seed((height - 1) * width + x); }
  for (let y = 0; y < height; y++) { seed(y * width); seed(y * width + width - 1); }
  while (stack.length) {
    const p = stack.pop() as number;
    const y = (p / width) | 0, x = p - y * width;
    if (x > 0) seed(p - 1);
    if (x < width - 1) seed(p + 1);
    if (y > 0) seed(p - width);
    if (y < height - 1) seed(p + width);
  }
  const mask = new Uint8Array(N);
  for (let p = 0; p < N; p++) mask[p] = outside[p] ? 0 : 1;
  return mask;
}

/** Pixels of the mask with a 4-neighbour outside it (or on the image edge), thickened to `radius`. */
export function outline(mask: Uint8Array, height: number, width: number, radius: number): Uint8Array {
  const N = height * width;
  const edge = new Uint8Array(N);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const p = y * width + x;
    if (!mask[p]) continue;
    if (x === 0 || y === 0 || x === width - 1 || y === height - 1 || !mask[p - 1] || !mask[p + 1] || !mask[p - width] || !mask[p + width]) edge[p] = 1;
  }
  if (radius <= 1) return edge;
  const out = new Uint8Array(N);
  const r = radius - 1;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    if (!edge[y * width + x]) continue;
    for (let yy = Math.max(0, y - r); yy <= Math.min(height - 1, y + r); yy++) for (let xx = Math.max(0, x - r); xx <= Math.min(width - 1, x + r); xx++) out[yy * width + xx] = 1;
  }
  return out;
}

/** Writes a gray plane into an image with `channels` channels. */
export function writeGray(plane: ArrayLike<number>, out: Float32Array, channels: number): void {
  const N = plane.length;
  for (let p = 0; p < N; p++) {
    const v = plane[p] < 0 ? 0 : plane[p] > 1 ? 1 : plane[p];
    for (let c = 0; c < channels; c++) out[p * channels + c] = v;
  }
}
