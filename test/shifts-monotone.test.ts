// Severity monotonicity of the `small` preset: a reference CNN trained briefly (≈ 20 s) loses
// accuracy as severity grows, averaged over the 19 corruptions and a test subset. (The full
// per-corruption calibration is in src/shifts/calibration.ts.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../src/engine/backend';
import { fashionMnistSet, sample } from '../src/data';
import { buildModel, train } from '../src/models';
import { evaluateShifts, hardSubset, type ShiftAccuracyRow } from '../src/shifts';
import type { tf } from '../src/engine/backend';

let model: tf.LayersModel;
let rows: ShiftAccuracyRow[];
const testSet = sample(fashionMnistSet('test'), 250, 3);

before(async () => {
  await useBackend('wasm');
  model = buildModel('reference-cnn', { seed: 1 });
  train(model, sample(fashionMnistSet('train', 20000), 4000, 2), { epochs: 1, batchSize: 64, seed: 1 });
  rows = evaluateShifts(model, testSet, { preset: 'small', seed: 1 });
});

test('accuracy averaged over the 19 corruptions falls with every severity step, and far from 1 to 5', (t) => {
  const clean = rows.find((r) => r.shift === 'clean')!.accuracy;
  assert.ok(clean > 0.6, `the briefly trained model reaches ${clean} clean accuracy`);
  const mean = [1, 2, 3, 4, 5].map((s) => {
    const at = rows.filter((r) => r.severity === s && r.family === 'corruption');
    assert.equal(at.length, 19);
    return at.reduce((a, r) => a + r.accuracy, 0) / at.length;
  });
  const show = mean.map((m) => (100 * m).toFixed(1)).join(' > ');
  t.diagnostic(`clean ${(100 * clean).toFixed(1)}%, mean over corruptions by severity: ${show}`);
  assert.ok(mean[0] <= clean + 0.01, `severity 1 (${mean[0]}) is not above clean (${clean})`);
  for (let s = 1; s < 5; s++) assert.ok(mean[s] < mean[s - 1], `mean accuracy per severity decreases: ${show}`);
  assert.ok(mean[0] - mean[4] > 0.1, `severity 5 costs over 10 points more than severity 1: ${show}`);
});

test('every ImageNet-C group loses accuracy from severity 1 to 5', () => {
  for (const group of ['noise', 'blur', 'weather', 'digital', 'held-out']) {
    const at = (s: number) => {
      const g = rows.filter((r) => r.group === group && r.severity === s);
      return g.reduce((a, r) => a + r.accuracy, 0) / g.length;
    };
    assert.ok(at(5) < at(1), `${group}: ${at(1)} at severity 1, ${at(5)} at severity 5`);
  }
});

test('hard subset: keeps what most of the ensemble gets wrong, and says from which classes', () => {
  const truth = testSet.labels;
  const wrongAlways = () => Int32Array.from(truth, (y) => (y + 1) % 10);
  const hard = hardSubset(testSet, [model, wrongAlways, (set) => set.labels]);
  // minWrong = 2 of 3: the always-wrong model plus the trained one's errors.
  const modelWrong = rows.find((r) => r.shift === 'clean')!;
  assert.equal(hard.minWrong, 2);
  assert.equal(hard.kept, Math.round((1 - modelWrong.accuracy) * testSet.n));
  assert.equal(hard.set.n, hard.kept);
  assert.equal(hard.perClass.reduce((a, c) => a + c.kept, 0), hard.kept);
  assert.equal(hard.perClass.reduce((a, c) => a + c.total, 0), testSet.n);
  for (const i of hard.indices) assert.ok(hard.wrongVotes[i] >= 2);
  assert.throws(() => hardSubset(testSet, []), /at least one model/);
  assert.throws(() => hardSubset(testSet, [wrongAlways], { minWrong: 2 }), /minWrong must be an integer from 1 to 1/);
});
