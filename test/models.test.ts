import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tf, useBackend } from '../src/engine/backend';
import {
  buildModel, listArchitectures, countParams, editableLayers, splitAt, validCutPoints, activations, getLayerWeights, setLayerWeights,
  saveLayersModel, loadLayersModel, trainToFolder, scheduledRate, frozenPrefix, train,
} from '../src/models';
import { fashionMnistSet } from '../src/data/image-set';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-models-'));
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

test('the real architectures have the published parameter counts and layer names', async () => {
  await useBackend('wasm');
  // Keras applications VGG16 / ResNet50 (trainable), HF google/vit-base-patch16-224, CLIP ViT-B/32 vision + projection;
  // linear = 784·10 + 10, mlp = (784·256 + 256) + (256·128 + 128) + (128·10 + 10).
  const expected: Record<string, number> = { vgg16: 138357544, resnet50: 25583592, 'vit-b16': 86567656, 'clip-b32': 87849216, linear: 7850, mlp: 235146 };
  for (const [name, params] of Object.entries(expected)) {
    const model = buildModel(name);
    assert.equal(countParams(model), params, name);
    const names = model.layers.map((l) => l.name);
    if (name === 'vgg16') assert.ok(['block1_conv1', 'block5_conv3', 'fc1', 'fc2', 'predictions'].every((n) => names.includes(n)));
    if (name === 'resnet50') assert.ok(['conv1_conv', 'conv2_block1_0_conv', 'conv5_block3_3_conv', 'conv5_block3_out', 'avg_pool'].every((n) => names.includes(n)));
    model.dispose();
  }
  assert.ok(listArchitectures().length >= 10);
});

test('editable layers, weights read/write, and splits with suffix(prefix(x)) = model(x)', async () => {
  await useBackend('wasm');
  for (const [arch, cut] of [['reference-cnn', 'conv3'], ['resnet-small', 'conv3_block2_out'], ['vit-tiny', 'block2_add2'], ['vgg-small', 'block2_pool']]) {
    const model = buildModel(arch, { seed: 2 });
    const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 5);
    const layers = editableLayers(model);
    assert.ok(layers.length > 0 && layers.every((l) => l.params > 0));
    const { prefix, suffix } = splitAt(model, cut);
    const whole = model.predict(x) as tf.Tensor;
    const mid = prefix.predict(x) as tf.Tensor;
    const joined = suffix.predict(mid) as tf.Tensor;
    assert.ok(maxDiff(whole, joined) < 1e-5, `${arch} split at ${cut}`);
    assert.ok(maxDiff(mid, activations(model, cut, x)) === 0, 'activations() is the prefix output');
    assert.ok(validCutPoints(model).includes(cut));
    tf.dispose([x, whole, mid, joined]);
    model.dispose();
  }
  const resnet = buildModel('resnet-small');
  assert.throws(() => splitAt(resnet, 'conv2_block1_1_conv'), /skip connection crosses the cut\)\. Valid cut points: .*conv2_block1_out/);
  assert.throws(() => splitAt(resnet, 'nope'), /no layer "nope"; editable layers: conv1_conv/);
  const w = getLayerWeights(resnet, 'predictions');
  assert.throws(() => setLayerWeights(resnet, 'predictions', [w[0].transpose(), w[1]]), /weight "predictions\/kernel" has shape \[64,10\], got \[10,64\]/);
  assert.throws(() => setLayerWeights(resnet, 'predictions', [w[0].mul(NaN), w[1]]), /NaN or Inf/);
  setLayerWeights(resnet, 'predictions', [w[0].mul(2), w[1]]);
  assert.ok(maxDiff(getLayerWeights(resnet, 'predictions')[0], w[0].mul(2)) === 0);
  resnet.dispose();
});

