import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, useBackend } from '../src/engine/backend';
import { mulberry32, normalSampler } from '../src/engine/rng';
import { buildModel, listArchitectures } from '../src/models';
import { fashionMnistSet } from '../src/data/image-set';
import {
  argmaxAgreement, checkOnnxParity, createOnnxSession, exportOnnx, exportOnnxSegments, exportOnnxSplit, onnxRuntime, onnxSupportedActivations,
  registerOnnxConverter, relativeError, transposeData, type OnnxExport,
} from '../src/engine/onnx';
import { onnx } from 'onnx-proto';

/** The parity bound of issue 6. */
const TOLERANCE = 1e-4;

function assertParity(reference: Float32Array, actual: Float32Array, classes: number, label: string): void {
  const err = relativeError(reference, actual);
  assert.ok(err <= TOLERANCE, `${label}: relative error ${err.toExponential(2)} > ${TOLERANCE}`);
  assert.equal(argmaxAgreement(reference, actual, classes), 1, `${label}: argmax agrees on every example`);
}

function uniform(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r());
}

/** Non-trivial batch-norm statistics, scales, biases, tokens (initialisers leave them 0 or 1). */
function randomizeTrivialWeights(model: tf.LayersModel, seed: number): void {
  const r = mulberry32(seed);
  const normal = normalSampler(r);
  const values = model.getWeights().map((w, i) => {
    const name = model.weights[i].name;
    const data = Float32Array.from(w.dataSync() as Float32Array);
    if (/moving_variance|gamma/.test(name)) data.forEach((_, k) => { data[k] = 0.5 + r(); });
    else if (/moving_mean/.test(name) || data.every((v) => v === 0)) data.forEach((_, k) => { data[k] = 0.1 * normal(); });
    else return w;
    return tf.tensor(data, w.shape);
  });
  model.setWeights(values);
}

function tfjsLogits(model: tf.LayersModel, x: Float32Array, count: number): Float32Array {
  const shape = [count, ...model.inputs[0].shape.slice(1).map(Number)];
  return tf.tidy(() => Float32Array.from((model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array));
}

async function run(exported: OnnxExport, feeds: Record<string, { data: Float32Array; shape: number[] }>): Promise<Record<string, Float32Array>> {
  const ort = onnxRuntime();
  const session = await createOnnxSession(exported.bytes, { threads: 1 });
  try {
    const out = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.shape)])));
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}

const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;

test('every registry architecture exports to ONNX with logits matching tfjs (≤ 1e-4 relative, same argmax)', async () => {
  await useBackend('wasm');
  const fashion = fashionMnistSet('test', 16);
  const names = listArchitectures().map((a) => a.name);
  assert.ok(names.includes('reference-cnn'));
  for (const arch of listArchitectures()) {
    const big = (arch.defaults?.inputShape?.[0] ?? 28) > 64;
    // ImageNet-sized architectures at 1/8 width and 20 classes keep the test quick; the graph is the same.
    const model = buildModel(arch.name, { seed: 11, ...(big ? { width: 0.125, classes: 20 } : {}) });
    randomizeTrivialWeights(model, 5);
    const shape = model.inputs[0].shape.slice(1).map(Number);
    const count = big ? 2 : 16;
    const x = big ? uniform(count * shape[0] * shape[1] * shape[2], 3) : fashion.images;
    // Attention models also with ONNX Runtime's fused Attention operator (what editlab's own sessions run).
    const attention = model.layers.some((l) => l.getClassName() === 'MultiHeadSelfAttention');
    for (const operators of attention ? ['standard', 'onnxruntime'] as const : ['standard'] as const) {
      const p = await checkOnnxParity(model, x, count, { operators });
      const label = `${arch.name} (${operators} operators)`;
      assert.ok(p.relativeError <= TOLERANCE, `${label}: relative error ${p.relativeError.toExponential(2)} > ${TOLERANCE}`);
      assert.equal(p.argmaxAgreement, 1, `${label}: argmax agrees on every example`);
    }
    if (attention) {
      const ops = (operators: 'standard' | 'onnxruntime') => onnx.ModelProto.decode(exportOnnx(model, { operators }).bytes).graph!.node!.map((n) => `${n.domain || ''}:${n.opType}`);
      assert.ok(!ops('standard').some((op) => op.startsWith('com.microsoft')), `${arch.name}: a standard export uses ONNX's operators only`);
      assert.ok(ops('onnxruntime').includes('com.microsoft:Attention'), `${arch.name}: the onnxruntime export fuses self-attention`);
    }
    model.dispose();
  }
});

