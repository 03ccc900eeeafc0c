/**
 * Direct low-rank editing: layer ℓ's kernel becomes W₀ + ΔW with ΔW = U·V over input channels
 * (U: Cin × r, V: r × (kh·kw·Cout)), U and V trained on the task loss (cross-entropy of the
 * exemplars' labels) through the whole model. V starts at zero, so training starts at the
 * original model; ΔW has rank ≤ r by construction. (The paper does not publish its form; this is ours.)
 */
import { tf } from '../engine/backend';
import { mulberry32, normalSampler, permutation } from '../engine/rng';
import { subset } from '../data/image-set';
import { cloneModel } from '../models/clone';
import { editableLayers, findLayer, frozenPrefix, kernelShape } from '../models/surgery';
import { holdConstant } from '../engine/held-constants';
import { Edit } from './edit';
import { registerEditMethod } from './registry';

/** ΔW from the factors, in the kernel's layout (HWIO or [Cin, Cout]). */
function deltaFrom(u: tf.Tensor, v: tf.Tensor, shape: number[]): tf.Tensor {
  const cinAxis = shape.length - 2;
  const moved = [shape[cinAxis], ...shape.filter((_, a) => a !== cinAxis)];
  const delta = tf.matMul(u as tf.Tensor2D, v as tf.Tensor2D).reshape(moved);
  // [Cin, ...rest] back to the kernel's axis order.
  const perm = shape.map((_, a) => (a < cinAxis ? a + 1 : a === cinAxis ? 0 : a));
  return delta.transpose(perm);
}

registerEditMethod({
  name: 'lowrank',
  description: 'direct rank-r edit of layer ℓ: ΔW = U·V over input channels, trained on the task loss',
  protocol: { layer: 'middle', steps: 60, learning_rate: 1e-2, exemplars: 64, rank: 4 },
  editableLayers: (model) => editableLayers(model).filter((l) => l.kind === 'Conv2D' || l.kind === 'Dense').map((l) => l.name),
  // U is cin × r, V is r × (the kernel's other dimensions).
  maxRank: (model, layer) => {
    const shape = kernelShape(model, layer);
    const cin = shape.at(-2)!;
    return Math.min(cin, shape.reduce((p, d) => p * d, 1) / cin);
  },
  // edit() has filled rank, steps and learningRate from the protocol when the caller left them out.
  async run(model, editSet, options) {
    const { layer: name, seed = 0, onStep } = options;
    const [rank, steps, learningRate] = [options.rank!, options.steps!, options.learningRate!];
    const original = findLayer(model, name);
    const kernelIndex = model.weights.findIndex((w) => w.originalName === `${name}/kernel`);
    if (kernelIndex < 0) throw new Error(`editlab: lowrank edits layers with a kernel (Conv2D, Dense); "${name}" is a ${original.getClassName()}.`);
    const shape = model.weights[kernelIndex].shape as number[];
    const cin = shape[shape.length - 2];
    const rest = shape.reduce((p, d) => p * d, 1) / cin;
    if (!Number.isInteger(rank) || rank < 1 || rank > Math.min(cin, rest)) {
      throw new Error(`editlab: lowrank: rank must be an integer from 1 to ${Math.min(cin, rest)} for layer "${name}" (kernel ${JSON.stringify(shape)}), got ${rank}.`);
    }
    const copy = await cloneModel(model);
    const normal = normalSampler(mulberry32(seed + 101));
    // tf.variable shares its initial tensor's data and leaves that tensor to the caller.
    const initialU = tf.tensor2d(Float32Array.from({ length: cin * rank }, () => normal() / Math.sqrt(cin)), [cin, rank]);
    const initialV = tf.zeros([rank, rest]);
    const u = tf.variable(initialU);
    const v = tf.variable(initialV);
    tf.dispose([initialU, initialV]);
    const kernelVariable = copy.weights[kernelIndex];
    const w0 = kernelVariable.read();
    const read = kernelVariable.read.bind(kernelVariable);
    let current: tf.Tensor | undefined;
    // The copy's layer reads W₀ + U·V, so gradients reach U and V through the whole model.
    kernelVariable.read = () => current ?? read();
    const optimizer = tf.train.adam(learningRate);
    let cut: ReturnType<typeof frozenPrefix>;
    // Every weight but ℓ's kernel (which reads W₀ + U·V) stays as it is: kernels may keep them in faster forms.
    const release = holdConstant(copy.weights.filter((w) => w !== kernelVariable).map((w) => w.read()));
    try {
      const batch = Math.min(64, editSet.n);
      const classes = copy.outputs[0].shape[1] as number;
      // The layers before ℓ are fixed: their outputs are computed once, not every step.
      cut = frozenPrefix(copy, new Set([name]), editSet);
      const [net, examples] = [cut?.suffix ?? copy, cut?.features ?? editSet];
      const inputShape = net.inputs[0].shape.slice(1) as number[];
      let step = 0;
      for (let epoch = 0; step < steps; epoch++) {
        const order = permutation(editSet.n, seed * 31 + epoch);
        for (let s = 0; s < editSet.n && step < steps; s += batch, step++) {
          const part = subset(examples, order.subarray(s, s + batch));
          const loss = tf.tidy(() => {
            const x = tf.tensor(part.images, [part.n, ...inputShape]);
            const y = tf.oneHot(tf.tensor1d(part.labels, 'int32'), classes);
            return optimizer.minimize(() => {
              current = w0.add(deltaFrom(u, v, shape));
              return tf.losses.softmaxCrossEntropy(y, net.apply(x, { training: false }) as tf.Tensor) as tf.Scalar;
            }, true, [u, v])!;
          });
          current = undefined;
          onStep?.(step + 1, steps, loss.dataSync()[0]);
          loss.dispose();
        }
      }
      const edited = tf.tidy(() => model.weights[kernelIndex].read().add(deltaFrom(u, v, shape)));
      return new Edit('lowrank', model, [{ layer: name, index: kernelIndex, original: model.weights[kernelIndex].read().clone(), edited }], { rank });
    } finally {
      release();
      kernelVariable.read = read;
      cut?.suffix.dispose();
      optimizer.dispose();
      tf.dispose([u, v]);
      copy.dispose();
    }
  },
});
