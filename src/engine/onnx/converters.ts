/**
 * Per-layer-class converters from tfjs layers to ONNX nodes: a table keyed by the layer's
 * class name, so new layer classes plug in with {@link registerOnnxConverter}.
 *
 * Layouts: tfjs tensors are channels-last (NHWC, kernels HWIO); ONNX Conv and pooling are
 * channels-first (NCHW, kernels OIHW). Every value carries its layout: 'tf' (as in tfjs) or
 * 'cf' (channels moved to axis 1). Spatial ops ask for 'cf', Dense/Flatten/Reshape/LayerNorm
 * ask for 'tf', elementwise ops keep what they get; {@link ConverterContext.toLayout} inserts
 * (and reuses) the Transpose. A channels-last graph thus transposes its input once and stays
 * channels-first until the first Flatten or Dense.
 */
import type { tf } from '../backend';
import { A, type Attr, type Dim, type GraphBuilder, type WeightRef } from './builder';

/** Where a value's channels are: 'tf' = as in tfjs (last), 'cf' = at axis 1. */
export type Layout = 'tf' | 'cf';

/** A value in the graph under construction. */
export interface OnnxValue {
  /** ONNX value name. */
  name: string;
  /** Shape in tfjs (channels-last) order, batch first (null = dynamic). */
  shape: Dim[];
  /** How the ONNX value is laid out. */
  layout: Layout;
}

/** The permutation taking a tf-layout value of rank r to cf layout: [0, r−1, 1, …, r−2]. */
export function toChannelsFirst(rank: number): number[] {
  return rank < 3 ? [...Array(rank).keys()] : [0, rank - 1, ...Array.from({ length: rank - 2 }, (_, i) => i + 1)];
}

/** Inverse permutation of {@link toChannelsFirst}. */
export function toChannelsLast(rank: number): number[] {
  const p = toChannelsFirst(rank);
  const inv = new Array<number>(rank);
  p.forEach((v, i) => { inv[v] = i; });
  return inv;
}

/** The ONNX dims of a value (its tfjs shape, permuted when channels-first). */
export function onnxDims(v: OnnxValue): Dim[] {
  return v.layout === 'cf' ? toChannelsFirst(v.shape.length).map((p) => v.shape[p]) : [...v.shape];
}

/** The axis of the ONNX value that holds tfjs axis `axis` (negative allowed). */
export function onnxAxis(v: OnnxValue, axis: number): number {
  const rank = v.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (!(a >= 0 && a < rank)) throw new Error(`axis ${axis} outside a rank-${rank} value`);
  return v.layout === 'cf' ? toChannelsFirst(rank).indexOf(a) : a;
}

/** What a converter sees: the layer, its inputs in the graph, and helpers. */
export interface ConverterContext {
  /** The layer being converted. */
  readonly layer: tf.layers.Layer;
  /** Its class name (the converter table's key). */
  readonly className: string;
  /** `layer.getConfig()`. */
  readonly config: Record<string, any>;
  /** The graph under construction. */
  readonly g: GraphBuilder;
  /** The call's input values. */
  readonly inputs: OnnxValue[];
  /** The call's output shapes (tfjs order). */
  readonly outputShapes: Dim[][];
  /** A base for node names (the layer name). */
  readonly base: string;
  /** 'onnxruntime' when the graph may use ONNX Runtime's contrib operators (see `OnnxExportOptions.operators`). */
  readonly operators: 'standard' | 'onnxruntime';
  /** The layer's weight whose name ends in `/suffix` (e.g. 'kernel', 'bias', 'gamma'), if any. */
  weight(suffix: string): WeightRef | undefined;
  /** Like {@link weight}, but throws a named error when the layer lacks it. */
  requireWeight(suffix: string): WeightRef;
  /** The layer's k-th weight (in `layer.weights` order). */
  weightAt(k: number): WeightRef;
  /** The value in the requested layout (a Transpose is added and cached when needed). */
  toLayout(v: OnnxValue, layout: Layout): OnnxValue;
  /** A value named `name`, with the k-th output shape of the call. */
  out(name: string, layout: Layout, k?: number): OnnxValue;
  /** Applies a tfjs activation by identifier ('relu', 'gelu', …; undefined/'linear' = none). */
  activation(v: OnnxValue, id: string | undefined | null): OnnxValue;
  /** Converts a nested model applied to `inputs`; returns its outputs. */
  convertModel(model: tf.LayersModel, inputs: OnnxValue[]): OnnxValue[];
  /** Throws an error naming the layer, its class and `reason`. */
  fail(reason: string): never;
}

