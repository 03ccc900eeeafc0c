/**
 * The α sweep on ONNX Runtime. The layers before the first edited one run once per image
 * (their activations are cached, chunk by chunk); only the rest runs per α, either as one
 * graph with the edited weights as inputs (W(α) fed per α) or as one session per α with W(α)
 * stored (faster: ONNX Runtime prepacks constant weights into its blocked NCHWc convolutions).
 * Same rows as `sweepAlpha` (src/sweep/interpolate.ts).
 */
import type { tf } from '../engine/backend';
import type { ImageSet } from '../data/image-set';
import type { Edit } from '../edits/edit';
import { progressFor, type ProgressOption } from '../engine/progress';
import { accuracyFromCounts } from '../metrics/accuracy';
import { exportOnnx, exportOnnxSplit, type OnnxExport } from '../engine/onnx/export';
import { ALPHA_SESSION_OPTIONS, createOnnxSession, onnxRuntime, type OnnxSessionOptions, type OrtSession } from '../engine/onnx/session';
import { firstLayerOwning } from '../models/surgery';
import { argmax } from './evaluate';
import '../engine/onnx';

/** One tidy result row of a sweep. */
export interface SweepRow {
  [key: string]: string | number;
  method: string;
  layer: string;
  alpha: number;
  split: string;
  accuracy: number;
  n: number;
  ci_lo: number;
  ci_hi: number;
}

/** Options of `sweepAlpha` (src/sweep) and of {@link sweepAlphaOnnx}. */
export interface SweepOptions {
  /** α values (default 0, 0.25, 0.5, 0.75, 1). */
  alphas?: number[];
  /** Called after each (α, split) cell. */
  onCell?: (done: number, total: number, row: SweepRow) => void;
  /**
   * 'onnx': evaluate on ONNX Runtime (sweepAlphaOnnx: the layers before the edit run once);
   * 'tfjs': on the tfjs backend; 'auto' (default): ONNX Runtime when it loads and the model exports.
   */
  engine?: 'auto' | 'onnx' | 'tfjs';
  /** A progress bar in images evaluated (`true`, or its label); see {@link ProgressOption}. Default none. */
  progress?: ProgressOption;
}

/** Images a sweep evaluates: every split at every α (what its progress bar counts). */
export function sweepImages(splits: Record<string, ImageSet>, alphas: readonly number[]): number {
  return alphas.length * Object.values(splits).reduce((n, s) => n + s.n, 0);
}

/** Options of {@link sweepAlphaOnnx}. */
export interface OnnxSweepOptions extends SweepOptions, OnnxSessionOptions {
  /** Images per inference call (default 256). */
  batchSize?: number;
  /** Run the layers before the first edited layer once per image, not once per α (default true). */
  cache?: boolean;
  /** Most bytes of cached activations held at once (default 256 MiB); larger splits go in chunks. */
  cacheBytes?: number;
  /**
   * 'constant': one session per α with W(α) stored; 'feed': one session, W(α) fed as inputs;
   * 'auto' (default): 'constant' while α count × model weights stay under 1 GiB.
   */
  weights?: 'auto' | 'constant' | 'feed';
}

type OrtTensor = InstanceType<ReturnType<typeof onnxRuntime>['Tensor']>;

/** W(α) = W₀ + α·(W₁ − W₀) in float32, rounded as tfjs rounds `Edit.weightsAt`. */
export function interpolateWeights(original: Float32Array, edited: Float32Array, alpha: number): Float32Array {
  const out = new Float32Array(original.length);
  const a = Math.fround(alpha);
  for (let i = 0; i < out.length; i++) out[i] = original[i] + Math.fround(Math.fround(edited[i] - original[i]) * a);
  return out;
}

/**
 * Where an α sweep cuts the model: the first edited top-level layer, when some layer is computed
 * before it (everything before the cut is the same at every α); undefined when nothing is.
 */
