/**
 * Image files ↔ float images: PNG (pngjs) and JPEG (jpeg-js) decoding and encoding, and
 * Pillow-style resampling (box, bilinear with antialiasing) used by the ImageNet preprocessing
 * presets and by the pixelate corruption. Pure JavaScript, deterministic.
 * @module
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, extname } from 'node:path';

/** One image: height × width × channels floats in [0, 1], channels last. */
export interface RasterImage {
  width: number;
  height: number;
  /** 1 (grayscale) or 3 (RGB). */
  channels: 1 | 3;
  data: Float32Array;
}

/** File formats editlab reads and writes. */
export type ImageFormat = 'png' | 'jpeg';

/** File extensions (lower case) recognised as images. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png'];

/** The format of a file name by its extension, or undefined. */
export function formatFromPath(path: string): ImageFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  return undefined;
}

/** The format of encoded bytes by their signature, or undefined. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Channels a JPEG stores (from its start-of-frame segment), or 3 if not found. */
function jpegComponents(bytes: Uint8Array): number {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return 3;
    const marker = bytes[i + 1];
    const length = (bytes[i + 2] << 8) | bytes[i + 3];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return bytes[i + 9];
    i += 2 + length;
  }
  return 3;
}

/**
 * Decodes PNG or JPEG bytes (recognised by signature) to a float image. Grayscale files
 * (PNG colour types 0 and 4, one-component JPEGs) give 1 channel, everything else 3 (alpha
 * dropped). Throws an Error naming `name` when the bytes are not a complete PNG/JPEG.
 * @param bytes the file contents
 * @param name the file name used in error messages
 */
export function decodeImage(bytes: Uint8Array, name = 'image'): RasterImage {
  const format = sniffFormat(bytes);
  if (!format) throw new Error(`editlab: cannot decode ${name}: not a PNG or JPEG file (unrecognised signature).`);
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  let gray: boolean;
  try {
    if (format === 'png') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { PNG } = require('pngjs') as typeof import('pngjs');
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ width, height } = png);
      rgba = png.data;
      gray = bytes.length > 25 && (bytes[25] === 0 || bytes[25] === 4);
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const jpeg = require('jpeg-js') as typeof import('jpeg-js');
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
      ({ width, height } = img);
      rgba = img.data;
      gray = jpegComponents(bytes) === 1;
    }
  } catch (e) {
    const why = (e as Error).message.split('\n')[0];
    throw new Error(`editlab: cannot decode ${name}: truncated or corrupt ${format === 'png' ? 'PNG' : 'JPEG'} (${why}).`);
  }
  if (!(width > 0 && height > 0) || rgba.length < width * height * 4) {
    throw new Error(`editlab: cannot decode ${name}: truncated or corrupt ${format === 'png' ? 'PNG' : 'JPEG'} (no pixel data).`);
  }
  const channels = gray ? 1 : 3;
  const data = new Float32Array(width * height * channels);
  for (let p = 0, q = 0; p < width * height; p++) {
    if (channels === 1) data[p] = rgba[4 * p] / 255;
    else {
      data[q++] = rgba[4 * p] / 255;
      data[q++] = rgba[4 * p + 1] / 255;
      data[q++] = rgba[4 * p + 2] / 255;
    }
  }
  return { width, height, channels, data };
}

/** Options of {@link encodeImage}. */
export interface EncodeOptions {
  /** JPEG quality 1–100 (default 85, ImageNet-C's). */
  quality?: number;
}

/** A float image as 8-bit RGBA, values rounded to the nearest level. */
function toRgba(image: RasterImage): Buffer {
  const { width, height, channels, data } = image;
  const rgba = Buffer.alloc(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) {
      const v = data[p * channels + (channels === 1 ? 0 : k)];
      rgba[4 * p + k] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
    }
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}

/**
 * Encodes a float image as PNG (grayscale images as 8-bit gray, else RGB) or JPEG (jpeg-js,
 * baseline, 4:4:4). Values are rounded to 8 bits.
 */
export function encodeImage(image: RasterImage, format: ImageFormat, options: EncodeOptions = {}): Buffer {
  checkRaster(image);
  if (format === 'jpeg') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const jpeg = require('jpeg-js') as typeof import('jpeg-js');
    return Buffer.from(jpeg.encode({ data: toRgba(image), width: image.width, height: image.height }, options.quality ?? 85).data);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PNG } = require('pngjs') as typeof import('pngjs');
  const gray = image.channels === 1;
  const colorType = gray ? 0 : 2;
  const png = new PNG({ width: image.width, height: image.height });
  png.data = toRgba(image);
  return PNG.sync.write(png, { colorType, inputColorType: 6, inputHasAlpha: true } as never);
}

function checkRaster(image: RasterImage): void {
  const { width, height, channels, data } = image;
  if (data.length !== width * height * channels) {
    throw new Error(`editlab: image of ${width}×${height}×${channels} needs ${width * height * channels} values, got ${data.length}.`);
  }
}

