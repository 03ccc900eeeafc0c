/**
 * Predictions of an edit's W(α) on fixed image sets, fast enough for a slider: the model is cut
 * at the last point before the first edited layer, the part before the cut runs once per image
 * (its activations stay on the backend), and each α runs only the part after it. When the first
 * edited layer is a linear map whose output is itself a cut point (a conv or dense layer without
 * a fused activation, as in vgg-small), its output is linear in α, z(α) = z₀ + α·(z₁ − z₀): z₀ and
 * z₁ − z₀ are computed once and each α runs only the layers after it (equal to running W(α) up to
 * float rounding). The same code runs in Node and in the explorer page; `sweepAlpha` (src/sweep)
 * is the reference it must agree with.
 */
import { tf } from '../engine/backend';
import { tidyData } from '../engine/tidy-data';
import { cloneModel } from '../models/clone';
import { firstLayerOwning, linearFirstLayer, prefixModel, splitAt, validCutPoints } from '../models/surgery';
import type { Edit } from '../edits/edit';
import type { ImageSet } from '../data/image-set';
import { NOT_PREDICTED, type EvaluatorPart } from './parts';

export { NOT_PREDICTED, mergeParts, type EvaluatorPart } from './parts';

/** Options of {@link AlphaEvaluator.create}. */
export interface AlphaEvaluatorOptions {
  /** Images per batch; 256 as `predict` batches, so every kernel sees the same shapes as in Node. */
  batchSize?: number;
  /** Use z₀ + α·(z₁ − z₀) at the first edited layer where it is linear (default true); false runs W(α) there too. */
  linearize?: boolean;
  /**
   * Hold (compute and cache the front for) only this share of the batches, counted over all sets
   * (batch k when k % count === index): the explorer's workers each own one share, so each runs
   * the front on its own images only. Default: every batch.
   */
  share?: EvaluatorPart;
}

/**
 * The last layer whose output every path to the model's output runs through and that comes
 * before every edited layer; undefined when no such layer exists (the edit starts at the input).
 */
export function cutBeforeEdit(model: tf.LayersModel, edit: Edit): string | undefined {
  const first = firstLayerOwning(model, edit.changes.map((c) => c.index));
  const position = new Map(model.layers.map((l, i) => [l.name, i]));
  const before = validCutPoints(model).filter((name) => position.get(name)! < first);
  return before.length ? before[before.length - 1] : undefined;
}

/**
 * The first edited layer when its output is linear in α — an affine layer (conv or dense) with a
 * linear activation whose output is a cut point, so nothing after it reads around it — else
 * undefined.
 */
export function linearEditedLayer(model: tf.LayersModel, edit: Edit): string | undefined {
  return linearFirstLayer(model, edit.changes.map((c) => c.index));
}

/**
 * What a one-input layer reads, as a function of the images: the model's input, or the output
 * of the layers up to it (run once; the linear edited layer then runs twice on it, with W₀ and
 * with W₁, instead of everything up to it twice).
 */
function layerInput(model: tf.LayersModel, layer: tf.layers.Layer): (images: tf.Tensor) => tf.Tensor {
  const inputs = layer.inboundNodes[0].inputTensors;
  if (inputs.length !== 1) throw new Error(`editlab: layer "${layer.name}" reads ${inputs.length} tensors; an affine layer reads one.`);
  if (model.inputs.some((t) => t.id === inputs[0].id)) return (images) => images;
  const prefix = prefixModel(model, layer.name, 'input');
  return (images) => prefix.predict(images, { batchSize: images.shape[0] }) as tf.Tensor;
}

/**
 * Per batch, what each α's run starts from: the cached activations, or z₀ and z₁ − z₀ at the
 * linear edited layer; or, for a batch outside the evaluator's share, only its size.
 */
type BatchInput = { x: tf.Tensor } | { z0: tf.Tensor; dz: tf.Tensor } | { notHeld: number };

/** Evaluates an edit at any α on image sets fixed at creation. Call {@link dispose} when done. */
export class AlphaEvaluator {
  private constructor(
    private readonly edit: Edit,
    /** The working copy whose edited weights are rewritten per α. */
    private readonly copy: tf.LayersModel,
    /** What runs per α: the part of the copy after the cut (the whole copy when not cut). */
    private readonly perAlpha: tf.LayersModel,
    /** Per set, per batch: what the per-α part starts from. */
    private readonly batches: BatchInput[][],
    /** Where the model was cut: the linear edited layer, or the last cut point before the first edited layer (undefined: not cut). */
    readonly cut: string | undefined,
    /** The edited layer whose output is taken as z₀ + α·(z₁ − z₀) (undefined: none). */
    readonly linearLayer: string | undefined,
  ) {}

