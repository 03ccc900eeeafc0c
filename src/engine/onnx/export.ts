/**
 * Exports a tfjs LayersModel (Sequential, functional, nested) to an ONNX graph: the layers are
 * walked in topological order and each call is converted by its class's converter
 * (./converters). Chosen weights can be graph inputs (fed per run, e.g. W(α) in a sweep), and
 * a model can be cut at a layer into a prefix and a suffix (to cache the prefix's activations).
 */
import type { tf } from '../backend';
import { GraphBuilder, ONNX_OPSET, type Dim, type WeightRef } from './builder';
import {
  applyActivation, onnxConverter, onnxDims, onnxSupportedLayers, toChannelsFirst, toChannelsLast,
  type ConverterContext, type Layout, type OnnxValue,
} from './converters';

/** Options of {@link exportOnnx} and {@link exportOnnxSplit}. */
export interface OnnxExportOptions {
  /**
   * Weights fed at run time instead of stored in the graph: indices in `model.getWeights()`
   * order (as in `Edit.changes[i].index`), or layer names (all of that layer's weights).
   * Each is fed in its tfjs shape and layout, under the name listed in `weightInputs`.
   */
  weightInputs?: Array<number | string>;
  /** Name of the (first) data input; default 'input'. */
  inputName?: string;
  /** Name of the (first) output; default 'logits'. */
  outputName?: string;
  /** A fixed batch size; default dynamic. */
  batch?: number;
  /**
   * Values to store instead of the model's, by weight index (tfjs shape and layout), e.g. W(α)
   * of an edit: the graph is the edited model's without building it in tfjs.
   */
  weightValues?: ReadonlyMap<number, Float32Array>;
  /**
   * 'standard' (default): ONNX's own operators only, for any runtime. 'onnxruntime': also ONNX
   * Runtime's contrib operators where they are faster (self-attention as one com.microsoft
   * Attention node: vit-tiny's evaluation measured 1.7–2× faster); such a graph runs only on ONNX Runtime.
   * editlab's own evaluation sessions use it.
   */
  operators?: OnnxOperators;
}

/** Which operator sets an export may use; see {@link OnnxExportOptions.operators}. */
export type OnnxOperators = 'standard' | 'onnxruntime';

/** A data input or output of an exported graph. */
export interface OnnxTensorInfo {
  name: string;
  /** ONNX dims (null = dynamic). */
  dims: Dim[];
  /** 'tf' = as tfjs lays it out (NHWC for images), 'cf' = channels at axis 1. */
  layout: Layout;
}

/** A weight that is a graph input. */
export interface OnnxWeightInput {
  /** The graph input's name. */
  name: string;
  /** Index in `model.getWeights()` order. */
  index: number;
  /** Owning layer. */
  layer: string;
  /** tfjs shape (what to feed). */
  shape: number[];
}

/** An exported graph. */
export interface OnnxExport {
  /** The ONNX model (protobuf bytes): write it to a .onnx file or give it to a session. */
  bytes: Uint8Array;
  /** Data inputs (not weights). */
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  /** Weights to feed on every run, in the order they were asked for. */
  weightInputs: OnnxWeightInput[];
  opset: number;
  /** Converted layers, in graph order. */
  layers: string[];
}

/** A model cut at a layer: prefix(input) → cut values; suffix(cut values) → outputs. */
export interface OnnxSplit {
  /** The layer the suffix starts with. */
  layer: string;
  prefix: OnnxExport;
  suffix: OnnxExport;
  /** The values crossing the cut (outputs of the prefix, inputs of the suffix, same names). */
  cut: OnnxTensorInfo[];
}

interface Call {
  layer: tf.layers.Layer;
  inputs: tf.SymbolicTensor[];
  outputs: tf.SymbolicTensor[];
  /** Index of the layer in `model.layers`. */
  position: number;
}

interface InboundNode {
  inputTensors: tf.SymbolicTensor[];
  outputTensors: tf.SymbolicTensor[];
}

