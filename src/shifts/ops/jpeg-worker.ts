// The worker thread behind `jpegRoundTripSync` (./jpeg.ts): runs sharp's asynchronous JPEG
// encoder and decoder on each request's images, posts the decoded bytes (or an error message)
// on the request port, then wakes the waiting caller through the shared signal.
import { workerData, type MessagePort } from 'node:worker_threads';
import sharp from 'sharp';
import { PIL_JPEG_OPTIONS, type ByteImage, type JpegReply, type JpegRequest } from './jpeg';

const { port, signal } = workerData as { port: MessagePort; signal: Int32Array };
/** Images in flight at once (sharp runs them on libuv's thread pool). */
const IN_FLIGHT = 8;

async function roundTrip({ data, width, height, channels }: ByteImage, quality: number): Promise<Uint8Array> {
  const raw = { width, height, channels };
  const jpeg = await sharp(data, { raw }).jpeg({ ...PIL_JPEG_OPTIONS, quality }).toBuffer();
  return sharp(jpeg).toColourspace(channels === 1 ? 'b-w' : 'srgb').raw().toBuffer();
}

async function run({ images, quality }: JpegRequest): Promise<Uint8Array[]> {
  const out: Uint8Array[] = new Array(images.length);
  let next = 0;
  const lane = async () => {
    while (next < images.length) {
      const i = next++;
      out[i] = await roundTrip(images[i], quality);
    }
  };
  await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, images.length) }, lane));
  return out;
}

port.on('message', (request: JpegRequest) => {
  run(request).then(
    (outputs): JpegReply => ({ outputs }),
    (e: unknown): JpegReply => ({ error: e instanceof Error ? e.message : String(e) }),
  ).then((reply) => {
    port.postMessage(reply);
    Atomics.store(signal, 0, 1);
    Atomics.notify(signal, 0);
  });
});