test('frozenPrefix: training the suffix on features computed once equals training the whole model; nothing leaks', async () => {
  await useBackend('wasm');
  const data = fashionMnistSet('test', 24);
  for (const [arch, trained, cut] of [['vgg-small', 'block2_conv2', 'block2_relu1'], ['resnet-small', 'conv3_block1_2_conv', 'conv2_block2_out']]) {
    const before = tf.memory().numTensors;
    const viaWhole = buildModel(arch, { seed: 3 });
    const viaSuffix = buildModel(arch, { seed: 3 });
    const variables = (m: tf.LayersModel) => m.layers.filter((l) => l.name === trained).flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable));
    const options = { steps: 3, batchSize: 8, learningRate: 1e-2, trainingMode: false };
    train(viaWhole, data, { ...options, variables: variables(viaWhole) });
    const frozen = frozenPrefix(viaSuffix, new Set([trained]), data)!;
    // The last cut point before the trained layer (a ResNet branch's conv is cut at its block's input).
    assert.equal(frozen.suffix.inputs[0].name.replace(/_cut.*$/, ''), cut, arch);
    assert.equal(frozen.features.n, data.n);
    train(frozen.suffix, frozen.features, { ...options, variables: variables(viaSuffix) });
    frozen.suffix.dispose();
    const [a, b] = [variables(viaWhole), variables(viaSuffix)];
    a.forEach((w, i) => assert.ok(maxDiff(w, b[i]) === 0, `${arch} ${w.name}`));
    viaWhole.dispose();
    viaSuffix.dispose();
    assert.equal(tf.memory().numTensors, before, `${arch}: the models' weights are freed with the suffix disposed`);
  }
  const vgg = buildModel('vgg-small');
  assert.equal(frozenPrefix(vgg, new Set(['block1_conv1']), data), undefined, 'nothing to cut before the first layer');
  vgg.dispose();
});

