/**
 * The explorer's compute worker: tfjs on the WebAssembly backend with editlab's SIMD kernels
 * (the same kernels as in Node; a worker may compile their module synchronously, as the library
 * does, which a page's main thread may not), the model, and an AlphaEvaluator over the sets,
 * holding only this worker's share of the image batches. The edit is the one served (loaded by
 * the library's own `loadEdit`), or one the user picked: run here by the library's `edit` on the
 * task's exemplars, its files sent to every worker through the page. It answers one part of one α
 * at a time with predictions.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf } from '../../engine/backend';
import { registerWasmTrainingKernels } from '../../engine/wasm-kernels';
import '../../models/layers';
// The edit methods register themselves (the edits index would bring the tasks' data loaders too).
import '../../edits/local-ft';
import '../../edits/global-ft';
import '../../edits/lowrank';
import '../../edits/one-layer-interp';
import '../../edits/rewrite';
import { edit as runEdit } from '../../edits/registry';
import { editFiles, loadEdit } from '../../edits/store';
import type { Edit } from '../../edits/edit';
import type { EditSet } from '../../edits/tasks/task';
import { AlphaEvaluator, type EvaluatorPart } from '../alpha-evaluator';
import { SITE_PATHS, unpackSets, type ExploreManifest, type NamedSet } from '../format';
import { provideFile } from './shims/fs';
import { resolve } from './shims/path';
import type { EditRequest, EvaluatorInfo, FromWorker, ToWorker } from './protocol';

/** Where the wasm kernels' loader looks for dist/kernels.wasm, given the `__dirname` the bundle defines. */
const KERNELS_FILE = resolve(__dirname, '..', '..', 'dist', 'kernels.wasm');
/** The folder the edit's files are provided under, for `loadEdit`. */
const EDIT_FOLDER = '/edit';

/** What `init` loaded. */
interface Loaded {
  base: string;
  share: EvaluatorPart;
  manifest: ExploreManifest;
  model: tf.LayersModel;
  sets: NamedSet[];
}
let loaded: Loaded | undefined;
let current: { edit: Edit; evaluator: AlphaEvaluator } | undefined;
const post = (message: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(message, transfer);

async function fetchBytes(url: URL): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`editlab explore: ${url.pathname} answered ${response.status} ${response.statusText}.`);
  return new Uint8Array(await response.arrayBuffer());
}

const loadedState = (): Loaded => {
  if (!loaded) throw new Error('editlab explore: a request before the model was loaded.');
  return loaded;
};

async function init(base: string, share: EvaluatorPart): Promise<void> {
  const started = performance.now();
  const at = (p: string) => new URL(p, base);
  const [manifestBytes, images, labels, kernels] = await Promise.all(
    [SITE_PATHS.manifest, SITE_PATHS.images, SITE_PATHS.labels, SITE_PATHS.kernels].map((p) => fetchBytes(at(p))),
  );
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as ExploreManifest;
  provideFile(KERNELS_FILE, kernels);
  setWasmPaths(at(SITE_PATHS.wasmFolder).href);
  if (!(await tf.setBackend('wasm'))) throw new Error('editlab explore: tfjs could not start its WebAssembly backend in this browser.');
  await tf.ready();
  registerWasmTrainingKernels();
  const model = await tf.loadLayersModel(at(SITE_PATHS.model).href);
  const imageValues = new Float32Array(images.buffer, images.byteOffset, images.byteLength / 4);
  const labelValues = new Int32Array(labels.buffer, labels.byteOffset, labels.byteLength / 4);
  loaded = { base, share, manifest, model, sets: unpackSets(manifest, imageValues, labelValues) };
  let evaluator: EvaluatorInfo | null = null;
  if (manifest.edit) {
    const [json, deltas] = await Promise.all([SITE_PATHS.editManifest, SITE_PATHS.editDeltas].map((p) => fetchBytes(at(p))));
    evaluator = await useEdit(loaded.sets.map((s) => s.set), json, deltas);
  }
  // The page draws the images too: it gets copies (the evaluator's sets view these arrays).
  const pageImages = imageValues.slice();
  const pageLabels = labelValues.slice();
  post({ type: 'ready', manifest, images: pageImages, labels: pageLabels, evaluator, loadMs: performance.now() - started, backend: tf.getBackend() }, [pageImages.buffer, pageLabels.buffer]);
}

