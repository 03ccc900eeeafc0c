/**
 * Custom tfjs layers the transformer architectures need, registered for serialisation so
 * saved models load back: a class token, learned position embeddings, multi-head
 * self-attention, quick-GELU, taking the class token, L2 normalisation and a fixed scale.
 */
import { tf } from '../engine/backend';

type Kwargs = Record<string, unknown>;
type Shape = Array<number | null>;
type LayerArgs = ConstructorParameters<typeof tf.layers.Layer>[0];

const asTensor = (inputs: tf.Tensor | tf.Tensor[]): tf.Tensor => (Array.isArray(inputs) ? inputs[0] : inputs);
const seededGlorot = (seed?: number) => tf.initializers.glorotUniform({ seed });

/** Prepends a learned token to a [batch, tokens, dim] sequence. */
export class ClassToken extends tf.layers.Layer {
  static className = 'ClassToken';
  private token!: tf.LayerVariable;
  override build(inputShape: Shape | Shape[]): void {
    const dim = (inputShape as Shape)[2] as number;
    this.token = this.addWeight('token', [1, 1, dim], 'float32', tf.initializers.zeros());
    this.built = true;
  }
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, t, d] = inputShape as Shape;
    return [b, t === null ? null : t + 1, d];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = asTensor(inputs);
      return tf.concat([tf.tile(this.token.read(), [x.shape[0], 1, 1]), x], 1);
    });
  }
}

/** Adds learned position embeddings to a [batch, tokens, dim] sequence. */
export class PositionEmbedding extends tf.layers.Layer {
  static className = 'PositionEmbedding';
  private embedding!: tf.LayerVariable;
  private readonly seed?: number;
  constructor(args: LayerArgs & { seed?: number } = {}) {
    super(args);
    this.seed = args.seed;
  }
  override build(inputShape: Shape | Shape[]): void {
    const [, t, d] = inputShape as Shape;
    this.embedding = this.addWeight('embedding', [1, t as number, d as number], 'float32', tf.initializers.truncatedNormal({ stddev: 0.02, seed: this.seed }));
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.add(asTensor(inputs), this.embedding.read()));
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed ?? null };
  }
}

/**
 * Multi-head self-attention over [batch, tokens, dim]: query/key/value projections (with bias),
 * softmax(QKᵀ/√d_head)V per head, and an output projection. Weights: query/kernel, query/bias,
 * key/…, value/…, out/… with kernels [dim, dim] (input × output).
 */
export class MultiHeadSelfAttention extends tf.layers.Layer {
  static className = 'MultiHeadSelfAttention';
  readonly heads: number;
  private readonly seed?: number;
  private w: Record<'query' | 'key' | 'value' | 'out', { kernel: tf.LayerVariable; bias: tf.LayerVariable }> = {} as never;
  constructor(args: LayerArgs & { heads: number; seed?: number }) {
    super(args);
    this.heads = args.heads;
    this.seed = args.seed;
  }
  override build(inputShape: Shape | Shape[]): void {
    const dim = (inputShape as Shape)[2] as number;
    if (dim % this.heads !== 0) throw new Error(`MultiHeadSelfAttention "${this.name}": dim ${dim} is not divisible by ${this.heads} heads.`);
    (['query', 'key', 'value', 'out'] as const).forEach((p, i) => {
      this.w[p] = {
        kernel: this.addWeight(`${p}/kernel`, [dim, dim], 'float32', seededGlorot(this.seed === undefined ? undefined : this.seed + i)),
        bias: this.addWeight(`${p}/bias`, [dim], 'float32', tf.initializers.zeros()),
      };
    });
    this.built = true;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = asTensor(inputs);
      const [b, t, d] = x.shape;
      const h = this.heads, dh = d / h;
      const flat = x.reshape([b * t, d]) as tf.Tensor2D;
      const project = (p: 'query' | 'key' | 'value' | 'out', v: tf.Tensor) => tf.add(tf.matMul(v as tf.Tensor2D, this.w[p].kernel.read() as tf.Tensor2D), this.w[p].bias.read());
      const split = (v: tf.Tensor) => v.reshape([b, t, h, dh]).transpose([0, 2, 1, 3]);
      const q = split(project('query', flat)), k = split(project('key', flat)), v = split(project('value', flat));
      const attention = tf.softmax(tf.matMul(q, k, false, true).mul(1 / Math.sqrt(dh)));
      const merged = tf.matMul(attention, v).transpose([0, 2, 1, 3]).reshape([b * t, d]) as tf.Tensor2D;
      return project('out', merged).reshape([b, t, d]);
    });
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, seed: this.seed ?? null };
  }
}

/** x·σ(1.702x), the GELU approximation of CLIP. */
export class QuickGelu extends tf.layers.Layer {
  static className = 'QuickGelu';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = asTensor(inputs);
      return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
    });
  }
}

/** Takes token 0 (the class token) of a [batch, tokens, dim] sequence. */
export class TakeClassToken extends tf.layers.Layer {
  static className = 'TakeClassToken';
  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, , d] = inputShape as Shape;
    return [b, d];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = asTensor(inputs);
      const [b, , d] = x.shape as number[];
      return x.slice([0, 0, 0], [b, 1, d]).reshape([b, d]);
    });
  }
}

/** Scales each row to unit L2 norm. */
export class L2Normalize extends tf.layers.Layer {
  static className = 'L2Normalize';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = asTensor(inputs);
      return x.div(tf.sqrt(tf.sum(tf.square(x), -1, true)).add(1e-12));
    });
  }
}

/** Multiplies by a fixed number (CLIP's logit scale). */
export class FixedScale extends tf.layers.Layer {
  static className = 'FixedScale';
  readonly scale: number;
  constructor(args: LayerArgs & { scale: number }) {
    super(args);
    this.scale = args.scale;
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.mul(asTensor(inputs), this.scale));
  }
  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), scale: this.scale };
  }
}

for (const cls of [ClassToken, PositionEmbedding, MultiHeadSelfAttention, QuickGelu, TakeClassToken, L2Normalize, FixedScale]) {
  tf.serialization.registerClass(cls as never);
}

export type { Kwargs };