/** The model's layer calls that lead from its inputs to its outputs, in topological order. */
function planCalls(model: tf.LayersModel): Call[] {
  const known = new Set<number>(model.inputs.map((t) => t.id));
  let pending: Call[] = [];
  model.layers.forEach((layer, position) => {
    if (layer.getClassName() === 'InputLayer') return;
    for (const node of (layer as unknown as { inboundNodes: InboundNode[] }).inboundNodes) {
      pending.push({ layer, inputs: node.inputTensors, outputs: node.outputTensors, position });
    }
  });
  const order: Call[] = [];
  for (let progress = true; progress;) {
    progress = false;
    const rest: Call[] = [];
    for (const c of pending) {
      if (c.inputs.every((t) => known.has(t.id))) {
        order.push(c);
        c.outputs.forEach((t) => known.add(t.id));
        progress = true;
      } else {
        rest.push(c);
      }
    }
    pending = rest;
  }
  const missing = model.outputs.filter((t) => !known.has(t.id));
  if (missing.length) throw new Error(`editlab onnx: model "${model.name}": outputs ${missing.map((t) => t.name).join(', ')} are not reachable from its inputs.`);
  // Keep the calls the outputs depend on (a shared layer may also be called in other graphs).
  const needed = new Set<number>(model.outputs.map((t) => t.id));
  const kept: Call[] = [];
  for (let i = order.length - 1; i >= 0; i--) {
    const c = order[i];
    if (c.outputs.some((t) => needed.has(t.id))) {
      kept.push(c);
      c.inputs.forEach((t) => needed.add(t.id));
    }
  }
  return kept.reverse();
}

function unsupported(layer: tf.layers.Layer, reason: string): Error {
  return new Error(`editlab onnx: cannot export layer "${layer.name}" (class ${layer.getClassName()}): ${reason}.`);
}

/** One graph under construction. */
class Exporter {
  readonly g: GraphBuilder;
  private readonly refs = new Map<tf.LayerVariable, WeightRef>();
  private readonly transposes = new Map<string, OnnxValue>();
  private readonly rootIndex: Map<tf.LayerVariable, number>;
  readonly feeds: OnnxWeightInput[] = [];
  readonly converted: string[] = [];

  constructor(name: string, root: tf.LayersModel, private readonly fed: Set<number>, reserved: string[], private readonly options: OnnxExportOptions) {
    this.g = new GraphBuilder(name);
    reserved.forEach((n) => this.g.reserve(n));
    this.rootIndex = new Map(root.weights.map((w, i) => [w, i]));
  }

  weightRef(variable: tf.LayerVariable, layer: tf.layers.Layer): WeightRef {
    const hit = this.refs.get(variable);
    if (hit) return hit;
    const shape = variable.shape.map(Number);
    const index = this.rootIndex.get(variable) ?? -1;
    let ref: WeightRef;
    if (index >= 0 && this.fed.has(index)) {
      ref = this.g.weightInput(variable.originalName, shape);
      this.feeds.push({ name: ref.name, index, layer: layer.name, shape });
    } else {
      const t = variable.read();
      if (t.dtype !== 'float32') throw unsupported(layer, `weight ${variable.name} has dtype ${t.dtype} (only float32)`);
      const value = this.options.weightValues?.get(index);
      if (value && value.length !== t.size) throw new Error(`editlab onnx: weightValues for ${variable.name}: ${value.length} values for shape [${shape}].`);
      ref = this.g.weightConstant(variable.originalName, shape, value ?? (t.dataSync() as Float32Array));
    }
    this.refs.set(variable, ref);
    return ref;
  }

  toLayout(v: OnnxValue, layout: Layout): OnnxValue {
    const rank = v.shape.length;
    if (v.layout === layout) return v;
    if (rank < 3) return { ...v, layout };
    const key = `${v.name}>${layout}`;
    let t = this.transposes.get(key);
    if (!t) {
      const perm = layout === 'cf' ? toChannelsFirst(rank) : toChannelsLast(rank);
      t = { name: this.g.op('Transpose', [v.name], `${v.name}/to_${layout === 'cf' ? 'nchw' : 'nhwc'}`, { perm: { ints: perm } }), shape: v.shape, layout };
      this.transposes.set(key, t);
    }
    return t;
  }

