import { constantsOf, registerShift, type ShiftPreset } from './registry';

/** JPEG quality (1–100) per severity. */
export const JPEG_QUALITY: Record<ShiftPreset, readonly number[]> = {
  imagenet: [25, 18, 15, 10, 7],
  cifar: [80, 65, 58, 50, 40],
  small: [10, 7, 5, 3, 1],
};

/** Pixels per JPEG mosaic at most (4 Mpx: 4096 tiles of 32×32, or 83 of 224×224). */
const MOSAIC_PIXELS = 1 << 22;

/**
 * JPEG round trip with jpeg-js (baseline, 4:4:4, no chroma subsampling) at the preset's
 * quality, on 8-bit values (rounded). Images are encoded as tiles of one mosaic: each is padded
 * to a multiple of 8 by repeating its last row and column — exactly what jpeg-js does at an
 * image's edge — and 8×8 blocks are coded independently, so every tile decodes to the same
 * bytes as the image encoded alone, at a fraction of the cost. Grayscale images go through as
 * gray RGB and come back as the luma of the decoded pixels.
 */
export function jpegRoundTrip(images: Float32Array, n: number, height: number, width: number, channels: number, quality: number): Float32Array {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jpeg = require('jpeg-js') as typeof import('jpeg-js');
  const th = Math.ceil(height / 8) * 8;
  const tw = Math.ceil(width / 8) * 8;
  const size = height * width * channels;
  const out = new Float32Array(n * size);
  const perMosaic = Math.max(1, Math.floor(MOSAIC_PIXELS / (th * tw)));
  for (let first = 0; first < n; first += perMosaic) {
    const count = Math.min(perMosaic, n - first);
    const cols = Math.max(1, Math.min(count, Math.floor(4096 / tw)));
    const rows = Math.ceil(count / cols);
    const MW = cols * tw;
    const MH = rows * th;
    const rgba = Buffer.alloc(MW * MH * 4, 255);
    for (let t = 0; t < count; t++) {
      const img = images.subarray((first + t) * size, (first + t + 1) * size);
      const ox = (t % cols) * tw;
      const oy = Math.floor(t / cols) * th;
      for (let y = 0; y < th; y++) {
        const sy = Math.min(y, height - 1);
        for (let x = 0; x < tw; x++) {
          const sx = Math.min(x, width - 1);
          const q = ((oy + y) * MW + ox + x) * 4;
          const p = (sy * width + sx) * channels;
          for (let k = 0; k < 3; k++) {
            const v = img[p + (channels === 1 ? 0 : k)];
            rgba[q + k] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
          }
        }
      }
    }
    const encoded = jpeg.encode({ data: rgba, width: MW, height: MH }, quality).data;
    const decoded = jpeg.decode(encoded, { useTArray: true, formatAsRGBA: true }).data;
    for (let t = 0; t < count; t++) {
      const dst = out.subarray((first + t) * size, (first + t + 1) * size);
      const ox = (t % cols) * tw;
      const oy = Math.floor(t / cols) * th;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const q = ((oy + y) * MW + ox + x) * 4;
          const p = (y * width + x) * channels;
          if (channels === 1) dst[p] = (0.299 * decoded[q] + 0.587 * decoded[q + 1] + 0.114 * decoded[q + 2]) / 255;
          else for (let k = 0; k < 3; k++) dst[p + k] = decoded[q + k] / 255;
        }
      }
    }
  }
  return out;
}

registerShift({
  name: 'jpeg_compression',
  family: 'corruption',
  group: 'digital',
  random: false,
  description: 'JPEG compression artefacts: encode and decode at low quality (jpeg-js)',
  constants: JPEG_QUALITY,
  apply(images, shape, options) {
    const quality = constantsOf(JPEG_QUALITY, options);
    return jpegRoundTrip(images, shape.n, shape.height, shape.width, shape.channels, quality);
  },
});
