/**
 * The ONNX Runtime graphs of an α sweep, shared by `sweepAlphaOnnx` and the study: a front part
 * that runs once per image batch (whatever does not change with α) and a part run per α. Three
 * ways, best first:
 * - 'linear': the edit changes one layer whose output is linear in α and a cut point (a conv or
 *   dense layer without a fused activation, as in vgg-small), and that layer does at least
 *   {@link LINEAR_MIN_MACS} multiply-adds an output value: it runs once with W₀ and once with W₁
 *   in the front part (with the batch norms after it), and one session runs the layers after it
 *   on (1 − α)·z₀ + α·z₁ for every α (equal to W(α) up to float rounding; z₀, z₁ pass unchanged at α = 0, 1);
 * - 'constant': one session per α with W(α) stored (ONNX Runtime prepacks constant weights into
 *   its blocked NCHWc convolutions);
 * - 'feed': one session, W(α) fed as inputs (for models too big for a session per α).
 * The layers before the first edited one run in the front part in every way (unless `cache` is false).
 */
import type { Edit } from '../edits/edit';
import { exportOnnx, exportOnnxSegments, exportOnnxSplit, type OnnxExport } from '../engine/onnx/export';
import { ALPHA_SESSION_OPTIONS, createOnnxSession, onnxRuntime, type OnnxSessionOptions, type OrtSession } from '../engine/onnx/session';
import { blockTail, firstLayerOwning, linearFirstLayer, validCutPoints } from '../models/surgery';
import type { tf } from '../engine/backend';
import '../engine/onnx';

type OrtTensor = InstanceType<ReturnType<typeof onnxRuntime>['Tensor']>;
/** Named tensors fed to or returned by a session. */
export type OnnxFeeds = Record<string, OrtTensor>;

/** Options of {@link openOnnxAlphaGraphs}. */
export interface OnnxAlphaGraphsOptions extends OnnxSessionOptions {
  /** Run the layers before the first edited layer once per image, not once per α (default true). */
  cache?: boolean;
  /**
   * 'constant': a session per α with W(α) stored; 'feed': one session, W(α) fed as inputs;
   * 'auto' (default): the linear way where the edit allows it, else 'constant' while α count ×
   * model weights stay under 1 GiB, else 'feed'.
   */
  weights?: 'auto' | 'constant' | 'feed';
  /** Allow the linear way (default true; false runs W(α) through the edited layer too). */
  linearize?: boolean;
}

/** An edit's sweep graphs opened at a fixed list of α. */
export interface OnnxAlphaGraphs {
  /** How the per-α part gets W(α) (see the module's doc). */
  way: 'linear' | 'constant' | 'feed';
  /** The α-independent values of a batch of images ([n, h, w, c], tfjs layout). */
  front(images: OrtTensor): Promise<OnnxFeeds>;
  /** The logits of W(alphas[k]) on a batch, from its {@link front} values. */
  logits(k: number, front: OnnxFeeds): Promise<Float32Array>;
  /** Bytes of front values per image (to size the batches held at once). */
  frontBytesPerImage: number;
  /** Releases every session. */
  release(): Promise<void>;
}

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
 * The fewest multiply-adds per output value for which the linear way pays. It replaces the
 * edited layer per α by interpolating its output (two elementwise passes over it) and runs the
 * layer twice up front, so it pays only where the layer is dense in arithmetic. vgg-small, 1 024
 * images, one thread, the two ways alternated: `block3_conv2` (1 152 an output) 29–38 ms an α instead
 * of 129–184 with the front 0.68–0.93 s instead of 0.40–0.56 (1.7× a ten-α sweep);
 * `block2_conv2` (576) even; `block1_conv2` (288) 10–20% slower an α.
 */
export const LINEAR_MIN_MACS = 1024;

/** The edited layer an α sweep takes as linear in α (see the module's doc), or undefined. */
export function linearSweepLayer(edit: Edit): string | undefined {
  const name = edit.changes.length ? linearFirstLayer(edit.model, edit.changes.map((c) => c.index), true) : undefined;
  if (!name) return undefined;
  const layer = edit.model.getLayer(name);
  const kernel = layer.weights.reduce((big, w) => (w.shape.length > big.shape.length ? w : big));
  const outputs = Number((layer.outputShape as number[]).at(-1));
  const size = kernel.shape.reduce<number>((p, d) => p * (d ?? 1), 1);
  return size / outputs >= LINEAR_MIN_MACS ? name : undefined;
}

/**
 * The last layer of `layer`'s block whose output is still affine in `layer`'s output: the batch
 * norms right after it (inference mode: per-channel scale and shift), so the interpolation of two
 * outputs passes through them; `layer` itself when none follows.
 */
function affineEnd(model: tf.LayersModel, layer: string): string {
  const cuts = new Set(validCutPoints(model));
  let end = layer;
  for (const next of blockTail(model, layer)) {
    if (next.getClassName() !== 'BatchNormalization' || !cuts.has(next.name)) break;
    end = next.name;
  }
  return end;
}

const bytesPerImage = (dims: readonly (number | null)[]) => dims.slice(1).reduce<number>((p, d) => p * (d ?? 1), 4);

/**
 * Opens the ONNX Runtime sessions of an edit's α sweep (see the module's doc). Release them when done.
 * @example const g = await openOnnxAlphaGraphs(edit, [0, 0.5, 1]); const logits = await g.logits(1, await g.front(x)); await g.release();
 */
