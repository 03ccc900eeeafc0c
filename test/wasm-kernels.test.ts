// Gradient parity: every kernel editlab registers on the wasm backend against the tfjs cpu
// backend (an independent, straightforward implementation), over randomized shapes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, useBackend } from '../src/engine/backend';
import { onnxKernelCalls, setOnnxKernels, ONNX_KERNELS } from '../src/engine/onnx';
import { mulberry32 } from '../src/engine/rng';
import { setUnfusedConvGradients } from '../src/engine/gradients';
import { holdConstant } from '../src/engine/held-constants';
import { setWinogradConv, simdConvCalls } from '../src/engine/wasm-kernels';

const TOLERANCE = 1e-4;
const rand = mulberry32(20261125);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const values = (n: number, gen = rand) => Float32Array.from({ length: n }, () => gen() * 2 - 1);
/** Upstream gradients: the same values on both backends (a fixed seed per call site). */
const upstream = (t: tf.Tensor) => tf.tensor(values(t.size, mulberry32(t.size)), t.shape);

/** max |a - b| / max |a|: relative to the reference's scale. */
function relativeError(reference: Float32Array, actual: Float32Array): number {
  assert.equal(actual.length, reference.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(reference[i] - actual[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return diff / (scale || 1);
}

/** Runs f on the cpu backend and on the wasm backend; returns both results' values. */
async function onBoth(f: () => tf.Tensor[]): Promise<{ cpu: Float32Array[]; wasm: Float32Array[] }> {
  const run = async (name: 'cpu' | 'wasm') => {
    await useBackend(name);
    const before = tf.memory().numTensors;
    const out = tf.tidy(f);
    const data = out.map((t) => t.dataSync() as Float32Array);
    tf.dispose(out);
    assert.equal(tf.memory().numTensors, before, `${name}: kernels leaked tensors`);
    return data;
  };
  return { cpu: await run('cpu'), wasm: await run('wasm') };
}

function assertParity(label: string, r: { cpu: Float32Array[]; wasm: Float32Array[] }) {
  r.cpu.forEach((c, i) => {
    const err = relativeError(c, r.wasm[i]);
    assert.ok(err <= TOLERANCE, `${label}, output ${i}: relative error ${err.toExponential(2)} > ${TOLERANCE}`);
  });
}

test('wasm backend registers the training kernels', async () => {
  const info = await useBackend('wasm');
  assert.equal(info.backend, 'wasm');
  for (const k of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'MaxPoolGrad']) {
    assert.ok(info.kernels.includes(k), `${k} registered`);
    assert.ok(tf.getKernel(k, 'wasm'), `${k} resolvable`);
  }
});

/** Conv2D, FusedConv2D (bias, relu or relu6) and both gradients on both backends, with the ONNX Runtime convolutions on or off. */
async function convParity(onnx: boolean, channels: readonly number[], dilations: readonly number[]): Promise<void> {
  const cases: Array<[number, number, number, number, number, number, number, 'same' | 'valid', number]> = [];
  for (const k of [1, 3, 5, 7]) {
    for (const stride of [1, 2]) {
      for (const pad of ['same', 'valid'] as const) {
        // tfjs allows a dilation only with stride 1.
        const dilation = stride === 1 ? pick(dilations) : 1;
        const reach = (k - 1) * dilation + 1;
        const h = int(reach, reach + 8), w = int(reach, reach + 9);
        cases.push([pick([1, 2, 3]), h, w, pick(channels), pick([1, 5, 8, 16, 12]), k, stride, pad, dilation]);
      }
    }
  }
  const was = setOnnxKernels(onnx);
  const before = onnxKernelCalls();
  try {
    for (const [b, h, w, ci, co, k, stride, pad, dilation] of cases) {
      const xs = values(b * h * w * ci), fs = values(k * k * ci * co), bs = values(co);
      const r = await onBoth(() => {
        const x = tf.tensor4d(xs, [b, h, w, ci]);
        const f = tf.tensor4d(fs, [k, k, ci, co]);
        const bias = tf.tensor1d(bs);
        const conv = (a: tf.Tensor4D, c: tf.Tensor4D) => tf.conv2d(a, c, stride, pad, 'NHWC', dilation);
        const y = conv(x, f);
        const fused = tf.fused.conv2d({ x, filter: f, strides: stride, pad, dilations: dilation, bias, activation: 'relu' });
        const fused6 = tf.fused.conv2d({ x, filter: f, strides: stride, pad, dilations: dilation, bias: bias.reshape([1, 1, 1, co]), activation: 'relu6' });
        // tfjs has no conv2d gradient for dilations above 1.
        if (dilation > 1) return [y, fused, fused6];
        const dy = upstream(y);
        const [dx, dw] = tf.grads((a: tf.Tensor4D, c: tf.Tensor4D) => conv(a, c).mul(dy).sum())([x, f]);
        return [y, fused, fused6, dx, dw];
      });
      assertParity(`conv (${onnx ? 'ONNX Runtime' : 'SIMD'}) b${b} ${h}x${w}x${ci}->${co} k${k} s${stride} d${dilation} ${pad}`, r);
    }
    const ran = onnxKernelCalls().onnx - before.onnx;
    assert.ok(onnx ? ran > 0 : ran === 0, `${ran} calls ran on ONNX Runtime`);
  } finally {
    setOnnxKernels(was);
  }
}

test('conv2d forward and gradients match the cpu backend (randomized shapes, SIMD kernels)', async () => {
  await convParity(false, [1, 3, 4, 8, 9], [1]);
});

test('3×3 stride-1 convolutions as Winograd F(4×4, 3×3) match the cpu backend (edges, pads, bias, activations)', async () => {
  // Sizes that leave partial 4×4 tiles at the right and bottom edges, 'same', 'valid' and
  // uneven explicit pads (tiles reaching past every side), and channel counts that are not
  // multiples of the products' 8-wide tile.
  const cases: Array<[number, number, number, number, number, 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]]]> = [
    [2, 7, 7, 64, 128, 'same'], [1, 9, 6, 8, 12, 'same'], [3, 14, 13, 32, 20, 'valid'], [2, 13, 11, 12, 8, 'same'],
    [1, 5, 10, 16, 4, [[0, 0], [2, 0], [0, 1], [0, 0]]], [2, 3, 3, 8, 16, 'same'], [1, 28, 28, 32, 32, 'same'],
  ];
  const was = setOnnxKernels(false);
  try {
    for (const [b, h, w, ci, co, pad] of cases) {
      const xs = values(b * h * w * ci), fs = values(9 * ci * co), bs = values(co);
      const before = simdConvCalls();
      const r = await onBoth(() => {
        const x = tf.tensor4d(xs, [b, h, w, ci]);
        const filter = tf.tensor4d(fs, [3, 3, ci, co]);
        const bias = tf.tensor1d(bs);
        return [
          tf.conv2d(x, filter, 1, pad),
          tf.fused.conv2d({ x, filter, strides: 1, pad, bias, activation: 'relu' }),
          tf.fused.conv2d({ x, filter, strides: 1, pad, bias, activation: 'relu6' }),
        ];
      });
      const label = `b${b} ${h}x${w}x${ci}->${co} ${JSON.stringify(pad)}`;
      assertParity(`Winograd ${label}`, r);
      assert.equal(simdConvCalls().winograd - before.winograd, 3, `${label}: all three ran as Winograd`);
    }
    // Where Winograd would multiply more than the direct kernel, or cannot run, the direct kernel does.
    for (const [h, ci, k] of [[1, 16, 3], [9, 3, 3], [9, 10, 3], [9, 16, 5]] as const) {
      const before = simdConvCalls();
      tf.tidy(() => tf.conv2d(tf.ones([1, h, h, ci]) as tf.Tensor4D, tf.ones([k, k, ci, 8]) as tf.Tensor4D, 1, 'same').dataSync());
      const after = simdConvCalls();
      assert.deepEqual([after.direct - before.direct, after.winograd - before.winograd], [1, 0], `${h}x${h}x${ci} k${k} runs directly`);
    }
    // Off, the same convolution runs directly and agrees with the Winograd one to float rounding.
    const x = tf.tensor4d(values(2 * 7 * 7 * 16), [2, 7, 7, 16]), f = tf.tensor4d(values(9 * 16 * 8), [3, 3, 16, 8]);
    const fast = tf.conv2d(x, f, 1, 'same');
    setWinogradConv(false);
    const direct = tf.conv2d(x, f, 1, 'same');
    setWinogradConv(true);
    assert.ok(relativeError(direct.dataSync() as Float32Array, fast.dataSync() as Float32Array) <= TOLERANCE);
    tf.dispose([x, f, fast, direct]);
  } finally {
    setOnnxKernels(was);
  }
});