/** Converts one call of a layer; returns one value per output tensor. */
export type LayerConverter = (ctx: ConverterContext) => OnnxValue | OnnxValue[];

const converters = new Map<string, LayerConverter>();

/**
 * Registers (or replaces) the converter of a tfjs layer class, by its class name
 * (`layer.getClassName()`), e.g. for a custom attention layer.
 */
export function registerOnnxConverter(className: string, converter: LayerConverter): void {
  converters.set(className, converter);
}

/** The converter of a layer class, if any. */
export function onnxConverter(className: string): LayerConverter | undefined {
  return converters.get(className);
}

/** Class names the exporter can convert. */
export function onnxSupportedLayers(): string[] {
  return [...converters.keys()].sort();
}

// ---------------------------------------------------------------------------------------------
// Activations

type ActivationConverter = (ctx: ConverterContext, x: string, v: OnnxValue) => string;

const unary = (op: string, attrs: Record<string, Attr> = {}): ActivationConverter => (ctx, x) => ctx.g.op(op, [x], `${ctx.base}/${op.toLowerCase()}`, attrs);

const activations = new Map<string, ActivationConverter>([
  ['relu', unary('Relu')],
  ['relu6', (ctx, x) => ctx.g.op('Clip', [x, ctx.g.scalar(0), ctx.g.scalar(6)], `${ctx.base}/relu6`)],
  ['elu', unary('Elu', { alpha: A.f(1) })],
  ['selu', unary('Selu', { alpha: A.f(1.6732632423543772), gamma: A.f(1.0507009873554805) })],
  ['sigmoid', unary('Sigmoid')],
  ['hardSigmoid', unary('HardSigmoid', { alpha: A.f(0.2), beta: A.f(0.5) })],
  ['tanh', unary('Tanh')],
  ['softplus', unary('Softplus')],
  ['softsign', unary('Softsign')],
  ['softmax', (ctx, x, v) => ctx.g.op('Softmax', [x], `${ctx.base}/softmax`, { axis: A.i(onnxAxis(v, -1)) })],
  ['logSoftmax', (ctx, x, v) => ctx.g.op('LogSoftmax', [x], `${ctx.base}/log_softmax`, { axis: A.i(onnxAxis(v, -1)) })],
  ['swish', (ctx, x) => ctx.g.op('Mul', [x, ctx.g.op('Sigmoid', [x], `${ctx.base}/swish_sigmoid`)], `${ctx.base}/swish`)],
  ['mish', (ctx, x) => {
    const sp = ctx.g.op('Softplus', [x], `${ctx.base}/mish_softplus`);
    return ctx.g.op('Mul', [x, ctx.g.op('Tanh', [sp], `${ctx.base}/mish_tanh`)], `${ctx.base}/mish`);
  }],
  // GELU, exact: (x · (erf(x/√2) + 1)) · ½, the order ONNX Runtime's Gelu fusion matches (one
  // kernel instead of five elementwise passes); scaling by ½ is exact, so unfused it equals x · ½(1 + erf(x/√2)).
  ['gelu', (ctx, x) => {
    const g = ctx.g, b = `${ctx.base}/gelu`;
    const erf = g.op('Erf', [g.op('Div', [x, g.scalar(Math.SQRT2)], `${b}_div`)], `${b}_erf`);
    const scaled = g.op('Mul', [x, g.op('Add', [erf, g.scalar(1)], `${b}_add`)], `${b}_mul`);
    return g.op('Mul', [scaled, g.scalar(0.5)], b);
  }],
  // GELU, tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
  ['gelu_new', (ctx, x) => {
    const g = ctx.g, b = `${ctx.base}/gelu_new`;
    const x3 = g.op('Mul', [g.op('Mul', [x, x], `${b}_x2`), x], `${b}_x3`);
    const inner = g.op('Mul', [g.scalar(Math.sqrt(2 / Math.PI)), g.op('Add', [x, g.op('Mul', [g.scalar(0.044715), x3], `${b}_c`)], `${b}_sum`)], `${b}_inner`);
    const t = g.op('Add', [g.scalar(1), g.op('Tanh', [inner], `${b}_tanh`)], `${b}_t`);
    return g.op('Mul', [g.op('Mul', [g.scalar(0.5), x], `${b}_half`), t], b);
  }],
]);

