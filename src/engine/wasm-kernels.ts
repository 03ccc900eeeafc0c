/**
 * Training kernels for the tfjs WebAssembly backend.
 *
 * The wasm backend ships fast XNNPACK forward kernels but cannot train conv nets: it has no
 * Conv2DBackpropFilter and no depthwise backprops, its Conv2DBackpropInput and MaxPoolGrad are
 * naive loops, and its BatchMatMul falls back to a scalar loop whenever an operand is
 * transposed or batched (every dense-layer gradient). This module registers SIMD replacements
 * compiled from `asm/kernels.ts` (AssemblyScript). The module imports the backend's own linear
 * memory, so the kernels read and write tensors in place on the tfjs heap.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type TensorInfo = tf.TensorInfo;
/** What tfjs passes a kernel function. */
export type KernelArgs = { inputs: Record<string, TensorInfo>; backend: unknown; attrs?: Record<string, unknown> };

/** Exports of asm/kernels.ts. Pointers are byte offsets into the tfjs wasm heap. */
interface SimdKernels {
  conv2d(...args: number[]): void;
  conv2dWinograd(...args: number[]): void;
  conv2dBackpropFilter(...args: number[]): void;
  conv2dBackpropInput(...args: number[]): void;
  depthwiseBackpropFilter(...args: number[]): void;
  depthwiseBackpropInput(...args: number[]): void;
  maxPoolGrad(...args: number[]): void;
  batchMatMul(...args: number[]): void;
  columnSum(...args: number[]): void;
  tile(...args: number[]): void;
  batchNorm(...args: number[]): void;
}

/** Kernel names this module registers (or replaces) on the 'wasm' backend. */
export const WASM_TRAINING_KERNELS = [
  'Conv2D',
  'FusedConv2D',
  'Conv2DBackpropFilter',
  'Conv2DBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'MaxPoolGrad',
  'BatchMatMul',
  '_FusedMatMul',
  'Sum',
  'Mean',
  'Tile',
  'FusedBatchNorm',
  'Identity',
] as const;

let simd: SimdKernels | undefined;
let registered = false;

/** Finds the compiled kernel module: dist/kernels.wasm at the package root. */
function kernelModulePath(): string {
  // Same relative location from src/engine (tsx) and dist/engine (compiled).
  return path.resolve(__dirname, '..', '..', 'dist', 'kernels.wasm');
}

/** True when the binary has a data section, which would overwrite the shared tfjs heap. */
function hasDataSection(bytes: Uint8Array): boolean {
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p++];
    let size = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[p++];
      size |= (byte & 0x7f) << shift;
      shift += 7;
      if (!(byte & 0x80)) break;
    }
    if (id === 11) return true;
    p += size;
  }
  return false;
}

function instantiate(backend: BackendWasm): SimdKernels {
  const file = kernelModulePath();
  if (!fs.existsSync(file)) {
    throw new Error(`editlab: ${file} is missing. Run \`npm run build\` (it compiles asm/kernels.ts) before training on the wasm backend.`);
  }
  const bytes = fs.readFileSync(file);
  if (hasDataSection(bytes)) {
    throw new Error(`editlab: ${file} has a data section; the kernels share the tfjs heap and must own no memory.`);
  }
  const memory = (backend.wasm as unknown as { asm: { memory: WebAssembly.Memory } }).asm.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error('editlab: cannot reach the tfjs wasm backend memory (unexpected @tensorflow/tfjs-backend-wasm build).');
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  return instance.exports as unknown as SimdKernels;
}