test('conv2d forward and gradients on ONNX Runtime match the cpu backend (randomized shapes, dilations)', async () => {
  const info = await useBackend('wasm');
  assert.deepEqual(info.onnxKernels, [...ONNX_KERNELS], 'onnxruntime-node is a dependency: its kernels are used');
  // From 8 input channels up; below, the SIMD kernels keep the forward pass and the filter gradient.
  await convParity(true, [8, 9, 16, 3], [1, 2]);
});

test('a filter held constant is stored in its ONNX Runtime graph: same values as the cpu backend, fed again once released', async () => {
  // The frozen layers of a fine-tuning (held: the same filter every step, forward and input
  // gradient), then the filter replaced; strides 1 and 2, 'same' and 'valid', dilation 2, with and without bias.
  const cases: Array<[number, number, number, number, 'same' | 'valid', number]> = [
    [3, 16, 12, 1, 'same', 1], [3, 9, 16, 1, 'valid', 1], [5, 8, 8, 1, 'same', 2], [3, 12, 16, 2, 'same', 1], [1, 16, 24, 1, 'valid', 1],
  ];
  for (const [k, ci, co, stride, pad, dilation] of cases) {
    const [b, h, w] = [2, 11, 10];
    const xs = values(b * h * w * ci), f1 = values(k * k * ci * co), f2 = values(k * k * ci * co), bs = values(co);
    const before = onnxKernelCalls();
    const r = await onBoth(() => {
      const x = tf.tensor4d(xs, [b, h, w, ci]);
      const filter = tf.variable(tf.tensor4d(f1, [k, k, ci, co]));
      const bias = tf.tensor1d(bs);
      const conv = (a: tf.Tensor4D, c: tf.Tensor4D) => tf.conv2d(a, c, stride, pad, 'NHWC', dilation);
      const outputs: tf.Tensor[] = [];
      const release = holdConstant([filter, bias]);
      const step = () => {
        outputs.push(conv(x, filter), tf.fused.conv2d({ x, filter, strides: stride, pad, dilations: dilation, bias, activation: 'relu' }));
        if (dilation === 1) {
          const dy = upstream(outputs.at(-2)!);
          outputs.push(tf.grad((a: tf.Tensor4D) => conv(a, filter).mul(dy).sum())(x));
        }
      };
      step();
      step();
      release();
      filter.assign(tf.tensor4d(f2, [k, k, ci, co]));
      step();
      step();
      filter.dispose();
      return outputs;
    });
    assertParity(`stored filter k${k} ${ci}->${co} s${stride} d${dilation} ${pad}`, r);
    // The values after the update differ from those before: an old stored graph would have failed the parity above.
    assert.ok(relativeError(r.cpu[0], r.cpu.at(-1 - (dilation === 1 ? 2 : 1))!) > 1e-3, 'the update changes the output');
    const stored = onnxKernelCalls().stored - before.stored;
    // Held, each of two steps: the forward and fused calls, the gradient's forward, a stride-1 input gradient; released: none.
    const perStep = 2 + (dilation === 1 ? 1 + (stride === 1 ? 1 : 0) : 0);
    assert.equal(stored, 2 * perStep, `k${k} s${stride} d${dilation}: only the held filter ran from stored graphs`);
  }
});

