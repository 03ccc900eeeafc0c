import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tf, useBackend } from '../src/engine/backend';
import { mulberry32 } from '../src/engine/rng';
import { buildModel, splitAt } from '../src/models';
import { fashionMnistSet, sample, type ImageSet } from '../src/data/image-set';
import { Edit, edit as runEdit, snowBackgroundTask } from '../src/edits';
import { sweepAlpha } from '../src/sweep/interpolate';
import { GraphBuilder, argmaxAgreement, onnxRuntime, relativeError, transposeData } from '../src/engine/onnx';
import { OnnxModel, evaluate, evaluateBatches, interpolateWeights, linearSweepLayer, openOnnxAlphaGraphs, sweepAlphaOnnx } from '../src/evaluate';

const TOLERANCE = 1e-4;

function uniform(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => r());
}

function randomSet(n: number, h: number, w: number, c: number, classes: number, seed: number): ImageSet {
  const r = mulberry32(seed + 1);
  return { images: uniform(n * h * w * c, seed), labels: Int32Array.from({ length: n }, () => Math.floor(r() * classes)), n, height: h, width: w, channels: c, classes: Array.from({ length: classes }, (_, k) => `c${k}`) };
}

/** A synthetic edit of two layers (conv2 and fc1): edited = original + seeded noise. */
function syntheticEdit(model: tf.LayersModel, layers: string[]): Edit {
  const weights = model.getWeights();
  const changes = model.weights.flatMap((w, index) => {
    const layer = layers.find((l) => model.getLayer(l).weights.includes(w));
    if (!layer) return [];
    return [{ layer, index, original: weights[index].clone(), edited: tf.tidy(() => weights[index].add(tf.randomNormal(weights[index].shape, 0, 0.05, 'float32', index))) }];
  });
  return new Edit('synthetic', model, changes);
}

test('evaluate: ONNX Runtime and tfjs give the same logits for a model and for edit.at(α) at every α', async () => {
  await useBackend('wasm');
  const model = buildModel('reference-cnn', { seed: 21 });
  const set = fashionMnistSet('test', 96);
  const edit = syntheticEdit(model, ['conv2', 'fc1']);
  for (const alpha of [0, 0.4, 1, 1.5]) {
    const at = await edit.at(alpha);
    const onnx = await evaluate(Promise.resolve(at), set, { engine: 'onnx', threads: 1, batchSize: 40 }); // as evaluate(edit.at(α), …)
    const ref = await evaluate(at, set, { engine: 'tfjs', batchSize: 64 });
    at.dispose();
    assert.equal(onnx.engine, 'onnx');
    assert.equal(ref.engine, 'tfjs');
    assert.equal(onnx.n, 96);
    assert.equal(onnx.classes, 10);
    assert.equal(onnx.logits!.length, 960);
    const err = relativeError(ref.logits!, onnx.logits!);
    assert.ok(err <= TOLERANCE, `α = ${alpha}: relative error ${err.toExponential(2)}`);
    assert.deepEqual([...onnx.predicted], [...ref.predicted], `α = ${alpha}: same predictions`);
    assert.equal(argmaxAgreement(ref.logits!, onnx.logits!, 10), 1);
    assert.deepEqual(onnx.accuracy, ref.accuracy);
    assert.deepEqual([...onnx.labels], [...set.labels]);
  }
  // The same through weights fed to one export: W(α) computed in JS, rounded as tfjs rounds it.
  const alpha = 0.7;
  const modelAt = await edit.at(alpha);
  const fed = await OnnxModel.fromLayers(model, { weightInputs: edit.changes.map((c) => c.index), threads: 1 });
  fed.setInputs(Object.fromEntries(fed.exported!.weightInputs.map((w) => {
    const c = edit.changes.find((ch) => ch.index === w.index)!;
    return [w.name, { data: interpolateWeights(c.original.dataSync() as Float32Array, c.edited.dataSync() as Float32Array, alpha), shape: w.shape }];
  })));
  const viaFeeds = await evaluate(fed, set);
  const viaTfjs = await evaluate(modelAt, set, { engine: 'tfjs' });
  assert.ok(relativeError(viaTfjs.logits!, viaFeeds.logits!) <= TOLERANCE);
  assert.deepEqual([...viaFeeds.predicted], [...viaTfjs.predicted]);
  const w = edit.weightsAt(alpha);
  edit.changes.forEach((c, i) => {
    const js = interpolateWeights(c.original.dataSync() as Float32Array, c.edited.dataSync() as Float32Array, alpha);
    assert.deepEqual(js, w[i].dataSync(), 'interpolateWeights equals Edit.weightsAt bit for bit');
  });
  tf.dispose(w);
  await fed.release();
  modelAt.dispose();
  edit.dispose();
  model.dispose();
});

