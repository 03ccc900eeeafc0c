/**
 * Layer surgery: list a model's editable layers, read and write one layer's weights, capture
 * activations, and split a model at a layer into a prefix and a suffix with
 * suffix(prefix(x)) = model(x). Edit methods and the sweep's activation cache build on these.
 */
import { tf } from '../engine/backend';
import type { ImageSet } from '../data/image-set';

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

/** The shape of a layer's kernel (Conv2D [kh, kw, cin, cout], Dense [cin, cout]); an error names the layer when it has none. */
export function kernelShape(model: tf.LayersModel, name: string): number[] {
  const kernel = findLayer(model, name).weights.find((w) => w.originalName === `${name}/kernel` || w.originalName.endsWith('/kernel'));
  if (!kernel) throw new Error(`editlab: layer "${name}" of ${model.name} has no kernel (a Conv2D or Dense layer has one).`);
  return kernel.shape.map(Number);
}

/** Activations of a layer (its output, or with `which: 'input'` its input) on a batch. */
export function activations(model: tf.LayersModel, name: string, x: tf.Tensor, which: 'input' | 'output' = 'output'): tf.Tensor {
  return prefixModel(model, name, which).predict(x) as tf.Tensor;
}

/** A model cut in two at a layer's output. */
export interface SplitModel {
  /** Input → the layer's output. */
  prefix: tf.LayersModel;
  /** The layer's output → the model's output (shares the original's weights). */
  suffix: tf.LayersModel;
}

/**
 * The model from the input to the output of layer `name` (or, with `which: 'input'`, to its
 * input): any layer, not only a cut point. It shares the model's layers without re-applying
 * them; do not dispose it (that would free the model's weights).
 */
export function prefixModel(model: tf.LayersModel, name: string, which: 'input' | 'output' = 'output'): tf.LayersModel {
  const node = findLayer(model, name).inboundNodes[0];
  const tensor = which === 'output' ? node.outputTensors[0] : node.inputTensors[0];
  return tf.model({ inputs: model.inputs, outputs: tensor, name: `${model.name}_to_${name}${which === 'input' ? '_input' : ''}` });
}

/**
 * Splits a model at the output of `name`. Valid where every path from the input to the output
 * runs through that tensor (not inside a residual branch); otherwise the error lists the
 * valid cut points. Both parts share the original layers (and weights). The suffix re-applies
 * its layers, which counts a reference to them: dispose it when done (the weights stay until the
 * model is disposed too); the prefix holds none (disposing it would free the model's weights).
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
    prefix: prefixModel(model, name),
    suffix: tf.model({ inputs: input, outputs: output, name: `${model.name}_from_${name}` }),
  };
}

/**
 * Training only `trained` layers leaves everything before them fixed: cut the model at the last
 * valid cut point before the first trained layer, compute the prefix once on `data` (inference
 * mode), and train the suffix on those features. Returns the suffix (sharing the model's layers,
 * so training it trains the model; dispose it when done, see {@link splitAt}) and the features as
 * a set of flat examples with `data`'s labels; undefined when no layer can be cut off before the
 * first trained one.
 */