test('depthwise conv gradients match the cpu backend, with dilation and channel multipliers', async () => {
  for (let i = 0; i < 10; i++) {
    const k = pick([1, 3, 5]), stride = pick([1, 2]), pad = pick(['same', 'valid'] as const);
    const dilation = stride === 1 && k > 1 ? pick([1, 2]) : 1;
    const b = pick([1, 2]), c = pick([1, 3, 4, 8]), m = pick([1, 2]);
    const span = (k - 1) * dilation + 1;
    const h = int(span, span + 7), w = int(span, span + 6);
    const xs = values(b * h * w * c), fs = values(k * k * c * m);
    const dyGen = () => mulberry32(i + 1);
    // The cpu kernels ignore dilation, so the reference runs the equivalent undilated
    // convolution with a zero-inserted filter and reads the filter gradient at the taps.
    const grads = (name: 'cpu' | 'wasm') => {
      const refDilation = name === 'cpu' ? 1 : dilation;
      const kk = name === 'cpu' ? span : k;
      const filter = name === 'cpu' ? dilateFilter(fs, k, c, m, dilation) : tf.tensor4d(fs, [k, k, c, m]);
      const x = tf.tensor4d(xs, [b, h, w, c]);
      const y = tf.depthwiseConv2d(x, filter, stride, pad, 'NHWC', refDilation);
      const dy = tf.tensor(values(y.size, dyGen()), y.shape);
      const attrs = { strides: stride, pad, dilations: refDilation, dimRoundingMode: undefined };
      // Called as kernels: tfjs's depthwise gradient refuses dilation > 1 before reaching them.
      let dw = tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...attrs, filterShape: [kk, kk, c, m] }) as tf.Tensor;
      const dx = tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...attrs, inputShape: [b, h, w, c] }) as tf.Tensor;
      if (name === 'cpu') dw = tf.stack(Array.from({ length: k }, (_, r) => tf.stack(Array.from({ length: k }, (_, q) => dw.slice([r * dilation, q * dilation, 0, 0], [1, 1, c, m]).reshape([c, m])))));
      return [y, dw, dx];
    };
    const r = { cpu: [] as Float32Array[], wasm: [] as Float32Array[] };
    for (const name of ['cpu', 'wasm'] as const) {
      await useBackend(name);
      const out = tf.tidy(() => grads(name));
      r[name] = out.map((t) => t.dataSync() as Float32Array);
      tf.dispose(out);
    }
    assertParity(`depthwise b${b} ${h}x${w}x${c}*${m} k${k} s${stride} d${dilation} ${pad}`, r);
  }
});

