/**
 * Layer surgery: list a model's editable layers, read and write one layer's weights, capture
 * activations, and split a model at a layer into a prefix and a suffix with
 * suffix(prefix(x)) = model(x). Edit methods and the sweep's activation cache build on these.
 */
import { tf } from '../engine/backend';

/** A layer that owns trainable weights. */
export interface EditableLayer {
  name: string;
  /** The layer's class, e.g. Conv2D, Dense, MultiHeadSelfAttention. */
  kind: string;
  /** Shape of its main weight (the kernel; the first weight otherwise). */
  weight_shape: number[];
  /** Trainable parameters of the layer. */
  params: number;
  /** Position in model.layers. */
  index: number;
}

const size = (shape: Array<number | null>) => shape.reduce<number>((p, d) => p * (d ?? 1), 1);

/** The layers with trainable weights, in model order. */
export function editableLayers(model: tf.LayersModel): EditableLayer[] {
  return model.layers.flatMap((layer, index) => {
    const weights = layer.trainableWeights;
    if (!weights.length) return [];
    const main = weights.find((w) => /kernel|embedding|token/.test(w.originalName)) ?? weights[0];
    return [{ name: layer.name, kind: layer.getClassName(), weight_shape: main.shape as number[], params: weights.reduce((n, w) => n + size(w.shape), 0), index }];
  });
}

/** A layer by name, with an error listing the editable ones. */
export function findLayer(model: tf.LayersModel, name: string): tf.layers.Layer {
  const layer = model.layers.find((l) => l.name === name);
  if (!layer) {
    throw new Error(`editlab: model "${model.name}" has no layer "${name}"; editable layers: ${editableLayers(model).map((l) => l.name).join(', ')}.`);
  }
  return layer;
}

/** Copies of one layer's weights (all of them, trainable first, as layer.getWeights()). */
export function getLayerWeights(model: tf.LayersModel, name: string): tf.Tensor[] {
  return findLayer(model, name).getWeights().map((w) => w.clone());
}

/** Replaces one layer's weights after checking count and shapes. */
export function setLayerWeights(model: tf.LayersModel, name: string, values: tf.Tensor[]): void {
  const layer = findLayer(model, name);
  const current = layer.weights;
  if (values.length !== current.length) {
    throw new Error(`editlab: layer "${name}" has ${current.length} weights (${current.map((w) => w.originalName).join(', ')}), got ${values.length}.`);
  }
  values.forEach((v, i) => {
    if (JSON.stringify(v.shape) !== JSON.stringify(current[i].shape)) {
      throw new Error(`editlab: layer "${name}" weight "${current[i].originalName}" has shape ${JSON.stringify(current[i].shape)}, got ${JSON.stringify(v.shape)}.`);
    }
    if (!tf.tidy(() => tf.all(tf.isFinite(v)).dataSync()[0])) {
      throw new Error(`editlab: layer "${name}" weight "${current[i].originalName}": new values contain NaN or Inf.`);
    }
  });
  layer.setWeights(values);
}

/** The model's output tensors and one layer's input or output, as one model. */
function tap(model: tf.LayersModel, name: string, which: 'input' | 'output'): tf.LayersModel {
  const layer = findLayer(model, name);
  const node = layer.inboundNodes[0];
  const tensor = which === 'output' ? node.outputTensors[0] : node.inputTensors[0];
  return tf.model({ inputs: model.inputs, outputs: tensor });
}

/** Activations of a layer (its output, or with `which: 'input'` its input) on a batch. */
export function activations(model: tf.LayersModel, name: string, x: tf.Tensor, which: 'input' | 'output' = 'output'): tf.Tensor {
  return tap(model, name, which).predict(x) as tf.Tensor;
}

/** A model cut in two at a layer's output. */
export interface SplitModel {
  /** Input → the layer's output. */
  prefix: tf.LayersModel;
  /** The layer's output → the model's output (shares the original's weights). */
  suffix: tf.LayersModel;
}

/**
 * Splits a model at the output of `name`. Valid where every path from the input to the output
 * runs through that tensor (not inside a residual branch); otherwise the error lists the
 * valid cut points. Both parts share the original layers (and weights).
 */
export function splitAt(model: tf.LayersModel, name: string): SplitModel {
  const layer = findLayer(model, name);
  if (model.inputs.length !== 1 || model.outputs.length !== 1) throw new Error('editlab: splitAt supports models with one input and one output.');
  const cut = layer.inboundNodes[0].outputTensors[0];
  const at = model.layers.indexOf(layer);
  const input = tf.input({ shape: cut.shape.slice(1) as number[], name: `${name}_cut` });
  const mapped = new Map<number, tf.SymbolicTensor>([[cut.id, input]]);
  for (const next of model.layers.slice(at + 1)) {
    const node = next.inboundNodes[0];
    const ins = node.inputTensors.map((t) => mapped.get(t.id));
    if (ins.some((t) => t === undefined)) {
      const valid = validCutPoints(model);
      throw new Error(`editlab: cannot split "${model.name}" at "${name}": layer "${next.name}" also reads an earlier tensor (a skip connection crosses the cut). Valid cut points: ${valid.join(', ')}.`);
    }
    const out = next.apply(ins.length === 1 ? ins[0]! : (ins as tf.SymbolicTensor[]));
    (Array.isArray(out) ? out : [out]).forEach((t, i) => mapped.set(node.outputTensors[i].id, t as tf.SymbolicTensor));
  }
  const output = mapped.get(model.outputs[0].id);
  if (!output) throw new Error(`editlab: cannot split "${model.name}" at "${name}": the output does not depend on it.`);
  return {
    prefix: tf.model({ inputs: model.inputs, outputs: cut, name: `${model.name}_to_${name}` }),
    suffix: tf.model({ inputs: input, outputs: output, name: `${model.name}_from_${name}` }),
  };
}

/** Layers whose output every input-to-output path runs through (where splitAt works). */
export function validCutPoints(model: tf.LayersModel): string[] {
  // A layer's output is a cut point when no later layer reads a tensor produced before it.
  const position = new Map<number, number>();
  model.layers.forEach((l, i) => l.inboundNodes[0]?.outputTensors.forEach((t) => position.set(t.id, i)));
  // The earliest producer each layer reads from.
  const earliestRead = model.layers.map((l, i) => Math.min(i, ...(l.inboundNodes[0]?.inputTensors ?? []).map((t) => position.get(t.id) ?? -1)));
  return model.layers
    .filter((l, i) => i < model.layers.length - 1 && !model.inputLayers.includes(l) && earliestRead.slice(i + 1).every((e) => e >= i))
    .map((l) => l.name);
}
