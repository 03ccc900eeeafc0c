/**
 * What every edit method promises about how it runs: batch-norm statistics frozen, the original
 * never mutated, `steps` = optimiser steps; global-ft's downstream set; 1-LI's held-out split;
 * errors corrected and the edit warnings on hand-computed cases.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf, useBackend } from '../src/engine/backend';
import { resolveModel, resolveLayer, downstreamLayers, cloneModel } from '../src/models';
import { fashionMnistSet, sample, type ImageSet } from '../src/data/image-set';
import {
  edit, listEditMethods, buildTask, oneLayerSplit, errorsCorrectedFrom, editWarnings, ALREADY_RIGHT,
  type EditSet, type EditMetrics,
} from '../src/edits';

let model: tf.LayersModel;
/** Clean images for rewriting's second moment (small: the default is 2000). */
let reference: ImageSet;

/** Every weight of a model by its original name, copied. */
const snapshot = (m: tf.LayersModel) => new Map(m.weights.map((w) => [w.originalName, Float32Array.from(w.read().dataSync() as Float32Array)]));
/** Bit-for-bit equality of two float arrays. */
const sameBits = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const weightOf = (m: tf.LayersModel, name: string) => Float32Array.from(m.weights.find((w) => w.originalName === name)!.read().dataSync() as Float32Array);

before(async () => {
  await useBackend('wasm');
  model = (await resolveModel('resnet-small')).model;
  reference = sample(fashionMnistSet('train', 1000), 40, 2);
});

const METHODS = ['global-ft', 'interp', 'local-ft', 'lowrank', 'one-layer-interp', 'rewrite'];

test('the registered methods are the six these tests cover', () => {
  assert.deepEqual(listEditMethods().map((m) => m.name).sort(), METHODS);
});

// 1. Batch-norm statistics frozen, the original never mutated ----------------------------------

for (const method of listEditMethods()) {
  test(`${method.name}: batch-norm moving statistics of the edited model equal the original's bit for bit; the original is unchanged`, async () => {
    const { editSet } = buildTask('snow-background', { exemplars: 8, testSize: 10 });
    const before = snapshot(model);
    const layer = resolveLayer(model, method.protocol.layer);
    const result = await edit(model, editSet, method.name, { layer, steps: 2, learningRate: 1e-2, reference, seed: 1 });
    const edited = await result.at(1);
    try {
      const after = snapshot(model);
      for (const [name, values] of before) assert.ok(sameBits(after.get(name)!, values), `${method.name}: original weight ${name} unchanged`);
      const stats = edited.layers.filter((l) => l.getClassName() === 'BatchNormalization').flatMap((l) => l.weights.filter((w) => /moving_(mean|variance)$/.test(w.originalName)));
      assert.equal(stats.length, 2 * model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length);
      assert.ok(stats.length >= 30);
      for (const w of stats) assert.ok(sameBits(Float32Array.from(w.read().dataSync() as Float32Array), before.get(w.originalName)!), `${method.name}: ${w.originalName} frozen`);
      // The edit did change the model (1-LI may choose α = 0: exempt).
      if (method.name !== 'one-layer-interp') {
        const changed = edited.trainableWeights.some((w) => !sameBits(Float32Array.from(w.read().dataSync() as Float32Array), before.get(w.originalName)!));
        assert.ok(changed, `${method.name}: some trainable weight changed`);
      }
    } finally {
      edited.dispose();
      result.dispose();
    }
  });
}

