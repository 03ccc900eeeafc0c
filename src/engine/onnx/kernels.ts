/**
 * The wasm backend's heavy kernels on ONNX Runtime. Training a conv net on tfjs's WebAssembly
 * backend spends most of its time in Conv2D and its two gradients, a transformer in matrix
 * products and, for GELU, in Erf and Exp; in Node, where onnxruntime-node loads, those run as
 * small ONNX graphs (one Conv, ConvTranspose, MatMul or unary op, between layout transposes) on
 * ONNX Runtime's native CPU kernels, synchronously as a tfjs kernel must.
 * Inputs are read in place from the wasm heap and each result is copied back into it. Calls
 * these graphs do not cover (other fused activations, NCHW data, non-float tensors) go to the
 * kernel registered before (editlab's SIMD kernels). Graphs are built once per shape.
 *
 * A filter held constant (`holdConstant`: the frozen layers of a fine-tuning) is stored in its
 * graph: ONNX Runtime then runs its blocked-layout (NCHWc) convolution, ≈ 1.3–2× faster than
 * with the filter fed per call, and the input gradient of a stride-1 convolution becomes a
 * convolution with the flipped filter, which gets the same. Such graphs are dropped when the
 * hold is released.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { A, GraphBuilder, transposeData } from './builder';
import { createSyncOnnxSession, type SyncOnnxSession } from './session';
import { winogradFits, type ConvAttrs, type KernelArgs } from '../wasm-kernels';
import { heldIds, onConstantReleased } from '../held-constants';

type TensorInfo = tf.TensorInfo;
type Kernel = (args: KernelArgs) => TensorInfo;

/** The convolution kernels of the 'wasm' backend that ONNX Runtime runs when it can. */
export const ONNX_CONV_KERNELS = ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'] as const;
/** Every kernel of the 'wasm' backend that ONNX Runtime runs when it can: the convolutions, matrix products, Erf and Exp. */
export const ONNX_KERNELS = [...ONNX_CONV_KERNELS, 'BatchMatMul', '_FusedMatMul', 'Erf', 'Exp'] as const;


/** A graph for one shape of one kernel: its session and its inputs, in the order fed. */
interface KernelGraph {
  session: SyncOnnxSession;
  inputs: string[];
}

/** Graphs by kernel, shapes and attributes; null where ONNX Runtime could not be reached. */
const graphs = new Map<string, KernelGraph | null>();
/** At most this many graphs are kept (a training run uses a few dozen shapes). */
const MAX_GRAPHS = 256;
/** The kernels registered before, which get every call the graphs do not cover. */
const previous: Partial<Record<string, Kernel>> = {};
let active = true;
let registered = false;
const calls = { onnx: 0, other: 0, stored: 0 };

/**
 * How many calls of these kernels ONNX Runtime ran (`stored`: of them, with a held filter or
 * right operand stored in the graph), and how many went to the kernels registered before, since the start.
 */
export function onnxKernelCalls(): { onnx: number; other: number; stored: number } {
  return { ...calls };
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];
/** tfjs filters [kh, kw, ci, co] → ONNX [co, ci, kh, kw]. */
const HWIO_TO_OIHW = [3, 2, 0, 1];

const count = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