test('evaluate streams batches: chunked and async datasets, onBatch, evaluateBatches, logits off', async () => {
  await useBackend('wasm');
  const model = buildModel('reference-cnn', { seed: 22 });
  const set = fashionMnistSet('test', 70);
  const whole = await evaluate(model, set, { engine: 'onnx', batchSize: 32 });
  const chunk = (from: number, to: number): ImageSet => ({ ...set, images: set.images.slice(from * 784, to * 784), labels: set.labels.slice(from, to), n: to - from });
  const seen: number[] = [];
  const chunked = await evaluate(model, [chunk(0, 25), chunk(25, 70)], { engine: 'onnx', batchSize: 16, onBatch: (b) => { seen.push(b.start, b.count); } });
  assert.deepEqual(seen, [0, 16, 16, 9, 25, 16, 41, 16, 57, 13]);
  assert.deepEqual([...chunked.predicted], [...whole.predicted]);
  assert.ok(relativeError(whole.logits!, chunked.logits!) <= 1e-6);
  async function* stream() { yield chunk(0, 50); yield chunk(50, 70); }
  const streamed = await evaluate(model, stream(), { engine: 'tfjs', logits: false });
  assert.equal(streamed.logits, undefined);
  assert.equal(streamed.n, 70);
  assert.deepEqual([...streamed.predicted], [...whole.predicted]);
  let batches = 0, n = 0;
  for await (const b of evaluateBatches(model, set, { engine: 'onnx', batchSize: 30 })) { batches++; n += b.count; assert.equal(b.logits.length, b.count * 10); }
  assert.equal(batches, 3);
  assert.equal(n, 70);
  // classSubset: argmax over the listed classes only, predictions stay full-output indices.
  const subset = await evaluate(model, set, { engine: 'onnx', classSubset: [3, 7] });
  assert.ok([...subset.predicted].every((p) => p === 3 || p === 7));
  // Labels are positions in the subset (0 → class 3, 1 → class 7): right when the prediction is subset[label].
  const positions = { ...set, labels: Int32Array.from(subset.predicted, (p, i) => (i % 3 === 0 ? (p === 3 ? 1 : 0) : p === 3 ? 0 : 1)) };
  const scored = await evaluate(model, positions, { engine: 'onnx', classSubset: [3, 7] });
  const right = [...scored.labels].filter((label, i) => [3, 7][label] === scored.predicted[i]).length;
  assert.equal(right, set.n - Math.ceil(set.n / 3), 'every third label is the other subset class');
  assert.equal(scored.accuracy!.correct, right);
  await assert.rejects(evaluate(model, set, { classSubset: [10] }), /classSubset index 10 outside 0\.\.9/);
  model.dispose();
});