test('fine-tuning runs in inference mode: one Adam step moves ℓ by −lr·sign(∇ of the inference-mode loss), not the training-mode one', async () => {
  const { editSet } = buildTask('snow-background', { exemplars: 8, testSize: 10 });
  const layer = resolveLayer(model, 'middle');
  const lr = 1e-3;
  const result = await edit(model, editSet, 'local-ft', { layer, steps: 1, learningRate: lr });
  const change = result.changes.find((c) => c.original.rank === 4)!;
  const delta = tf.tidy(() => change.edited.sub(change.original).dataSync());
  // A copy for the gradients: a training-mode forward pass updates batch-norm statistics.
  const copy = await cloneModel(model);
  const gradient = (training: boolean) => tf.tidy(() => {
    const x = tf.tensor4d(editSet.images, [editSet.n, 28, 28, 1]);
    const y = tf.oneHot(tf.tensor1d(editSet.labels, 'int32'), 10);
    const kernel = copy.weights.find((w) => w.originalName === `${layer}/kernel`)!.read() as tf.Variable;
    const { grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, copy.apply(x, { training }) as tf.Tensor) as tf.Scalar, [kernel]);
    return Object.values(grads)[0].dataSync();
  });
  const inference = gradient(false), training = gradient(true);
  const agreement = (g: ArrayLike<number>) => {
    const top = Math.max(...Array.from(g, Math.abs));
    let n = 0, same = 0;
    for (let i = 0; i < g.length; i++) {
      if (Math.abs(g[i]) < 1e-3 * top) continue;
      n++;
      if (Math.sign(delta[i]) === -Math.sign(g[i]) && Math.abs(Math.abs(delta[i]) - lr) < 0.05 * lr) same++;
    }
    return same / n;
  };
  const [a, b] = [agreement(inference), agreement(training)];
  assert.ok(a > 0.99, `ΔW = −lr·sign(inference-mode gradient) on ${(100 * a).toFixed(1)}% of the entries`);
  assert.ok(b < 0.9, `the training-mode gradient is told apart (${(100 * b).toFixed(1)}% agree)`);
  copy.dispose();
  result.dispose();
});

// 2. steps = optimiser steps ------------------------------------------------------------------------

for (const method of ['local-ft', 'global-ft', 'interp', 'lowrank', 'rewrite', 'one-layer-interp']) {
  test(`${method}: steps = 3 means exactly 3 optimiser steps (100 exemplars, more than one batch of 64)`, async () => {
    const { editSet } = buildTask('snow-background', { exemplars: 100, testSize: 10 });
    const calls: Array<[number, number]> = [];
    const losses: number[] = [];
    const layer = resolveLayer(model, 'middle');
    const result = await edit(model, editSet, method, { layer, steps: 3, reference, onStep: (step, total, loss) => { calls.push([step, total]); losses.push(loss); } });
    assert.deepEqual(calls, [[1, 3], [2, 3], [3, 3]]);
    assert.ok(losses.every(Number.isFinite), `finite losses ${losses}`);
    result.dispose();
  });
}

// 3. global-ft trains the layers downstream of ℓ in the graph ----------------------------------------

/** Layers reached from ℓ's output through inbound nodes (a fixed point, in no particular order). */
function reachedFrom(m: tf.LayersModel, name: string): Set<string> {
  const start = m.layers.find((l) => l.name === name)!;
  const tensors = new Set(start.inboundNodes[0].outputTensors.map((t) => t.id));
  const reached = new Set([name]);
  for (let grew = true; grew;) {
    grew = false;
    for (const l of m.layers) {
      if (reached.has(l.name)) continue;
      if (l.inboundNodes.some((node) => node.inputTensors.some((t) => tensors.has(t.id)))) {
        reached.add(l.name);
        l.inboundNodes.forEach((node) => node.outputTensors.forEach((t) => tensors.add(t.id)));
        grew = true;
      }
    }
  }
  return reached;
}