export async function openOnnxAlphaGraphs(edit: Edit, alphas: readonly number[], options: OnnxAlphaGraphsOptions = {}): Promise<OnnxAlphaGraphs> {
  const ort = onnxRuntime();
  const model = edit.model;
  const mode = options.weights ?? 'auto';
  if (!['auto', 'constant', 'feed'].includes(mode)) throw new Error(`editlab: weights must be auto, constant or feed, got "${mode}".`);
  const indices = edit.changes.map((c) => c.index);
  const original = edit.changes.map((c) => Float32Array.from(c.original.dataSync() as Float32Array));
  const edited = edit.changes.map((c) => Float32Array.from(c.edited.dataSync() as Float32Array));
  const valuesAt = (alpha: number) => new Map(indices.map((index, j) => [index, interpolateWeights(original[j], edited[j], alpha)]));
  const cache = options.cache !== false;
  const linear = cache && options.linearize !== false && mode === 'auto' ? linearSweepLayer(edit) : undefined;
  const modelBytes = model.weights.reduce((n, w) => n + 4 * w.shape.reduce<number>((p, d) => p * (d ?? 1), 1), 0);
  const way = linear ? 'linear' : mode === 'constant' || (mode === 'auto' && alphas.length * modelBytes <= 2 ** 30) ? 'constant' : 'feed';
  const exportOptions = { operators: 'onnxruntime' } as const;
  const sessions: OrtSession[] = [];
  const open = async (graph: OnnxExport) => {
    const s = await createOnnxSession(graph.bytes, { ...ALPHA_SESSION_OPTIONS, ...options });
    sessions.push(s);
    return s;
  };
  const outputOf = async (session: OrtSession, graph: OnnxExport, feeds: OnnxFeeds) => (await session.run(feeds, [graph.outputs[0].name]))[graph.outputs[0].name].data as Float32Array;
  const release = async () => { await Promise.all(sessions.map((s) => s.release())); };
  try {
    if (way === 'linear') {
      // Segments: [the layers before ℓ] → ℓ and the batch norms after it → [the rest]; the middle
      // one exported with W₀ and with W₁, the rest reading (1 − α)·z₀ + α·z₁.
      const after = model.layers[model.layers.findIndex((l) => l.name === affineEnd(model, linear!)) + 1].name;
      const cuts = sweepCutPoint(edit) ? [linear!, after] : [after];
      // Every changed weight is ℓ's, so only the middle segment differs between the two exports.
      const segments = exportOnnxSegments(model, cuts, { ...exportOptions, weightValues: valuesAt(0), interpolateLast: true }).segments;
      const middle0 = segments[cuts.length - 1];
      const middle1 = exportOnnxSegments(model, cuts, { ...exportOptions, weightValues: valuesAt(1) }).segments[cuts.length - 1];
      const before = cuts.length === 2 ? { graph: segments[0], session: await open(segments[0]) } : undefined;
      const [run0, run1] = [await open(middle0), await open(middle1)];
      const rest = segments[cuts.length];
      const session = await open(rest);
      const cut = middle0.outputs[0].name;
      const alphaFeeds = alphas.map((alpha) => new ort.Tensor('float32', Float32Array.of(alpha), [1]));
      return {
        way,
        async front(images) {
          const x = before ? await before.session.run({ [before.graph.inputs[0].name]: images }) as OnnxFeeds : { [middle0.inputs[0].name]: images };
          return { [`${cut}@0`]: (await run0.run(x))[cut], [`${cut}@1`]: (await run1.run(x))[cut] } as OnnxFeeds;
        },
        logits: (k, front) => outputOf(session, rest, { ...front, alpha: alphaFeeds[k] }),
        frontBytesPerImage: 2 * bytesPerImage(middle0.outputs[0].dims),
        release,
      };
    }
    const cutAt = cache ? sweepCutPoint(edit) : undefined;
    const exportAt = (more: { weightInputs?: number[]; weightValues?: Map<number, Float32Array> }) => {
      const split = cutAt ? exportOnnxSplit(model, cutAt, { ...exportOptions, ...more }) : undefined;
      return { prefix: split?.prefix, main: split ? split.suffix : exportOnnx(model, { ...exportOptions, ...more }) };
    };
    const graphs = exportAt(way === 'feed' ? { weightInputs: indices } : {});
    const prefix = graphs.prefix ? { graph: graphs.prefix, session: await open(graphs.prefix) } : undefined;
    const main = graphs.main;
    const perAlpha: OrtSession[] = [];
    if (way === 'constant') for (const alpha of alphas) perAlpha.push(await open(exportAt({ weightValues: valuesAt(alpha) }).main));
    const fed = way === 'feed' ? await open(main) : undefined;
    // W(α) as feeds, made per α when used (kept when they fit in 512 MiB).
    const feedBytes = main.weightInputs.reduce((n, w) => n + w.shape.reduce((p, d) => p * d, 4), 0);
    const kept = new Map<number, OnnxFeeds>();
    const weightFeeds = (k: number): OnnxFeeds => {
      const hit = kept.get(k);
      if (hit) return hit;
      const feeds: OnnxFeeds = {};
      for (const w of main.weightInputs) {
        const j = indices.indexOf(w.index);
        feeds[w.name] = new ort.Tensor('float32', interpolateWeights(original[j], edited[j], alphas[k]), w.shape);
      }
      if (feedBytes * alphas.length <= 512 * 2 ** 20) kept.set(k, feeds);
      return feeds;
    };
    return {
      way,
      front: async (images) => (prefix ? await prefix.session.run({ [prefix.graph.inputs[0].name]: images }) as OnnxFeeds : { [main.inputs[0].name]: images }),
      logits: (k, front) => (fed ? outputOf(fed, main, { ...front, ...weightFeeds(k) }) : outputOf(perAlpha[k], main, front)),
      frontBytesPerImage: prefix ? prefix.graph.outputs.reduce((n, o) => n + bytesPerImage(o.dims), 0) : bytesPerImage(main.inputs[0].dims),
      release,
    };
  } catch (e) {
    await release();
    throw e;
  }
}