function heapView(be: BackendWasm, t: TensorInfo): Float32Array {
  const { memoryOffset } = (be as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(t.dataId);
  return new Float32Array((be.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer, memoryOffset, count(t.shape));
}

function channelsLast(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
}

/** The cached graph for `key`, built by `build` on first use (null when no session can be made). */
function graphFor(key: string, build: () => { g: GraphBuilder; inputs: Array<[string, number[]]> }): KernelGraph | null {
  if (graphs.has(key)) return graphs.get(key)!;
  const { g, inputs } = build();
  const session = createSyncOnnxSession(g.encode('editlab wasm-backend kernel'), { threads: 1, memoryArena: false });
  const graph = session ? { session, inputs: inputs.map(([name]) => name) } : null;
  if (graphs.size >= MAX_GRAPHS) dropGraph(graphs.keys().next().value as string);
  graphs.set(key, graph);
  return graph;
}

function dropGraph(key: string): void {
  graphs.get(key)?.session.release();
  graphs.delete(key);
}

/** Keys of the graphs a held tensor's data is stored in, by its number (see `holdConstant`). */
const storedIn = new Map<number, string[]>();
onConstantReleased((id) => {
  storedIn.get(id)?.forEach(dropGraph);
  storedIn.delete(id);
});

/** The graph for `key`, holding constants copied from the held tensors numbered `stored`; dropped when they are released. */
function storingGraph(key: string, stored: number[], build: () => { g: GraphBuilder; inputs: Array<[string, number[]]> }): KernelGraph | null {
  const known = graphs.has(key);
  const graph = graphFor(key, build);
  if (!known) stored.forEach((id) => storedIn.set(id, [...(storedIn.get(id) ?? []), key]));
  if (graph) calls.stored++;
  return graph;
}

/** A tensor's values as a new array (a constant for a graph). */
function copyOf(be: BackendWasm, t: TensorInfo): Float32Array {
  return Float32Array.from(heapView(be, t));
}

/** A builder with float inputs declared. */
function builder(name: string, inputs: Array<[string, number[]]>): GraphBuilder {
  const g = new GraphBuilder(name);
  for (const [input, dims] of inputs) g.input(input, dims);
  return g;
}

function finish(g: GraphBuilder, value: string, dims: number[]): void {
  g.rename(value, 'out');
  g.output('out', dims);
}

/** Runs `graph` on the inputs (read in place) and copies its output into a new tensor. */
function run(be: BackendWasm, graph: KernelGraph, inputs: TensorInfo[], outShape: number[]): TensorInfo {
  const feeds = Object.fromEntries(inputs.map((t, i) => [graph.inputs[i], { data: heapView(be, t), dims: t.shape }]));
  const { out } = graph.session.run(feeds, ['out']);
  const result = be.makeOutput(outShape, 'float32') as TensorInfo;
  // Views are taken after makeOutput, which may grow the heap.
  heapView(be, result).set(out);
  return result;
}

function convInfo(xShape: number[], filterShape: number[], a: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode);
}

/** ONNX's convolution attributes for a tfjs geometry (pads: top, left, bottom, right). */
function convAttributes(info: tf.backend_util.Conv2DInfo) {
  const { top, left, bottom, right } = info.padInfo;
  return {
    kernel_shape: A.ints([info.filterHeight, info.filterWidth]),
    strides: A.ints([info.strideHeight, info.strideWidth]),
    dilations: A.ints([info.dilationHeight, info.dilationWidth]),
    pads: A.ints([top, left, bottom, right]),
  };
}

/** Whether ONNX's output size with these pads is tfjs's (tfjs may round differently). */
function sameOutputSize(info: tf.backend_util.Conv2DInfo): boolean {
  const { top, left, bottom, right } = info.padInfo;
  const size = (input: number, before: number, after: number, k: number, d: number, s: number) => Math.floor((input + before + after - ((k - 1) * d + 1)) / s) + 1;
  return size(info.inHeight, top, bottom, info.filterHeight, info.dilationHeight, info.strideHeight) === info.outHeight &&
    size(info.inWidth, left, right, info.filterWidth, info.dilationWidth, info.strideWidth) === info.outWidth;
}

const ACTIVATIONS = new Set(['linear', 'relu', 'relu6']);
/**
 * Below this many input channels (a first layer on grey or RGB images) the SIMD kernels are
 * faster for the forward pass and the filter gradient (measured: 0.5–0.65× on ONNX Runtime at 1 channel).
 */
const MIN_CHANNELS = 8;

/** Conv2D, and FusedConv2D with a bias and a linear, relu or relu6 activation. */
function convForward({ inputs, backend, attrs }: KernelArgs): TensorInfo | undefined {
  const { x, filter, bias, preluActivationWeights } = inputs;
  const a = attrs as ConvAttrs & { activation?: string };
  const activation = a.activation ?? 'linear';
  const co = filter.shape[3];
  if (preluActivationWeights || !ACTIVATIONS.has(activation) || !channelsLast(a.dataFormat) || x.dtype !== 'float32' || filter.dtype !== 'float32' ||
      (bias && (bias.dtype !== 'float32' || count(bias.shape) !== co))) return undefined;
  const info = convInfo(x.shape, filter.shape, a);
  if (!sameOutputSize(info) || count(info.outShape) === 0 || info.inChannels < MIN_CHANNELS) return undefined;
  const be = backend as BackendWasm;
  // A bias of another rank ([1, 1, 1, co]) is fed as [co].
  const biasInfo = bias && { ...bias, shape: [co] };
  const stored = heldIds(biasInfo ? [filter, biasInfo] : [filter]);
  // A filter fed per call (a layer being trained) where the SIMD kernels run Winograd F(4×4, 3×3):
  // measured on vgg-small's five 3×3 layers at batch 64, 6.0–11.7 ms there against 8.2–18.2 ms here.
  if (!stored && winogradFits(info)) return undefined;
  const key = JSON.stringify(['conv', x.shape, filter.shape, info.padInfo, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth, !!bias, activation, stored ?? 'fed']);
  const build = () => {
    const fed: Array<[string, number[]]> = stored ? [] : [['w', filter.shape], ...(biasInfo ? [['b', [co]] as [string, number[]]] : [])];
    const declared: Array<[string, number[]]> = [['x', x.shape], ...fed];
    const g = builder('conv2d', declared);
    const xc = g.op('Transpose', ['x'], 'x_nchw', { perm: A.ints(NHWC_TO_NCHW) });
    const wc = stored
      ? g.floatInit('w_oihw', HWIO_TO_OIHW.map((axis) => filter.shape[axis]), transposeData(copyOf(be, filter), filter.shape, HWIO_TO_OIHW))
      : g.op('Transpose', ['w'], 'w_oihw', { perm: A.ints(HWIO_TO_OIHW) });
    const b = biasInfo && (stored ? g.floatInit('b', [co], copyOf(be, biasInfo)) : 'b');
    let y = g.op('Conv', b ? [xc, wc, b] : [xc, wc], 'conv', convAttributes(info));
    if (activation === 'relu') y = g.op('Relu', [y], 'relu');
    if (activation === 'relu6') y = g.op('Clip', [y, g.scalar(0), g.scalar(6)], 'relu6');
    finish(g, g.op('Transpose', [y], 'nhwc', { perm: A.ints(NCHW_TO_NHWC) }), info.outShape);
    return { g, inputs: declared };
  };
  const graph = stored ? storingGraph(key, stored, build) : graphFor(key, build);
  if (!graph) return undefined;
  return run(be, graph, stored ? [x] : biasInfo ? [x, filter, biasInfo] : [x, filter], info.outShape);
}

/** A tfjs filter [kh, kw, ci, co] as ONNX [ci, co, kh, kw] flipped in space: the filter of dx = conv(dy) at stride 1. */
function flippedFilter(w: Float32Array, [kh, kw, ci, co]: number[]): Float32Array {
  const out = new Float32Array(w.length);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let c = 0; c < ci; c++) {
        for (let o = 0; o < co; o++) out[((c * co + o) * kh + (kh - 1 - i)) * kw + (kw - 1 - j)] = w[((i * kw + j) * ci + c) * co + o];
      }
    }
  }
  return out;
}