test('global-ft trains ℓ and what reads its output, not the projection shortcut listed after ℓ that reads the block input', async () => {
  const layer = 'conv3_block1_1_conv', shortcut = 'conv3_block1_0_conv';
  const index = (name: string) => model.layers.findIndex((l) => l.name === name);
  const inputOf = (name: string) => model.layers[index(name)].inboundNodes[0].inputTensors[0].id;
  assert.ok(index(shortcut) > index(layer), 'the shortcut comes after ℓ in model.layers');
  assert.equal(inputOf(shortcut), inputOf(layer), 'and reads the same block input');

  const reached = reachedFrom(model, layer);
  assert.ok(!reached.has(shortcut) && !reached.has('conv3_block1_0_bn') && reached.has('predictions') && reached.has('conv3_block1_add'));
  const expected = model.layers.filter((l) => reached.has(l.name)).map((l) => l.name);
  assert.deepEqual(downstreamLayers(model, layer).map((l) => l.name), expected);
  const trainable = model.layers.filter((l) => reached.has(l.name) && l.trainableWeights.length).map((l) => l.name);

  const { editSet } = buildTask('snow-background', { exemplars: 8, testSize: 10 });
  const result = await edit(model, editSet, 'global-ft', { layer, steps: 3, learningRate: 1e-2 });
  assert.deepEqual([...result.layers].sort(), [...trainable].sort());
  const edited = await result.at(1);
  try {
    for (const name of [`${shortcut}/kernel`, `${shortcut}/bias`, 'conv3_block1_0_bn/gamma', 'conv3_block1_0_bn/beta', 'conv2_block2_2_conv/kernel', 'conv1_conv/kernel']) {
      assert.ok(sameBits(weightOf(edited, name), weightOf(model, name)), `${name} unchanged`);
    }
    for (const name of [`${layer}/kernel`, 'conv4_block2_2_conv/kernel', 'predictions/kernel']) {
      assert.ok(!sameBits(weightOf(edited, name), weightOf(model, name)), `${name} trained`);
    }
  } finally {
    edited.dispose();
    result.dispose();
  }
});

// 4. 1-LI's validation images are not its training exemplars ----------------------------------------

const imageKey = (set: ImageSet, i: number) => {
  const size = set.height * set.width * set.channels;
  return `${set.labels[i]}:${Buffer.from(set.images.buffer, set.images.byteOffset + i * size * 4, size * 4).toString('base64')}`;
};
const keys = (set: ImageSet) => Array.from({ length: set.n }, (_, i) => imageKey(set, i));

test('oneLayerSplit: train ∪ validation = the edit set, no image in both, sizes n − ⌊n/4⌋ and ⌊n/4⌋', () => {
  for (const n of [13, 16]) {
    const set = sample(fashionMnistSet('train', 1000), n, 5);
    const all = keys(set);
    assert.equal(new Set(all).size, n, 'distinct exemplars');
    const { train, validation } = oneLayerSplit(set, 3);
    assert.equal(validation.n, Math.floor(n / 4));
    assert.equal(train.n, n - Math.floor(n / 4));
    const [t, v] = [keys(train), keys(validation)];
    assert.ok(!t.some((k) => v.includes(k)), 'no image in both');
    assert.deepEqual([...t, ...v].sort(), [...all].sort(), 'together exactly the edit set');
    assert.notDeepEqual(keys(oneLayerSplit(set, 4).validation).sort(), [...v].sort(), 'the seed picks the held-out quarter');
  }
  assert.throws(() => oneLayerSplit(sample(fashionMnistSet('train', 1000), 3, 5), 0), /at least 4 exemplars/);
});

test('oneLayerSplit keeps each exemplar’s original and mask with it (an edit set with masks)', () => {
  const { editSet } = buildTask('snow-background', { exemplars: 12, testSize: 10 });
  const size = 28 * 28;
  const source = new Map(keys(editSet).map((k, i) => [k, i]));
  for (const part of Object.values(oneLayerSplit(editSet, 0)) as EditSet[]) {
    assert.equal(part.masks?.length, part.n * size, `masks: one per exemplar of the part (${part.n}), got ${part.masks?.length! / size}`);
    assert.equal(part.originals?.length, part.n * size, 'originals: one per exemplar of the part');
    keys(part).forEach((k, i) => {
      const j = source.get(k)!;
      assert.deepEqual(part.masks!.subarray(i * size, (i + 1) * size), editSet.masks!.subarray(j * size, (j + 1) * size));
      assert.deepEqual(part.originals!.subarray(i * size, (i + 1) * size), editSet.originals!.subarray(j * size, (j + 1) * size));
    });
  }
});

