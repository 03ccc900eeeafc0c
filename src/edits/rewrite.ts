/**
 * Rewriting (Santurkar et al. 2021, "Editing a classifier by rewriting its prediction rules"), as
 * the reference code computes it: change layer ℓ so that on the transformed concept (keys k*,
 * the layer's inputs on x') its block produces what it produced on the original (values v*,
 * the block's outputs on x, after its batch norm and activation), inside a rank-r subspace of
 * input channels. The subspace: the top-r right singular vectors of the ZCA-whitened keys, each
 * key multiplied by its mask weight, with the whitening C^(-1/2) from the second moment of
 * layer-ℓ inputs over clean training images. The math is pure functions (secondMoment,
 * rewriteDirections, rewriteSolve) usable on any conv or dense kernel; the method wires them to
 * a model's layer.
 */
import { tf } from '../engine/backend';
import { fashionMnistSet, sample, type ImageSet } from '../data/image-set';
import { activations, blockTail, editableLayers, findLayer, kernelShape } from '../models/surgery';
import { Edit } from './edit';
import { registerEditMethod, type EditOptions } from './registry';
import { gram, inverseSqrt, matmul, orthonormalColumns, symmetricEigen } from './linalg';
import type { EditSet } from './tasks/task';

/** Clean training images whose layer-ℓ inputs give rewriting's second moment by default. */
export const REWRITE_REFERENCE_IMAGES = 2000;

/** Keys as rows [positions, Cin] and their mask weights, from [..., Cin] tensors. */
function rows(keys: tf.Tensor, mask?: tf.Tensor): { data: Float64Array; weights: Float64Array; n: number; cin: number } {
  const cin = keys.shape[keys.rank - 1];
  const data = Float64Array.from(keys.dataSync());
  const n = data.length / cin;
  const weights = mask ? Float64Array.from(mask.dataSync()) : new Float64Array(n).fill(1);
  if (weights.length !== n) throw new Error(`rewrite: mask has ${weights.length} values for ${n} key positions (expected one per position).`);
  return { data, weights, n, cin };
}

/** A second moment E[a aᵀ] and mean E[a] of layer inputs, [Cin, Cin] and [Cin]. */
export interface Moment {
  moment: tf.Tensor2D;
  mean: tf.Tensor1D;
}

/** The second moment mean(a aᵀ) of activations over all positions (and their mean), for whitening. */
export function secondMoment(inputs: tf.Tensor): Moment {
  return tf.tidy(() => {
    const cin = inputs.shape[inputs.rank - 1];
    const flat = inputs.reshape([-1, cin]) as tf.Tensor2D;
    return { moment: tf.matMul(flat, flat, true, false).div(flat.shape[0]) as tf.Tensor2D, mean: flat.mean(0) as tf.Tensor1D };
  });
}

/** {@link secondMoment} of a layer's inputs over a set of images, in batches (memory stays flat). */
export function layerInputMoment(model: tf.LayersModel, layer: string, images: ImageSet, batch = 250): Moment {
  let sum: tf.Tensor2D | undefined, total: tf.Tensor1D | undefined, count = 0;
  for (let s = 0; s < images.n; s += batch) {
    const n = Math.min(batch, images.n - s);
    const size = images.height * images.width * images.channels;
    tf.tidy(() => {
      const x = tf.tensor4d(images.images.subarray(s * size, (s + n) * size), [n, images.height, images.width, images.channels]);
      const a = activations(model, layer, x, 'input');
      const flat = a.reshape([-1, a.shape[a.rank - 1]]) as tf.Tensor2D;
      const nextSum = tf.matMul(flat, flat, true, false);
      const nextTotal = flat.sum(0) as tf.Tensor1D;
      const merged = [sum ? sum.add(nextSum) : nextSum, total ? total.add(nextTotal) : nextTotal] as const;
      tf.dispose([sum, total]);
      [sum, total] = [tf.keep(merged[0]) as tf.Tensor2D, tf.keep(merged[1]) as tf.Tensor1D];
      count += flat.shape[0];
    });
  }
  const moment = { moment: tf.tidy(() => sum!.div(count)) as tf.Tensor2D, mean: tf.tidy(() => total!.div(count)) as tf.Tensor1D };
  tf.dispose([sum, total]);
  return moment;
}