/** A depthwise filter [k,k,c,m] spread onto a [span,span,c,m] grid with zeros between taps. */
function dilateFilter(fs: Float32Array, k: number, c: number, m: number, d: number): tf.Tensor4D {
  const span = (k - 1) * d + 1;
  const out = new Float32Array(span * span * c * m);
  for (let r = 0; r < k; r++) {
    for (let q = 0; q < k; q++) {
      for (let j = 0; j < c * m; j++) out[((r * d) * span + q * d) * c * m + j] = fs[(r * k + q) * c * m + j];
    }
  }
  return tf.tensor4d(out, [span, span, c, m]);
}

test('max-pool gradient matches the cpu backend, ties included', async () => {
  for (const [size, stride, pad] of [[2, 2, 'valid'], [3, 2, 'same'], [3, 1, 'same'], [2, 1, 'valid']] as const) {
    const b = pick([1, 2]), h = int(4, 11), w = int(4, 11), c = pick([1, 3, 4, 8]);
    // Quantised values make many windows tie; relu-like zeros as in real networks.
    const xs = values(b * h * w * c).map((v) => Math.max(0, Math.round(v * 3) / 3));
    const r = await onBoth(() => {
      const x = tf.tensor4d(xs, [b, h, w, c]);
      const y = tf.maxPool(x, size, stride, pad);
      const dy = upstream(y);
      return [tf.grad((a: tf.Tensor4D) => tf.maxPool(a, size, stride, pad).mul(dy).sum())(x)];
    });
    assertParity(`maxPool ${b}x${h}x${w}x${c} ${size}/${stride} ${pad}`, r);
  }
});

test('batched and transposed matMul, and fused products, match the cpu backend', async () => {
  const shapes: Array<[number[], number[], boolean, boolean]> = [
    [[7, 5], [5, 9], false, false],
    [[5, 7], [5, 9], true, false],
    [[7, 5], [9, 5], false, true],
    [[5, 7], [9, 5], true, true],
    [[3, 6, 10], [3, 10, 17], false, false],
    [[2, 3, 10, 6], [2, 3, 17, 10], true, true],
    [[1, 13, 8], [4, 8, 11], false, false],
    [[4, 13, 8], [8, 11], false, false],
  ];
  for (const [as, bs, ta, tb] of shapes) {
    const av = values(as.reduce((p, d) => p * d, 1)), bv = values(bs.reduce((p, d) => p * d, 1));
    const n = tb ? bs[bs.length - 2] : bs[bs.length - 1];
    const biasValues = values(n);
    // tfjs's matMul gradient does not reduce broadcast batch dimensions: forward only there.
    const broadcast = as.slice(0, -2).join() !== bs.slice(0, -2).join();
    const r = await onBoth(() => {
      const a = tf.tensor(av, as), b = tf.tensor(bv, bs), bias = tf.tensor1d(biasValues);
      const y = tf.matMul(a, b, ta, tb);
      // Fused products (bias as [n] or [1, n]; relu, relu6, linear): tfjs's own wasm kernel gets the transposed and batched ones wrong.
      const fused = [
        tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias, activation: 'relu' }),
        tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: bias.reshape([1, n]), activation: 'relu6' }),
        tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias }),
      ];
      if (broadcast) return [y, ...fused];
      const dy = upstream(y);
      const [da, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, ta, tb).mul(dy).sum())([a, b]);
      return [y, ...fused, da, db];
    });
    assertParity(`matMul ${as}${ta ? 'ᵀ' : ''} x ${bs}${tb ? 'ᵀ' : ''}`, r);
  }
});