/** Activation identifiers the exporter can convert. */
export function onnxSupportedActivations(): string[] {
  return ['linear', ...activations.keys()].sort();
}

/** Applies an activation (by tfjs identifier) to a value; used by {@link ConverterContext.activation}. */
export function applyActivation(ctx: ConverterContext, v: OnnxValue, id: string | undefined | null): OnnxValue {
  if (id === undefined || id === null || id === 'linear') return v;
  const conv = activations.get(id);
  if (!conv) ctx.fail(`activation "${id}" is not supported (supported: ${onnxSupportedActivations().join(', ')})`);
  return { ...v, name: conv(ctx, v.name, v) };
}

// ---------------------------------------------------------------------------------------------
// Helpers

const pair = (v: number | number[] | undefined, fallback: number): number[] =>
  v === undefined || v === null ? [fallback, fallback] : Array.isArray(v) ? v.map(Number) : [v, v];

function channelsLast(ctx: ConverterContext): void {
  const f = ctx.config.dataFormat;
  if (f !== undefined && f !== 'channelsLast') ctx.fail(`dataFormat "${f}" is not supported (only channelsLast)`);
}

/**
 * Spatial padding as ONNX attributes. 'same' follows TensorFlow (output = ⌈in/stride⌉, the
 * odd pixel of padding at the end: bottom/right) with explicit pads when sizes are static.
 */