/** Inputs of {@link rewriteDirections}. */
export interface DirectionsInput {
  /** C = mean(a aᵀ) of layer-ℓ inputs over a reference set of clean images, [Cin, Cin]. */
  secondMoment: tf.Tensor;
  /** k*: layer-ℓ inputs on the transformed exemplars, [..., Cin] (NHWC, [N, tokens, Cin] or [N, Cin]). */
  keys: tf.Tensor;
  /** Weight m of each key position (the concept mask at the layer's resolution), the keys' shape without Cin. */
  mask?: tf.Tensor;
  /** Number of directions r (default 1). */
  rank?: number;
  /** Mean-centre: use the covariance C − μμᵀ and keys − μ (needs `mean`). Default false, as the reference code. */
  center?: boolean;
  /** μ, the reference set's mean input (for `center`). */
  mean?: tf.Tensor;
}

/**
 * The rank-r direction matrix D (r × Cin, orthonormal rows): whiten with Z = C^(-1/2), take the
 * top-r right singular vectors U_r of the whitened keys each multiplied by its mask weight m
 * (so the Gram weighs a position by m², as the reference's `w * keys` does; positions with m = 0
 * drop out), D = orthonormalise(Z U_r), each row's sign chosen to agree with the sum of the
 * weighted whitened keys.
 */
export function rewriteDirections({ secondMoment: c, keys, mask, rank = 1, center = false, mean }: DirectionsInput): tf.Tensor2D {
  const { data, weights, n, cin } = rows(keys, mask);
  if (!Number.isInteger(rank) || rank < 1 || rank > cin) throw new Error(`rewrite: rank must be an integer from 1 to the layer's ${cin} input channels, got ${rank}.`);
  if (JSON.stringify(c.shape) !== JSON.stringify([cin, cin])) throw new Error(`rewrite: secondMoment must be [${cin}, ${cin}], got ${JSON.stringify(c.shape)}.`);
  const moment = Float64Array.from(c.dataSync());
  if (center) {
    if (!mean) throw new Error('rewrite: center needs the reference mean (mean).');
    const mu = mean.dataSync();
    for (let i = 0; i < cin; i++) for (let j = 0; j < cin; j++) moment[i * cin + j] -= mu[i] * mu[j];
    for (let r = 0; r < n; r++) for (let i = 0; i < cin; i++) data[r * cin + i] -= mu[i];
  }
  const z = inverseSqrt(moment, cin);
  const whitened = matmul(data, z, n, cin, cin);
  const squared = weights.map((w) => w * w);
  const top = symmetricEigen(gram(whitened, n, cin, squared), cin).vectors;
  const ur = new Float64Array(cin * rank);
  for (let i = 0; i < cin; i++) for (let k = 0; k < rank; k++) ur[i * rank + k] = top[i * cin + k];
  const q = orthonormalColumns(matmul(z, ur, cin, cin, rank), cin, rank);
  const total = new Float64Array(cin);
  for (let r = 0; r < n; r++) for (let i = 0; i < cin; i++) total[i] += weights[r] * whitened[r * cin + i];
  const d = new Float32Array(rank * cin);
  for (let k = 0; k < rank; k++) {
    let dot = 0;
    for (let i = 0; i < cin; i++) dot += q[i * rank + k] * total[i];
    const sign = dot < 0 ? -1 : 1;
    for (let i = 0; i < cin; i++) d[k * cin + i] = sign * q[i * rank + k];
  }
  return tf.tensor2d(d, [rank, cin]);
}