test('matrix products, Erf and Exp on ONNX Runtime match the cpu backend (transposes, batches, broadcasts, bias and activations, a held operand)', async () => {
  // Shapes above the size from which products leave the SIMD kernel (2^18 multiply-adds; 2^14 elements for Erf and Exp).
  const shapes: Array<[number[], number[], boolean, boolean]> = [
    [[100, 48], [48, 64], false, false],
    [[48, 100], [48, 64], true, false],
    [[100, 48], [64, 48], false, true],
    [[48, 100], [64, 48], true, true],
    [[3, 60, 40], [3, 40, 48], false, false],
    [[3, 40, 60], [3, 40, 48], true, false],
    [[1, 100, 48], [3, 48, 64], false, false],
    [[4, 100, 48], [48, 64], false, false],
  ];
  const before = onnxKernelCalls();
  for (const [as, bs, ta, tb] of shapes) {
    const av = values(as.reduce((p, d) => p * d, 1)), bv = values(bs.reduce((p, d) => p * d, 1));
    const n = tb ? bs[bs.length - 2] : bs[bs.length - 1];
    const biasValues = values(n);
    const broadcast = as.slice(0, -2).join() !== bs.slice(0, -2).join();
    const r = await onBoth(() => {
      const a = tf.tensor(av, as), b = tf.tensor(bv, bs), bias = tf.tensor1d(biasValues);
      const outputs = [
        tf.matMul(a, b, ta, tb),
        tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias, activation: 'relu' }),
        tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias: bias.reshape([1, n]), activation: 'relu6' }),
      ];
      // Held: the right operand is stored in the graph; the same values must come out.
      const release = holdConstant([b]);
      outputs.push(tf.matMul(a, b, ta, tb), tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias }));
      release();
      if (!broadcast) {
        const dy = upstream(outputs[0]);
        outputs.push(...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, ta, tb).mul(dy).sum())([a, b]));
      }
      return outputs;
    });
    assertParity(`ONNX Runtime matMul ${as}${ta ? 'ᵀ' : ''} x ${bs}${tb ? 'ᵀ' : ''}`, r);
  }
  const xs = values(64 * 400).map((v) => v * 4);
  const r = await onBoth(() => {
    const x = tf.tensor2d(xs, [64, 400]);
    // GELU and its gradient, as tfjs-layers computes them: Erf forward, Exp in Erf's gradient.
    const gelu = (t: tf.Tensor) => t.mul(0.5).mul(tf.erf(t.div(Math.SQRT2)).add(1));
    return [tf.erf(x), tf.exp(x), gelu(x), tf.grad((t: tf.Tensor) => gelu(t).sum())(x)];
  });
  assertParity('ONNX Runtime Erf, Exp and GELU', r);
  const after = onnxKernelCalls();
  // Every product above ran on ONNX Runtime (forward, fused, held, and the gradients' products), and the held ones from stored graphs.
  assert.ok(after.onnx - before.onnx >= shapes.length * 5 + 2, `${after.onnx - before.onnx} calls ran on ONNX Runtime`);
  assert.ok(after.stored - before.stored >= shapes.length * 2, `${after.stored - before.stored} calls ran from stored graphs`);
  // Off, they run on the SIMD kernels and tfjs's, with the same results.
  const was = setOnnxKernels(false);
  try {
    const calls = onnxKernelCalls().onnx;
    const off = await onBoth(() => [tf.matMul(tf.tensor(values(100 * 48, mulberry32(1)), [100, 48]), tf.tensor(values(48 * 64, mulberry32(2)), [48, 64])), tf.erf(tf.tensor2d(xs, [64, 400]))]);
    assertParity('the same products and Erf off ONNX Runtime', off);
    assert.equal(onnxKernelCalls().onnx, calls, 'none ran on ONNX Runtime while turned off');
  } finally {
    setOnnxKernels(was);
  }
});