function padAttrs(ctx: ConverterContext, spatial: Dim[], kernel: number[], strides: number[], dilations: number[], padding: string): Record<string, Attr> {
  if (padding === 'valid') return { pads: A.ints(new Array(2 * kernel.length).fill(0)) };
  if (padding !== 'same') ctx.fail(`padding "${padding}" is not supported (only valid and same)`);
  if (spatial.some((d) => d === null)) return { auto_pad: A.s('SAME_UPPER') };
  const before: number[] = [], after: number[] = [];
  spatial.forEach((d, i) => {
    const size = d as number;
    const out = Math.ceil(size / strides[i]);
    const total = Math.max((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size, 0);
    before.push(Math.floor(total / 2));
    after.push(total - Math.floor(total / 2));
  });
  return { pads: A.ints([...before, ...after]) };
}

/** The 1-D or 2-D spatial dims of a channels-last input. */
function spatialDims(ctx: ConverterContext, v: OnnxValue, n: number): Dim[] {
  if (v.shape.length !== n + 2) ctx.fail(`expected a rank-${n + 2} input, got shape [${v.shape}]`);
  return v.shape.slice(1, 1 + n);
}

function convND(ctx: ConverterContext, n: 1 | 2): OnnxValue {
  channelsLast(ctx);
  const c = ctx.config;
  const x = ctx.toLayout(ctx.inputs[0], 'cf');
  const kernel = ctx.requireWeight('kernel');
  const ks = kernel.shape.slice(0, n);
  const strides = n === 1 ? [Number([c.strides].flat()[0] ?? 1)] : pair(c.strides, 1);
  const dil = n === 1 ? [Number([c.dilationRate].flat()[0] ?? 1)] : pair(c.dilationRate, 1);
  if (c.padding === 'causal') ctx.fail('padding "causal" is not supported');
  const perm = n === 1 ? [2, 1, 0] : [3, 2, 0, 1];
  const w = ctx.g.transposeWeight(kernel, perm, `${ctx.base}/W`);
  const inputs = [x.name, w.name];
  if (c.useBias !== false) {
    const b = ctx.weight('bias');
    if (b) inputs.push(b.name);
  }
  const attrs = { kernel_shape: A.ints(ks), strides: A.ints(strides), dilations: A.ints(dil), group: A.i(1), ...padAttrs(ctx, spatialDims(ctx, ctx.inputs[0], n), ks, strides, dil, c.padding) };
  const y = ctx.g.op('Conv', inputs, ctx.base, attrs);
  return ctx.activation(ctx.out(y, 'cf'), c.activation);
}

function depthwise(ctx: ConverterContext, kernel: WeightRef, bias: WeightRef | undefined, activation: string | undefined, base: string): OnnxValue {
  const c = ctx.config;
  const x = ctx.toLayout(ctx.inputs[0], 'cf');
  const [kh, kw, ci, m] = kernel.shape;
  const t = ctx.g.transposeWeight(kernel, [2, 3, 0, 1], `${base}/W_t`);
  const w = ctx.g.reshapeWeight(t, [ci * m, 1, kh, kw], `${base}/W`);
  const strides = pair(c.strides, 1), dil = pair(c.dilationRate, 1);
  const inputs = [x.name, w.name];
  if (bias) inputs.push(bias.name);
  const attrs = { kernel_shape: A.ints([kh, kw]), strides: A.ints(strides), dilations: A.ints(dil), group: A.i(ci), ...padAttrs(ctx, spatialDims(ctx, ctx.inputs[0], 2), [kh, kw], strides, dil, c.padding) };
  const y = ctx.g.op('Conv', inputs, base, attrs);
  const shape = [...ctx.outputShapes[0]];
  shape[3] = ci * m;
  return ctx.activation({ name: y, layout: 'cf', shape }, activation);
}

function pool(ctx: ConverterContext, op: 'MaxPool' | 'AveragePool', n: 1 | 2): OnnxValue {
  channelsLast(ctx);
  const c = ctx.config;
  const x = ctx.toLayout(ctx.inputs[0], 'cf');
  const k = n === 1 ? [Number([c.poolSize].flat()[0])] : pair(c.poolSize, 2);
  const s = n === 1 ? [Number([c.strides ?? c.poolSize].flat()[0])] : pair(c.strides ?? c.poolSize, 2);
  // auto_pad rather than explicit pads: TF's 'same' is SAME_UPPER (the odd pixel at the end), and
  // ONNX Runtime's PadFusion does not merge a preceding zero Pad into a pool with auto_pad.
  // Merging would be wrong: a pool's own padding is −∞ (max) or uncounted (average), not zeros.
  const padding = c.padding ?? 'valid';
  spatialDims(ctx, ctx.inputs[0], n);
  if (padding !== 'valid' && padding !== 'same') ctx.fail(`padding "${padding}" is not supported (only valid and same)`);
  const attrs: Record<string, Attr> = { kernel_shape: A.ints(k), strides: A.ints(s), auto_pad: A.s(padding === 'same' ? 'SAME_UPPER' : 'VALID') };
  if (op === 'AveragePool') attrs.count_include_pad = A.i(0);
  return ctx.out(ctx.g.op(op, [x.name], ctx.base, attrs), 'cf');
}

function globalPool2d(ctx: ConverterContext, op: 'GlobalAveragePool' | 'GlobalMaxPool'): OnnxValue {
  channelsLast(ctx);
  const x = ctx.toLayout(ctx.inputs[0], 'cf');
  const y = ctx.g.op(op, [x.name], `${ctx.base}/pool`);
  if (ctx.config.keepDims) return ctx.out(y, 'cf');
  return ctx.out(ctx.g.op('Flatten', [y], ctx.base, { axis: A.i(1) }), 'tf');
}

function globalPool1d(ctx: ConverterContext, op: 'ReduceMean' | 'ReduceMax'): OnnxValue {
  channelsLast(ctx);
  const x = ctx.toLayout(ctx.inputs[0], 'tf');
  return ctx.out(ctx.g.op(op, [x.name], ctx.base, { axes: A.ints([1]), keepdims: A.i(ctx.config.keepDims ? 1 : 0) }), 'tf');
}

/** Brings every input to the first input's layout (for elementwise merges). */
function sameLayout(ctx: ConverterContext): OnnxValue[] {
  const xs = ctx.inputs.map((v) => ctx.toLayout(v, ctx.inputs[0].layout));
  if (xs.some((v) => v.shape.length !== xs[0].shape.length)) ctx.fail('inputs of different ranks are not supported');
  return xs;
}

/** Elementwise merges, in the order tfjs computes them (a chain of binary ops). */
function merge(op: 'Add' | 'Mul' | 'Max' | 'Min' | 'Mean'): LayerConverter {
  return (ctx) => {
    const xs = sameLayout(ctx);
    const g = ctx.g, names = xs.map((v) => v.name);
    const binary = op === 'Mean' ? 'Add' : op;
    let y = names.slice(1).reduce((acc, n, i) => g.op(binary, [acc, n], i === names.length - 2 && op !== 'Mean' ? ctx.base : `${ctx.base}/${binary.toLowerCase()}`), names[0]);
    if (op === 'Mean') y = g.op('Mul', [y, g.scalar(1 / names.length)], ctx.base);
    return ctx.out(y, xs[0].layout);
  };
}

function identity(ctx: ConverterContext): OnnxValue {
  return { ...ctx.inputs[0] };
}

// ---------------------------------------------------------------------------------------------
// The table

registerOnnxConverter('Conv2D', (ctx) => convND(ctx, 2));
registerOnnxConverter('Conv1D', (ctx) => convND(ctx, 1));

registerOnnxConverter('DepthwiseConv2D', (ctx) => {
  channelsLast(ctx);
  const bias = ctx.config.useBias !== false ? ctx.weight('bias') : undefined;
  return depthwise(ctx, ctx.requireWeight('depthwise_kernel'), bias, ctx.config.activation, ctx.base);
});

registerOnnxConverter('SeparableConv2D', (ctx) => {
  channelsLast(ctx);
  const dw = depthwise(ctx, ctx.requireWeight('depthwise_kernel'), undefined, undefined, `${ctx.base}/depthwise`);
  const pk = ctx.requireWeight('pointwise_kernel');
  const w = ctx.g.transposeWeight(pk, [3, 2, 0, 1], `${ctx.base}/pointwise_W`);
  const inputs = [dw.name, w.name];
  const bias = ctx.config.useBias !== false ? ctx.weight('bias') : undefined;
  if (bias) inputs.push(bias.name);
  const y = ctx.g.op('Conv', inputs, ctx.base, { kernel_shape: A.ints([1, 1]), strides: A.ints([1, 1]), pads: A.ints([0, 0, 0, 0]) });
  return ctx.activation(ctx.out(y, 'cf'), ctx.config.activation);
});

registerOnnxConverter('Dense', (ctx) => {
  const x = ctx.toLayout(ctx.inputs[0], 'tf');
  const kernel = ctx.requireWeight('kernel');
  const bias = ctx.config.useBias !== false ? ctx.weight('bias') : undefined;
  let y: string;
  if (x.shape.length === 2 && bias) {
    y = ctx.g.op('Gemm', [x.name, kernel.name, bias.name], ctx.base);
  } else {
    y = ctx.g.op('MatMul', [x.name, kernel.name], bias ? `${ctx.base}/matmul` : ctx.base);
    if (bias) y = ctx.g.op('Add', [y, bias.name], ctx.base);
  }
  return ctx.activation(ctx.out(y, 'tf'), ctx.config.activation);
});

registerOnnxConverter('MaxPooling2D', (ctx) => pool(ctx, 'MaxPool', 2));
registerOnnxConverter('AveragePooling2D', (ctx) => pool(ctx, 'AveragePool', 2));
registerOnnxConverter('MaxPooling1D', (ctx) => pool(ctx, 'MaxPool', 1));
registerOnnxConverter('AveragePooling1D', (ctx) => pool(ctx, 'AveragePool', 1));
registerOnnxConverter('GlobalAveragePooling2D', (ctx) => globalPool2d(ctx, 'GlobalAveragePool'));
registerOnnxConverter('GlobalMaxPooling2D', (ctx) => globalPool2d(ctx, 'GlobalMaxPool'));
registerOnnxConverter('GlobalAveragePooling1D', (ctx) => globalPool1d(ctx, 'ReduceMean'));
registerOnnxConverter('GlobalMaxPooling1D', (ctx) => globalPool1d(ctx, 'ReduceMax'));

registerOnnxConverter('BatchNormalization', (ctx) => {
  const c = ctx.config, g = ctx.g;
  const v = ctx.inputs[0];
  const rank = v.shape.length;
  const axes = [c.axis ?? -1].flat().map((a: number) => (a < 0 ? a + rank : a));
  if (axes.length !== 1) ctx.fail(`batch normalization over several axes (${c.axis}) is not supported`);
  const axis = axes[0];
  const channels = v.shape[axis];
  if (channels === null) ctx.fail('the normalized axis must have a static size');
  const C = channels as number;
  const mean = ctx.requireWeight('moving_mean');
  const variance = ctx.requireWeight('moving_variance');
  const gamma = ctx.weight('gamma') ?? g.weightConstant(`${ctx.base}/gamma`, [C], new Float32Array(C).fill(1));
  const beta = ctx.weight('beta') ?? g.weightConstant(`${ctx.base}/beta`, [C], new Float32Array(C));
  const eps = c.epsilon ?? 1e-3;
  if ((rank === 4 && axis === 3) || (rank === 2 && axis === 1)) {
    const x = ctx.toLayout(v, rank === 4 ? 'cf' : 'tf');
    const y = g.op('BatchNormalization', [x.name, gamma.name, beta.name, mean.name, variance.name], ctx.base, { epsilon: A.f(eps) });
    return ctx.out(y, x.layout);
  }
  // Any other axis: y = x·scale + shift, scale = γ/√(σ² + ε), shift = β − μ·scale, broadcast on that axis.
  const x = ctx.toLayout(v, 'tf');
  const scale = g.weightMath('Div', gamma, g.weightUnary('Sqrt', g.weightMath('Add', variance, eps, `${ctx.base}/var_eps`), `${ctx.base}/std`), `${ctx.base}/scale`);
  const shift = g.weightMath('Sub', beta, g.weightMath('Mul', mean, scale, `${ctx.base}/mean_scale`), `${ctx.base}/shift`);
  const bshape = [C, ...new Array(rank - 1 - axis).fill(1)];
  const s = g.reshapeWeight(scale, bshape, `${ctx.base}/scale_b`);
  const t = g.reshapeWeight(shift, bshape, `${ctx.base}/shift_b`);
  const y = g.op('Add', [g.op('Mul', [x.name, s.name], `${ctx.base}/mul`), t.name], ctx.base);
  return ctx.out(y, 'tf');
});

registerOnnxConverter('LayerNormalization', (ctx) => {
  const c = ctx.config, g = ctx.g;
  const x = ctx.toLayout(ctx.inputs[0], 'tf');
  const rank = x.shape.length;
  const axes = [c.axis ?? -1].flat().map((a: number) => (a < 0 ? a + rank : a)).sort((a: number, b: number) => a - b);
  const first = axes[0];
  if (!axes.every((a: number, i: number) => a === first + i) || axes[axes.length - 1] !== rank - 1) {
    ctx.fail(`layer normalization over axes [${c.axis}] is not supported (only trailing axes)`);
  }
  const normShape = x.shape.slice(first);
  if (normShape.some((d) => d === null)) ctx.fail('the normalized axes must have static sizes');
  const n = (normShape as number[]).reduce((p, d) => p * d, 1);
  const paramShape = ctx.weight('gamma')?.shape ?? ctx.weight('beta')?.shape ?? (normShape as number[]);
  const gamma = c.scale !== false && ctx.weight('gamma') ? ctx.requireWeight('gamma') : g.weightConstant(`${ctx.base}/gamma`, paramShape, new Float32Array(n).fill(1));
  const inputs = [x.name, gamma.name];
  if (c.center !== false && ctx.weight('beta')) inputs.push(ctx.requireWeight('beta').name);
  const y = g.op('LayerNormalization', inputs, ctx.base, { axis: A.i(first), epsilon: A.f(c.epsilon ?? 1e-3) });
  return ctx.out(y, 'tf');
});

registerOnnxConverter('Activation', (ctx) => ctx.activation(ctx.inputs[0], ctx.config.activation));

registerOnnxConverter('ReLU', (ctx) => {
  const x = ctx.inputs[0], max = ctx.config.maxValue;
  if (max === undefined || max === null) return ctx.out(ctx.g.op('Relu', [x.name], ctx.base), x.layout);
  return ctx.out(ctx.g.op('Clip', [x.name, ctx.g.scalar(0), ctx.g.scalar(max)], ctx.base), x.layout);
});
registerOnnxConverter('LeakyReLU', (ctx) => ctx.out(ctx.g.op('LeakyRelu', [ctx.inputs[0].name], ctx.base, { alpha: A.f(ctx.config.alpha ?? 0.3) }), ctx.inputs[0].layout));
registerOnnxConverter('ELU', (ctx) => ctx.out(ctx.g.op('Elu', [ctx.inputs[0].name], ctx.base, { alpha: A.f(ctx.config.alpha ?? 1) }), ctx.inputs[0].layout));
registerOnnxConverter('ThresholdedReLU', (ctx) => ctx.out(ctx.g.op('ThresholdedRelu', [ctx.inputs[0].name], ctx.base, { alpha: A.f(ctx.config.theta ?? 1) }), ctx.inputs[0].layout));
registerOnnxConverter('Softmax', (ctx) => {
  const x = ctx.inputs[0];
  const axis = [ctx.config.axis ?? -1].flat();
  if (axis.length !== 1) ctx.fail('softmax over several axes is not supported');
  return ctx.out(ctx.g.op('Softmax', [x.name], ctx.base, { axis: A.i(onnxAxis(x, axis[0])) }), x.layout);
});
registerOnnxConverter('PReLU', (ctx) => {
  const x = ctx.toLayout(ctx.inputs[0], 'tf');
  return ctx.out(ctx.g.op('PRelu', [x.name, ctx.requireWeight('alpha').name], ctx.base), 'tf');
});

for (const name of ['Dropout', 'SpatialDropout1D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout']) {
  // Identity at inference.
  registerOnnxConverter(name, identity);
}

registerOnnxConverter('Flatten', (ctx) => {
  const x = ctx.toLayout(ctx.inputs[0], 'tf');
  return ctx.out(ctx.g.op('Flatten', [x.name], ctx.base, { axis: A.i(1) }), 'tf');
});

registerOnnxConverter('Reshape', (ctx) => {
  const x = ctx.toLayout(ctx.inputs[0], 'tf');
  const target: number[] = ctx.config.targetShape;
  if (target.some((d) => d === 0)) ctx.fail('a zero in targetShape is not supported');
  const shape = ctx.g.constant([0, ...target], [target.length + 1], 'int64');
  return ctx.out(ctx.g.op('Reshape', [x.name, shape], ctx.base), 'tf');
});

registerOnnxConverter('Permute', (ctx) => {
  const x = ctx.toLayout(ctx.inputs[0], 'tf');
  return ctx.out(ctx.g.op('Transpose', [x.name], ctx.base, { perm: A.ints([0, ...ctx.config.dims]) }), 'tf');
});

registerOnnxConverter('ZeroPadding2D', (ctx) => {
  channelsLast(ctx);
  const x = ctx.toLayout(ctx.inputs[0], 'cf');
  const [[t, b], [l, r]] = ctx.config.padding as number[][];
  const pads = ctx.g.constant([0, 0, t, l, 0, 0, b, r], [8], 'int64');
  return ctx.out(ctx.g.op('Pad', [x.name, pads], ctx.base, { mode: A.s('constant') }), 'cf');
});

registerOnnxConverter('Cropping2D', (ctx) => {
  channelsLast(ctx);
  const x = ctx.toLayout(ctx.inputs[0], 'cf');
  const [[t, b], [l, r]] = ctx.config.cropping as number[][];
  const end = (k: number) => (k > 0 ? -k : Number.MAX_SAFE_INTEGER);
  const g = ctx.g;
  const y = g.op('Slice', [x.name, g.constant([t, l], [2], 'int64'), g.constant([end(b), end(r)], [2], 'int64'), g.constant([2, 3], [2], 'int64')], ctx.base);
  return ctx.out(y, 'cf');
});

registerOnnxConverter('UpSampling2D', (ctx) => {
  channelsLast(ctx);
  const x = ctx.toLayout(ctx.inputs[0], 'cf');
  const [sh, sw] = pair(ctx.config.size, 2);
  const mode = ctx.config.interpolation ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'bilinear') ctx.fail(`interpolation "${mode}" is not supported`);
  const attrs: Record<string, Attr> = { mode: A.s(mode === 'nearest' ? 'nearest' : 'linear'), coordinate_transformation_mode: A.s('asymmetric') };
  if (mode === 'nearest') attrs.nearest_mode = A.s('floor');
  const y = ctx.g.op('Resize', [x.name, '', ctx.g.constant([1, 1, sh, sw], [4])], ctx.base, attrs);
  return ctx.out(y, 'cf');
});