/** Inputs of {@link rewriteSolve}. */
export interface SolveInput {
  /** W₀: a conv kernel [kh, kw, Cin, Cout] (HWIO) or a dense kernel [Cin, Cout]. */
  kernel: tf.Tensor;
  /** Bias [Cout] (kept fixed), optional. */
  bias?: tf.Tensor;
  /** k*: layer inputs on the transformed exemplars, NHWC (conv) or [..., Cin] (dense). */
  keys: tf.Tensor;
  /** v*: the block's outputs on the original exemplars (what `after` returns on the original layer's output). */
  values: tf.Tensor;
  /** The rest of the block after kernel and bias (activation, batch norm), applied in inference mode; default none. */
  after?: (y: tf.Tensor) => tf.Tensor;
  /** Weight m per output position (the values' shape without channels); the loss weighs |·| by √m. Default all ones. */
  mask?: tf.Tensor;
  /** D (r × Cin) from {@link rewriteDirections}. */
  directions: tf.Tensor;
  steps?: number;
  /** Project onto the subspace every this many steps (and at the end). Default 10. */
  projectEvery?: number;
  lr?: number;
  /** Conv geometry (default stride 1, 'same', no dilation). */
  strides?: number | [number, number];
  padding?: 'same' | 'valid';
  dilation?: number | [number, number];
  /** Called after every step with the step's loss. */
  onStep?: (step: number, totalSteps: number, loss: number) => void;
}

/** ΔW projected onto the directions along the input-channel axis: W₀ + ΔW·(DᵀD). */
function project(w0: tf.Tensor, w: tf.Tensor, p: tf.Tensor2D): tf.Tensor {
  return tf.tidy(() => {
    const cinAxis = w0.rank - 2;
    const perm = [cinAxis, ...[...Array(w0.rank).keys()].filter((a) => a !== cinAxis)];
    const delta = w.sub(w0).transpose(perm);
    const flat = delta.reshape([delta.shape[0], -1]) as tf.Tensor2D;
    const back = tf.matMul(p, flat).reshape(delta.shape);
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return w0.add(back.transpose(inverse));
  });
}

/**
 * The rewritten kernel: Adam on the masked L1 loss mean|√m ⊙ (after(k* ∗ W + b) − v*)|,
 * projecting W ← W₀ + (W − W₀)DᵀD every `projectEvery` steps and at the end, so ΔW has rank
 * ≤ r over input channels.
 */
export function rewriteSolve(input: SolveInput): tf.Tensor {
  const { kernel, bias, keys, values, mask, directions, after, steps = 300, projectEvery = 10, lr = 1e-3, strides = 1, padding = 'same', dilation = 1 } = input;
  if (kernel.rank !== 4 && kernel.rank !== 2) throw new Error(`rewrite: kernel must be a conv kernel [kh, kw, Cin, Cout] or a dense kernel [Cin, Cout], got ${JSON.stringify(kernel.shape)}.`);
  if (!Number.isInteger(projectEvery) || projectEvery < 1) throw new Error(`rewrite: projectEvery must be an integer ≥ 1, got ${projectEvery}.`);
  const cin = kernel.shape[kernel.rank - 2];
  if (directions.shape[1] !== cin) throw new Error(`rewrite: directions are ${JSON.stringify(directions.shape)}, the kernel has ${cin} input channels.`);
  const p = tf.tidy(() => tf.matMul(directions as tf.Tensor2D, directions as tf.Tensor2D, true, false)) as tf.Tensor2D;
  const w = tf.variable(kernel.clone());
  const optimizer = tf.train.adam(lr);
  const forward = (weights: tf.Tensor) => {
    let y: tf.Tensor;
    if (kernel.rank === 4) y = tf.conv2d(keys as tf.Tensor4D, weights as tf.Tensor4D, strides, padding, 'NHWC', dilation);
    else y = tf.matMul(keys.reshape([-1, cin]) as tf.Tensor2D, weights as tf.Tensor2D).reshape([...keys.shape.slice(0, -1), kernel.shape[1]] as number[]);
    if (bias) y = y.add(bias);
    return after ? after(y) : y;
  };
  const weightPerPosition = tf.tidy(() => (mask ? tf.sqrt(mask.reshape([...values.shape.slice(0, -1), 1])) : tf.ones([...values.shape.slice(0, -1), 1])));
  try {
    for (let step = 1; step <= steps; step++) {
      const loss = optimizer.minimize(() => tf.mean(tf.abs(forward(w).sub(values).mul(weightPerPosition))) as tf.Scalar, true, [w])!;
      const value = input.onStep ? loss.dataSync()[0] : NaN;
      loss.dispose();
      if (step % projectEvery === 0 || step === steps) w.assign(project(kernel, w, p));
      input.onStep?.(step, steps, value);
    }
    return project(kernel, w, p);
  } finally {
    tf.dispose([p, w, weightPerPosition]);
    optimizer.dispose();
  }
}