function offset(backend: BackendWasm, t: TensorInfo): number {
  return (backend as unknown as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(t.dataId).memoryOffset;
}

function output(backend: BackendWasm, shape: number[]): TensorInfo {
  return backend.makeOutput(shape, 'float32') as TensorInfo;
}

function assertFloat(name: string, ...ts: TensorInfo[]): void {
  for (const t of ts) {
    if (t.dtype !== 'float32') throw new Error(`${name} on wasm supports float32 tensors only, got ${t.dtype}.`);
  }
}

function assertChannelsLast(name: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${name} on wasm supports NHWC data only, got ${String(dataFormat)}.`);
  }
}

/** Runs another wasm kernel (e.g. Transpose) and returns its output. */
function runKernel(name: string, backend: BackendWasm, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>): TensorInfo {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
  return kernel.kernelFunc({ inputs, backend, attrs } as never) as TensorInfo;
}

/** The geometry argument list shared by the conv-like kernels. */
function geometry(info: tf.backend_util.Conv2DInfo): number[] {
  return [
    info.batchSize, info.inHeight, info.inWidth, info.inChannels,
    info.outHeight, info.outWidth,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth,
    info.dilationHeight, info.dilationWidth, info.padInfo.top, info.padInfo.left,
  ];
}

/** The attributes of tfjs's convolution kernels and their gradients. */
export type ConvAttrs = {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
};

function conv2dBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs;
  const a = attrs as ConvAttrs;
  assertFloat('Conv2DBackpropFilter', x, dy);
  assertChannelsLast('Conv2DBackpropFilter', a.dataFormat);
  const be = backend as BackendWasm;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape!, a.strides, 1, a.pad, a.dimRoundingMode);
  const g = geometry(info);
  const dw = output(be, a.filterShape!);
  simd!.conv2dBackpropFilter(offset(be, x), offset(be, dy), offset(be, dw), ...g.slice(0, 6), info.outChannels, ...g.slice(6));
  return dw;
}

function conv2dBackpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, filter } = inputs;
  const a = attrs as ConvAttrs;
  assertFloat('Conv2DBackpropInput', dy, filter);
  assertChannelsLast('Conv2DBackpropInput', a.dataFormat);
  const be = backend as BackendWasm;
  const info = tf.backend_util.computeConv2DInfo(a.inputShape!, filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode);
  const g = geometry(info);
  // [kh, kw, ci, co] -> [kh, kw, co, ci]: a row of input channels becomes contiguous.
  const wt = runKernel('Transpose', be, { x: filter }, { perm: [0, 1, 3, 2] });
  const dx = output(be, a.inputShape!);
  simd!.conv2dBackpropInput(offset(be, dy), offset(be, wt), offset(be, dx), ...g.slice(0, 6), info.outChannels, ...g.slice(6));
  be.disposeData(wt.dataId);
  return dx;
}

function depthwiseInfo(xShape: number[], filterShape: number[], a: ConvAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, true);
}

function depthwiseBackpropFilter({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { x, dy } = inputs;
  const a = attrs as ConvAttrs;
  assertFloat('DepthwiseConv2dNativeBackpropFilter', x, dy);
  const be = backend as BackendWasm;
  const info = depthwiseInfo(x.shape, a.filterShape!, a);
  const g = geometry(info);
  const dw = output(be, a.filterShape!);
  simd!.depthwiseBackpropFilter(offset(be, x), offset(be, dy), offset(be, dw), ...g.slice(0, 4), a.filterShape![3], ...g.slice(4));
  return dw;
}

function depthwiseBackpropInput({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, filter } = inputs;
  const a = attrs as ConvAttrs;
  assertFloat('DepthwiseConv2dNativeBackpropInput', dy, filter);
  const be = backend as BackendWasm;
  const info = depthwiseInfo(a.inputShape!, filter.shape, a);
  const g = geometry(info);
  const dx = output(be, a.inputShape!);
  simd!.depthwiseBackpropInput(offset(be, dy), offset(be, filter), offset(be, dx), ...g.slice(0, 4), filter.shape[3], ...g.slice(4));
  return dx;
}

type PoolAttrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function maxPoolGrad({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const { dy, input } = inputs;
  const a = attrs as PoolAttrs;
  assertFloat('MaxPoolGrad', dy, input);
  const be = backend as BackendWasm;
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const g = geometry(info);
  const dx = output(be, input.shape);
  simd!.maxPoolGrad(offset(be, input), offset(be, dy), offset(be, dx), ...g);
  return dx;
}

type Kernel = (args: KernelArgs) => TensorInfo;
/** The backend's own kernels that editlab replaces, kept for the cases it delegates back. */
const original: Partial<Record<string, Kernel>> = {};

const ACTIVATIONS: Record<string, number> = { linear: 0, relu: 1, relu6: 2 };

/**
 * Conv2D and FusedConv2D (bias + linear/relu/relu6) in the SIMD kernel; other fused
 * activations, NCHW data and non-float tensors go back to the XNNPACK kernel.
 */
function conv2dForward(args: KernelArgs, kernelName: 'Conv2D' | 'FusedConv2D'): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, filter, bias } = inputs;
  const a = attrs as ConvAttrs & { activation?: string };
  const activation = ACTIVATIONS[a.activation ?? 'linear'];
  const outC = filter.shape[3];
  const dataFormat = a.dataFormat;
  if (activation === undefined || (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') ||
      x.dtype !== 'float32' || filter.dtype !== 'float32' ||
      (bias && (bias.dtype !== 'float32' || bias.shape.reduce((p, d) => p * d, 1) !== outC))) {
    return original[kernelName]!(args);
  }
  const be = backend as BackendWasm;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode);
  const y = output(be, info.outShape);
  const biasAt = bias ? offset(be, bias) : 0;
  if (winogradFits(info)) {
    const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, padInfo } = info;
    // Tiles per chunk: a multiple of 4 (the products' row tile).
    const tiles = batchSize * Math.ceil(outHeight / 4) * Math.ceil(outWidth / 4);
    const rows = Math.min(tiles, Math.max(4, 4 * Math.floor(WINOGRAD_CHUNK_FLOATS / (36 * 4 * Math.max(inChannels, outC)))));
    // One scratch tensor for the transformed filter (u), a chunk's transformed tiles (v), their products (m) and 72 vectors.
    const [uFloats, vFloats, mFloats] = [36 * inChannels * outC, 36 * rows * inChannels, 36 * rows * outC];
    const scratch = output(be, [uFloats + vFloats + mFloats + 72 * 4]);
    const u = offset(be, scratch), v = u + 4 * uFloats, m = v + 4 * vFloats, small = m + 4 * mFloats;
    simd!.conv2dWinograd(offset(be, x), offset(be, filter), biasAt, offset(be, y), u, v, m, small,
      batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outC, padInfo.top, padInfo.left, activation, rows);
    be.disposeData(scratch.dataId);
    convCalls.winograd++;
  } else {
    const g = geometry(info);
    simd!.conv2d(offset(be, x), offset(be, filter), biasAt, offset(be, y), ...g.slice(0, 6), outC, ...g.slice(6), activation);
    convCalls.direct++;
  }
  return y;
}

/**
 * Floats of one chunk of transformed input tiles or of their products (all 36 positions): 256 KiB,
 * so both stay in a core's L2 cache from one transform to the other (measured on 7×7 to 28×28
 * layers of 32–128 channels: 128 KiB or 1 MiB chunks were no faster, 128 KiB slower at 128 channels).
 */
const WINOGRAD_CHUNK_FLOATS = 65536;

/**
 * Whether a convolution runs as Winograd's F(4x4, 3x3): a 3x3 filter, stride 1, no dilation,
 * channels in multiples of 4 (at least 8 in), and at most 60% of the direct products counting
 * the tiles' overhang past the image's edge (a 1x1 output would take 36 products instead of 9).
 */
export function winogradFits(info: tf.backend_util.Conv2DInfo): boolean {
  if (!winogradOn) return false;
  const { filterHeight, filterWidth, strideHeight, strideWidth, dilationHeight, dilationWidth, inChannels, outChannels, outHeight, outWidth } = info;
  if (filterHeight !== 3 || filterWidth !== 3 || strideHeight !== 1 || strideWidth !== 1 || dilationHeight !== 1 || dilationWidth !== 1) return false;
  if (inChannels < 8 || inChannels % 4 !== 0 || outChannels % 4 !== 0) return false;
  return 36 * Math.ceil(outHeight / 4) * Math.ceil(outWidth / 4) <= 0.6 * 9 * outHeight * outWidth;
}

let winogradOn = true;
const convCalls = { direct: 0, winograd: 0 };

/** Turns the Winograd path of the SIMD convolution on or off (on by default); returns the previous setting. */
export function setWinogradConv(on: boolean): boolean {
  const was = winogradOn;
  winogradOn = on;
  return was;
}

/** How many forward convolutions the SIMD kernels ran directly and as Winograd F(4x4, 3x3) since the process started. */
export function simdConvCalls(): { direct: number; winograd: number } {
  return { ...convCalls };
}

/**
 * Plain 2-D products go to XNNPACK (the original kernel). A transposed B is transposed
 * explicitly (cheap next to the product); a transposed A is read through strides; batched
 * products run the SIMD kernel with tfjs's batch broadcasting.
 */
function batchMatMul(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b } = inputs;
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const be = backend as BackendWasm;
  const ra = a.shape.length, rb = b.shape.length;
  const batchA = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const batchB = b.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || (!transposeA && !transposeB && batchA === 1 && batchB === 1)) {
    return original.BatchMatMul!(args);
  }
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) {
    throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`);
  }
  const outBatch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = outBatch.reduce((p, d) => p * d, 1);
  const bRows = transposeB ? runKernel('Transpose', be, { x: b }, { perm: [...b.shape.keys()].map((i) => (i < rb - 2 ? i : i === rb - 2 ? rb - 1 : rb - 2)) }) : b;
  const out = output(be, [...outBatch, m, n]);
  // A(i, k) = A[i * sAi + k * sAk] inside one batch entry.
  const [sAi, sAk] = transposeA ? [1, m] : [k, 1];
  simd!.batchMatMul(offset(be, a), offset(be, bRows), offset(be, out), batch, batchA, batchB, m, n, k, sAi, sAk);
  if (bRows !== b) be.disposeData(bRows.dataId);
  return out;
}

