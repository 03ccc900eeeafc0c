/**
 * The evaluator: per-example predictions and logits of a model on a dataset, in batches, on
 * ONNX Runtime (fast) or tfjs. Takes a tfjs model (or `edit.at(α)`, a promise of one), an
 * {@link OnnxModel}, or an ONNX file / bytes from elsewhere.
 */
import { tf } from '../engine/backend';
import type { ImageSet } from '../data/image-set';
import { accuracyFromCounts, type Accuracy } from '../metrics/accuracy';
import { onnxRuntimeAvailable, onnxRuntimeError } from '../engine/onnx/session';
import { OnnxModel, type OnnxModelOptions } from './onnx-model';
import { progressFor, type ProgressOption } from '../engine/progress';

/** Where inference runs: 'auto' = ONNX Runtime when present (and the model exports), else tfjs. */
export type EvaluationEngine = 'auto' | 'onnx' | 'tfjs';

/** What can be evaluated: a tfjs model, an ONNX model, a .onnx file path, or ONNX bytes. */
export type Evaluable = tf.LayersModel | OnnxModel | string | Uint8Array;

/** A dataset, whole or as a stream of chunks (e.g. read from disk). */
export type EvaluationData = ImageSet | Iterable<ImageSet> | AsyncIterable<ImageSet>;

/** Options of {@link evaluate}. */
export interface EvaluateOptions extends OnnxModelOptions {
  /** 'auto' (default; EDITLAB_ENGINE overrides it), 'onnx' or 'tfjs'. */
  engine?: EvaluationEngine;
  /** Images per inference call (default 256). */
  batchSize?: number;
  /** Keep the logits in the result (default true). */
  logits?: boolean;
  /**
   * Take the argmax over these output indices only (e.g. the 200 ImageNet-R/-A classes of a
   * 1000-way model); predictions stay indices of the full output. Labels are then positions in
   * the subset (as `openImageNetSubset` gives them): an example is right when its prediction is
   * `classSubset[label]`.
   */
  classSubset?: readonly number[];
  /** Called with every batch as it is done (streaming). */
  onBatch?: (batch: EvaluatedBatch) => void | Promise<void>;
  /** A progress bar in images (`true`, or its label); see {@link ProgressOption}. Default none. */
  progress?: ProgressOption;
}

/** One evaluated batch. */
export interface EvaluatedBatch {
  /** Index of its first example in the whole stream. */
  start: number;
  count: number;
  predicted: Int32Array;
  /** count × classes. */
  logits: Float32Array;
  classes: number;
  labels: Int32Array;
}

/** The result of {@link evaluate}. */
export interface Evaluation {
  /** The engine that ran, and why. */
  engine: 'onnx' | 'tfjs';
  reason: string;
  /** Threads of the ONNX Runtime session (1 for tfjs, whose backend decides). */
  threads: number;
  n: number;
  classes: number;
  /** Predicted class per example. */
  predicted: Int32Array;
  /** n × classes (unless `logits: false`). */
  logits?: Float32Array;
  labels: Int32Array;
  /** Accuracy against the labels, with its 95% Clopper–Pearson interval (undefined when n = 0). */
  accuracy?: Accuracy;
  /** Inference wall time. */
  seconds: number;
  imagesPerSecond: number;
}

/** An opened model: runs batches of NHWC images. */
export interface Evaluator {
  engine: 'onnx' | 'tfjs';
  reason: string;
  threads: number;
  run(images: Float32Array, count: number, height: number, width: number, channels: number): Promise<{ logits: Float32Array; classes: number }>;
  close(): Promise<void>;
}

const isLayersModel = (m: unknown): m is tf.LayersModel => m instanceof tf.LayersModel;

/**
 * The engine to use for a request: `engine` (default 'auto'), with EDITLAB_ENGINE deciding what
 * 'auto' means; an unknown name from either fails, naming where it came from.
 */
export function requestedEngine(engine: EvaluationEngine | undefined): { engine: EvaluationEngine; why: string } {
  const asked = engine ?? 'auto';
  if (!['auto', 'onnx', 'tfjs'].includes(asked)) throw new Error(`editlab: unknown engine "${asked}"; expected auto, onnx or tfjs.`);
  const env = process.env.EDITLAB_ENGINE;
  if (asked === 'auto' && env) {
    if (!['auto', 'onnx', 'tfjs'].includes(env)) throw new Error(`editlab: unknown engine "${env}" (from EDITLAB_ENGINE); expected auto, onnx or tfjs.`);
    return { engine: env as EvaluationEngine, why: `EDITLAB_ENGINE=${env}` };
  }
  return { engine: asked, why: asked === 'auto' ? 'auto' : 'requested' };
}