test("engine 'auto' picks ONNX Runtime, falls back to tfjs (saying why) when a layer does not export; 'onnx' fails naming it", async () => {
  await useBackend('wasm');
  const model = buildModel('reference-cnn', { seed: 23 });
  const set = fashionMnistSet('test', 20);
  const auto = await evaluate(model, set);
  assert.equal(auto.engine, 'onnx');
  assert.match(auto.reason, /auto: ONNX Runtime is available/);
  const input = tf.input({ shape: [28, 28, 1] });
  const up = tf.layers.conv2dTranspose({ name: 'upsample_t', filters: 1, kernelSize: 2, strides: 2 }).apply(input) as tf.SymbolicTensor;
  const flat = tf.layers.flatten().apply(up) as tf.SymbolicTensor;
  const odd = tf.model({ inputs: input, outputs: tf.layers.dense({ units: 10 }).apply(flat) as tf.SymbolicTensor });
  const fallback = await evaluate(odd, set);
  assert.equal(fallback.engine, 'tfjs');
  assert.match(fallback.reason, /does not export to ONNX \(cannot export layer "upsample_t" \(class Conv2DTranspose\)/);
  await assert.rejects(evaluate(odd, set, { engine: 'onnx' }), /cannot export layer "upsample_t" \(class Conv2DTranspose\): no ONNX converter/);
  process.env.EDITLAB_ENGINE = 'tfjs';
  try {
    const env = await evaluate(model, set);
    assert.equal(env.engine, 'tfjs');
    assert.equal(env.reason, 'EDITLAB_ENGINE=tfjs');
  } finally {
    delete process.env.EDITLAB_ENGINE;
  }
  await assert.rejects(evaluate(model, set, { engine: 'fast' as never }), /unknown engine "fast"; expected auto, onnx or tfjs/);
  await assert.rejects(evaluate(model, randomSet(2, 8, 8, 3, 10, 1), { engine: 'tfjs' }), /expects input of shape \[batch, 28, 28, 1\], but the dataset has 8×8×3 images/);
  odd.dispose();
  model.dispose();
});

/**
 * An ONNX file as another framework would write it: NCHW input "pixel_values", Conv (OIHW) →
 * Relu → GlobalAveragePool → Flatten → Gemm → "logits"; and the same classifier in tfjs.
 */
function foreignModel(batch: number | null): { bytes: Uint8Array; twin: tf.LayersModel } {
  const wConv = uniform(4 * 3 * 3 * 3, 31).map((v) => v - 0.5), bConv = uniform(4, 32).map((v) => v - 0.5);
  const wFc = uniform(4 * 5, 33).map((v) => v - 0.5), bFc = uniform(5, 34);
  const g = new GraphBuilder('foreign');
  g.input('pixel_values', [batch, 3, 8, 8]);
  const conv = g.op('Conv', ['pixel_values', g.floatInit('w', [4, 3, 3, 3], wConv), g.floatInit('b', [4], bConv)], 'conv', { kernel_shape: { ints: [3, 3] } });
  const pooled = g.op('Flatten', [g.op('GlobalAveragePool', [g.op('Relu', [conv], 'relu')], 'gap')], 'flat');
  g.rename(g.op('Gemm', [pooled, g.floatInit('fc', [4, 5], wFc), g.floatInit('fc_b', [5], bFc)], 'fc'), 'logits');
  g.output('logits', [batch, 5]);
  const twin = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 5 }),
    ],
  });
  twin.setWeights([tf.tensor(transposeData(wConv, [4, 3, 3, 3], [2, 3, 1, 0]), [3, 3, 3, 4]), tf.tensor(bConv), tf.tensor(wFc, [4, 5]), tf.tensor(bFc)]);
  return { bytes: g.encode(), twin };
}