test('conv, depthwise/separable, padding, pooling, batch norm, merges and activations match tfjs', async () => {
  await useBackend('wasm');
  // 15×15 makes every stride-2 'same' padding asymmetric (TF puts the odd pixel at the bottom/right).
  const input = tf.input({ shape: [15, 15, 3] });
  let a = apply(tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' }), input);
  a = apply(tf.layers.batchNormalization({ epsilon: 1e-3 }), a);
  const b = apply(tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'elu' }), a);
  const c = apply(tf.layers.conv2d({ filters: 16, kernelSize: 1, activation: 'selu' }), a);
  const d = apply(tf.layers.add(), [b, c]);
  const e = apply(tf.layers.separableConv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'swish' }), d);
  let f = apply(tf.layers.conv2d({ filters: 16, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'mish' }), d);
  f = apply(tf.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }), f);
  let g = apply(tf.layers.concatenate(), [e, f]);
  g = apply(tf.layers.multiply(), [g, apply(tf.layers.activation({ activation: 'sigmoid' }), g)]);
  let h = apply(tf.layers.zeroPadding2d({ padding: [[1, 0], [0, 1]] }), g);
  h = apply(tf.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'same' }), h);
  h = apply(tf.layers.upSampling2d({ size: [2, 2] }), h);
  h = apply(tf.layers.cropping2D({ cropping: [[1, 0], [0, 1]] }), h);
  h = apply(tf.layers.leakyReLU({ alpha: 0.2 }), h);
  h = apply(tf.layers.conv2d({ filters: 12, kernelSize: 2, padding: 'valid' }), h);
  h = apply(tf.layers.prelu({ alphaInitializer: tf.initializers.constant({ value: 0.25 }) }), h);
  h = apply(tf.layers.reLU({ maxValue: 4 }), h);
  h = apply(tf.layers.elu({}), h);
  h = apply(tf.layers.thresholdedReLU({ theta: 0.05 }), h);
  const soft = apply(tf.layers.softmax({ axis: -1 }), h);
  const gap = apply(tf.layers.globalAveragePooling2d({}), soft);
  const gmp = apply(tf.layers.globalMaxPooling2d({}), h);
  const pooled = apply(tf.layers.concatenate(), [apply(tf.layers.average(), [gap, gmp]), apply(tf.layers.maximum(), [gap, gmp]), apply(tf.layers.minimum(), [gap, gmp])]);
  const flat = apply(tf.layers.flatten(), h); // NHWC order: the exporter transposes back before flattening
  let z = apply(tf.layers.dense({ units: 32, activation: 'gelu' as never }), pooled);
  z = apply(tf.layers.add(), [z, apply(tf.layers.dense({ units: 32, activation: 'tanh' }), flat)]);
  z = apply(tf.layers.dropout({ rate: 0.5 }), z);
  z = apply(tf.layers.batchNormalization({}), z);
  z = apply(tf.layers.dense({ units: 16, activation: 'gelu_new' as never }), z);
  const logits = apply(tf.layers.dense({ units: 10 }), z);
  const model = tf.model({ inputs: input, outputs: logits });
  randomizeTrivialWeights(model, 7);
  const x = uniform(8 * 15 * 15 * 3, 9);
  const p = await checkOnnxParity(model, x, 8);
  assertParity(p.tfjs, p.onnx, 10, 'conv zoo');
  model.dispose();
});