registerOnnxConverter('Rescaling', (ctx) => {
  const x = ctx.inputs[0], g = ctx.g;
  const scale = Number(ctx.config.scale ?? 1), offset = Number(ctx.config.offset ?? 0);
  let y = g.op('Mul', [x.name, g.scalar(scale)], offset ? `${ctx.base}/scale` : ctx.base);
  if (offset) y = g.op('Add', [y, g.scalar(offset)], ctx.base);
  return ctx.out(y, x.layout);
});

registerOnnxConverter('Add', merge('Add'));
registerOnnxConverter('Multiply', merge('Mul'));
registerOnnxConverter('Average', merge('Mean'));
registerOnnxConverter('Maximum', merge('Max'));
registerOnnxConverter('Minimum', merge('Min'));
registerOnnxConverter('Concatenate', (ctx) => {
  const xs = sameLayout(ctx);
  const axis = onnxAxis(xs[0], ctx.config.axis ?? -1);
  return ctx.out(ctx.g.op('Concat', xs.map((v) => v.name), ctx.base, { axis: A.i(axis) }), xs[0].layout);
});

// Nested models (a Sequential or functional model used as a layer).
for (const name of ['Sequential', 'Functional', 'Model']) {
  registerOnnxConverter(name, (ctx) => ctx.convertModel(ctx.layer as unknown as tf.LayersModel, ctx.inputs));
}