function tfjsEvaluator(model: tf.LayersModel, reason: string): Evaluator {
  const want = model.inputs[0].shape.slice(1);
  return {
    engine: 'tfjs',
    reason,
    threads: 1,
    async run(images, count, height, width, channels) {
      const have = [height, width, channels];
      if (want.length !== 3 || want.some((d, i) => d !== null && d !== have[i])) {
        throw new Error(`editlab: model "${model.name}" expects input of shape [batch, ${want.map((d) => d ?? '?').join(', ')}], but the dataset has ${height}×${width}×${channels} images.`);
      }
      return tf.tidy(() => {
        const x = tf.tensor4d(images, [count, height, width, channels]);
        const y = model.predict(x, { batchSize: count }) as tf.Tensor;
        const logits = y.dataSync() as Float32Array;
        return { logits: Float32Array.from(logits), classes: logits.length / count };
      });
    },
    async close() {},
  };
}

function onnxEvaluator(model: OnnxModel, reason: string, owned: boolean): Evaluator {
  return {
    engine: 'onnx',
    reason,
    threads: model.threads,
    run: (images, count, height, width, channels) => model.run(images, count, height, width, channels),
    close: async () => { if (owned) await model.release(); },
  };
}

/**
 * Opens a model for evaluation on the requested engine. With 'auto', a tfjs model runs on
 * ONNX Runtime when onnxruntime-node loads and every layer exports, else on tfjs (the reason
 * says why); ONNX models always run on ONNX Runtime.
 */
export async function openEvaluator(source: Evaluable | Promise<Evaluable>, options: EvaluateOptions = {}): Promise<Evaluator> {
  const model = await source;
  const { engine, why } = requestedEngine(options.engine);
  if (!isLayersModel(model)) {
    if (engine === 'tfjs') throw new Error('editlab: an ONNX model runs on ONNX Runtime only; use engine "onnx" or "auto".');
    if (model instanceof OnnxModel) return onnxEvaluator(model, `${why}: an ONNX model`, false);
    if (typeof model === 'string' || model instanceof Uint8Array) return onnxEvaluator(await OnnxModel.load(model, options), `${why}: an ONNX model`, true);
    throw new Error(`editlab: cannot evaluate ${Object.prototype.toString.call(model)}; expected a tfjs LayersModel, an OnnxModel, a .onnx path or ONNX bytes.`);
  }
  if (engine === 'tfjs') return tfjsEvaluator(model, why);
  if (engine === 'onnx') return onnxEvaluator(await OnnxModel.fromLayers(model, options), why, true);
  if (!onnxRuntimeAvailable()) return tfjsEvaluator(model, `${why}: ONNX Runtime is not available (${onnxRuntimeError()})`);
  try {
    return onnxEvaluator(await OnnxModel.fromLayers(model, options), `${why}: ONNX Runtime is available`, true);
  } catch (e) {
    const message = (e as Error).message;
    if (!message.startsWith('editlab onnx:')) throw e;
    return tfjsEvaluator(model, `${why}: the model does not export to ONNX (${message.replace(/^editlab onnx: /, '')})`);
  }
}

function isImageSet(d: unknown): d is ImageSet {
  return typeof d === 'object' && d !== null && (d as ImageSet).images instanceof Float32Array && (d as ImageSet).labels instanceof Int32Array;
}

async function* chunks(data: EvaluationData): AsyncGenerator<ImageSet> {
  if (isImageSet(data)) {
    yield data;
    return;
  }
  if (data && (Symbol.asyncIterator in (data as object) || Symbol.iterator in (data as object))) {
    for await (const chunk of data as AsyncIterable<ImageSet>) {
      if (!isImageSet(chunk)) throw new Error('editlab: a dataset stream must yield ImageSets (images: Float32Array NHWC in [0, 1], labels: Int32Array).');
      yield chunk;
    }
    return;
  }
  throw new Error('editlab: evaluate needs an ImageSet or an (async) iterable of ImageSets.');
}

/** Argmax per example over all classes, or over `subset` only. */
export function argmax(logits: Float32Array, classes: number, subset?: readonly number[]): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  if (subset) {
    for (const k of subset) if (!(Number.isInteger(k) && k >= 0 && k < classes)) throw new Error(`editlab: classSubset index ${k} outside 0..${classes - 1}.`);
  }
  for (let i = 0; i < n; i++) {
    const row = i * classes;
    let best = -1, bestValue = -Infinity;
    if (subset) {
      for (const k of subset) if (logits[row + k] > bestValue || best < 0) { best = k; bestValue = logits[row + k]; }
    } else {
      for (let k = 0; k < classes; k++) if (logits[row + k] > bestValue || best < 0) { best = k; bestValue = logits[row + k]; }
    }
    out[i] = best;
  }
  return out;
}