test('sequence layers: reshape, layer norm, dense on 3-D input, permute, conv1d, 1-D pooling, nested models, shared layers', async () => {
  await useBackend('wasm');
  const inner = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [16, 16], units: 24, activation: 'softplus' }),
      tf.layers.layerNormalization({ center: false, epsilon: 1e-5 }),
      tf.layers.dense({ units: 16, activation: 'softsign' }),
    ],
  });
  const input = tf.input({ shape: [8, 8, 2] });
  let x = apply(tf.layers.rescaling({ scale: 2, offset: -1 }), input);
  x = apply(tf.layers.conv2d({ filters: 16, kernelSize: 2, strides: 2 }), x);
  let t = apply(tf.layers.reshape({ targetShape: [16, 16] }), x);
  t = apply(tf.layers.layerNormalization({ epsilon: 1e-6 }), t);
  const m = apply(tf.layers.dense({ units: 32, activation: 'gelu' as never }), t);
  t = apply(tf.layers.add(), [t, apply(tf.layers.dense({ units: 16 }), m)]);
  t = apply(tf.layers.batchNormalization({}), t); // axis -1 of a rank-3 value: scale and shift
  t = apply(inner as unknown as tf.layers.Layer, t);
  t = apply(tf.layers.permute({ dims: [2, 1] }), t);
  let s = apply(tf.layers.conv1d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'hardSigmoid' }), t);
  s = apply(tf.layers.maxPooling1d({ poolSize: 2 }), s);
  s = apply(tf.layers.averagePooling1d({ poolSize: 2, padding: 'same' }), s);
  const pooled = apply(tf.layers.concatenate(), [apply(tf.layers.globalAveragePooling1d({}), s), apply(tf.layers.globalMaxPooling1d({}), t)]);
  const shared = tf.layers.dense({ units: 24, activation: 'tanh' }); // one layer, two calls
  const twice = apply(shared, apply(tf.layers.dense({ units: 24 }), apply(shared, pooled)));
  const logits = apply(tf.layers.dense({ units: 10, activation: 'linear' }), twice);
  const model = tf.model({ inputs: input, outputs: logits });
  randomizeTrivialWeights(model, 8);
  const p = await checkOnnxParity(model, uniform(8 * 8 * 8 * 2, 10), 8);
  assertParity(p.tfjs, p.onnx, 10, 'sequence model');
  model.dispose();
});

test('every activation the exporter lists matches tfjs', async () => {
  await useBackend('wasm');
  for (const activation of onnxSupportedActivations()) {
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [6], units: 5, activation: activation as never, biasInitializer: 'glorotUniform' })] });
    const x = uniform(4 * 6, 2).map((v) => 6 * v - 3);
    const p = await checkOnnxParity(model, x, 4);
    assert.ok(p.relativeError <= TOLERANCE, `${activation}: relative error ${p.relativeError.toExponential(2)}`);
    model.dispose();
  }
});

test('weights chosen as graph inputs are fed per run: no re-export for W(α)', async () => {
  await useBackend('wasm');
  const model = buildModel('vgg-small', { seed: 4 });
  randomizeTrivialWeights(model, 3);
  const exported = exportOnnx(model, { weightInputs: ['block2_conv1', 'block2_bn1', model.weights.findIndex((w) => w.originalName === 'predictions/kernel')] });
  assert.deepEqual(exported.weightInputs.map((w) => w.layer), ['block2_conv1', 'block2_bn1', 'block2_bn1', 'block2_bn1', 'block2_bn1', 'predictions']);
  const x = fashionMnistSet('test', 8).images;
  const original = model.getWeights().map((w) => w.clone());
  for (const scale of [0, 0.5, 1]) {
    // Perturb the fed weights in tfjs, feed the same values to the graph.
    const values = original.map((w, i) => (exported.weightInputs.some((f) => f.index === i) ? tf.tidy(() => w.mul(1 + scale * 0.3).add(scale * 0.01)) : w));
    model.setWeights(values);
    const feeds: Record<string, { data: Float32Array; shape: number[] }> = { input: { data: x, shape: [8, 28, 28, 1] } };
    for (const f of exported.weightInputs) feeds[f.name] = { data: values[f.index].dataSync() as Float32Array, shape: f.shape };
    const out = await run(exported, feeds);
    assertParity(tfjsLogits(model, x, 8), out.logits, 10, `fed weights, scale ${scale}`);
  }
  model.dispose();
  // Fed attention weights reach ONNX Runtime's fused Attention (its Q, K, V kernels concatenated per run).
  const vit = buildModel('vit-tiny', { seed: 4 });
  randomizeTrivialWeights(vit, 3);
  const fed = exportOnnx(vit, { weightInputs: ['block2_attn'], operators: 'onnxruntime' });
  assert.equal(fed.weightInputs.length, 8, 'query, key, value and out: kernel and bias each');
  const start = vit.getWeights().map((w) => w.clone());
  const values = start.map((w, i) => (fed.weightInputs.some((f) => f.index === i) ? tf.tidy(() => w.mul(1.3).add(0.01)) : w));
  vit.setWeights(values);
  const feeds: Record<string, { data: Float32Array; shape: number[] }> = { input: { data: x, shape: [8, 28, 28, 1] } };
  for (const f of fed.weightInputs) feeds[f.name] = { data: values[f.index].dataSync() as Float32Array, shape: f.shape };
  assertParity(tfjsLogits(vit, x, 8), (await run(fed, feeds)).logits, 10, 'fed attention weights, onnxruntime operators');
  tf.dispose([...start, ...values]);
  vit.dispose();
});

