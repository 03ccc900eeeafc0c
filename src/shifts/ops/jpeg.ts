/**
 * A synchronous JPEG round trip through sharp (libvips; its npm packages bundle mozjpeg, run here
 * with mozjpeg's extensions off, i.e. as plain libjpeg-turbo), encoding the way PIL's
 * `Image.save(f, 'JPEG', quality=q)` does and decoding the way `Image.open(f)` does.
 *
 * sharp is asynchronous and the shift registry is not, so the work runs in one worker thread
 * (./jpeg-worker.ts) started on first use: the caller posts a whole batch of images on a
 * MessageChannel and blocks on `Atomics.wait` until the worker has posted the decoded bytes
 * back, then reads them with `receiveMessageOnPort`. The worker and its port are unref'd, so
 * they never keep the process alive.
 */
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { JpegOptions } from 'sharp';

/** An 8-bit image: `height` rows of `width` pixels of `channels` bytes (1: gray, 3: RGB). */
export interface ByteImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** What the caller posts to the worker, and what it posts back. */
export interface JpegRequest { images: readonly ByteImage[]; quality: number }
export type JpegReply = { outputs: Uint8Array[]; error?: undefined } | { error: string };

/**
 * sharp's JPEG settings that match PIL's encoder (libjpeg's defaults): baseline, standard
 * (Annex K) tables scaled by IJG quality, 4:2:0 chroma subsampling of colour images at every
 * quality, slow-integer DCT, none of mozjpeg's trellis quantisation, deringing or scan
 * optimisation. Huffman optimisation is off as in PIL (it is lossless either way). The decoder
 * side needs no settings: libvips, like PIL, decodes with libjpeg's defaults (slow-integer IDCT,
 * fancy upsampling).
 */
export const PIL_JPEG_OPTIONS: JpegOptions = {
  chromaSubsampling: '4:2:0',
  progressive: false,
  optimiseCoding: false,
  quantisationTable: 0,
  mozjpeg: false,
  trellisQuantisation: false,
  overshootDeringing: false,
  optimiseScans: false,
};

/** How long a round trip may take before the worker is presumed dead (ms). */
const DEADLINE_MS = 120_000;

let bridge: { worker: Worker; port: MessagePort; signal: Int32Array } | undefined;

function startBridge(): NonNullable<typeof bridge> {
  try {
    // Loaded here too, before the worker: on glibc, a native addon loaded only by a worker
    // can be unloaded under it (sharp's docs, "worker threads"). Also the clearest error.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('sharp');
  } catch (e) {
    throw new Error(`editlab: jpeg_compression needs the "sharp" package (libvips, libjpeg-turbo), which could not be loaded: ${(e as Error).message}`);
  }
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  // Under tsx (tests, development) the worker registers tsx itself: workers ignore --import.
  const ts = __filename.endsWith('.ts');
  const file = path.join(__dirname, `jpeg-worker.${ts ? 'ts' : 'js'}`);
  const options = { workerData: { port: port2, signal }, transferList: [port2] };
  const worker = ts
    ? new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(file)});`, { ...options, eval: true })
    : new Worker(file, options);
  worker.unref();
  port1.unref();
  // A worker that dies is replaced on the next call (the blocked call itself times out).
  worker.on('error', () => { if (bridge?.worker === worker) bridge = undefined; });
  worker.on('exit', () => { if (bridge?.worker === worker) bridge = undefined; });
  return (bridge = { worker, port: port1, signal });
}

/**
 * Encodes each image as a baseline JPEG at `quality` (1–100) and decodes it back, as PIL does:
 * gray images as one-component JPEGs, RGB ones as YCbCr 4:2:0. Synchronous; one round trip
 * to the worker thread for the whole list. Same bytes in, same bytes out, on every machine.
 */
export function jpegRoundTripSync(images: readonly ByteImage[], quality: number): Uint8Array[] {
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) throw new Error(`editlab: JPEG quality must be an integer from 1 to 100, got ${quality}.`);
  if (images.length === 0) return [];
  const { worker, port, signal } = bridge ?? startBridge();
  Atomics.store(signal, 0, 0);
  port.postMessage({ images, quality } satisfies JpegRequest);
  if (Atomics.wait(signal, 0, 0, DEADLINE_MS) === 'timed-out') {
    bridge = undefined;
    void worker.terminate();
    throw new Error(`editlab: the JPEG worker (sharp) did not answer within ${DEADLINE_MS / 1000} s.`);
  }
  const reply = receiveMessageOnPort(port)?.message as JpegReply | undefined;
  if (!reply || reply.error !== undefined) throw new Error(`editlab: JPEG round trip (sharp) failed: ${reply?.error ?? 'no reply from the worker'}`);
  reply.outputs.forEach((out, i) => {
    const { width, height, channels } = images[i];
    if (out.length !== width * height * channels) throw new Error(`editlab: JPEG round trip (sharp) returned ${out.length} bytes for a ${width}×${height}×${channels} image.`);
  });
  return reply.outputs;
}