test('models save and load through the fs handler, including custom layers, and bad files are refused', async () => {
  await useBackend('wasm');
  const dir = tmp();
  const model = buildModel('clip-small', { seed: 1 });
  await saveLayersModel(model, dir, { note: 'test' });
  const back = await loadLayersModel(dir);
  const x = tf.randomUniform([2, 28, 28, 1]);
  assert.ok(maxDiff(model.predict(x) as tf.Tensor, back.predict(x) as tf.Tensor) < 1e-6);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  assert.equal(json.userDefinedMetadata.note, 'test');

  /** A copy of the saved model with model.json edited (or replaced by returned text) and/or shards changed. */
  const broken = (mutate: (j: any, folder: string) => string | void) => {
    const folder = tmp();
    fs.copyFileSync(path.join(dir, 'weights.bin'), path.join(folder, 'weights.bin'));
    const j = JSON.parse(JSON.stringify(json));
    const text = mutate(j, folder);
    fs.writeFileSync(path.join(folder, 'model.json'), text ?? JSON.stringify(j));
    return folder;
  };
  await assert.rejects(loadLayersModel(broken(() => '{nope')), /is not valid JSON/);
  await assert.rejects(loadLayersModel(broken((j) => { delete j.modelTopology; })), /has no "modelTopology"/);
  await assert.rejects(loadLayersModel(broken((j) => { j.weightsManifest[0].paths = ['../../etc/passwd']; })), /escapes the model's folder/);
  await assert.rejects(loadLayersModel(broken((j) => { j.weightsManifest[0].paths = ['missing.bin']; })), /weight shard "missing.bin" is missing/);
  await assert.rejects(loadLayersModel(broken((j, f) => { fs.truncateSync(path.join(f, 'weights.bin'), 1000); })), /cut short/);
  await assert.rejects(loadLayersModel(broken((j, f) => {
    const buf = fs.readFileSync(path.join(f, 'weights.bin'));
    buf.writeFloatLE(NaN, 0);
    fs.writeFileSync(path.join(f, 'weights.bin'), buf);
  })), /holds NaN at index 0; weights must be finite/);
  model.dispose();
  back.dispose();
});

test('training into a folder resumes after the last finished epoch and reproduces an uninterrupted run', async () => {
  await useBackend('wasm');
  const train = fashionMnistSet('train', 256);
  const once = tmp(), twice = tmp();
  const common = { arch: 'reference-cnn', train, batchSize: 64, seed: 3, width: 0.25 };
  const full = await trainToFolder({ ...common, out: once, epochs: 2 });
  const first = await trainToFolder({ ...common, out: twice, epochs: 1 });
  const resumed = await trainToFolder({ ...common, out: twice, epochs: 2 });
  assert.equal(first.resumedFrom, 0);
  assert.equal(resumed.resumedFrom, 1);
  assert.deepEqual(resumed.losses, full.losses, 'same losses epoch by epoch');
  const a = await loadLayersModel(once), b = await loadLayersModel(twice);
  a.getWeights().forEach((w, i) => assert.ok(maxDiff(w, b.getWeights()[i]) === 0, `weight ${i} identical`));
  await assert.rejects(trainToFolder({ ...common, out: twice, epochs: 2, seed: 4 }), /holds a run of another configuration/);
  a.dispose();
  b.dispose();
});

test('a cosine learning-rate schedule runs to 0, resumes mid-run exactly, and fixes the run length', async () => {
  await useBackend('wasm');
  assert.equal(scheduledRate('cosine', 0.1, 0, 10), 0.1);
  assert.ok(Math.abs(scheduledRate('cosine', 0.1, 5, 10) - 0.05) < 1e-15);
  assert.ok(Math.abs(scheduledRate('cosine', 0.1, 9, 10) - 0.1 * 0.5 * (1 + Math.cos(0.9 * Math.PI))) < 1e-15);
  assert.equal(scheduledRate('constant', 0.1, 9, 10), 0.1);
  const train = fashionMnistSet('train', 256);
  const once = tmp(), interrupted = tmp(), constant = tmp();
  const common = { arch: 'reference-cnn', train, batchSize: 64, seed: 3, width: 0.25, epochs: 2, schedule: 'cosine' as const };
  const full = await trainToFolder({ ...common, out: once });
  // Interrupted after the first epoch's checkpoint, then run again.
  await assert.rejects(trainToFolder({ ...common, out: interrupted, onEpoch: () => { throw new Error('stop'); } }), /stop/);
  const resumed = await trainToFolder({ ...common, out: interrupted });
  assert.equal(resumed.resumedFrom, 1);
  assert.deepEqual(resumed.losses, full.losses);
  const a = await loadLayersModel(once), b = await loadLayersModel(interrupted);
  a.getWeights().forEach((w, i) => assert.ok(maxDiff(w, b.getWeights()[i]) === 0, `weight ${i} identical`));
  a.dispose();
  b.dispose();
  const flat = await trainToFolder({ ...common, out: constant, schedule: 'constant' });
  assert.notDeepEqual(flat.losses, full.losses, 'the schedule changes the run');
  await assert.rejects(trainToFolder({ ...common, out: once, epochs: 3 }), /holds a run of another configuration/);
  await assert.rejects(trainToFolder({ ...common, out: tmp(), schedule: 'step' as never }), /unknown learning-rate schedule "step"/);
});

test('a Keras model converted by tensorflowjs_converter (sharded, Keras names) loads with its layer names', async () => {
  await useBackend('wasm');
  // The converter's layout: modelTopology.model_config nested under keras_version/backend, weights in group shards.
  const original = buildModel('vgg16', { width: 1 / 16, inputShape: [32, 32, 3], classes: 10, seed: 9 });
  const staging = tmp();
  await saveLayersModel(original, staging);
  const saved = JSON.parse(fs.readFileSync(path.join(staging, 'model.json'), 'utf8'));
  const weights = fs.readFileSync(path.join(staging, 'weights.bin'));
  const dir = tmp();
  const third = Math.ceil(weights.length / 3);
  const paths = [0, 1, 2].map((i) => `group1-shard${i + 1}of3.bin`);
  paths.forEach((p, i) => fs.writeFileSync(path.join(dir, p), weights.subarray(i * third, (i + 1) * third)));
  const topology = saved.modelTopology;
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify({
    format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: { class_name: topology.class_name, config: topology.config } },
    weightsManifest: [{ paths, weights: saved.weightsManifest[0].weights }],
  }));
  const loaded = await loadLayersModel(dir);
  assert.ok(['block1_conv1', 'block3_conv3', 'block5_conv3', 'fc1', 'fc2', 'predictions'].every((n) => loaded.getLayer(n)));
  assert.deepEqual(getLayerWeights(loaded, 'block5_conv3')[0].shape, [3, 3, 32, 32]);
  const x = tf.randomUniform([2, 32, 32, 3], 0, 1, 'float32', 3);
  assert.ok(maxDiff(original.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor) < 1e-6);
  fs.unlinkSync(path.join(dir, paths[2]));
  await assert.rejects(loadLayersModel(dir), /weight shard "group1-shard3of3.bin" is missing/);
  original.dispose();
  loaded.dispose();
});