  /** Converts the given calls of `model`; `values` maps symbolic tensor ids to graph values. */
  convert(model: tf.LayersModel, calls: Call[], values: Map<number, OnnxValue>): void {
    for (const call of calls) {
      const { layer } = call;
      const className = layer.getClassName();
      const converter = onnxConverter(className);
      if (!converter) {
        throw unsupported(layer, `no ONNX converter for class ${className} (supported: ${onnxSupportedLayers().join(', ')}; add one with registerOnnxConverter)`);
      }
      const inputs = call.inputs.map((t) => {
        const v = values.get(t.id);
        if (!v) throw unsupported(layer, `its input ${t.name} was not converted`);
        return v;
      });
      const exporter = this;
      const ctx: ConverterContext = {
        layer,
        className,
        config: layer.getConfig() as Record<string, any>,
        g: this.g,
        inputs,
        outputShapes: call.outputs.map((t) => t.shape.map((d) => (d === null || d === undefined ? null : Number(d)))),
        base: layer.name,
        operators: this.options.operators ?? 'standard',
        weight(suffix) {
          const w = layer.weights.find((v) => v.originalName === suffix || v.originalName.endsWith(`/${suffix}`) || v.name.endsWith(`/${suffix}`));
          return w ? exporter.weightRef(w, layer) : undefined;
        },
        requireWeight(suffix) {
          const w = this.weight(suffix);
          if (!w) throw unsupported(layer, `it has no weight "${suffix}" (weights: ${layer.weights.map((v) => v.originalName).join(', ') || 'none'})`);
          return w;
        },
        weightAt(k) {
          const w = layer.weights[k];
          if (!w) throw unsupported(layer, `it has no weight #${k}`);
          return exporter.weightRef(w, layer);
        },
        toLayout: (v, layout) => this.toLayout(v, layout),
        out(name, layout, k = 0) {
          return { name, layout, shape: this.outputShapes[k] };
        },
        activation(v, id) {
          return applyActivation(this, v, id);
        },
        convertModel: (inner, innerInputs) => this.convertNested(inner, innerInputs),
        fail(reason): never {
          throw unsupported(layer, reason);
        },
      };
      let result: OnnxValue | OnnxValue[];
      try {
        result = converter(ctx);
      } catch (e) {
        const message = (e as Error).message;
        if (message.startsWith('editlab onnx:')) throw e;
        throw unsupported(layer, message);
      }
      const outs = Array.isArray(result) ? result : [result];
      if (outs.length !== call.outputs.length) throw unsupported(layer, `its converter gave ${outs.length} outputs for ${call.outputs.length}`);
      call.outputs.forEach((t, i) => values.set(t.id, outs[i]));
      this.converted.push(layer.name);
    }
  }

  private convertNested(inner: tf.LayersModel, inputs: OnnxValue[]): OnnxValue[] {
    if (inputs.length !== inner.inputs.length) throw new Error(`editlab onnx: nested model "${inner.name}" takes ${inner.inputs.length} inputs, got ${inputs.length}.`);
    const values = new Map<number, OnnxValue>();
    inner.inputs.forEach((t, i) => values.set(t.id, inputs[i]));
    this.convert(inner, planCalls(inner), values);
    return inner.outputs.map((t) => values.get(t.id) as OnnxValue);
  }

  /** Declares `v` (in tf layout unless `keepLayout`) as a graph output named `name`. */
  output(v: OnnxValue, name: string, keepLayout = false): OnnxTensorInfo {
    const w = keepLayout ? v : this.toLayout(v, 'tf');
    this.g.rename(w.name, name);
    const dims = onnxDims(w);
    this.g.output(name, dims);
    return { name, dims, layout: w.layout };
  }

  finish(inputs: OnnxTensorInfo[], outputs: OnnxTensorInfo[], doc: string): OnnxExport {
    return { bytes: this.g.encode(doc), inputs, outputs, weightInputs: this.feeds, opset: ONNX_OPSET, layers: this.converted };
  }
}

/** The indices (in `model.getWeights()` order) of the weights to feed. */
function fedIndices(model: tf.LayersModel, spec: Array<number | string> = []): Set<number> {
  const set = new Set<number>();
  const weights = model.weights;
  for (const s of spec) {
    if (typeof s === 'number') {
      if (!Number.isInteger(s) || s < 0 || s >= weights.length) throw new Error(`editlab onnx: weight index ${s} outside 0..${weights.length - 1}.`);
      set.add(s);
      continue;
    }
    const layer = findLayer(model, s);
    if (!layer) throw new Error(`editlab onnx: model "${model.name}" has no layer "${s}"; layers with weights: ${model.layers.filter((l) => l.weights.length).map((l) => l.name).join(', ')}.`);
    for (const w of layer.weights) set.add(weights.indexOf(w));
  }
  return set;
}

function findLayer(model: tf.LayersModel, name: string): tf.layers.Layer | undefined {
  for (const l of model.layers) {
    if (l.name === name) return l;
    if ((l as unknown as tf.LayersModel).layers && (l as unknown as tf.LayersModel).inputs) {
      const inner = findLayer(l as unknown as tf.LayersModel, name);
      if (inner) return inner;
    }
  }
  return undefined;
}

