import { tf } from '../engine/backend';
import { cloneModel, countParams } from '../models/clone';

/** One changed weight tensor: its original and edited values. */
export interface WeightChange {
  /** Layer owning the weight. */
  layer: string;
  /** Index of the weight in `model.getWeights()` order. */
  index: number;
  original: tf.Tensor;
  edited: tf.Tensor;
}

/**
 * The result of an edit: the changed weights only, never a mutated model.
 * `at(α)` gives the model with W(α) = W₀ + α·(W₁ − W₀) in the changed weights.
 */
export class Edit {
  constructor(
    /** The edit method's name. */
    readonly method: string,
    /** The unedited model (not owned, never modified). */
    readonly model: tf.LayersModel,
    /** Changed weights. */
    readonly changes: WeightChange[],
    /** Method-specific facts (e.g. the rank, or the α that 1-LI chose). */
    readonly info: Record<string, unknown> = {},
  ) {}

  /** Names of the changed layers. */
  get layers(): string[] {
    return [...new Set(this.changes.map((c) => c.layer))];
  }

  /** Number of changed parameters. */
  get changedParams(): number {
    return this.changes.reduce((n, c) => n + c.original.size, 0);
  }

  /** Changed parameters as a fraction of the model's trainable parameters. */
  get changedFraction(): number {
    return this.changedParams / countParams(this.model);
  }

  /** W(α) of every changed weight (new tensors, owned by the caller). */
  weightsAt(alpha: number): tf.Tensor[] {
    checkAlpha(alpha);
    return this.changes.map((c) => tf.tidy(() => c.original.add(c.edited.sub(c.original).mul(alpha))));
  }

  /** Writes W(α) into a copy of the model made by {@link Edit.at} or {@link cloneModel}. */
  applyTo(copy: tf.LayersModel, alpha: number): void {
    const values = this.weightsAt(alpha);
    const variables = copy.weights;
    this.changes.forEach((c, i) => variables[c.index].write(values[i]));
    tf.dispose(values);
  }

  /** A new model with W(α) in the changed weights; α = 0 is the original, α = 1 the edit. */
  async at(alpha: number): Promise<tf.LayersModel> {
    checkAlpha(alpha);
    const copy = await cloneModel(this.model);
    this.applyTo(copy, alpha);
    return copy;
  }

  /** Frees the stored weights. */
  dispose(): void {
    for (const c of this.changes) tf.dispose([c.original, c.edited]);
  }
}

function checkAlpha(alpha: number): void {
  if (!Number.isFinite(alpha) || alpha < 0) {
    throw new Error(`editlab: α must be a finite number ≥ 0 (0 = original, 1 = edited, > 1 extrapolates), got ${alpha}.`);
  }
}
