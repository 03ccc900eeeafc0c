/**
 * Rewriting (Santurkar et al. 2021, "Editing a classifier by rewriting its prediction rules"):
 * change layer ℓ so that on the transformed concept (keys k*, the layer's inputs on x') it
 * produces what it produced on the original (values v*, its outputs on x), inside a rank-r
 * subspace of input channels chosen from the whitened keys. The math is two pure functions
 * (rewriteDirections, rewriteSolve) usable on any conv or dense kernel; the edit method wires
 * them to a model's layer.
 */
import { tf } from '../engine/backend';
import { activations, findLayer } from '../models/surgery';
import { Edit } from './edit';
import { registerEditMethod } from './registry';
import { gram, inverseSqrt, matmul, orthonormalColumns, symmetricEigen } from './linalg';
import type { EditSet } from './tasks';

/** Keys as rows [positions, Cin] and their mask weights, from NHWC or [N, Cin] tensors. */
function rows(keys: tf.Tensor, mask?: tf.Tensor): { data: Float64Array; weights: Float64Array; n: number; cin: number } {
  const cin = keys.shape[keys.rank - 1];
  const data = Float64Array.from(keys.dataSync());
  const n = data.length / cin;
  const weights = mask ? Float64Array.from(mask.dataSync()) : new Float64Array(n).fill(1);
  if (weights.length !== n) throw new Error(`rewrite: mask has ${weights.length} values for ${n} key positions (expected one per position).`);
  return { data, weights, n, cin };
}

/** The second moment mean(a aᵀ) of activations over all positions (and their mean), for whitening. */
export function secondMoment(inputs: tf.Tensor): { moment: tf.Tensor2D; mean: tf.Tensor1D } {
  return tf.tidy(() => {
    const cin = inputs.shape[inputs.rank - 1];
    const flat = inputs.reshape([-1, cin]) as tf.Tensor2D;
    return { moment: tf.matMul(flat, flat, true, false).div(flat.shape[0]) as tf.Tensor2D, mean: flat.mean(0) as tf.Tensor1D };
  });
}