test('an ONNX file from elsewhere (NCHW, normalised, fixed or dynamic batch) evaluates like its tfjs twin', async () => {
  await useBackend('wasm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-onnx-'));
  try {
    const set = randomSet(7, 8, 8, 3, 5, 40);
    const normalize = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
    const normalized = { ...set, images: set.images.map((v, i) => (v - normalize.mean[i % 3]) / normalize.std[i % 3]) };
    for (const batch of [null, 1]) {
      const { bytes, twin } = foreignModel(batch);
      const file = path.join(dir, `foreign-${batch ?? 'dynamic'}.onnx`);
      fs.writeFileSync(file, bytes);
      const ref = await evaluate(twin, normalized, { engine: 'tfjs' });
      const r = await evaluate(file, set, { normalize, batchSize: 4 });
      assert.equal(r.engine, 'onnx');
      assert.equal(r.classes, 5);
      const err = relativeError(ref.logits!, r.logits!);
      assert.ok(err <= TOLERANCE, `batch ${batch}: relative error ${err.toExponential(2)}`);
      assert.deepEqual([...r.predicted], [...ref.predicted]);
      const loaded = await OnnxModel.load(file);
      assert.equal(loaded.layout, 'nchw', 'NCHW detected from the input shape');
      assert.equal(loaded.fixedBatch, batch ?? undefined);
      await loaded.release();
      twin.dispose();
    }
    // Bad input: a file that is not ONNX, a missing file, images of the wrong shape, tfjs asked for an ONNX file.
    const junk = path.join(dir, 'junk.onnx');
    fs.writeFileSync(junk, 'this is not a model');
    await assert.rejects(evaluate(junk, set), new RegExp(`could not load the ONNX model "${junk.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
    await assert.rejects(evaluate(path.join(dir, 'missing.onnx'), set), /ONNX model file ".*missing\.onnx" does not exist/);
    const file = path.join(dir, 'foreign-dynamic.onnx');
    await assert.rejects(evaluate(file, fashionMnistSet('test', 4)), /expects input "pixel_values" of shape \[batch, 3, 8, 8\] \(NCHW, i\.e\. 8×8×3 images\), but the dataset has 28×28×1 images/);
    await assert.rejects(evaluate(file, set, { engine: 'tfjs' }), /an ONNX model runs on ONNX Runtime only/);
    await assert.rejects(evaluate(file, set, { inputName: 'image' }), /has no input "image"; inputs: pixel_values/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('sweepAlphaOnnx gives the rows sweepAlpha gives (cached prefix or not), for a real and a two-layer edit', async () => {
  await useBackend('wasm');
  const model = buildModel('reference-cnn', { seed: 24 });
  const task = snowBackgroundTask({ exemplars: 8, testSize: 40, seed: 5 });
  const real = await runEdit(model, task.editSet, 'local-ft', { layer: 'fc1', steps: 2 });
  const splits = { edit: task.heldOut, clean: sample(fashionMnistSet('test', 500), 60, 6) };
  const alphas = [0, 0.5, 1, 1.25];
  for (const e of [real, syntheticEdit(model, ['conv3', 'logits'])]) {
    const expected = await sweepAlpha(e, splits, { alphas, engine: 'tfjs' });
    let cells = 0;
    const cached = await sweepAlphaOnnx(e, splits, { alphas, threads: 1, batchSize: 32, cacheBytes: 1, onCell: (done, total) => { cells++; assert.equal(total, 8); assert.equal(done, cells); } });
    assert.equal(cells, 8);
    assert.deepEqual(cached, expected, `${e.method}: cached prefix, a session per α`);
    // Sessions without a memory arena (the sweeps' default) and with one predict the same.
    for (const options of [{ cache: false }, { memoryArena: true }, { weights: 'feed' as const }, { weights: 'feed' as const, cache: false }]) {
      assert.deepEqual(await sweepAlphaOnnx(e, splits, { alphas, ...options }), expected, `${e.method}: ${JSON.stringify(options)}`);
    }
    e.dispose();
  }
  model.dispose();
});

test('the linear way: an edit of one arithmetic-dense linear layer runs it twice up front and interpolates its output; logits as W(α)', async () => {
  await useBackend('wasm');
  const ort = onnxRuntime();
  // conv3 of this model: 3×3×64 = 576 multiply-adds an output, too few to pay; a wider one (1 152) pays.
  const input = tf.input({ shape: [28, 28, 1] });
  let x = tf.layers.conv2d({ name: 'stem', filters: 128, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ name: 'dense_conv', filters: 16, kernelSize: 3, padding: 'same' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ name: 'relu', activation: 'relu' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten().apply(tf.layers.maxPooling2d({ poolSize: 2 }).apply(x)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: tf.layers.dense({ name: 'head', units: 10 }).apply(x) as tf.SymbolicTensor });
  const bn = model.getLayer('bn');
  bn.setWeights(bn.getWeights().map((w, i) => tf.tidy(() => w.add(tf.randomUniform(w.shape, 0.5, 1.5, 'float32', i)))));
  // Halves built by splitAt call the layers again in their own graphs: the model's own graph still calls each once.
  const halves = splitAt(model, 'stem');
  const cases: Array<[string[], string | undefined]> = [[['dense_conv'], 'dense_conv'], [['stem'], undefined], [['dense_conv', 'head'], undefined]];
  const set = fashionMnistSet('test', 40);
  const images = new ort.Tensor('float32', set.images, [40, 28, 28, 1]);
  const alphas = [0, 0.35, 1, 1.5];
  for (const [layers, linear] of cases) {
    const edit = syntheticEdit(model, layers);
    assert.equal(linearSweepLayer(edit), linear, `${layers}`);
    const ways = [];
    for (const linearize of [true, false]) {
      const graphs = await openOnnxAlphaGraphs(edit, alphas, { threads: 1, linearize });
      ways.push(graphs.way);
      const front = await graphs.front(images);
      for (const [k, alpha] of alphas.entries()) {
        const at = await edit.at(alpha);
        const expected = tf.tidy(() => Float32Array.from((at.predict(tf.tensor4d(set.images, [40, 28, 28, 1])) as tf.Tensor).dataSync() as Float32Array));
        at.dispose();
        const err = relativeError(expected, await graphs.logits(k, front));
        assert.ok(err < 1e-4, `${layers} (${graphs.way}) at α = ${alpha}: relative error ${err.toExponential(2)}`);
      }
      await graphs.release();
    }
    assert.deepEqual(ways, [linear ? 'linear' : 'constant', 'constant']);
    edit.dispose();
  }
  halves.suffix.dispose();
  model.dispose();
});