test('a full training step of the reference CNN matches the cpu backend', async () => {
  const { buildModel } = await import('../src/models');
  const xs = values(4 * 28 * 28), labels = [1, 7, 3, 0];
  const r = await onBoth(() => {
    const model = buildModel('reference-cnn', { seed: 3 });
    const x = tf.tensor4d(xs, [4, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, vars);
    const out = vars.map((v) => grads[v.name]);
    model.dispose();
    return out;
  });
  assertParity('reference CNN gradients', r);
});

test('sums and means over leading axes match the cpu backend', async () => {
  const cases: Array<[number[], number | number[], boolean]> = [
    [[64, 7, 5, 33], [0, 1, 2], false], [[300, 17], 0, true], [[4, 6, 8], [0, 1], true], [[5, 9], [1], false], [[3, 4, 5], [0, 2], false],
  ];
  for (const [shape, axis, keepDims] of cases) {
    const xs = values(shape.reduce((p, d) => p * d, 1));
    const r = await onBoth(() => {
      const x = tf.tensor(xs, shape);
      const sum = tf.sum(x, axis, keepDims);
      // The output shape travels as values, so the comparison covers keepDims too.
      return [sum, tf.mean(x, axis, keepDims), tf.tensor1d(sum.shape)];
    });
    assertParity(`sum/mean ${shape} over ${axis}`, r);
  }
});

/** Gradients of every parameter of a small network, on both backends. */
async function gradientParity(label: string, shapes: Record<string, number[]>, loss: (p: Record<string, tf.Tensor>, x: tf.Tensor4D, y: tf.Tensor2D) => tf.Scalar) {
  const init = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, values(s.reduce((a, d) => a * d, 1)).map((v) => v * 0.3)]));
  const xs = values(4 * 28 * 28);
  const r = await onBoth(() => {
    const params = Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, tf.tensor(init[k], s)]));
    const names = Object.keys(params);
    const x = tf.tensor4d(xs, [4, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d([3, 1, 4, 1], 'int32'), 10) as tf.Tensor2D;
    const grads = tf.grads((...ts: tf.Tensor[]) => loss(Object.fromEntries(names.map((n, i) => [n, ts[i]])), x, y))(names.map((n) => params[n]));
    return [loss(params, x, y), ...grads];
  });
  assertParity(label, r);
}

test('a ResNet-style block (stride-2 conv, batch norm, residual, global pooling) trains like on cpu', async () => {
  await gradientParity('resnet block', { w1: [3, 3, 1, 16], gamma: [16], beta: [16], w2: [3, 3, 16, 16], ws: [1, 1, 1, 16], wd: [16, 10] }, (p, x, y) => {
    let h = tf.conv2d(x, p.w1 as tf.Tensor4D, 2, 'same');
    const { mean, variance } = tf.moments(h, [0, 1, 2]);
    h = tf.relu(h.sub(mean).div(variance.add(1e-3).sqrt()).mul(p.gamma).add(p.beta));
    const out = tf.relu(tf.conv2d(h as tf.Tensor4D, p.w2 as tf.Tensor4D, 1, 'same').add(tf.conv2d(x, p.ws as tf.Tensor4D, 2, 'same')));
    return tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.mean(out, [1, 2]), p.wd)) as tf.Scalar;
  });
});

test('a ViT-style block (patch embedding, layer norm, attention, GELU MLP) trains like on cpu', async () => {
  const d = 16;
  await gradientParity('vit block', { patch: [7, 7, 1, d], pos: [16, d], wq: [d, d], wk: [d, d], wv: [d, d], wo: [d, d], w1: [d, 32], w2: [32, d], head: [d, 10] }, (p, x, y) => {
    const tokens = tf.conv2d(x, p.patch as tf.Tensor4D, 7, 'valid').reshape([4, 16, d]).add(p.pos);
    const norm = (t: tf.Tensor) => { const m = tf.moments(t, [-1], true); return t.sub(m.mean).div(m.variance.add(1e-5).sqrt()); };
    // Token-wise projections as 2-D products: tfjs's matMul gradient does not reduce a broadcast batch.
    const linear = (t: tf.Tensor, w: tf.Tensor) => tf.matMul(t.reshape([-1, t.shape[2]!]), w).reshape([4, 16, w.shape[1]!]);
    const ln = norm(tokens);
    const q = linear(ln, p.wq), k = linear(ln, p.wk), v = linear(ln, p.wv);
    const attention = tf.softmax(tf.matMul(q, k, false, true).div(Math.sqrt(d)));
    const h = tokens.add(linear(tf.matMul(attention, v), p.wo));
    const u = linear(norm(h), p.w1);
    const gelu = u.mul(0.5).mul(tf.erf(u.div(Math.SQRT2)).add(1));
    const z = h.add(linear(gelu, p.w2));
    return tf.losses.softmaxCrossEntropy(y, tf.matMul(tf.mean(z, 1), p.head)) as tf.Scalar;
  });
});