test('a model split at a layer: prefix then suffix equals the whole model (also across residual and attention blocks)', async () => {
  await useBackend('wasm');
  const x = fashionMnistSet('test', 8).images;
  for (const [arch, layer, minCut] of [['reference-cnn', 'conv3', 1], ['resnet-small', 'conv3_block1_2_conv', 2], ['vit-tiny', 'block2_attn', 2]] as const) {
    const model = buildModel(arch, { seed: 2 });
    randomizeTrivialWeights(model, 4);
    const split = exportOnnxSplit(model, layer);
    assert.ok(split.cut.length >= minCut, `${arch} at ${layer}: ${split.cut.length} values cross the cut`);
    const mid = await run(split.prefix, { input: { data: x, shape: [8, 28, 28, 1] } });
    const feeds = Object.fromEntries(split.cut.map((c) => [c.name, { data: mid[c.name], shape: c.dims.map((d, i) => (i === 0 ? 8 : (d as number))) }]));
    const out = await run(split.suffix, feeds);
    assertParity(tfjsLogits(model, x, 8), out.logits, 10, `${arch} split at ${layer}`);
    assert.ok(split.suffix.layers.includes(layer) && !split.prefix.layers.includes(layer));
    model.dispose();
  }
  const model = buildModel('reference-cnn');
  assert.throws(() => exportOnnxSplit(model, 'conv9'), /has no top-level layer "conv9" to split at; layers: input, conv1/);
  model.dispose();
});

test('a model cut into segments: run in turn they equal the whole model; the last can read each value as an interpolation of two', async () => {
  await useBackend('wasm');
  const x = fashionMnistSet('test', 8).images;
  const shapeOf = (c: { dims: (number | null)[] }) => c.dims.map((d, i) => (i === 0 ? 8 : (d as number)));
  // resnet-small: the shortcut crosses both cuts (the second segment passes it through).
  for (const [arch, cuts] of [['reference-cnn', ['conv2', 'conv3']], ['resnet-small', ['conv3_block1_1_conv', 'conv3_block1_2_conv']]] as const) {
    const model = buildModel(arch, { seed: 3 });
    randomizeTrivialWeights(model, 5);
    const { segments, cuts: crossing } = exportOnnxSegments(model, cuts);
    assert.equal(segments.length, 3);
    assert.deepEqual(crossing.map((c) => c.map((v) => v.name)), [crossing[0].map((_, i) => `cut_${i}`), crossing[1].map((_, i) => `cut1_${i}`)]);
    let values: Record<string, Float32Array> = { input: x };
    let shapes: Record<string, number[]> = { input: [8, 28, 28, 1] };
    for (const [i, segment] of segments.entries()) {
      values = await run(segment, Object.fromEntries(segment.inputs.map((v) => [v.name, { data: values[v.name], shape: shapes[v.name] }])));
      if (i < 2) shapes = Object.fromEntries(crossing[i].map((c) => [c.name, shapeOf(c)]));
    }
    assertParity(tfjsLogits(model, x, 8), values.logits, 10, `${arch} in three segments`);
    assert.ok(segments[1].layers.includes(cuts[0]) && !segments[1].layers.includes(cuts[1]) && segments[2].layers.includes(cuts[1]));
    model.dispose();
  }
  // interpolateLast: NAME@0, NAME@1 and alpha give (1 − α)·NAME@0 + α·NAME@1 to the layers after the cut.
  const model = buildModel('reference-cnn', { seed: 3 });
  const [front, plain] = exportOnnxSegments(model, ['conv3']).segments;
  const mixed = exportOnnxSegments(model, ['conv3'], { interpolateLast: true }).segments[1];
  assert.deepEqual(mixed.inputs.map((v) => v.name), ['cut_0@0', 'cut_0@1', 'alpha']);
  const z0 = (await run(front, { input: { data: x, shape: [8, 28, 28, 1] } })).cut_0;
  const z1 = (await run(front, { input: { data: x.map((v) => 1 - v), shape: [8, 28, 28, 1] } })).cut_0;
  const shape = shapeOf(plain.inputs[0]);
  for (const alpha of [0, 0.3, 1, 1.5]) {
    const a = Math.fround(alpha);
    const z = z0.map((v, i) => Math.fround(v * Math.fround(1 - a)) + Math.fround(z1[i] * a));
    const expected = (await run(plain, { cut_0: { data: z, shape } })).logits;
    const got = (await run(mixed, { 'cut_0@0': { data: z0, shape }, 'cut_0@1': { data: z1, shape }, alpha: { data: Float32Array.of(alpha), shape: [1] } })).logits;
    if (alpha === 0 || alpha === 1) assert.deepEqual(got, expected, `α = ${alpha}: exactly the one given`);
    else assertParity(expected, got, 10, `α = ${alpha}`);
  }
  assert.throws(() => exportOnnxSegments(model, ['conv3', 'conv2']), /must be distinct and in model order; "conv2" does not come after "conv3"/);
  model.dispose();
});