/** tfjs's activation names → the wasm kernels that apply them alone. */
const ACTIVATION_KERNELS: Record<string, string> = { relu: 'Relu', relu6: 'Relu6', elu: 'Elu', sigmoid: 'Sigmoid', leakyrelu: 'LeakyRelu', prelu: 'Prelu' };

/**
 * _FusedMatMul with a transposed operand or a batch runs as BatchMatMul, then the bias and the
 * activation as kernels of their own: tfjs's wasm kernel gets those wrong (after an untransposed
 * fused product, every transposed one was off by exactly the bias against a hand-computed
 * product; batched ones against the cpu backend). Plain 2-D products keep tfjs's kernel.
 */
function fusedMatMul(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { a, b, bias, preluActivationWeights } = inputs;
  const { transposeA, transposeB, activation = 'linear', leakyreluAlpha } = attrs as { transposeA: boolean; transposeB: boolean; activation?: string; leakyreluAlpha?: number };
  const activationKernel = ACTIVATION_KERNELS[activation];
  const batched = a.shape.slice(0, -2).some((d) => d > 1) || b.shape.slice(0, -2).some((d) => d > 1);
  if ((!transposeA && !transposeB && !batched) || a.dtype !== 'float32' || b.dtype !== 'float32' || (activation !== 'linear' && !activationKernel)) return original._FusedMatMul!(args);
  const be = backend as BackendWasm;
  let y = batchMatMul({ inputs: { a, b }, backend, attrs: { transposeA, transposeB } });
  const then = (next: TensorInfo) => {
    be.disposeData(y.dataId);
    y = next;
  };
  if (bias) then(runKernel('Add', be, { a: y, b: bias }, {}));
  if (activation === 'prelu') then(runKernel('Prelu', be, { x: y, alpha: preluActivationWeights }, {}));
  else if (activationKernel) then(runKernel(activationKernel, be, { x: y }, { alpha: leakyreluAlpha ?? 0.2 }));
  return y;
}