export function sweepCutPoint(edit: Edit): string | undefined {
  const model = edit.model;
  if (!edit.changes.length) return undefined;
  const first = firstLayerOwning(model, edit.changes.map((c) => c.index));
  const firstComputed = model.layers.findIndex((l) => l.getClassName() !== 'InputLayer');
  return first > firstComputed ? model.layers[first].name : undefined;
}

/**
 * Evaluates W(α) of an edit on named splits for every α on ONNX Runtime. Returns the rows
 * `sweepAlpha` returns (α-major, splits in the given order); `onCell` is called as cells
 * finish, which is split by split here.
 */
export async function sweepAlphaOnnx(edit: Edit, splits: Record<string, ImageSet>, options: OnnxSweepOptions = {}): Promise<SweepRow[]> {
  const ort = onnxRuntime();
  const alphas = options.alphas ?? [0, 0.25, 0.5, 0.75, 1];
  for (const a of alphas) if (!Number.isFinite(a) || a < 0) throw new Error(`editlab: α must be a finite number ≥ 0 (0 = original, 1 = edited, > 1 extrapolates), got ${a}.`);
  const batchSize = options.batchSize ?? 256;
  const names = Object.keys(splits);
  const model = edit.model;
  const indices = edit.changes.map((c) => c.index);
  const original = edit.changes.map((c) => Float32Array.from(c.original.dataSync() as Float32Array));
  const edited = edit.changes.map((c) => Float32Array.from(c.edited.dataSync() as Float32Array));

  // Export: cut before the first edited layer when something comes before it.
  const cutAt = options.cache !== false ? sweepCutPoint(edit) : undefined;
  const modelBytes = model.weights.reduce((n, w) => n + 4 * w.shape.reduce<number>((p, d) => p * (d ?? 1), 1), 0);
  const mode = options.weights ?? 'auto';
  if (!['auto', 'constant', 'feed'].includes(mode)) throw new Error(`editlab: weights must be auto, constant or feed, got "${mode}".`);
  const constant = mode === 'constant' || (mode === 'auto' && alphas.length * modelBytes <= 2 ** 30);
  const exportAt = (options_: { weightInputs?: number[]; weightValues?: Map<number, Float32Array> }) =>
    (cutAt ? exportOnnxSplit(model, cutAt, { ...options_, operators: 'onnxruntime' }) : undefined);
  const split = exportAt(constant ? {} : { weightInputs: indices });
  const main: OnnxExport = split ? split.suffix : exportOnnx(model, { weightInputs: constant ? [] : indices, operators: 'onnxruntime' });
  const sessions: OrtSession[] = [];
  const bar = progressFor(options.progress, sweepImages(splits, alphas), 'sweep α', 'img');
  const open = async (bytes: Uint8Array) => { const s = await createOnnxSession(bytes, { ...ALPHA_SESSION_OPTIONS, ...options }); sessions.push(s); return s; };
  try {
    const prefix = split ? await open(split.prefix.bytes) : undefined;
    const output = main.outputs[0].name;
    const wAt = (k: number) => new Map(edit.changes.map((c, j) => [c.index, interpolateWeights(original[j], edited[j], alphas[k])]));
    // 'constant': a session per α with W(α) stored; 'feed': one session, W(α) fed per α.
    const perAlpha: OrtSession[] = [];
    if (constant) {
      for (let k = 0; k < alphas.length; k++) {
        const values = wAt(k);
        const graph = split ? exportAt({ weightValues: values })!.suffix : exportOnnx(model, { weightValues: values, operators: 'onnxruntime' });
        perAlpha.push(await open(graph.bytes));
      }
    }
    const session = constant ? undefined : await open(main.bytes);

    // W(α) feeds, per α (kept when they fit in 512 MiB, else made per use).
    const feedBytes = main.weightInputs.reduce((n, w) => n + w.shape.reduce((p, d) => p * d, 4), 0);
    const keep = feedBytes * alphas.length <= 512 * 2 ** 20;
    const cachedFeeds = new Map<number, Record<string, OrtTensor>>();
    const feedsAt = (k: number): Record<string, OrtTensor> => {
      const hit = cachedFeeds.get(k);
      if (hit) return hit;
      const feeds: Record<string, OrtTensor> = {};
      for (const w of main.weightInputs) {
        const j = indices.indexOf(w.index);
        feeds[w.name] = new ort.Tensor('float32', interpolateWeights(original[j], edited[j], alphas[k]), w.shape);
      }
      if (keep) cachedFeeds.set(k, feeds);
      return feeds;
    };

    const correct = alphas.map(() => names.map(() => 0));
    const total = alphas.length * names.length;
    let done = 0;
    const rows: SweepRow[][] = alphas.map(() => []);
    const row = (k: number, s: number, n: number): SweepRow => {
      const acc = accuracyFromCounts(correct[k][s], n);
      return { method: edit.method, layer: edit.layers.join('+'), alpha: alphas[k], split: names[s], accuracy: acc.accuracy, n: acc.n, ci_lo: acc.ci[0], ci_hi: acc.ci[1] };
    };

    for (let s = 0; s < names.length; s++) {
      const set = splits[names[s]];
      const size = set.height * set.width * set.channels;
      const want = model.inputs[0].shape.slice(1);
      if (want.some((d, i) => d !== null && d !== [set.height, set.width, set.channels][i])) {
        throw new Error(`editlab: model "${model.name}" expects [batch, ${want.join(', ')}] inputs, but split "${names[s]}" has ${set.height}×${set.width}×${set.channels} images.`);
      }
      // Chunk: as many batches as the cached activations allow.
      let perImage = size * 4;
      if (split) perImage = split.cut.reduce((n, c) => n + c.dims.slice(1).reduce<number>((p, d) => p * (d ?? 1), 4), 0);
      const chunk = Math.max(batchSize, Math.floor((options.cacheBytes ?? 256 * 2 ** 20) / perImage / batchSize) * batchSize);
      for (let c0 = 0; c0 < set.n; c0 += chunk) {
        const c1 = Math.min(set.n, c0 + chunk);
        // The α-independent inputs of each batch: the images, or the cached prefix outputs.
        const batches: { feeds: Record<string, OrtTensor>; labels: Int32Array }[] = [];
        for (let b0 = c0; b0 < c1; b0 += batchSize) {
          const n = Math.min(batchSize, c1 - b0);
          const x = new ort.Tensor('float32', set.images.subarray(b0 * size, (b0 + n) * size), [n, set.height, set.width, set.channels]);
          const feeds: Record<string, OrtTensor> = prefix
            ? (await prefix.run({ [split!.prefix.inputs[0].name]: x }) as Record<string, OrtTensor>)
            : { [main.inputs[0].name]: x };
          batches.push({ feeds, labels: set.labels.subarray(b0, b0 + n) });
        }
        for (let k = 0; k < alphas.length; k++) {
          const weights = constant ? {} : feedsAt(k);
          const run = constant ? perAlpha[k] : session!;
          for (const b of batches) {
            const out = await run.run({ ...b.feeds, ...weights }, [output]);
            const logits = out[output].data as Float32Array;
            const predicted = argmax(logits, logits.length / b.labels.length);
            let ok = 0;
            for (let i = 0; i < predicted.length; i++) if (predicted[i] === b.labels[i]) ok++;
            correct[k][s] += ok;
            bar.tick(b.labels.length);
          }
        }
      }
      for (let k = 0; k < alphas.length; k++) {
        const r = row(k, s, set.n);
        rows[k].push(r);
        options.onCell?.(++done, total, r);
      }
    }
    return rows.flat();
  } finally {
    bar.done();
    await Promise.all(sessions.map((s) => s.release()));
  }
}