test('unsupported layers, activations and options fail with an error naming them', async () => {
  await useBackend('wasm');
  const deconv = tf.sequential({ layers: [tf.layers.conv2dTranspose({ name: 'deconv', inputShape: [4, 4, 1], filters: 2, kernelSize: 2 })] });
  assert.throws(() => exportOnnx(deconv), /cannot export layer "deconv" \(class Conv2DTranspose\): no ONNX converter for class Conv2DTranspose \(supported: .*Conv2D.*registerOnnxConverter\)/);

  class Mystery extends tf.layers.Layer {
    static className = 'Mystery';
    override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor { return tf.clone(Array.isArray(inputs) ? inputs[0] : inputs); }
  }
  const input = tf.input({ shape: [3] });
  const mystery = tf.model({ inputs: input, outputs: apply(new Mystery({ name: 'odd_one' }), input) });
  assert.throws(() => exportOnnx(mystery), /cannot export layer "odd_one" \(class Mystery\): no ONNX converter/);
  // A converter plugs in by class name.
  registerOnnxConverter('Mystery', (ctx) => ctx.out(ctx.g.op('Identity', [ctx.inputs[0].name], ctx.base), ctx.inputs[0].layout));
  const p = await checkOnnxParity(mystery, Float32Array.of(1, 2, 3), 1);
  assert.equal(p.relativeError, 0);

  const causal = tf.sequential({ layers: [tf.layers.conv1d({ name: 'causal_conv', inputShape: [8, 2], filters: 2, kernelSize: 2, padding: 'causal' })] });
  assert.throws(() => exportOnnx(causal), /layer "causal_conv" \(class Conv1D\): padding "causal" is not supported/);
  const cf = tf.sequential({ layers: [tf.layers.conv2d({ name: 'nchw_conv', inputShape: [2, 4, 4], filters: 2, kernelSize: 2, dataFormat: 'channelsFirst' })] });
  assert.throws(() => exportOnnx(cf), /layer "nchw_conv" \(class Conv2D\): dataFormat "channelsFirst" is not supported/);
  const ref = buildModel('reference-cnn');
  assert.throws(() => exportOnnx(ref, { weightInputs: ['nope'] }), /has no layer "nope"; layers with weights: conv1, conv2/);
  assert.throws(() => exportOnnx(ref, { weightInputs: [99] }), /weight index 99 outside 0\.\.11/);
  [deconv, mystery, causal, cf, ref].forEach((m) => m.dispose());
});

test('the exported file is a valid ONNX model (opset 17), NHWC input transposed once, weights stored once', async () => {
  await useBackend('wasm');
  const model = buildModel('reference-cnn', { seed: 1 });
  const exported = exportOnnx(model);
  const decoded = onnx.ModelProto.decode(exported.bytes);
  assert.equal(Number(decoded.opsetImport[0].version), 17);
  assert.equal(decoded.producerName, 'editlab');
  const graph = decoded.graph!;
  assert.deepEqual(graph.input.map((i) => i.name), ['input']);
  assert.deepEqual(graph.output.map((o) => o.name), ['logits']);
  const ops = graph.node.map((n) => n.opType);
  assert.equal(ops.filter((o) => o === 'Transpose').length, 2, 'NHWC → NCHW at the input, back before Flatten');
  assert.equal(ops.filter((o) => o === 'Conv').length, 4);
  const stored = graph.initializer.reduce((n, t) => n + t.rawData.length / 4, 0);
  assert.equal(stored, model.countParams(), 'every parameter stored exactly once');
  // Kernels are stored OIHW: conv1's [3,3,1,32] becomes [32,1,3,3].
  const w = graph.initializer.find((t) => t.dims.map(Number).join() === '32,1,3,3');
  assert.ok(w, 'conv1 kernel in OIHW');
  model.dispose();
  // transposeData is a plain N-d transpose.
  assert.deepEqual([...transposeData(Float32Array.of(0, 1, 2, 3, 4, 5), [2, 3], [1, 0])], [0, 3, 1, 4, 2, 5]);
});
