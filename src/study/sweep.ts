/**
 * Per-example predictions of an edit along α, for a job's cells and their correctness bitsets.
 * On ONNX Runtime, over the same graphs as `sweepAlphaOnnx` (evaluate/alpha-graphs: what does
 * not change with α runs once per batch); that sweep returns counts, and a study needs which
 * examples each cell got right (paired statistics), hence this variant. Without ONNX Runtime
 * (or a model that does not export) it runs W(α) on the tfjs backend.
 */
import type { ImageSet } from '../data/image-set';
import type { Edit } from '../edits/edit';
import { cloneModel } from '../models/clone';
import { predict } from '../engine/predict';
import type { tf } from '../engine/backend';
import { argmax, evaluateWith, openEvaluator, requestedEngine, type Evaluator } from '../evaluate/evaluate';
import { openOnnxAlphaGraphs, type OnnxAlphaGraphsOptions } from '../evaluate/alpha-graphs';
import { onnxRuntime, onnxRuntimeAvailable } from '../engine/onnx/session';

/** Options of {@link openAlphaPredictions}. */
export interface AlphaPredictionsOptions extends OnnxAlphaGraphsOptions {
  /** 'auto' (default; EDITLAB_ENGINE overrides it): ONNX Runtime when it loads and the model exports, else tfjs. */
  engine?: 'auto' | 'onnx' | 'tfjs';
  /** Images per inference call (default on ONNX Runtime {@link SWEEP_BATCH_SIZE}, on tfjs `predict`'s). */
  batchSize?: number;
}

/**
 * Images per inference call of a sweep on ONNX Runtime: on one thread, batches of 32–64 ran an early-layer sweep of
 * 1 024 images over 10 α 10–22% faster than batches of 256 (vgg-small, resnet-small, vit-tiny; the
 * activations of a smaller batch stay in cache), and 8–16 no faster than 64.
 */
export const SWEEP_BATCH_SIZE = 64;

/** An edit opened for prediction at a fixed list of α. */
export interface AlphaPredictions {
  engine: 'onnx' | 'tfjs';
  /**
   * Predicted labels of W(α) on a set, one array per α (in the order given when opened).
   * @param onImages called with the images done after each batch (counted once per α)
   */
  predict(set: ImageSet, onImages?: (count: number) => void): Promise<Int32Array[]>;
  /** Releases the sessions or the model copy. */
  close(): Promise<void>;
}

async function onnxPredictions(edit: Edit, alphas: readonly number[], options: AlphaPredictionsOptions): Promise<AlphaPredictions> {
  const ort = onnxRuntime();
  const batchSize = options.batchSize ?? SWEEP_BATCH_SIZE;
  const graphs = await openOnnxAlphaGraphs(edit, alphas, options);
  return {
    engine: 'onnx',
    async predict(set, onImages) {
      const size = set.height * set.width * set.channels;
      const out = alphas.map(() => new Int32Array(set.n));
      for (let start = 0; start < set.n; start += batchSize) {
        const count = Math.min(batchSize, set.n - start);
        const x = new ort.Tensor('float32', set.images.subarray(start * size, (start + count) * size), [count, set.height, set.width, set.channels]);
        // The α-independent part once per batch; its values feed every α.
        const front = await graphs.front(x);
        for (let k = 0; k < alphas.length; k++) {
          const logits = await graphs.logits(k, front);
          out[k].set(argmax(logits, logits.length / count), start);
          onImages?.(count);
        }
      }
      return out;
    },
    close: () => graphs.release(),
  };
}

async function tfjsPredictions(edit: Edit, alphas: readonly number[], options: AlphaPredictionsOptions): Promise<AlphaPredictions> {
  const copy = await cloneModel(edit.model);
  return {
    engine: 'tfjs',
    async predict(set, onImages) {
      return alphas.map((alpha) => {
        edit.applyTo(copy, alpha);
        return predict(copy, set, { batchSize: options.batchSize, onBatch: onImages }).predicted;
      });
    },
    close: async () => { copy.dispose(); },
  };
}