/**
 * Evaluates batch by batch, yielding each batch's predictions and logits as soon as it is
 * done: memory stays bounded by one batch (plus what the caller keeps).
 */
export async function* evaluateBatches(source: Evaluable | Promise<Evaluable>, data: EvaluationData, options: EvaluateOptions = {}): AsyncGenerator<EvaluatedBatch, void, undefined> {
  const evaluator = await openEvaluator(source, options);
  try {
    yield* runBatches(evaluator, data, options);
  } finally {
    await evaluator.close();
  }
}

async function* runBatches(evaluator: Evaluator, data: EvaluationData, options: EvaluateOptions): AsyncGenerator<EvaluatedBatch, void, undefined> {
  const batchSize = options.batchSize ?? 256;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`editlab: batchSize must be a positive integer, got ${batchSize}.`);
  let start = 0;
  for await (const set of chunks(data)) {
    const size = set.height * set.width * set.channels;
    if (set.images.length !== set.n * size || set.labels.length !== set.n) {
      throw new Error(`editlab: malformed ImageSet: ${set.images.length} values and ${set.labels.length} labels for ${set.n} images of ${set.height}×${set.width}×${set.channels}.`);
    }
    for (let i = 0; i < set.n; i += batchSize) {
      const count = Math.min(batchSize, set.n - i);
      const { logits, classes } = await evaluator.run(set.images.subarray(i * size, (i + count) * size), count, set.height, set.width, set.channels);
      const batch: EvaluatedBatch = { start, count, predicted: argmax(logits, classes, options.classSubset), logits, classes, labels: set.labels.subarray(i, i + count) };
      await options.onBatch?.(batch);
      yield batch;
      start += count;
    }
  }
}

/**
 * Per-example predictions and logits of `source` on `data` (see {@link EvaluateOptions}).
 *
 * ```ts
 * const r = await evaluate(await edit.at(0.5), testSet, { engine: 'onnx', threads: 1 });
 * r.accuracy?.accuracy; r.predicted; r.logits;
 * ```
 */
export async function evaluate(source: Evaluable | Promise<Evaluable>, data: EvaluationData, options: EvaluateOptions = {}): Promise<Evaluation> {
  const evaluator = await openEvaluator(source, options);
  try {
    return await evaluateWith(evaluator, data, options);
  } finally {
    await evaluator.close();
  }
}

/**
 * {@link evaluate} on an evaluator that is already open (see {@link openEvaluator}): scores many
 * datasets with one export and one ONNX Runtime session. The caller closes it.
 */
export async function evaluateWith(evaluator: Evaluator, data: EvaluationData, options: EvaluateOptions = {}): Promise<Evaluation> {
  const predicted: Int32Array[] = [], logits: Float32Array[] = [], labels: Int32Array[] = [];
  let n = 0, classes = 0, seconds = 0;
  const bar = progressFor(options.progress, isImageSet(data) ? data.n : 0, 'evaluate', 'img');
  let t = performance.now();
  for await (const b of runBatches(evaluator, data, options)) {
    seconds += (performance.now() - t) / 1000;
    bar.tick(b.count);
    predicted.push(b.predicted);
    labels.push(b.labels);
    if (options.logits !== false) logits.push(b.logits);
    if (classes && b.classes !== classes) throw new Error(`editlab: the model gave ${b.classes} outputs per example after ${classes}.`);
    classes = b.classes;
    n += b.count;
    t = performance.now();
  }
  bar.done();
  const all = { predicted: cat(Int32Array, predicted, n), labels: cat(Int32Array, labels, n) };
  let correct = 0;
  const expected = (label: number) => (options.classSubset ? options.classSubset[label] : label);
  for (let i = 0; i < n; i++) if (all.predicted[i] === expected(all.labels[i])) correct++;
  return {
    engine: evaluator.engine,
    reason: evaluator.reason,
    threads: evaluator.threads,
    n,
    classes,
    predicted: all.predicted,
    logits: options.logits === false ? undefined : cat(Float32Array, logits, n * classes),
    labels: all.labels,
    accuracy: n > 0 ? accuracyFromCounts(correct, n) : undefined,
    seconds,
    imagesPerSecond: seconds > 0 ? n / seconds : 0,
  };
}

function cat<T extends Int32Array | Float32Array>(Type: { new(n: number): T }, parts: T[], length: number): T {
  const out = new Type(length);
  let o = 0;
  for (const p of parts) { out.set(p as never, o); o += p.length; }
  return out;
}