  /** Copies the edit's model, cuts it and runs the part before the cut on every image once. */
  static async create(edit: Edit, sets: readonly ImageSet[], options: AlphaEvaluatorOptions = {}): Promise<AlphaEvaluator> {
    const batchSize = options.batchSize ?? 256;
    const copy = await cloneModel(edit.model);
    const linearLayer = options.linearize === false ? undefined : linearEditedLayer(copy, edit);
    const cut = linearLayer ?? cutBeforeEdit(copy, edit);
    const split = cut ? splitAt(copy, cut) : undefined;
    let start: (images: tf.Tensor) => BatchInput;
    if (linearLayer) {
      // The layers before the edited one once per batch; the edited layer with W₀ (z₀), then with W₁.
      const layer = copy.getLayer(linearLayer);
      const input = layerInput(copy, layer);
      start = (images) => {
        const x = input(images);
        edit.applyTo(copy, 0);
        const z0 = layer.apply(x) as tf.Tensor;
        edit.applyTo(copy, 1);
        return { z0, dz: (layer.apply(x) as tf.Tensor).sub(z0) };
      };
    } else {
      start = (images) => ({ x: split ? (split.prefix.predict(images, { batchSize: images.shape[0] }) as tf.Tensor) : images });
    }
    const { share = { index: 0, count: 1 } } = options;
    let k = 0;
    const batches = sets.map((set) => mapBatches(set, batchSize, () => k++ % share.count === share.index, start));
    return new AlphaEvaluator(edit, copy, split ? split.suffix : copy, batches, cut, linearLayer);
  }

  /** The image batches over all sets: the finest parts {@link predict} can split an α into. */
  get batchCount(): number {
    return this.batches.reduce((n, b) => n + b.length, 0);
  }

  /**
   * Predicted labels of W(α) on every set, in the order given at creation. With `part`, only that
   * share of the batches is computed; the other images hold {@link NOT_PREDICTED} (see
   * {@link mergeParts}).
   */
  predict(alpha: number, part: EvaluatorPart = { index: 0, count: 1 }): Int32Array[] {
    this.edit.applyTo(this.copy, alpha);
    let k = 0;
    return this.batches.map((batches) => {
      const n = batches.reduce((m, b) => m + batchSizeOf(b), 0);
      const predicted = new Int32Array(n).fill(NOT_PREDICTED);
      let at = 0;
      for (const batch of batches) {
        const size = batchSizeOf(batch);
        if (k++ % part.count === part.index) {
          if ('notHeld' in batch) throw new Error(`editlab: batch ${k - 1} is outside this evaluator's share (see AlphaEvaluatorOptions.share).`);
          const labels = tidyData<Int32Array>(() => {
            const x = 'x' in batch ? batch.x : batch.z0.add(batch.dz.mul(alpha));
            return (this.perAlpha.predict(x, { batchSize: size }) as tf.Tensor).argMax(-1);
          });
          predicted.set(labels, at);
        }
        at += size;
      }
      return predicted;
    });
  }

  /** Frees the cached activations and the working copy. */
  dispose(): void {
    for (const batches of this.batches) for (const b of batches) if (!('notHeld' in b)) tf.dispose(Object.values(b));
    // The suffix counts a reference to the copy's layers (see splitAt): both go, or the weights stay.
    if (this.perAlpha !== this.copy) this.perAlpha.dispose();
    this.copy.dispose();
  }
}

/**
 * `f` of each batch of a set's images that `held` keeps, the image tensor made and freed inside
 * (unless `f` returns it); the others only counted.
 */
function mapBatches(set: ImageSet, batchSize: number, held: () => boolean, f: (images: tf.Tensor) => BatchInput): BatchInput[] {
  const size = set.height * set.width * set.channels;
  const out: BatchInput[] = [];
  for (let start = 0; start < set.n; start += batchSize) {
    const count = Math.min(batchSize, set.n - start);
    out.push(held() ? tf.tidy(() => f(tf.tensor4d(set.images.subarray(start * size, (start + count) * size), [count, set.height, set.width, set.channels]))) : { notHeld: count });
  }
  return out;
}

const batchSizeOf = (b: BatchInput) => ('notHeld' in b ? b.notHeld : ('x' in b ? b.x : b.z0).shape[0]);