test('tile matches the cpu backend for every rank up to 6 and for int32', async () => {
  const cases: Array<[number[], number[]]> = [[[3], [4]], [[2, 3], [3, 2]], [[1, 1, 1, 5], [4, 3, 2, 1]], [[2, 1, 3, 1, 2], [1, 2, 1, 3, 2]], [[1, 2, 1, 2, 1, 3], [2, 1, 2, 1, 3, 1]], [[2, 3, 1], [2, 1, 7]], [[3, 2], [1, 64]]];
  for (const [shape, reps] of cases) {
    const xs = values(shape.reduce((p, d) => p * d, 1));
    const r = await onBoth(() => {
      const x = tf.tensor(xs, shape);
      return [tf.tile(x, reps), tf.tile(x.round().toInt(), reps).toFloat()];
    });
    assertParity(`tile ${shape} × ${reps}`, r);
  }
});

test("tile's gradient (editlab's, one reshape and one sum) equals the per-tile sum", async () => {
  await useBackend('wasm');
  for (const [shape, reps] of [[[1, 1, 4], [3, 5, 1]], [[2, 3], [2, 2]], [[3], [4]], [[2, 1, 2], [1, 3, 2]]] as Array<[number[], number[]]>) {
    const xs = values(shape.reduce((p, d) => p * d, 1));
    const outShape = shape.map((d, i) => d * reps[i]);
    const ws = values(outShape.reduce((p, d) => p * d, 1));
    const grad = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.tile(x, reps).mul(tf.tensor(ws, outShape)).sum())(tf.tensor(xs, shape)).dataSync());
    // Independent expectation: every output element adds its weight to the x element it copies.
    const expected = new Float32Array(xs.length);
    const outStrides = outShape.map((_, i) => outShape.slice(i + 1).reduce((p, d) => p * d, 1));
    const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
    for (let o = 0; o < ws.length; o++) {
      let src = 0;
      outShape.forEach((_, i) => { src += (Math.floor(o / outStrides[i]) % outShape[i] % shape[i]) * inStrides[i]; });
      expected[src] += ws[o];
    }
    assert.ok(relativeError(expected, grad as Float32Array) < 1e-5, `tile grad ${shape} × ${reps}`);
  }
});

test("a fused conv's gradients: only the ones a variable needs are computed, with tfjs's fused values", async () => {
  const [n, h, ci, co] = [3, 9, 8, 6];
  const [xs, ws, bs] = [values(n * h * h * ci), values(9 * ci * co), values(co)];
  const dys = values(n * h * h * co);
  /** Kernels run and gradients of sum(fused.conv2d(x, w, b) · dy) with respect to the named inputs. */
  async function gradients(wrt: Array<'x' | 'w' | 'b'>) {
    const [x, w, b] = tf.tidy(() => [
      tf.variable(tf.tensor4d(xs, [n, h, h, ci]), wrt.includes('x')),
      tf.variable(tf.tensor4d(ws, [3, 3, ci, co]), wrt.includes('w')),
      tf.variable(tf.tensor1d(bs), wrt.includes('b')),
    ]);
    const dy = tf.tensor4d(dys, [n, h, h, co]);
    const vars = { x, w, b };
    let grads: Record<string, Float32Array> = {};
    const profile = await tf.profile(() => {
      const r = tf.variableGrads(() => tf.fused.conv2d({ x, filter: w, bias: b, strides: 1, pad: 'same' }).mul(dy).sum() as tf.Scalar, wrt.map((k) => vars[k]));
      grads = Object.fromEntries(wrt.map((k) => [k, Float32Array.from(r.grads[vars[k].name].dataSync() as Float32Array)]));
      tf.dispose([r.value, ...Object.values(r.grads)]);
    });
    tf.dispose([x, w, b, dy]);
    return { grads, kernels: profile.kernels.map((k) => k.name) };
  }
  for (const backend of ['wasm', 'cpu'] as const) {
    await useBackend(backend);
    const before = tf.memory().numTensors;
    const fusedFilterOnly = await gradients(['w']);
    // Off: tfjs's fused conv computes the input's gradient too, and throws it away.
    const was = setUnfusedConvGradients(false);
    const tfjsFilterOnly = await gradients(['w']);
    const tfjsAll = await gradients(['x', 'w', 'b']);
    setUnfusedConvGradients(was);
    assert.ok(tfjsFilterOnly.kernels.includes('Conv2DBackpropInput'), `${backend}: tfjs's own fused gradient computes dx (the waste this avoids)`);
    assert.ok(!fusedFilterOnly.kernels.includes('Conv2DBackpropInput') && fusedFilterOnly.kernels.includes('Conv2DBackpropFilter'), `${backend}: dW only: ${fusedFilterOnly.kernels}`);
    const inputOnly = await gradients(['x']);
    assert.ok(!inputOnly.kernels.includes('Conv2DBackpropFilter') && inputOnly.kernels.includes('Conv2DBackpropInput'), `${backend}: dx only: ${inputOnly.kernels}`);
    const all = await gradients(['x', 'w', 'b']);
    for (const k of ['x', 'w', 'b']) assert.ok(relativeError(tfjsAll.grads[k], all.grads[k]) < 1e-5, `${backend}: d${k} equals tfjs's fused gradient`);
    assert.ok(relativeError(tfjsAll.grads.w, fusedFilterOnly.grads.w) < 1e-5, `${backend}: dW alone equals dW among all`);
    // Without a gradient the fused kernel still runs.
    const forward = await tf.profile(() => tf.tidy(() => { tf.fused.conv2d({ x: tf.tensor4d(xs, [n, h, h, ci]), filter: tf.tensor4d(ws, [3, 3, ci, co]), bias: tf.tensor1d(bs), strides: 1, pad: 'same' }).dataSync(); }));
    assert.ok(forward.kernels.some((k) => k.name === 'FusedConv2D'), `${backend}: inference stays fused`);
    // A layer without a bias passes null, and its activation as null.
    const noBias = tf.tidy(() => tf.grad((x: tf.Tensor4D) => tf.fused.conv2d({ x, filter: tf.tensor4d(ws, [3, 3, ci, co]), bias: null as never, activation: null as never, strides: 1, pad: 'same' }).mul(tf.tensor4d(dys, [n, h, h, co])).sum())(tf.tensor4d(xs, [n, h, h, ci])).dataSync() as Float32Array);
    assert.ok(relativeError(tfjsAll.grads.x, noBias) < 1e-5, `${backend}: dx without a bias equals dx with one`);
    assert.equal(tf.memory().numTensors, before, `${backend}: no tensor leaked`);
  }
});