/** Reads and decodes a PNG/JPEG file; errors name the path. */
export async function readImage(path: string): Promise<RasterImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`editlab: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
  }
  return decodeImage(bytes, path);
}

/** Encodes an image by the path's extension (.png, .jpg, .jpeg) and writes it, creating folders. */
export async function writeImage(path: string, image: RasterImage, options: EncodeOptions = {}): Promise<void> {
  const format = formatFromPath(path);
  if (!format) throw new Error(`editlab: cannot write ${path}: the extension must be .png, .jpg or .jpeg.`);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, encodeImage(image, format, options));
}

/** Resampling filters (Pillow's definitions). */
export type ResampleFilter = 'box' | 'bilinear';

/** Sparse 1-D resampling weights: output i reads `count[i]` inputs from `start[i]`. */
export interface ResampleWeights {
  start: Int32Array;
  count: Int32Array;
  /** `maxCount` weights per output, normalised to sum 1. */
  weights: Float64Array;
  maxCount: number;
}

/**
 * Pillow's resampling coefficients for one axis (`ImagingResample`): output pixel i is centred
 * at (i + ½)·scale in input coordinates, the filter is stretched by max(scale, 1) when
 * downsampling (antialiasing), weights are sampled at input pixel centres and normalised.
 * The box filter is 1 on (−½, ½], bilinear is the triangle 1 − |x| on [−1, 1].
 */
export function resampleWeights(inSize: number, outSize: number, filter: ResampleFilter): ResampleWeights {
  const support0 = filter === 'box' ? 0.5 : 1;
  const kernel = filter === 'box' ? (x: number) => (x > -0.5 && x <= 0.5 ? 1 : 0) : (x: number) => (x < 0 ? (x > -1 ? 1 + x : 0) : x < 1 ? 1 - x : 0);
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = support0 * filterScale;
  const maxCount = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxCount);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const n = Math.min(Math.trunc(center + support + 0.5), inSize) - lo;
    let sum = 0;
    for (let k = 0; k < n; k++) {
      const w = kernel((k + lo - center + 0.5) / filterScale);
      weights[i * maxCount + k] = w;
      sum += w;
    }
    if (sum !== 0) for (let k = 0; k < n; k++) weights[i * maxCount + k] /= sum;
    start[i] = lo;
    count[i] = n;
  }
  return { start, count, weights, maxCount };
}

/**
 * Resizes one interleaved image (height × width × channels) to outHeight × outWidth with
 * Pillow-style resampling: horizontal pass, then vertical, in float (no 8-bit rounding
 * between passes). Weights can be passed in to reuse them over a batch.
 */
export function resizeImage(
  src: ArrayLike<number>, height: number, width: number, channels: number, outHeight: number, outWidth: number,
  filter: ResampleFilter = 'bilinear',
  weights: { x?: ResampleWeights; y?: ResampleWeights } = {},
): Float32Array {
  const wx = weights.x ?? resampleWeights(width, outWidth, filter);
  const wy = weights.y ?? resampleWeights(height, outHeight, filter);
  const tmp = new Float64Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    const row = y * width * channels;
    for (let x = 0; x < outWidth; x++) {
      const s0 = wx.start[x];
      const n = wx.count[x];
      const wb = x * wx.maxCount;
      for (let c = 0; c < channels; c++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += wx.weights[wb + k] * src[row + (s0 + k) * channels + c];
        tmp[(y * outWidth + x) * channels + c] = s;
      }
    }
  }
  const out = new Float32Array(outHeight * outWidth * channels);
  const stride = outWidth * channels;
  for (let y = 0; y < outHeight; y++) {
    const s0 = wy.start[y];
    const n = wy.count[y];
    const wb = y * wy.maxCount;
    for (let x = 0; x < stride; x++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += wy.weights[wb + k] * tmp[(s0 + k) * stride + x];
      out[y * stride + x] = s;
    }
  }
  return out;
}

/** Python's round(): halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision's Resize(size) on the shorter side followed by CenterCrop(crop): the shorter side
 * becomes `size`, the longer floor(size·long/short); the crop starts at round((h − crop)/2)
 * (Python rounding). Bilinear with antialiasing, like torchvision on PIL images.
 */
export function resizeShorterAndCrop(image: RasterImage, size: number, crop: number): RasterImage {
  const { width, height, channels } = image;
  const short = Math.min(width, height);
  const long = Math.max(width, height);
  const longOut = Math.floor((size * long) / short);
  const [outW, outH] = width <= height ? [size, longOut] : [longOut, size];
  const resized = outW === width && outH === height ? image.data : resizeImage(image.data, height, width, channels, outH, outW, 'bilinear');
  return centerCrop({ width: outW, height: outH, channels, data: resized }, crop, crop);
}

/** The central cropH × cropW window (torchvision's CenterCrop offsets); pads with 0 if the image is smaller. */
export function centerCrop(image: RasterImage, cropH: number, cropW: number): RasterImage {
  const { width, height, channels, data } = image;
  const top = roundHalfEven((height - cropH) / 2);
  const left = roundHalfEven((width - cropW) / 2);
  const out = new Float32Array(cropH * cropW * channels);
  for (let y = 0; y < cropH; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= height) continue;
    for (let x = 0; x < cropW; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= width) continue;
      for (let c = 0; c < channels; c++) out[(y * cropW + x) * channels + c] = data[(sy * width + sx) * channels + c];
    }
  }
  return { width: cropW, height: cropH, channels, data: out };
}

/** The image with `channels` channels: RGB → gray by ITU-R 601 luma (0.299, 0.587, 0.114), gray → RGB by copying. */
export function toChannels(image: RasterImage, channels: 1 | 3): RasterImage {
  if (image.channels === channels) return image;
  const n = image.width * image.height;
  const out = new Float32Array(n * channels);
  if (channels === 3) {
    for (let p = 0; p < n; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = image.data[p];
  } else {
    for (let p = 0; p < n; p++) out[p] = 0.299 * image.data[3 * p] + 0.587 * image.data[3 * p + 1] + 0.114 * image.data[3 * p + 2];
  }
  return { ...image, channels, data: out };
}

/** A float image as a `data:image/png;base64,…` URL (for figures). */
export function pngDataUrl(image: RasterImage): string {
  return `data:image/png;base64,${encodeImage(image, 'png').toString('base64')}`;
}
