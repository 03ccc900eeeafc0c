import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { tf, useBackend } from '../src/engine/backend';
import { buildModel } from '../src/models';
import { edit, snowBackground, snowBackgroundTask } from '../src/edits';
import { sweepAlpha } from '../src/sweep/interpolate';
import { fashionMnistSet, sample } from '../src/data/image-set';
import { predict } from '../src/engine/predict';

const hashWeights = (m: tf.LayersModel) => {
  const h = createHash('sha256');
  for (const w of m.getWeights()) h.update(Buffer.from((w.dataSync() as Float32Array).buffer));
  return h.digest('hex');
};

test('local fine-tuning changes only its layer, never the original, and α = 0 / 1 are exact', async () => {
  await useBackend('wasm');
  const model = buildModel('reference-cnn', { seed: 5 });
  const before = hashWeights(model);
  const editSet = snowBackground(sample(fashionMnistSet('train', 2000), 16, 1), 2);
  const result = await edit(model, editSet, 'local-ft', { layer: 'conv3', steps: 3, learningRate: 1e-2 });
  assert.equal(hashWeights(model), before, 'the original model is untouched');
  assert.deepEqual(result.layers, ['conv3']);
  assert.equal(result.changedParams, 3 * 3 * 32 * 64 + 64);
  assert.ok(result.changedFraction > 0 && result.changedFraction < 1);

  const edited = await result.at(1);
  const original = await result.at(0);
  const w0 = model.getWeights(), w1 = edited.getWeights(), wa = original.getWeights();
  model.weights.forEach((w, i) => {
    const same = tf.tidy(() => tf.all(tf.equal(w0[i], w1[i])).dataSync()[0] === 1);
    assert.equal(same, !w.name.includes('conv3'), `${w.name} changed only if in conv3`);
    assert.deepEqual(wa[i].dataSync(), w0[i].dataSync(), `α = 0 reproduces ${w.name} exactly`);
  });
  // α = 1 reproduces the fine-tuned weights: W0 + 1·(W1 − W0) == W1 up to one rounding.
  const changed = result.changes[0];
  const diff = tf.tidy(() => tf.max(tf.abs(edited.weights[changed.index].read().sub(changed.edited))).dataSync()[0]);
  assert.ok(diff < 1e-6, `α = 1 gives the edited weights (max diff ${diff})`);
  assert.throws(() => result.weightsAt(-0.5), /α must be a finite number ≥ 0/);
  assert.throws(() => result.weightsAt(Number.NaN), /α must be a finite number ≥ 0/);
  await assert.rejects(edit(model, editSet, 'local-ft', { layer: 'nope' }), /the model has no layer "nope"; layers local-ft can edit: conv1, conv2, conv3, conv4, fc1, logits/);
  await assert.rejects(edit(model, editSet, 'rewrite-everything', { layer: 'conv3' }), /unknown edit method "rewrite-everything"; available: .*local-ft/);

  edited.dispose();
  original.dispose();
  result.dispose();
  model.dispose();
});

test('the α sweep gives tidy rows and keeps the tensor count flat', async () => {
  await useBackend('wasm');
  const model = buildModel('reference-cnn', { seed: 6 });
  const task = snowBackgroundTask({ exemplars: 8, testSize: 40, seed: 3 });
  const result = await edit(model, task.editSet, 'local-ft', { layer: 'fc1', steps: 2 });
  const splits = { edit: task.heldOut, clean: sample(fashionMnistSet('test', 500), 40, 4) };
  const first = await sweepAlpha(result, splits, { alphas: [0, 1], engine: 'tfjs' });
  const tensors = tf.memory().numTensors;
  const rows = await sweepAlpha(result, splits, { alphas: [0, 0.5, 1], engine: 'tfjs' });
  assert.equal(tf.memory().numTensors, tensors, 'no tensors leak across a sweep');
  assert.equal(rows.length, 6);
  assert.deepEqual(rows.map((r) => `${r.alpha}/${r.split}`), ['0/edit', '0/clean', '0.5/edit', '0.5/clean', '1/edit', '1/clean']);
  for (const r of rows) {
    assert.equal(r.n, 40);
    assert.ok(r.ci_lo <= r.accuracy && r.accuracy <= r.ci_hi);
  }
  // α = 0 rows are the original model's accuracy.
  const direct = predict(model, splits.clean).predicted.filter((p, i) => p === splits.clean.labels[i]).length / 40;
  assert.equal(rows[1].accuracy, direct);
  assert.deepEqual(first[0], rows[0]);
  result.dispose();
  model.dispose();
});