/** Loads an edit's files onto the model and makes the evaluator over `sets` (this worker's share of their batches). */
async function useEdit(sets: NamedSet['set'][], json: Uint8Array, deltas: Uint8Array): Promise<EvaluatorInfo> {
  const { model, share } = loadedState();
  provideFile(`${EDIT_FOLDER}/edit.json`, json);
  provideFile(`${EDIT_FOLDER}/deltas.bin`, deltas);
  if (current) {
    current.evaluator.dispose();
    current.edit.dispose();
  }
  const edit = loadEdit(EDIT_FOLDER, model);
  const evaluator = await AlphaEvaluator.create(edit, sets, { share });
  current = { edit, evaluator };
  return { cut: evaluator.cut ?? null, linear: evaluator.linearLayer !== undefined, batches: evaluator.batchCount };
}

/** The sets an edit on pick task `task` is evaluated on. */
function taskSets(task: number): NamedSet['set'][] {
  const { manifest, sets } = loadedState();
  return manifest.pick!.tasks[task].sets.map((i) => sets[i].set);
}

/** Runs the edit the user picked on its task's exemplars, as `editlab edit` would, and posts its files to the page. */
async function pickedEdit(request: EditRequest): Promise<void> {
  const { manifest, model, sets, base } = loadedState();
  const pick = manifest.pick;
  if (!pick) throw new Error('editlab explore: this page serves an edit; it runs none itself.');
  const task = pick.tasks[request.task];
  const { images, originals, masks } = task.exemplars;
  const exemplars: EditSet = { ...sets[images].set, originals: originals === null ? undefined : sets[originals].set.images, masks: masks === null ? undefined : sets[masks].set.images };
  let reference: NamedSet['set'] | undefined;
  if (request.method === 'rewrite') {
    const bytes = await fetchBytes(new URL(SITE_PATHS.reference, base));
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    reference = { ...sets[images].set, images: values, n: pick.reference, labels: new Int32Array(pick.reference) };
  }
  const started = performance.now();
  let last = 0;
  const result = await runEdit(model, exemplars, request.method, {
    layer: request.layer, steps: request.steps, learningRate: request.learningRate, seed: pick.seed, reference,
    onStep: (step, total, loss) => {
      // At most ten messages a second, and the last step.
      const now = performance.now();
      if (step === total || now - last > 100) {
        last = now;
        post({ type: 'progress', step, total, loss });
      }
    },
  });
  const { json, deltas } = editFiles(result);
  result.dispose();
  post({ type: 'edited', json, deltas, ms: performance.now() - started }, [deltas.buffer]);
}

self.onmessage = async (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  try {
    if (message.type === 'init') await init(message.base, message.share);
    else if (message.type === 'edit') await pickedEdit(message.request);
    else if (message.type === 'use-edit') post({ type: 'evaluating', evaluator: await useEdit(taskSets(message.task), new TextEncoder().encode(message.json), message.deltas) });
    else if (message.type === 'predict') {
      if (!current) throw new Error('editlab explore: predict before an edit was loaded.');
      const started = performance.now();
      const predicted = current.evaluator.predict(message.alpha, message.part);
      post({ type: 'predictions', alpha: message.alpha, part: message.part, predicted, ms: performance.now() - started }, predicted.map((p) => p.buffer));
    }
  } catch (e) {
    post({ type: 'error', message: (e as Error).message ?? String(e) });
  }
};