/**
 * Area-average downscale of masks [n, h, w] to [n, ho, wo]: each output cell is the mean of the
 * mask over the input area it covers (fractional overlaps weighted), the reference's average
 * pooling generalised to sizes that do not divide.
 */
export function areaAverageMasks(masks: Float32Array, n: number, h: number, w: number, ho: number, wo: number): Float32Array {
  const out = new Float32Array(n * ho * wo);
  const overlaps = (size: number, outSize: number) => Array.from({ length: outSize }, (_, o) => {
    const [from, to] = [(o * size) / outSize, ((o + 1) * size) / outSize];
    const spans: Array<[number, number]> = [];
    for (let i = Math.floor(from); i < Math.ceil(to); i++) spans.push([i, Math.min(to, i + 1) - Math.max(from, i)]);
    return spans;
  });
  const [ys, xs] = [overlaps(h, ho), overlaps(w, wo)];
  const area = (h / ho) * (w / wo);
  for (let k = 0; k < n; k++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let sum = 0;
        for (const [y, wy] of ys[oy]) for (const [x, wx] of xs[ox]) sum += wy * wx * masks[(k * h + y) * w + x];
        out[(k * ho + oy) * wo + ox] = sum / area;
      }
    }
  }
  return out;
}

/**
 * The concept mask at a layer's positions, shaped like the tensor without its channel axis:
 * NHW grids are area-averaged from the image; a token sequence [N, 1 + g², C] gets the
 * area-averaged g × g patch grid, with the class token (which summarises the whole image)
 * weighted by the image's mean mask; a flat [N, C] input weighs each exemplar 1.
 */
function maskAt(set: EditSet, shape: number[]): tf.Tensor {
  const n = set.n;
  if (!set.masks || shape.length === 2) return tf.ones(shape.slice(0, -1));
  if (shape.length === 4) return tf.tensor3d(areaAverageMasks(set.masks, n, set.height, set.width, shape[1]!, shape[2]!), [n, shape[1]!, shape[2]!]);
  const tokens = shape[1];
  const grid = Math.round(Math.sqrt(tokens - 1));
  if (shape.length !== 3 || grid * grid !== tokens - 1) throw new Error(`editlab: rewrite cannot place the concept mask on a layer input of shape ${JSON.stringify(shape)} (expected NHWC, [N, 1 + g², C] tokens or [N, C]).`);
  const patches = areaAverageMasks(set.masks, n, set.height, set.width, grid, grid);
  const whole = areaAverageMasks(set.masks, n, set.height, set.width, 1, 1);
  const weights = new Float32Array(n * tokens);
  for (let k = 0; k < n; k++) {
    weights[k * tokens] = whole[k];
    weights.set(patches.subarray(k * grid * grid, (k + 1) * grid * grid), k * tokens + 1);
  }
  return tf.tensor2d(weights, [n, tokens]);
}

/** Conv/dense geometry of a layer, for computing its output functionally with another kernel. */
function geometry(layer: tf.layers.Layer): { kind: 'conv' | 'dense'; strides: [number, number]; padding: 'same' | 'valid'; dilation: [number, number] } {
  const config = layer.getConfig() as { strides?: number[]; padding?: string; dilationRate?: number | number[] };
  if (layer.getClassName() === 'Dense') return { kind: 'dense', strides: [1, 1], padding: 'valid', dilation: [1, 1] };
  if (config.padding !== 'same' && config.padding !== 'valid') throw new Error(`editlab: rewrite: layer "${layer.name}" has unsupported padding ${config.padding}.`);
  const d = config.dilationRate ?? 1;
  return { kind: 'conv', strides: config.strides as [number, number], padding: config.padding, dilation: (Array.isArray(d) ? d : [d, d]) as [number, number] };
}

