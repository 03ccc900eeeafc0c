import { jpegRoundTripSync, type ByteImage } from './ops/jpeg';
import { constantsOf, registerShift, type ShiftPreset } from './registry';

/** JPEG quality (1–100) per severity. */
export const JPEG_QUALITY: Record<ShiftPreset, readonly number[]> = {
  imagenet: [25, 18, 15, 10, 7],
  cifar: [80, 65, 58, 50, 40],
  small: [10, 7, 5, 3, 1],
};

/** Pixels per gray mosaic at most (4 Mpx: 4096 tiles of 32×32). */
const MOSAIC_PIXELS = 1 << 22;
/** Images (or mosaics) and pixels per round trip to the JPEG worker at most. */
const ROUND_TRIP_IMAGES = 1024;
const ROUND_TRIP_PIXELS = 1 << 24;

const toByte = (v: number) => (v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255));

/**
 * Gray images as tiles of mosaics. A one-component baseline JPEG codes every 8×8 block on its
 * own (DC prediction is lossless) and libjpeg pads a partial block by repeating the image's
 * last row and column; tiles padded the same way to a multiple of 8 and placed on the 8-pixel
 * grid therefore decode to the bytes of each image encoded alone (test/shifts-jpeg.test.ts
 * checks it), at a fraction of the cost. Not so for colour: 4:2:0 chroma is averaged and
 * upsampled across block borders, so colour images are encoded one by one.
 */
function grayRoundTrip(images: Float32Array, n: number, height: number, width: number, quality: number): Float32Array {
  const th = Math.ceil(height / 8) * 8;
  const tw = Math.ceil(width / 8) * 8;
  const size = height * width;
  const perMosaic = Math.max(1, Math.floor(MOSAIC_PIXELS / (th * tw)));
  const cols = Math.max(1, Math.min(perMosaic, Math.floor(4096 / tw)));
  const mosaics: ByteImage[] = [];
  for (let first = 0; first < n; first += perMosaic) {
    const count = Math.min(perMosaic, n - first);
    const MW = Math.min(count, cols) * tw;
    const data = new Uint8Array(MW * Math.ceil(count / cols) * th);
    for (let t = 0; t < count; t++) {
      const img = images.subarray((first + t) * size, (first + t + 1) * size);
      const ox = (t % cols) * tw;
      const oy = Math.floor(t / cols) * th;
      for (let y = 0; y < th; y++) {
        const row = Math.min(y, height - 1) * width;
        for (let x = 0; x < tw; x++) data[(oy + y) * MW + ox + x] = toByte(img[row + Math.min(x, width - 1)]);
      }
    }
    mosaics.push({ data, width: MW, height: data.length / MW, channels: 1 });
  }
  const out = new Float32Array(n * size);
  const decoded = batches(mosaics, quality);
  for (let i = 0; i < n; i++) {
    const m = decoded[Math.floor(i / perMosaic)];
    const t = i % perMosaic;
    const MW = mosaics[Math.floor(i / perMosaic)].width;
    const ox = (t % cols) * tw;
    const oy = Math.floor(t / cols) * th;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) out[i * size + y * width + x] = m[(oy + y) * MW + ox + x] / 255;
    }
  }
  return out;
}

/** Round trips in batches of at most ROUND_TRIP_IMAGES images and (unless one image) ROUND_TRIP_PIXELS pixels. */
function batches(images: ByteImage[], quality: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0, end = 0; i < images.length; i = end) {
    for (let pixels = 0; end < images.length && end - i < ROUND_TRIP_IMAGES; end++) {
      pixels += images[end].width * images[end].height;
      if (pixels > ROUND_TRIP_PIXELS && end > i) break;
    }
    out.push(...jpegRoundTripSync(images.slice(i, end), quality));
  }
  return out;
}

/**
 * JPEG round trip as PIL does it (ImageNet-C's `x.save(f, 'JPEG', quality=q)` then
 * `Image.open(f)`), with libjpeg-turbo through sharp, on 8-bit values (rounded): gray images as
 * one-component JPEGs (PIL mode 'L'), colour ones as YCbCr with 4:2:0 chroma subsampling. The
 * decoded bytes equal PIL's (Debian's Pillow on libjpeg-turbo 2.1.5), pinned by goldens in
 * test/golden/jpeg/. Synchronous (see ./ops/jpeg.ts); same input, same bytes on every machine.
 */
export function jpegRoundTrip(images: Float32Array, n: number, height: number, width: number, channels: number, quality: number): Float32Array {
  if (channels === 1) return grayRoundTrip(images, n, height, width, quality);
  if (channels !== 3) throw new Error(`editlab: JPEG round trip needs 1 (gray) or 3 (RGB) channels, got ${channels}.`);
  const size = height * width * channels;
  const rgb = Array.from({ length: n }, (_, i): ByteImage => {
    const data = new Uint8Array(size);
    for (let k = 0; k < size; k++) data[k] = toByte(images[i * size + k]);
    return { data, width, height, channels: 3 };
  });
  const out = new Float32Array(n * size);
  batches(rgb, quality).forEach((decoded, i) => { for (let k = 0; k < size; k++) out[i * size + k] = decoded[k] / 255; });
  return out;
}

registerShift({
  name: 'jpeg_compression',
  family: 'corruption',
  group: 'digital',
  random: false,
  description: 'JPEG compression artefacts: encode and decode at low quality, as PIL does (libjpeg-turbo via sharp)',
  constants: JPEG_QUALITY,
  apply(images, shape, options) {
    const quality = constantsOf(JPEG_QUALITY, options);
    return jpegRoundTrip(images, shape.n, shape.height, shape.width, shape.channels, quality);
  },
});