test('snow backgrounds are deterministic and keep the object pixels', () => {
  const set = sample(fashionMnistSet('test', 200), 4, 9);
  const a = snowBackground(set, 1), b = snowBackground(set, 1), c = snowBackground(set, 2);
  assert.deepEqual(a.images, b.images);
  assert.notDeepEqual(a.images, c.images);
  for (let i = 0; i < set.images.length; i++) {
    if (set.images[i] >= 0.15) assert.equal(a.images[i], set.images[i]);
    else assert.ok(a.images[i] >= 0.55 && a.images[i] <= 1);
  }
});

test('errors corrected (a fraction): hand-computed cases', async () => {
  const { errorsCorrectedFrom } = await import('../src/edits');
  // Kept: images 0–2 (clean right); before wrong on 0 and 2 (2/3), after wrong on 2 (1/3): (2/3 − 1/3)/(2/3) = 0.5.
  assert.equal(errorsCorrectedFrom([0, 1, 2, 3], [0, 1, 2, 9], [5, 1, 5, 0], [0, 1, 5, 0]), 0.5);
  // Every error fixed: 1; errors made where there were none: clipped to −1.
  assert.equal(errorsCorrectedFrom([0, 1], [0, 1], [1, 0], [0, 1]), 1);
  assert.equal(errorsCorrectedFrom([0, 1, 2], [0, 1, 2], [0, 1, 2], [0, 1, 0]), -1);
  // No held-out image whose clean original was right: nothing to correct.
  assert.equal(errorsCorrectedFrom([0, 1], [1, 0], [0, 1], [0, 1]), 0);
});

test('evaluateEdit: before/after metrics and the same numbers as rows with intervals; one progress bar in steps, one in images', async () => {
  const { evaluateEdit, protocolSets, EDIT_METRIC_SPLITS } = await import('../src/edits');
  await useBackend('wasm');
  const model = buildModel('reference-cnn', { seed: 5, width: 0.25 });
  const sets = protocolSets({ task: 'snow-background', seed: 0, exemplars: 12, test_size: 40, clean_size: 30 });
  const written: string[] = [];
  const write = process.stderr.write;
  (process.stderr as { write: unknown }).write = (s: string) => { written.push(String(s)); return true; };
  let steps = 0;
  let result;
  let measured;
  try {
    // 1-LI runs local-ft inside: still one bar, and the caller's onStep still sees every step.
    result = await edit(model, sets.editSet, 'one-layer-interp', { layer: 'conv4', steps: 3, progress: true, onStep: () => steps++ });
    measured = await evaluateEdit(result, sets, { engine: 'tfjs', progress: true });
  } finally {
    (process.stderr as { write: unknown }).write = write;
  }
  assert.equal(steps, 3);
  const labels = new Set(written.map((l) => l.replace(/\r/g, '').split('  ')[0]));
  assert.deepEqual([...labels], ['edit: one-layer-interp conv4', 'evaluate one-layer-interp before/after']);
  assert.match(written.join(''), /3\/3 .*(steps\/s|s\/step)/);
  // 12 exemplars + 40 held-out + 30 clean + 4 splits (one the held-out set itself: evaluated once) = 202, twice, + 40 originals.
  assert.match(written.join(''), /444\/444 {2}100%.*img\/s/);
  const { before, after, rows } = measured;
  const row = (alpha: number, split: string) => rows.find((r) => r.alpha === alpha && r.split === split)!;
  for (const [metric, split] of Object.entries(EDIT_METRIC_SPLITS)) {
    assert.equal(row(0, split).accuracy, before[metric as keyof typeof EDIT_METRIC_SPLITS]);
    assert.equal(row(1, split).accuracy, after[metric as keyof typeof EDIT_METRIC_SPLITS]);
  }
  assert.deepEqual(rows.map((r) => r.n).slice(0, 7), [12, 40, 30, 40, 40, 40, 40]);
  for (const r of rows) assert.ok(r.ci_lo <= r.accuracy && r.accuracy <= r.ci_hi && r.ci_lo >= 0 && r.ci_hi <= 1);
  assert.equal(Object.keys(after.splits!).length, 4);
  assert.ok(after.errors_corrected! >= -1 && after.errors_corrected! <= 1);
  result.dispose();
  model.dispose();
});