/** dx of a convolution: a transposed convolution of dy with the same filter (a convolution with it flipped, when it is stored). */
function convBackpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo | undefined {
  const { dy, filter } = inputs;
  const a = attrs as ConvAttrs;
  if (!channelsLast(a.dataFormat) || dy.dtype !== 'float32' || filter.dtype !== 'float32') return undefined;
  const info = convInfo(a.inputShape!, filter.shape, a);
  if (!sameOutputSize(info) || count(a.inputShape!) === 0) return undefined;
  // ConvTranspose gives s·(o − 1) + (k − 1)·d + 1 − pads; the rows the convolution never reached come back as output padding.
  const extra = (input: number, out: number, k: number, d: number, s: number, before: number, after: number) => input - (s * (out - 1) + (k - 1) * d + 1 - before - after);
  const { top, left, bottom, right } = info.padInfo;
  const outputPadding = [
    extra(info.inHeight, info.outHeight, info.filterHeight, info.dilationHeight, info.strideHeight, top, bottom),
    extra(info.inWidth, info.outWidth, info.filterWidth, info.dilationWidth, info.strideWidth, left, right),
  ];
  if (outputPadding.some((p) => p < 0) || outputPadding[0] >= Math.max(info.strideHeight, info.dilationHeight) || outputPadding[1] >= Math.max(info.strideWidth, info.dilationWidth)) return undefined;
  const be = backend as BackendWasm;
  // Stride 1: dx is dy convolved with the filter flipped in space, its channels swapped, padded
  // so that the output has the input's size.
  const [kh, kw] = [(info.filterHeight - 1) * info.dilationHeight + 1, (info.filterWidth - 1) * info.dilationWidth + 1];
  const flippedPads = [kh - 1 - top, kw - 1 - left, kh - 1 - bottom, kw - 1 - right];
  const stored = info.strideHeight === 1 && info.strideWidth === 1 && flippedPads.every((p) => p >= 0) ? heldIds([filter]) : undefined;
  if (stored) {
    const key = JSON.stringify(['dx', a.inputShape, dy.shape, filter.shape, info.padInfo, info.dilationHeight, info.dilationWidth, stored]);
    const graph = storingGraph(key, stored, () => {
      const declared: Array<[string, number[]]> = [['dy', dy.shape]];
      const g = builder('conv2d_backprop_input', declared);
      const dyc = g.op('Transpose', ['dy'], 'dy_nchw', { perm: A.ints(NHWC_TO_NCHW) });
      const w = g.floatInit('w_flipped', [info.inChannels, info.outChannels, info.filterHeight, info.filterWidth], flippedFilter(copyOf(be, filter), filter.shape));
      const dx = g.op('Conv', [dyc, w], 'conv', {
        kernel_shape: A.ints([info.filterHeight, info.filterWidth]),
        dilations: A.ints([info.dilationHeight, info.dilationWidth]),
        pads: A.ints(flippedPads),
      });
      finish(g, g.op('Transpose', [dx], 'nhwc', { perm: A.ints(NCHW_TO_NHWC) }), a.inputShape!);
      return { g, inputs: declared };
    });
    if (graph) return run(be, graph, [dy], a.inputShape!);
  }
  const key = JSON.stringify(['dx', a.inputShape, dy.shape, filter.shape, info.padInfo, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth]);
  const graph = graphFor(key, () => {
    const declared: Array<[string, number[]]> = [['dy', dy.shape], ['w', filter.shape]];
    const g = builder('conv2d_backprop_input', declared);
    const dyc = g.op('Transpose', ['dy'], 'dy_nchw', { perm: A.ints(NHWC_TO_NCHW) });
    // ConvTranspose's filter is [in = co, out = ci, kh, kw]: the forward filter as OIHW.
    const wc = g.op('Transpose', ['w'], 'w_oihw', { perm: A.ints(HWIO_TO_OIHW) });
    const dx = g.op('ConvTranspose', [dyc, wc], 'conv_transpose', { ...convAttributes(info), output_padding: A.ints(outputPadding) });
    finish(g, g.op('Transpose', [dx], 'nhwc', { perm: A.ints(NCHW_TO_NHWC) }), a.inputShape!);
    return { g, inputs: declared };
  });
  return graph ? run(be, graph, [dy, filter], a.inputShape!) : undefined;
}