/**
 * Sum and Mean over leading axes of a float tensor (e.g. axes [0, 1, 2] of NHWC) as column
 * sums; every other reduction goes to the backend's kernel.
 */
function reduceLeading(args: KernelArgs, kernelName: 'Sum' | 'Mean'): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (x.dtype !== 'float32' || !leading) return original[kernelName]!(args);
  const be = backend as BackendWasm;
  const rows = x.shape.slice(0, axes.length).reduce((p, d) => p * d, 1);
  const kept = x.shape.slice(axes.length);
  const cols = kept.reduce((p, d) => p * d, 1);
  const out = output(be, keepDims ? [...axes.map(() => 1), ...kept] : kept);
  if (rows === 0 || cols === 0) return original[kernelName]!(args);
  const partial = output(be, [cols]);
  simd!.columnSum(offset(be, x), offset(be, out), offset(be, partial), rows, cols, kernelName === 'Mean' ? 1 / rows : 1);
  be.disposeData(partial.dataId);
  return out;
}

const TILE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Tile (batch-norm gradients tile per-channel statistics to the whole activation). */
function tileKernel(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const { reps } = attrs as { reps: number[] };
  const bytes = TILE_BYTES[x.dtype];
  if (bytes === undefined || x.shape.length > 6 || x.shape.length !== reps.length) return original.Tile!(args);
  const be = backend as BackendWasm;
  const out = be.makeOutput(x.shape.map((d, i) => d * reps[i]), x.dtype) as TensorInfo;
  const pad = (a: number[], fill: number) => [...Array(6 - a.length).fill(fill), ...a];
  if (out.shape.some((d) => d === 0)) return out;
  simd!.tile(offset(be, x), offset(be, out), bytes, ...pad(x.shape, 1), ...pad(reps, 1));
  return out;
}