test('batch norm: the SIMD kernel gives tfjs\'s own wasm kernel\'s bits (its float32/float64 roundings), per-channel or not', async () => {
  await useBackend('wasm');
  const f = Math.fround;
  // tfjs's kernel (tfjs-backend-wasm FusedBatchNorm.cc, as compiled): (x − mean)·scale in
  // float32, the division by sqrt(variance + ε) and the offset's addition in float64.
  const expected = (x: Float32Array, m: Float32Array, v: Float32Array, o: Float32Array | undefined, s: Float32Array | undefined, eps: number) =>
    Float32Array.from(x, (xi, i) => {
      const c = i % m.length;
      const n = f(Math.sqrt(f(v[c] + f(eps))));
      const p = s ? f(f(xi - m[c]) * s[c]) : f(xi - m[c]);
      return f((o ? o[c] : 0) + p / n);
    });
  for (const [shape, withParams] of [[[3, 5, 5, 12], true], [[2, 3, 3, 7], true], [[9, 6], true], [[4, 4, 4, 10], false]] as Array<[number[], boolean]>) {
    const c = shape[shape.length - 1];
    const size = shape.reduce((p, d) => p * d, 1);
    const [xs, ms, os, ss] = [values(size).map((v) => 4 * v), values(c), values(c), values(c).map((v) => 1 + v)];
    const vs = values(c).map((v) => 0.5 + v * 0.49);
    const before = tf.memory().numTensors;
    const y = tf.tidy(() => tf.batchNorm(tf.tensor(xs, shape), tf.tensor1d(ms), tf.tensor1d(vs), withParams ? tf.tensor1d(os) : undefined, withParams ? tf.tensor1d(ss) : undefined, 1e-3));
    const want = expected(xs, ms, vs, withParams ? os : undefined, withParams ? ss : undefined, 1e-3);
    assert.deepEqual(y.dataSync(), want, `batch norm of ${shape}${withParams ? '' : ' without offset and scale'}`);
    y.dispose();
    assert.equal(tf.memory().numTensors, before);
  }
  // Statistics that are not one per channel (here per pixel and channel) go to tfjs's kernel: still right.
  const shape = [2, 3, 3, 4];
  const [xs, ms, vs] = [values(72), values(36), values(36).map((v) => 1 + 0.5 * v)];
  const r = await onBoth(() => [tf.batchNorm(tf.tensor(xs, shape), tf.tensor(ms, [3, 3, 4]), tf.tensor(vs, [3, 3, 4]), undefined, undefined, 1e-3)]);
  assertParity('batch norm with per-pixel statistics', r);
});