/** The rest of a layer's block after kernel and bias: its own activation, then its batch norm/activation tail, in inference mode. */
function blockAfter(model: tf.LayersModel, layer: tf.layers.Layer): { after: (y: tf.Tensor) => tf.Tensor; last: string } {
  const own = (layer as unknown as { activation?: { apply(x: tf.Tensor): tf.Tensor; getClassName(): string } }).activation;
  const tail = blockTail(model, layer.name);
  const after = (y: tf.Tensor) => tail.reduce((x, l) => l.apply(x, { training: false }) as tf.Tensor, own && own.getClassName() !== 'linear' ? own.apply(y) : y);
  return { after, last: (tail.at(-1) ?? layer).name };
}

/** rewrite's default reference set (`options.reference`): seeded clean Fashion-MNIST training images, when the model reads 28×28×1. */
export function defaultRewriteReference(model: tf.LayersModel, seed: number): ImageSet {
  const shape = model.inputs[0].shape.slice(1);
  if (JSON.stringify(shape) !== JSON.stringify([28, 28, 1])) {
    throw new Error(`editlab: rewrite needs options.reference, clean images in the model's input shape ${JSON.stringify(shape)} (a few thousand, e.g. its training data), for the second moment; the default (Fashion-MNIST training images) is 28×28×1.`);
  }
  return sample(fashionMnistSet('train'), REWRITE_REFERENCE_IMAGES, seed + 13);
}

const REWRITE_KINDS = new Set(['Conv2D', 'Dense']);

registerEditMethod({
  name: 'rewrite',
  description: "Santurkar et al.'s rewriting: the transformed concept's keys mapped to the original's block outputs in a rank-r subspace (masked L1)",
  protocol: { layer: 'late', steps: 400, learning_rate: 3e-3, exemplars: 64, rank: 32, center: false, project_every: 10 },
  lossAt: 'layer',
  editableLayers: (model) => editableLayers(model).filter((l) => REWRITE_KINDS.has(l.kind)).map((l) => l.name),
  // ΔW has rank ≤ r over the kernel's input channels.
  maxRank: (model, layer) => kernelShape(model, layer).at(-2)!,
  async run(model, editSet, options: EditOptions) {
    const set = editSet as EditSet;
    const layer = findLayer(model, options.layer);
    const geo = geometry(layer);
    const kernelIndex = model.weights.findIndex((w) => w.originalName === `${layer.name}/kernel`);
    const biasIndex = model.weights.findIndex((w) => w.originalName === `${layer.name}/bias`);
    const kernel = model.weights[kernelIndex].read();
    const bias = biasIndex >= 0 ? model.weights[biasIndex].read() : undefined;
    const { after, last } = blockAfter(model, layer);
    // edit() has filled rank, steps, learningRate and projectEvery from the protocol when the caller left them out.
    const rank = options.rank!;
    const reference = layerInputMoment(model, layer.name, options.reference ?? defaultRewriteReference(model, options.seed ?? 0));
    const asTensor = (images: Float32Array) => tf.tensor4d(images, [set.n, set.height, set.width, set.channels]);
    const edited = tf.tidy(() => {
      const keys = activations(model, layer.name, asTensor(set.images), 'input');
      const values = activations(model, last, asTensor(set.originals ?? set.images), 'output');
      const directions = rewriteDirections({ secondMoment: reference.moment, keys, mask: maskAt(set, keys.shape), rank, center: options.center, mean: reference.mean });
      return rewriteSolve({
        kernel, bias, keys, values, after, mask: maskAt(set, values.shape), directions, steps: options.steps, projectEvery: options.projectEvery,
        lr: options.learningRate, strides: geo.strides, padding: geo.padding, dilation: geo.dilation, onStep: options.onStep,
      });
    });
    tf.dispose([reference.moment, reference.mean]);
    return new Edit('rewrite', model, [{ layer: layer.name, index: kernelIndex, original: kernel.clone(), edited }], { rank, center: Boolean(options.center), block: last });
  },
});