test('the embedded models reach the accuracy they record (re-measured on ONNX Runtime) and the issue\'s bars', async () => {
  const { listEmbeddedModels } = await import('../src/models');
  const { evaluate } = await import('../src/evaluate');
  const embedded = listEmbeddedModels();
  const bars: Record<string, number> = { 'vgg-small': 0.91, 'resnet-small': 0.91, 'vit-tiny': 0.87 };
  assert.deepEqual(embedded.map((m) => m.name).filter((n) => n in bars).sort(), Object.keys(bars).filter((n) => embedded.some((m) => m.name === n)).sort());
  const test = fashionMnistSet('test');
  let bytes = 0;
  for (const m of embedded) {
    for (const f of fs.readdirSync(m.path)) bytes += fs.statSync(path.join(m.path, f)).size;
    const model = await loadLayersModel(m.path);
    const r = await evaluate(model, test, { logits: false });
    model.dispose();
    // tfjs (training time) and ONNX Runtime (here) may differ on a handful of near-ties.
    assert.ok(Math.abs(r.accuracy!.accuracy - m.accuracy!) <= 0.0005, `${m.name}: recorded ${m.accuracy}, measured ${r.accuracy!.accuracy}`);
    if (m.name in bars) assert.ok(m.accuracy! >= bars[m.name], `${m.name} records ${m.accuracy}, below ${bars[m.name]}`);
  }
  assert.ok(bytes <= 25 * 1024 * 1024, `embedded models take ${bytes} bytes, over 25 MB`);
});

test('recalibrateBatchNorm sets moving statistics to the average batch statistics under the final weights', async () => {
  const { recalibrateBatchNorm, buildModel: build } = await import('../src/models');
  await useBackend('wasm');
  const model = build('vgg-mini', { seed: 2, width: 0.25 });
  const set = fashionMnistSet('train', 256);
  const dense = model.layers.find((l) => l.name === 'fc1')!;
  const before = dense.getWeights().map((w) => w.dataSync().slice());
  assert.equal(recalibrateBatchNorm(model, set, { images: 256, batchSize: 64, seed: 5 }), 4);
  // Independently: the first BN sees conv1's outputs; its statistics averaged over the same 4 batches.
  const conv = tf.model({ inputs: model.inputs, outputs: model.getLayer('block1_conv1').output as tf.SymbolicTensor });
  const { permutation } = await import('../src/engine/rng');
  const { subset } = await import('../src/data/image-set');
  const order = permutation(set.n, 5);
  const channels = (model.getLayer('block1_conv1').getWeights()[0].shape as number[])[3];
  let mean = tf.zeros([channels]), variance = tf.zeros([channels]);
  for (let k = 0; k < 4; k++) {
    const b = subset(set, order.subarray(k * 64, (k + 1) * 64));
    const y = conv.predict(tf.tensor4d(b.images, [64, 28, 28, 1])) as tf.Tensor;
    const m = tf.moments(y, [0, 1, 2]);
    mean = mean.add(m.mean.div(4));
    variance = variance.add(m.variance.div(4));
  }
  const bn = model.getLayer('block1_bn1');
  const [, , movingMean, movingVariance] = bn.getWeights();
  assert.ok(maxDiff(movingMean, mean) < 1e-5, `moving mean off by ${maxDiff(movingMean, mean)}`);
  assert.ok(maxDiff(movingVariance, variance) < 1e-4, `moving variance off by ${maxDiff(movingVariance, variance)}`);
  assert.equal((bn as unknown as { momentum: number }).momentum, 0.99, 'momentum restored');
  dense.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), before[i], 'trainable weights untouched'));
  assert.equal(recalibrateBatchNorm(build('linear'), set), 0, 'no batch norm: nothing to do');
  model.dispose();
});
