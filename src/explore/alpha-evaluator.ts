/**
 * Predictions of an edit's W(α) on fixed image sets, fast enough for a slider: the model is cut
 * at the last point before the first edited layer, the part before the cut runs once per image
 * (its activations stay on the backend), and each α runs only the part after it. The same code
 * runs in Node and in the explorer page; `sweepAlpha` (src/sweep) is the reference it must equal.
 */
import { tf } from '../engine/backend';
import { cloneModel } from '../models/clone';
import { splitAt, validCutPoints } from '../models/surgery';
import type { Edit } from '../edits/edit';
import type { ImageSet } from '../data/image-set';

/** Options of {@link AlphaEvaluator.create}. */
export interface AlphaEvaluatorOptions {
  /** Images per batch; 256 as `predict` batches, so every kernel sees the same shapes as in Node. */
  batchSize?: number;
}

/**
 * The last layer whose output every path to the model's output runs through and that comes
 * before every edited layer; undefined when no such layer exists (the edit starts at the input).
 */
export function cutBeforeEdit(model: tf.LayersModel, edit: Edit): string | undefined {
  // `model` is the edit's model or a copy of it: the same weights in the same order.
  const owners = edit.changes.map((c) => model.layers.findIndex((l) => l.weights.includes(model.weights[c.index])));
  const first = Math.min(...owners);
  const position = new Map(model.layers.map((l, i) => [l.name, i]));
  const before = validCutPoints(model).filter((name) => position.get(name)! < first);
  return before.length ? before[before.length - 1] : undefined;
}

/** Evaluates an edit at any α on image sets fixed at creation. Call {@link dispose} when done. */
export class AlphaEvaluator {
  private constructor(
    private readonly edit: Edit,
    /** The working copy whose edited weights are rewritten per α. */
    private readonly copy: tf.LayersModel,
    /** The part of the copy after the cut (the whole copy when there is no cut). */
    private readonly suffix: tf.LayersModel,
    /** Per set, per batch: the suffix's input (cached activations, or the images). */
    private readonly batches: tf.Tensor[][],
    /** Where the model was cut (undefined: not cut). */
    readonly cut: string | undefined,
  ) {}

  /** Copies the edit's model, cuts it and runs the part before the cut on every image once. */
  static async create(edit: Edit, sets: readonly ImageSet[], options: AlphaEvaluatorOptions = {}): Promise<AlphaEvaluator> {
    const batchSize = options.batchSize ?? 256;
    const copy = await cloneModel(edit.model);
    const cut = cutBeforeEdit(copy, edit);
    const parts = cut ? splitAt(copy, cut) : undefined;
    const batches = sets.map((set) => {
      const size = set.height * set.width * set.channels;
      const out: tf.Tensor[] = [];
      for (let start = 0; start < set.n; start += batchSize) {
        const count = Math.min(batchSize, set.n - start);
        out.push(tf.tidy(() => {
          const x = tf.tensor4d(set.images.subarray(start * size, (start + count) * size), [count, set.height, set.width, set.channels]);
          return parts ? (parts.prefix.predict(x, { batchSize: count }) as tf.Tensor) : x;
        }));
      }
      return out;
    });
    return new AlphaEvaluator(edit, copy, parts ? parts.suffix : copy, batches, cut);
  }

  /** Predicted labels of W(α) on every set, in the order given at creation. */
  predict(alpha: number): Int32Array[] {
    this.edit.applyTo(this.copy, alpha);
    return this.batches.map((batches) => {
      const n = batches.reduce((k, b) => k + b.shape[0], 0);
      const predicted = new Int32Array(n);
      let at = 0;
      for (const batch of batches) {
        const labels = tf.tidy(() => (this.suffix.predict(batch, { batchSize: batch.shape[0] }) as tf.Tensor).argMax(-1).dataSync() as Int32Array);
        predicted.set(labels, at);
        at += labels.length;
      }
      return predicted;
    });
  }

  /** Frees the cached activations and the working copy. */
  dispose(): void {
    for (const batches of this.batches) tf.dispose(batches);
    // The suffix counts a reference to the copy's layers (see splitAt): both go, or the weights stay.
    if (this.suffix !== this.copy) this.suffix.dispose();
    this.copy.dispose();
  }
}