/** Inputs of {@link rewriteDirections}. */
export interface DirectionsInput {
  /** C = mean(a aᵀ) of layer-ℓ inputs over a reference set, [Cin, Cin]. */
  secondMoment: tf.Tensor;
  /** k*: layer-ℓ inputs on the transformed exemplars, NHWC or [N, Cin]. */
  keys: tf.Tensor;
  /** Weight of each key position (the concept mask at the layer's resolution), same leading shape as keys. */
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
 * top-r right singular vectors U_r of the mask-weighted whitened keys, D = orthonormalise(Z U_r),
 * each row's sign chosen to agree with the sum of the whitened keys.
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
  const top = symmetricEigen(gram(whitened, n, cin, weights), cin).vectors;
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
  /** k*: layer inputs on the transformed exemplars, NHWC (conv) or [N, Cin] (dense). */
  keys: tf.Tensor;
  /** v*: the layer's pre-activation outputs on the original exemplars. */
  values: tf.Tensor;
  /** Weight per output position (NHW or [N]); default all ones. */
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
  /** Called after every step (progress). */
  onStep?: (step: number, totalSteps: number) => void;
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
 * The rewritten kernel: Adam on the masked L1 loss mean|√m ⊙ (f(k*; W) − v*)|, projecting
 * W ← W₀ + (W − W₀)DᵀD every `projectEvery` steps, so ΔW has rank ≤ r over input channels.
 */
export function rewriteSolve(input: SolveInput): tf.Tensor {
  const { kernel, bias, keys, values, mask, directions, steps = 300, projectEvery = 10, lr = 1e-3, strides = 1, padding = 'same', dilation = 1 } = input;
  if (kernel.rank !== 4 && kernel.rank !== 2) throw new Error(`rewrite: kernel must be a conv kernel [kh, kw, Cin, Cout] or a dense kernel [Cin, Cout], got ${JSON.stringify(kernel.shape)}.`);
  const cin = kernel.shape[kernel.rank - 2];
  if (directions.shape[1] !== cin) throw new Error(`rewrite: directions are ${JSON.stringify(directions.shape)}, the kernel has ${cin} input channels.`);
  const p = tf.tidy(() => tf.matMul(directions as tf.Tensor2D, directions as tf.Tensor2D, true, false)) as tf.Tensor2D;
  const w = tf.variable(kernel.clone());
  const optimizer = tf.train.adam(lr);
  const forward = (weights: tf.Tensor) => {
    const y = kernel.rank === 4
      ? tf.conv2d(keys as tf.Tensor4D, weights as tf.Tensor4D, strides, padding, 'NHWC', dilation)
      : tf.matMul(keys as tf.Tensor2D, weights as tf.Tensor2D);
    return bias ? y.add(bias) : y;
  };
  const weightPerPosition = tf.tidy(() => (mask ? tf.sqrt(mask.reshape([...values.shape.slice(0, -1), 1])) : tf.onesLike(values.slice(new Array(values.rank).fill(0), [...values.shape.slice(0, -1), 1]))));
  try {
    for (let step = 1; step <= steps; step++) {
      optimizer.minimize(() => tf.mean(tf.abs(forward(w).sub(values).mul(weightPerPosition))) as tf.Scalar, false, [w]);
      if (step % projectEvery === 0 || step === steps) w.assign(project(kernel, w, p));
      input.onStep?.(step, steps);
    }
    return project(kernel, w, p);
  } finally {
    tf.dispose([p, w, weightPerPosition]);
    optimizer.dispose();
  }
}

/** Conv/dense geometry of a layer, for computing its pre-activation output functionally. */
function geometry(layer: tf.layers.Layer): { kind: 'conv' | 'dense'; strides: [number, number]; padding: 'same' | 'valid'; dilation: [number, number] } {
  const kind = layer.getClassName();
  const config = layer.getConfig() as { strides?: number[]; padding?: string; dilationRate?: number | number[] };
  if (kind === 'Dense') return { kind: 'dense', strides: [1, 1], padding: 'valid', dilation: [1, 1] };
  if (kind !== 'Conv2D') throw new Error(`editlab: rewrite edits Conv2D and Dense layers; "${layer.name}" is a ${kind}.`);
  if (config.padding !== 'same' && config.padding !== 'valid') throw new Error(`editlab: rewrite: layer "${layer.name}" has unsupported padding ${config.padding}.`);
  const d = config.dilationRate ?? 1;
  return { kind: 'conv', strides: config.strides as [number, number], padding: config.padding, dilation: (Array.isArray(d) ? d : [d, d]) as [number, number] };
}

/** The concept mask resized to the layer's output grid (area average), [N, Ho, Wo]; ones without a mask. */
function maskAt(editSet: EditSet, outShape: number[]): tf.Tensor {
  return tf.tidy(() => {
    const [n, ho, wo] = outShape;
    if (!editSet.masks) return tf.ones([n, ho, wo]);
    const m = tf.tensor4d(editSet.masks, [editSet.n, editSet.height, editSet.width, 1]);
    return tf.image.resizeBilinear(m, [ho, wo], true).reshape([n, ho, wo]);
  });
}

registerEditMethod({
  name: 'rewrite',
  description: "Santurkar et al.'s rewriting: map the transformed concept's keys to the original's values in a rank-r subspace (masked L1)",
  async run(model, editSet, options) {
    const set = editSet as EditSet;
    const layer = findLayer(model, options.layer);
    const geo = geometry(layer);
    const kernelIndex = model.weights.findIndex((w) => w.originalName === `${layer.name}/kernel`);
    const biasIndex = model.weights.findIndex((w) => w.originalName === `${layer.name}/bias`);
    const kernel = model.weights[kernelIndex].read();
    const bias = biasIndex >= 0 ? model.weights[biasIndex].read() : undefined;
    const asTensor = (images: Float32Array) => tf.tensor4d(images, [set.n, set.height, set.width, set.channels]);
    const rank = options.rank ?? 1;
    const edited = tf.tidy(() => {
      const transformed = asTensor(set.images);
      const originals = asTensor(set.originals ?? set.images);
      const keys = activations(model, layer.name, transformed, 'input');
      const originalInputs = activations(model, layer.name, originals, 'input');
      const pre = (x: tf.Tensor) => {
        const y = geo.kind === 'conv' ? tf.conv2d(x as tf.Tensor4D, kernel as tf.Tensor4D, geo.strides, geo.padding, 'NHWC', geo.dilation) : tf.matMul(x as tf.Tensor2D, kernel as tf.Tensor2D);
        return bias ? y.add(bias) : y;
      };
      const values = pre(originalInputs);
      const mask = geo.kind === 'conv' ? maskAt(set, values.shape) : undefined;
      const reference = options.reference ? activations(model, layer.name, asReference(options.reference), 'input') : originalInputs;
      const { moment, mean } = secondMoment(reference);
      const keyMask = geo.kind === 'conv' ? tf.image.resizeBilinear(mask!.expandDims(-1) as tf.Tensor4D, [keys.shape[1]!, keys.shape[2]!], true).squeeze([-1]) : undefined;
      const directions = rewriteDirections({ secondMoment: moment, keys, mask: keyMask, rank, center: options.center, mean });
      return rewriteSolve({ kernel, bias, keys, values, mask, directions, steps: options.steps ?? 200, lr: options.learningRate ?? 1e-3, strides: geo.strides, padding: geo.padding, dilation: geo.dilation, onStep: options.onStep && ((step, total) => options.onStep!(step, total, NaN)) });
    });
    return new Edit('rewrite', model, [{ layer: layer.name, index: kernelIndex, original: kernel.clone(), edited }], { rank, center: Boolean(options.center) });
  },
});

function asReference(set: { images: Float32Array; n: number; height: number; width: number; channels: number }): tf.Tensor4D {
  return tf.tensor4d(set.images, [set.n, set.height, set.width, set.channels]);
}