test('one-layer-interp fine-tunes on the training split only (the same steps as local-ft on it)', async () => {
  const set = sample(fashionMnistSet('train', 1000), 12, 6);
  const layer = resolveLayer(model, 'middle');
  const lossesOf = async (method: string, data: ImageSet) => {
    const losses: number[] = [];
    const result = await edit(model, data, method, { layer, steps: 2, learningRate: 1e-2, seed: 2, onStep: (_, __, loss) => losses.push(loss) });
    result.dispose();
    return losses;
  };
  const oneLayer = await lossesOf('one-layer-interp', set);
  const onTrain = await lossesOf('local-ft', oneLayerSplit(set, 2).train);
  const onAll = await lossesOf('local-ft', set);
  assert.equal(oneLayer.length, 2);
  oneLayer.forEach((l, i) => assert.ok(Math.abs(l - onTrain[i]) <= 1e-6 * Math.abs(onTrain[i]), `step ${i + 1}: ${l} vs ${onTrain[i]} on the training split`));
  assert.ok(Math.abs(oneLayer[0] - onAll[0]) > 1e-4, `not the whole set (${oneLayer[0]} vs ${onAll[0]})`);
});

// 5. errorsCorrectedFrom -----------------------------------------------------------------------------

test('errorsCorrectedFrom: hand-computed cases', () => {
  const labels = [0, 1, 2, 3, 4];
  // Kept: 0–3 (the clean prediction of 4 is wrong). E_pre = 3/4 (0, 2, 3 wrong), E_post = 1/4 (2): (3/4 − 1/4)/(3/4) = 2/3.
  assert.ok(Math.abs(errorsCorrectedFrom(labels, [0, 1, 2, 3, 9], [9, 1, 9, 9, 9], [0, 1, 9, 3, 0]) - 2 / 3) < 1e-12);
  // Without originals every image counts: E_pre = 4/5, E_post = 2/5 (2 and 4): 1/2.
  assert.ok(Math.abs(errorsCorrectedFrom(labels, undefined, [9, 1, 9, 9, 9], [0, 1, 9, 3, 0]) - 1 / 2) < 1e-12);
  // Worse: E_pre = 1/4, E_post = 4/4 → (1/4 − 1)/(1/4) = −3, clipped at −1.
  assert.equal(errorsCorrectedFrom(labels, [0, 1, 2, 3, 9], [0, 1, 2, 9, 4], [9, 9, 9, 9, 4]), -1);
  // A little worse, not clipped: E_pre = 2/4, E_post = 3/4 → −1/2.
  assert.ok(Math.abs(errorsCorrectedFrom(labels, [0, 1, 2, 3, 9], [9, 9, 2, 3, 4], [9, 9, 9, 3, 4]) + 1 / 2) < 1e-12);
  // Nothing wrong before, nothing after: 0; nothing wrong before, one error after: clipped at −1.
  assert.equal(errorsCorrectedFrom(labels, labels, labels, labels), 0);
  assert.equal(errorsCorrectedFrom(labels, labels, labels, [0, 1, 2, 3, 0]), -1);
  // No kept image (every clean prediction wrong): 0.
  assert.equal(errorsCorrectedFrom(labels, [1, 2, 3, 4, 0], [9, 9, 9, 9, 9], labels), 0);
});

// 6. editWarnings ---------------------------------------------------------------------------------------

test('editWarnings: already right before, unchanged edit success, or nothing for a normal edit', () => {
  const m = (edit_success: number): EditMetrics => ({ edit_success, generalization: 0.5, original_accuracy: 0.8 });
  const right = editWarnings(m(0.95), m(1));
  assert.equal(right.length, 1);
  assert.match(right[0], /already right/);
  assert.match(right[0], /95\.0%/);
  const unchanged = editWarnings(m(0.3), m(0.3));
  assert.equal(unchanged.length, 1);
  assert.match(unchanged[0], /unchanged/);
  assert.match(unchanged[0], /30\.0%/);
  assert.deepEqual(editWarnings(m(0.3), m(0.8)), []);
  assert.deepEqual(editWarnings(m(0.3), m(0.1)), [], 'worse, but measurably changed');
  assert.equal(editWarnings(m(0.95), m(0.95)).length, 2);
  assert.equal(ALREADY_RIGHT, 0.9);
  assert.equal(editWarnings(m(0.9), m(1)).length, 1, 'at the threshold');
  assert.deepEqual(editWarnings(m(0.89), m(1)), [], 'below it');
});
