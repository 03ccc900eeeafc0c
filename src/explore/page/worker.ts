/**
 * The explorer's compute worker: tfjs on the WebAssembly backend with editlab's SIMD kernels
 * (the same kernels as in Node; a worker may compile their module synchronously, as the library
 * does, which a page's main thread may not), the model, the edit loaded by the library's own
 * `loadEdit`, and an AlphaEvaluator over the sets, holding only this worker's share of the image
 * batches. It answers one part of one α at a time with predictions.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../engine/backend';
import { registerWasmTrainingKernels } from '../../engine/wasm-kernels';
import '../../models/layers';
import { loadEdit } from '../../edits/store';
import { AlphaEvaluator, type EvaluatorPart } from '../alpha-evaluator';
import { SITE_PATHS, unpackSets, type ExploreManifest } from '../format';
import { provideFile } from './shims/fs';
import { resolve } from './shims/path';
import type { FromWorker, ToWorker } from './protocol';

/** Where the wasm kernels' loader looks for dist/kernels.wasm, given the `__dirname` the bundle defines. */
const KERNELS_FILE = resolve(__dirname, '..', '..', 'dist', 'kernels.wasm');
/** The folder the edit's files are provided under, for `loadEdit`. */
const EDIT_FOLDER = '/edit';

let evaluator: AlphaEvaluator | undefined;
const post = (message: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

async function fetchBytes(url: URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`editlab explore: ${url.pathname} answered ${response.status} ${response.statusText}.`);
  return new Uint8Array(await response.arrayBuffer());
}

async function init(base: string, share: EvaluatorPart): Promise<void> {
  const started = performance.now();
  const at = (p: string) => new URL(p, base);
  const [manifestBytes, images, labels, kernels, editJson, deltas] = await Promise.all(
    [SITE_PATHS.manifest, SITE_PATHS.images, SITE_PATHS.labels, SITE_PATHS.kernels, SITE_PATHS.editManifest, SITE_PATHS.editDeltas].map((p) => fetchBytes(at(p))),
  );
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as ExploreManifest;
  provideFile(KERNELS_FILE, kernels);
  provideFile(`${EDIT_FOLDER}/edit.json`, editJson);
  provideFile(`${EDIT_FOLDER}/deltas.bin`, deltas);
  setWasmPaths(at(SITE_PATHS.wasmFolder).href);
  if (!(await tf.setBackend('wasm'))) throw new Error('editlab explore: tfjs could not start its WebAssembly backend in this browser.');
  await tf.ready();
  registerWasmTrainingKernels();
  const model = await tf.loadLayersModel(at(SITE_PATHS.model).href);
  const edit = loadEdit(EDIT_FOLDER, model);
  const imageValues = new Float32Array(images.buffer, images.byteOffset, images.byteLength / 4);
  const labelValues = new Int32Array(labels.buffer, labels.byteOffset, labels.byteLength / 4);
  const sets = unpackSets(manifest, imageValues, labelValues);
  evaluator = await AlphaEvaluator.create(edit, sets.map((s) => s.set), { share });
  // The page draws the images too: it gets copies (the evaluator's sets view these arrays).
  const pageImages = imageValues.slice();
  const pageLabels = labelValues.slice();
  post({ type: 'ready', manifest, images: pageImages, labels: pageLabels, cut: evaluator.cut ?? null, linear: evaluator.linearLayer !== undefined, batches: evaluator.batchCount, loadMs: performance.now() - started, backend: tf.getBackend() }, [pageImages.buffer, pageLabels.buffer]);
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  try {
    if (message.type === 'init') await init(message.base, message.share);
    else if (message.type === 'predict') {
      if (!evaluator) throw new Error('editlab explore: predict before the model was loaded.');
      const started = performance.now();
      const predicted = evaluator.predict(message.alpha, message.part);
      post({ type: 'predictions', alpha: message.alpha, part: message.part, predicted, ms: performance.now() - started }, predicted.map((p) => p.buffer));
    }
  } catch (e) {
    post({ type: 'error', message: (e as Error).message ?? String(e) });
  }
};