/**
 * Opens an edit for per-example prediction at each α: ONNX Runtime with the prefix computed
 * once per batch, or tfjs (engine 'tfjs', or 'auto' when ONNX Runtime is missing or the model
 * does not export). Close it when done.
 * @example const p = await openAlphaPredictions(edit, [0, 0.5, 1]); const [at0, atHalf, at1] = await p.predict(set); await p.close();
 */
export async function openAlphaPredictions(edit: Edit, alphas: readonly number[], options: AlphaPredictionsOptions = {}): Promise<AlphaPredictions> {
  for (const a of alphas) if (!Number.isFinite(a) || a < 0) throw new Error(`editlab: α must be a finite number ≥ 0 (0 = original, 1 = edited, > 1 extrapolates), got ${a}.`);
  const { engine } = requestedEngine(options.engine);
  if (engine === 'tfjs' || (engine === 'auto' && !onnxRuntimeAvailable())) return tfjsPredictions(edit, alphas, options);
  try {
    return await onnxPredictions(edit, alphas, options);
  } catch (e) {
    // A model that does not export fails before any prediction; 'auto' falls back to tfjs.
    if (engine === 'onnx' || !(e as Error).message.startsWith('editlab onnx:')) throw e;
    return tfjsPredictions(edit, alphas, options);
  }
}

/**
 * The original model's predictions per set: α = 0 of every edit of the model, computed once and
 * shared by all its jobs (one in eleven evaluations of a study with α = 0, 0.1, …, 1). Always the
 * whole unsplit model, so every job gets the same α = 0 cells whichever job computed them first
 * (a job's own split export could round a near-tie the other way).
 */
export class OriginalPredictions {
  private evaluator?: Promise<Evaluator>;
  private readonly cache = new Map<string, Int32Array>();
  /** The engine that ran, once something was predicted. */
  engine?: 'onnx' | 'tfjs';

  /** @param model the original model (not owned) */
  constructor(readonly model: tf.LayersModel, private readonly options: Pick<AlphaPredictionsOptions, 'engine' | 'threads' | 'spinning' | 'batchSize'> = {}) {}

  /**
   * Predicted labels of the original model on `set`, whose digest (`imageSetDigest`) is the cache key.
   * @param onImages called with the images done (all at once when cached)
   */
  async predict(set: ImageSet, digest: string, onImages?: (count: number) => void): Promise<Int32Array> {
    let predicted = this.cache.get(digest);
    if (!predicted) {
      this.evaluator ??= openEvaluator(this.model, { engine: this.options.engine, threads: this.options.threads, spinning: this.options.spinning });
      const result = await evaluateWith(await this.evaluator, set, { batchSize: this.options.batchSize ?? SWEEP_BATCH_SIZE, logits: false });
      this.engine = result.engine;
      predicted = result.predicted;
      this.cache.set(digest, predicted);
    }
    onImages?.(set.n);
    return predicted;
  }

  /** Releases the session (the model stays the caller's). */
  async close(): Promise<void> {
    const evaluator = this.evaluator;
    this.evaluator = undefined;
    this.cache.clear();
    await (await evaluator)?.close();
  }
}

/**
 * Packs per-example correctness into a bitset: bit i (byte ⌊i/8⌋, bit i mod 8, least
 * significant first) is 1 when example i was classified correctly.
 * @returns the bitset and the number correct
 */
export function packCorrect(predicted: ArrayLike<number>, labels: ArrayLike<number>): { bits: Uint8Array; correct: number } {
  if (predicted.length !== labels.length) throw new Error(`packCorrect: ${predicted.length} predictions for ${labels.length} labels.`);
  const bits = new Uint8Array(Math.ceil(labels.length / 8));
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    if (predicted[i] === labels[i]) {
      bits[i >> 3] |= 1 << (i & 7);
      correct++;
    }
  }
  return { bits, correct };
}

/** Unpacks a correctness bitset of `n` examples into 0/1 flags (see {@link packCorrect}). */
export function unpackCorrect(bits: Uint8Array, n: number): Uint8Array {
  if (bits.length !== Math.ceil(n / 8)) throw new Error(`unpackCorrect: ${bits.length} bytes cannot hold exactly ${n} examples (need ${Math.ceil(n / 8)}).`);
  return Uint8Array.from({ length: n }, (_, i) => (bits[i >> 3] >> (i & 7)) & 1);
}