function dataInputs(exporter: Exporter, model: tf.LayersModel, options: OnnxExportOptions, values: Map<number, OnnxValue>): OnnxTensorInfo[] {
  return model.inputs.map((t, i) => {
    const shape: Dim[] = t.shape.map((d) => (d === null || d === undefined ? null : Number(d)));
    shape[0] = options.batch ?? null;
    const name = inputNames(model, options)[i];
    exporter.g.input(name, shape);
    values.set(t.id, { name, shape, layout: 'tf' });
    return { name, dims: shape, layout: 'tf' as const };
  });
}

function outputName(options: OnnxExportOptions, i: number): string {
  return i === 0 ? options.outputName ?? 'logits' : `output_${i}`;
}

function inputNames(model: tf.LayersModel, options: OnnxExportOptions): string[] {
  return model.inputs.map((_, i) => (i === 0 ? options.inputName ?? 'input' : `input_${i}`));
}

function outputNames(model: tf.LayersModel, options: OnnxExportOptions): string[] {
  return model.outputs.map((_, i) => outputName(options, i));
}

/**
 * Exports a model to ONNX (opset 17). Data inputs keep tfjs's layout (NHWC images), so an
 * ImageSet's array is fed as is; outputs are as tfjs computes them (logits).
 * Throws an error naming the layer and class when a layer cannot be converted.
 */
export function exportOnnx(model: tf.LayersModel, options: OnnxExportOptions = {}): OnnxExport {
  const exporter = new Exporter(model.name, model, fedIndices(model, options.weightInputs), [...inputNames(model, options), ...outputNames(model, options)], options);
  const values = new Map<number, OnnxValue>();
  const inputs = dataInputs(exporter, model, options, values);
  exporter.convert(model, planCalls(model), values);
  const outputs = model.outputs.map((t, i) => exporter.output(values.get(t.id) as OnnxValue, outputName(options, i)));
  return exporter.finish(inputs, outputs, `${model.name}, exported by editlab`);
}

/**
 * Exports a model as two graphs cut before layer `layer`: the prefix computes every value the
 * rest needs (in the layout the graph has there, often NCHW), the suffix starts from them.
 * Running prefix then suffix equals the whole model. For a sweep that changes `layer` and
 * later layers only, the prefix outputs can be cached once per dataset.
 */
export function exportOnnxSplit(model: tf.LayersModel, layer: string, options: OnnxExportOptions = {}): OnnxSplit {
  const { segments: [prefix, suffix], cuts: [cut] } = exportOnnxSegments(model, [layer], options);
  return { layer, prefix, suffix, cut };
}

/** Options of {@link exportOnnxSegments}. */
export interface OnnxSegmentOptions extends OnnxExportOptions {
  /**
   * The last segment reads each value crossing into it as an interpolation of two: it takes
   * `NAME@0`, `NAME@1` (the value's two versions) and a scalar `alpha` (shape [1]), and computes
   * NAME = (1 − α)·NAME@0 + α·NAME@1 (exactly NAME@0 at α = 0 and NAME@1 at α = 1). For an α
   * sweep whose edited layer is linear in its weights, so its output at α is that interpolation.
   */
  interpolateLast?: boolean;
}

/** A model cut before each of `layers` (in model order) into consecutive graphs. */
export interface OnnxSegments {
  /** segments[0] reads the model's inputs, segments[i] reads cuts[i − 1] (interpolated: see `interpolateLast`); the last gives the outputs. */
  segments: OnnxExport[];
  /** cuts[i]: the values crossing the cut before layers[i] (outputs of segments[i], inputs of segments[i + 1]). */
  cuts: OnnxTensorInfo[][];
}

/**
 * Exports a model as consecutive graphs cut before each of `layers` (top-level layer names, in
 * model order): segment i computes every value the segments after it need (in the layout the
 * graph has there), and running them in turn equals the whole model. The values crossing the
 * first cut are named `cut_0`, `cut_1`, …, those crossing the k-th (k > 0) `cutk_0`, ….
 */