/**
 * Batch norm whose statistics and parameters are per channel of the last axis (what a
 * channels-last BatchNormalization layer passes), vectorised, with the roundings of tfjs's
 * kernel (a float32 product, the division and the offset in float64), so the same bits; tfjs's
 * divides element by element without SIMD (≈ 8 ns an element here: a fifth of vgg-small's
 * inference time). Other shapes go to tfjs's kernel.
 */
function batchNormKernel(args: KernelArgs): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, mean, variance, offset: shift, scale } = inputs;
  const { varianceEpsilon } = attrs as { varianceEpsilon: number };
  const channels = x.shape[x.shape.length - 1] ?? 1;
  const perChannel = (t: TensorInfo | undefined) => !t || (t.dtype === 'float32' && t.shape.reduce((p, d) => p * d, 1) === channels);
  if (x.dtype !== 'float32' || x.shape.length === 0 || ![mean, variance, shift, scale].every(perChannel)) return original.FusedBatchNorm!(args);
  const be = backend as BackendWasm;
  const out = output(be, x.shape);
  const rows = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
  if (rows === 0 || channels === 0) return out;
  const norm = output(be, [channels]);
  simd!.batchNorm(offset(be, x), offset(be, mean), offset(be, variance), offsetOf(be, shift), offsetOf(be, scale), varianceEpsilon, offset(be, out), offset(be, norm), rows, channels);
  be.disposeData(norm.dataId);
  return out;
}

/**
 * Identity (tensor.clone(), and every tensor a gradient saves for the backward pass) shares its
 * input's data, as tfjs's cpu and webgl backends do: tfjs-wasm copied it (≈ 7% of a ResNet's
 * fine-tuning step), and the copy of a held filter (see held-constants) was no longer held.
 */
function identity(args: KernelArgs): TensorInfo {
  const { inputs: { x }, backend } = args;
  if (x.dtype === 'string') return original.Identity!(args);
  (backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** A tensor's heap offset, 0 for an absent one. */
const offsetOf = (be: BackendWasm, t: TensorInfo | undefined) => (t ? offset(be, t) : 0);

const implementations: Record<(typeof WASM_TRAINING_KERNELS)[number], Kernel> = {
  Conv2D: (args) => conv2dForward(args, 'Conv2D'),
  FusedConv2D: (args) => conv2dForward(args, 'FusedConv2D'),
  Conv2DBackpropFilter: conv2dBackpropFilter,
  Conv2DBackpropInput: conv2dBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseBackpropFilter,
  DepthwiseConv2dNativeBackpropInput: depthwiseBackpropInput,
  MaxPoolGrad: maxPoolGrad,
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  Sum: (args) => reduceLeading(args, 'Sum'),
  Mean: (args) => reduceLeading(args, 'Mean'),
  Tile: tileKernel,
  FusedBatchNorm: batchNormKernel,
  Identity: identity,
};

/**
 * Registers the SIMD training kernels on the 'wasm' backend (idempotent). Must run after
 * the wasm backend is initialised, because the kernels bind to its memory.
 */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  const backend = tf.findBackend('wasm') as BackendWasm | null;
  if (!backend) throw new Error('editlab: the wasm backend is not initialised; call useBackend("wasm") first.');
  simd = instantiate(backend);
  for (const name of WASM_TRAINING_KERNELS) {
    const existing = tf.getKernel(name, 'wasm');
    if (existing) {
      original[name] = existing.kernelFunc as unknown as Kernel;
      tf.unregisterKernel(name, 'wasm');
    }
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: implementations[name] as never });
  }
  registered = true;
}