/**
 * dW of a convolution, one matrix product per filter tap: with x padded,
 * dW[i, j] = X(i, j)ᵀ · dY, where X(i, j) is x sampled at the tap's offset and the stride,
 * [N·oh·ow, ci], and dY is dy as [N·oh·ow, co]. No layout change: both stay NHWC.
 */
function convBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo | undefined {
  const { x, dy } = inputs;
  const a = attrs as ConvAttrs;
  const filterShape = a.filterShape!;
  if (!channelsLast(a.dataFormat) || x.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  const info = convInfo(x.shape, filterShape, a);
  if (!sameOutputSize(info) || count(filterShape) === 0 || count(dy.shape) === 0 || info.inChannels < MIN_CHANNELS) return undefined;
  const { top, left, bottom, right } = info.padInfo;
  const [n, ci, co] = [x.shape[0], info.inChannels, info.outChannels];
  const rows = n * info.outHeight * info.outWidth;
  const key = JSON.stringify(['dw', x.shape, dy.shape, filterShape, info.padInfo, info.strideHeight, info.strideWidth, info.dilationHeight, info.dilationWidth]);
  const graph = graphFor(key, () => {
    const declared: Array<[string, number[]]> = [['x', x.shape], ['dy', dy.shape]];
    const g = builder('conv2d_backprop_filter', declared);
    const padded = top || left || bottom || right
      ? g.op('Pad', ['x', g.constant([0, top, left, 0, 0, bottom, right, 0], [8], 'int64')], 'pad')
      : 'x';
    const dyRows = g.op('Reshape', ['dy', g.constant([rows, co], [2], 'int64')], 'dy_rows');
    const axes = g.constant([1, 2], [2], 'int64');
    const steps = g.constant([info.strideHeight, info.strideWidth], [2], 'int64');
    const taps: string[] = [];
    for (let i = 0; i < info.filterHeight; i++) {
      for (let j = 0; j < info.filterWidth; j++) {
        const [r, c] = [i * info.dilationHeight, j * info.dilationWidth];
        const starts = g.constant([r, c], [2], 'int64');
        const ends = g.constant([r + (info.outHeight - 1) * info.strideHeight + 1, c + (info.outWidth - 1) * info.strideWidth + 1], [2], 'int64');
        const sampled = g.op('Slice', [padded, starts, ends, axes, steps], `tap_${i}_${j}`);
        const xRows = g.op('Reshape', [sampled, g.constant([rows, ci], [2], 'int64')], `tap_${i}_${j}_rows`);
        taps.push(g.op('Gemm', [xRows, dyRows], `tap_${i}_${j}_dw`, { transA: A.i(1) }));
      }
    }
    const stacked = taps.length > 1 ? g.op('Concat', taps, 'taps', { axis: A.i(0) }) : taps[0];
    finish(g, g.op('Reshape', [stacked, g.constant(filterShape, [4], 'int64')], 'hwio'), filterShape);
    return { g, inputs: declared };
  });
  return graph ? run(backend as BackendWasm, graph, [x, dy], filterShape) : undefined;
}

/**
 * Below this many multiply-adds a product stays on the SIMD kernel: a call into ONNX Runtime
 * costs tens of microseconds, and both copy the operands (measured on vit-tiny's shapes).
 */
const MIN_MATMUL_MACS = 1 << 18;

/** The last two axes swapped. */
const swapLast = (rank: number) => [...Array(rank).keys()].map((i) => (i < rank - 2 ? i : i === rank - 2 ? rank - 1 : rank - 2));

/**
 * BatchMatMul, and _FusedMatMul with a bias and a linear, relu or relu6 activation, as one
 * MatMul (tfjs and ONNX broadcast batch axes alike). A held right operand (a frozen layer's
 * kernel) is stored in the graph, where ONNX Runtime packs it once.
 */
function matMul({ inputs, backend, attrs }: KernelArgs): TensorInfo | undefined {
  const { a, b, bias, preluActivationWeights } = inputs;
  const { transposeA, transposeB, activation = 'linear' } = attrs as { transposeA: boolean; transposeB: boolean; activation?: string };
  if (preluActivationWeights || !ACTIVATIONS.has(activation) || a.dtype !== 'float32' || b.dtype !== 'float32' || (bias && bias.dtype !== 'float32')) return undefined;
  const ra = a.shape.length, rb = b.shape.length;
  if (ra < 2 || rb < 2) return undefined;
  const m = a.shape[transposeA ? ra - 1 : ra - 2], k = a.shape[transposeA ? ra - 2 : ra - 1];
  const n = b.shape[transposeB ? rb - 2 : rb - 1];
  if (b.shape[transposeB ? rb - 1 : rb - 2] !== k) return undefined; // the kernel before says what is wrong
  let outBatch: number[];
  try {
    outBatch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    return undefined;
  }
  const outShape = [...outBatch, m, n];
  // A batch of products with Bᵀ (attention's QKᵀ and its gradient) measured 1.4–1.7× slower
  // here: ONNX Runtime transposes the whole batch first.
  if (count(outBatch) * m * n * k < MIN_MATMUL_MACS || (transposeB && count(outBatch) > 1)) return undefined;
  if (bias) {
    try {
      if (tf.backend_util.assertAndGetBroadcastShape(outShape, bias.shape).length !== outShape.length) return undefined;
    } catch {
      return undefined;
    }
  }
  const be = backend as BackendWasm;
  const stored = heldIds([b]);
  const key = JSON.stringify(['matmul', a.shape, b.shape, transposeA, transposeB, bias?.shape ?? null, activation, stored ?? 'fed']);
  const build = () => {
    const declared: Array<[string, number[]]> = [['a', a.shape], ...(stored ? [] : [['b', b.shape] as [string, number[]]]), ...(bias ? [['bias', bias.shape] as [string, number[]]] : [])];
    const g = builder('matmul', declared);
    const bValue = stored ? g.floatInit('b_held', b.shape, copyOf(be, b)) : 'b';
    const left = transposeA ? g.op('Transpose', ['a'], 'a_t', { perm: A.ints(swapLast(ra)) }) : 'a';
    const right = transposeB ? g.op('Transpose', [bValue], 'b_t', { perm: A.ints(swapLast(rb)) }) : bValue;
    let y = g.op('MatMul', [left, right], 'matmul');
    if (bias) y = g.op('Add', [y, 'bias'], 'bias_add');
    if (activation === 'relu') y = g.op('Relu', [y], 'relu');
    if (activation === 'relu6') y = g.op('Clip', [y, g.scalar(0), g.scalar(6)], 'relu6');
    finish(g, y, outShape);
    return { g, inputs: declared };
  };
  const graph = stored ? storingGraph(key, stored, build) : graphFor(key, build);
  if (!graph) return undefined;
  return run(be, graph, [a, ...(stored ? [] : [b]), ...(bias ? [bias] : [])], outShape);
}

/** Below this many elements Erf and Exp stay on tfjs's kernels (the call would cost more than it saves). */
const MIN_UNARY_ELEMENTS = 1 << 14;

/**
 * Erf and Exp element by element: tfjs's wasm kernels call the C library once per element
 * (≈ 8–10 ns each here, a seventh of a ViT's training step in GELU and its gradient); ONNX
 * Runtime's are vectorised.
 */
function unary(op: 'Erf' | 'Exp') {
  return ({ inputs, backend }: KernelArgs): TensorInfo | undefined => {
    const { x } = inputs;
    if (x.dtype !== 'float32' || count(x.shape) < MIN_UNARY_ELEMENTS) return undefined;
    const graph = graphFor(JSON.stringify([op, x.shape]), () => {
      const declared: Array<[string, number[]]> = [['x', x.shape]];
      const g = builder(op.toLowerCase(), declared);
      finish(g, g.op(op, ['x'], op.toLowerCase()), x.shape);
      return { g, inputs: declared };
    });
    return graph ? run(backend as BackendWasm, graph, [x], x.shape) : undefined;
  };
}

const implementations: Record<(typeof ONNX_KERNELS)[number], (args: KernelArgs) => TensorInfo | undefined> = {
  Conv2D: convForward,
  FusedConv2D: convForward,
  Conv2DBackpropInput: convBackpropInput,
  Conv2DBackpropFilter: convBackpropFilter,
  BatchMatMul: matMul,
  _FusedMatMul: matMul,
  Erf: unary('Erf'),
  Exp: unary('Exp'),
};

/**
 * Puts the {@link ONNX_KERNELS} of the 'wasm' backend on ONNX Runtime (idempotent). Returns the
 * kernels it took over: none where onnxruntime-node or its native binding cannot be loaded.
 */
export function registerOnnxKernels(): string[] {
  if (registered) return [...ONNX_KERNELS];
  let probe: SyncOnnxSession | undefined;
  try {
    probe = createSyncOnnxSession(probeGraph());
  } catch {
    // A binding that loads but cannot make sessions here (e.g. in a worker thread): SIMD only.
  }
  if (!probe) return [];
  probe.release();
  for (const name of ONNX_KERNELS) {
    const before = tf.getKernel(name, 'wasm');
    if (!before) continue;
    previous[name] = before.kernelFunc as unknown as Kernel;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: ((args: KernelArgs) => {
        const result = active ? implementations[name](args) : undefined;
        if (result) {
          calls.onnx++;
          return result;
        }
        calls.other++;
        return previous[name]!(args);
      }) as never,
    });
  }
  registered = true;
  return [...ONNX_KERNELS];
}

/**
 * Turns the ONNX Runtime kernels on or off (on by default once registered); off, every call
 * goes to the kernels registered before. Returns the previous setting.
 */
export function setOnnxKernels(on: boolean): boolean {
  const was = active;
  active = on;
  return was;
}

/** The names these functions had when ONNX Runtime ran the convolutions only (kept for callers of that API). */
export const registerOnnxConvKernels = registerOnnxKernels;
export const setOnnxConvKernels = setOnnxKernels;
export const onnxConvKernelCalls = onnxKernelCalls;

/** The smallest graph, to check that a synchronous session can be made. */
function probeGraph(): Uint8Array {
  const g = builder('probe', [['x', [1]]]);
  finish(g, g.op('Identity', ['x'], 'identity'), [1]);
  return g.encode();
}