export function frozenPrefix(model: tf.LayersModel, trained: ReadonlySet<string>, data: ImageSet): { suffix: tf.LayersModel; features: ImageSet } | undefined {
  const first = model.layers.findIndex((l) => trained.has(l.name));
  const cuts = validCutPoints(model).map((name) => model.layers.findIndex((l) => l.name === name)).filter((i) => i < first && model.layers[i].getClassName() !== 'InputLayer');
  if (first < 0 || !cuts.length) return undefined;
  const { prefix, suffix } = splitAt(model, model.layers[Math.max(...cuts)].name);
  const values = tf.tidy(() => {
    const x = tf.tensor4d(data.images, [data.n, data.height, data.width, data.channels]);
    return prefix.predict(x, { batchSize: 64 }) as tf.Tensor;
  });
  try {
    const flat = values.dataSync() as Float32Array;
    return { suffix, features: { ...data, images: Float32Array.from(flat), height: 1, width: flat.length / Math.max(1, data.n), channels: 1 } };
  } finally {
    values.dispose();
  }
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

/** The layers that read a layer's output (its consumers in the graph). */
function consumersOf(model: tf.LayersModel, layer: tf.layers.Layer): tf.layers.Layer[] {
  const outputs = new Set(layer.inboundNodes[0].outputTensors.map((t) => t.id));
  return model.layers.filter((l) => l !== layer && (l.inboundNodes[0]?.inputTensors ?? []).some((t) => outputs.has(t.id)));
}

/** Elementwise layers that belong to the block of the conv or dense layer before them (a conv → batch-norm → ReLU block). */
const BLOCK_TAIL_CLASSES = new Set(['BatchNormalization', 'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'QuickGelu']);

/**
 * The layers that finish a layer's block: the chain of one-input elementwise layers
 * (batch norm, activations) that alone read its output, e.g. `[bn, relu]` after a conv of
 * VGG-small, `[bn]` after a ResNet branch's last conv (the add that follows mixes in the
 * shortcut, so it is not part of the block), `[]` when the next layer is anything else.
 */
export function blockTail(model: tf.LayersModel, name: string): tf.layers.Layer[] {
  const tail: tf.layers.Layer[] = [];
  let current = findLayer(model, name);
  for (;;) {
    const next = consumersOf(model, current);
    if (next.length !== 1 || !BLOCK_TAIL_CLASSES.has(next[0].getClassName()) || next[0].inboundNodes[0].inputTensors.length !== 1) return tail;
    tail.push(next[0]);
    current = next[0];
  }
}

/**
 * A layer and every layer downstream of it in the graph (that reads, directly or through
 * others, its output), in model order. On a ResNet this excludes a projection shortcut that
 * list order puts after the layer but that reads the block's input.
 */
export function downstreamLayers(model: tf.LayersModel, name: string): tf.layers.Layer[] {
  const start = findLayer(model, name);
  const reached = new Set<tf.layers.Layer>([start]);
  const produced = new Set(start.inboundNodes[0].outputTensors.map((t) => t.id));
  for (const layer of model.layers.slice(model.layers.indexOf(start) + 1)) {
    const node = layer.inboundNodes[0];
    if (!node?.inputTensors.some((t) => produced.has(t.id))) continue;
    reached.add(layer);
    for (const t of node.outputTensors) produced.add(t.id);
  }
  return model.layers.filter((l) => reached.has(l));
}

/** Relative depths a layer can be named by: resolved per model by {@link depthLayers}. */
export const LAYER_DEPTHS = ['early', 'middle', 'late'] as const;
export type LayerDepth = (typeof LAYER_DEPTHS)[number];

/**
 * The conv/dense layers at 1/6, 1/2 and 5/6 of the model's conv and dense layers before its
 * head: what `early`, `middle` and `late` mean on that model.
 */
export function depthLayers(model: tf.LayersModel): Record<LayerDepth, string> {
  const candidates = editableLayers(model).filter((l) => l.kind === 'Conv2D' || l.kind === 'Dense').slice(0, -1);
  if (!candidates.length) throw new Error(`editlab: model "${model.name}" has no conv or dense layer before its head, so early/middle/late mean nothing; name its layers instead.`);
  const at = (fraction: number) => candidates[Math.round((candidates.length - 1) * fraction)].name;
  return { early: at(1 / 6), middle: at(1 / 2), late: at(5 / 6) };
}

/** A layer name, or a depth (`early`, `middle`, `late`) resolved on the model; unknown names fail listing the editable layers. */
export function resolveLayer(model: tf.LayersModel, layer: string): string {
  if ((LAYER_DEPTHS as readonly string[]).includes(layer)) return depthLayers(model)[layer as LayerDepth];
  return findLayer(model, layer).name;
}

/**
 * Position in `model.layers` of the first top-level layer owning one of the weights.
 * @param indices weight indices in `model.weights` order (as `Edit.changes[i].index`; a copy of the model has the same)
 */
export function firstLayerOwning(model: tf.LayersModel, indices: readonly number[]): number {
  return Math.min(...indices.map((i) => model.layers.findIndex((l) => l.weights.includes(model.weights[i]))));
}

/** Layer classes whose output is an affine map of their input and weights when their activation is linear. */
const AFFINE_LAYERS = new Set(['Conv2D', 'Dense', 'DepthwiseConv2D', 'Conv1D']);

/**
 * Whether a layer's output in `model` is linear in α when its weights are W(α) = W₀ + α·(W₁ − W₀):
 * an affine layer (conv or dense) with a linear activation, called once in the model's graph
 * (calls from other graphs, such as the halves `splitAt` builds, do not count). Its output is then
 * z(α) = z₀ + α·(z₁ − z₀), so a sweep can compute z₀ and z₁ once instead of the layer per α.
 */
export function linearInAlpha(model: tf.LayersModel, layer: tf.layers.Layer | undefined): boolean {
  if (!layer || !AFFINE_LAYERS.has(layer.getClassName())) return false;
  const activation = (layer.getConfig() as { activation?: string }).activation;
  return (activation === undefined || activation === 'linear') && callsInGraph(model, layer) === 1;
}

/** How many times the graph from `model`'s inputs to its outputs calls `layer`. */
function callsInGraph(model: tf.LayersModel, layer: tf.layers.Layer): number {
  const seen = new Set<string>();
  const pending: tf.SymbolicTensor[] = [...model.outputs];
  let calls = 0;
  const inputs = new Set(model.inputs.map((t) => t.id));
  while (pending.length) {
    const t = pending.pop()!;
    const key = `${t.sourceLayer.name}#${t.nodeIndex}`;
    if (inputs.has(t.id) || seen.has(key)) continue;
    seen.add(key);
    if (t.sourceLayer === layer) calls++;
    const node = (t.sourceLayer as unknown as { inboundNodes: { inputTensors: tf.SymbolicTensor[] }[] }).inboundNodes[t.nodeIndex];
    pending.push(...(node?.inputTensors ?? []));
  }
  return calls;
}

/**
 * The first layer owning one of the weights `indices` (in `model.getWeights()` order) when its
 * output is linear in α ({@link linearInAlpha}) and a cut point (nothing after it reads around
 * it), else undefined. With `only`, also undefined unless that layer owns every one of them.
 */
export function linearFirstLayer(model: tf.LayersModel, indices: readonly number[], only = false): string | undefined {
  const layer = model.layers[firstLayerOwning(model, indices)];
  if (!linearInAlpha(model, layer) || !validCutPoints(model).includes(layer.name)) return undefined;
  return !only || indices.every((i) => layer.weights.includes(model.weights[i])) ? layer.name : undefined;
}