export function exportOnnxSegments(model: tf.LayersModel, layers: readonly string[], options: OnnxSegmentOptions = {}): OnnxSegments {
  const positions = layers.map((layer) => {
    const position = model.layers.findIndex((l) => l.name === layer);
    if (position < 0) throw new Error(`editlab onnx: model "${model.name}" has no top-level layer "${layer}" to split at; layers: ${model.layers.map((l) => l.name).join(', ')}.`);
    return position;
  });
  positions.forEach((p, i) => {
    if (i > 0 && p <= positions[i - 1]) throw new Error(`editlab onnx: split layers must be distinct and in model order; "${layers[i]}" does not come after "${layers[i - 1]}".`);
  });
  const calls = planCalls(model);
  const bounds = [-Infinity, ...positions, Infinity];
  const segmentCalls = positions.concat(Infinity).map((_, i) => calls.filter((c) => c.position >= bounds[i] && c.position < bounds[i + 1]));
  const fed = fedIndices(model, options.weightInputs);
  // Per cut: the values crossing it, made before it (or model inputs) and used from it on.
  const cutIds = positions.map((position, k) => {
    const before = calls.filter((c) => c.position < position);
    const after = calls.filter((c) => c.position >= position);
    if (!after.length) throw new Error(`editlab onnx: nothing to compute from layer "${layers[k]}" on.`);
    const producedAfter = new Set(after.flatMap((c) => c.outputs.map((t) => t.id)));
    for (const c of before) {
      if (c.inputs.some((t) => producedAfter.has(t.id))) throw new Error(`editlab onnx: cannot split model "${model.name}" at "${layers[k]}": layer "${c.layer.name}" comes earlier but uses a later value.`);
    }
    const available = new Set<number>([...model.inputs.map((t) => t.id), ...before.flatMap((c) => c.outputs.map((t) => t.id))]);
    const ids: number[] = [];
    const consider = (t: tf.SymbolicTensor) => {
      if (available.has(t.id) && !ids.includes(t.id)) ids.push(t.id);
    };
    after.forEach((c) => c.inputs.forEach(consider));
    model.outputs.forEach(consider);
    return ids;
  });
  const cutNames = cutIds.map((ids, k) => ids.map((_, i) => (k === 0 ? `cut_${i}` : `cut${k}_${i}`)));

  // Shapes and layouts of every value made so far, across segments (each graph names its own).
  const made = new Map<number, OnnxValue>();
  const segments: OnnxExport[] = [];
  const cuts: OnnxTensorInfo[][] = [];
  segmentCalls.forEach((segment, i) => {
    const last = i === positions.length;
    const inputNamesHere = i === 0 ? inputNames(model, options) : cutNames[i - 1];
    const outputNamesHere = last ? outputNames(model, options) : cutNames[i];
    const interpolate = last && i > 0 && options.interpolateLast;
    const reserved = [...inputNamesHere.flatMap((n) => (interpolate ? [`${n}@0`, `${n}@1`] : [n])), ...(interpolate ? ['alpha'] : []), ...outputNamesHere];
    const exporter = new Exporter(`${model.name}/${i === 0 ? 'prefix' : last ? 'suffix' : `segment${i}`}`, model, fed, reserved, options);
    const values = new Map<number, OnnxValue>();
    let inputs: OnnxTensorInfo[];
    if (i === 0) {
      inputs = dataInputs(exporter, model, options, values);
    } else {
      inputs = interpolate ? cuts[i - 1].flatMap((c) => [0, 1].map((k) => ({ ...c, name: `${c.name}@${k}` }))) : cuts[i - 1];
      const alpha = interpolate ? exporter.g.input('alpha', [1]) : '';
      const oneMinusAlpha = interpolate ? exporter.g.op('Sub', [exporter.g.scalar(1), alpha], 'one_minus_alpha') : '';
      cutIds[i - 1].forEach((id, j) => {
        const v = made.get(id) as OnnxValue;
        const { name, dims } = cuts[i - 1][j];
        let value = name;
        if (interpolate) {
          const [at0, at1] = [exporter.g.input(`${name}@0`, dims), exporter.g.input(`${name}@1`, dims)];
          value = exporter.g.op('Add', [exporter.g.op('Mul', [at0, oneMinusAlpha], `${name}/from`), exporter.g.op('Mul', [at1, alpha], `${name}/to`)], `${name}/at_alpha`);
        } else {
          exporter.g.input(name, dims);
        }
        values.set(id, { name: value, shape: v.shape, layout: v.layout });
      });
      if (interpolate) inputs.push({ name: 'alpha', dims: [1], layout: 'tf' });
    }
    exporter.convert(model, segment, values);
    values.forEach((v, id) => made.set(id, v));
    const outputs = last
      ? model.outputs.map((t, k) => exporter.output(values.get(t.id) as OnnxValue, outputName(options, k)))
      : cutIds[i].map((id, k) => exporter.output(values.get(id) as OnnxValue, cutNames[i][k], true));
    if (!last) cuts.push(outputs);
    const from = i === 0 ? '' : ` from "${layers[i - 1]}"`;
    const to = last ? ' on' : ` up to "${layers[i]}" (exclusive)`;
    segments.push(exporter.finish(inputs, outputs, `${model.name}${from}${to}, exported by editlab`));
  });
  return { segments, cuts };
}
