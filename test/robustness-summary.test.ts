import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { summarizeRobustness, robustnessSummary, cloudCells, loadCloud, type CloudRow, type ScoredCell } from '../src/cloud';
import { evaluateCells } from '../src/evaluate';
import { loadLayersModel } from '../src/models';
import { clopperPearson } from '../src/metrics/accuracy';
import '../src/shifts';

/** A cloud whose members sit exactly on probit lines: T(ood) = T(id) − 0.5 at severity 1, − 1 at severity 2. */
function syntheticCloud(): CloudRow[] {
  // Φ(Φ⁻¹(id) − 0.5) and Φ(Φ⁻¹(id) − 1), from Python's statistics.NormalDist.
  const table: Array<[number, number, number]> = [
    [0.6, 0.4025884316015196, 0.22763655472130379],
    [0.7, 0.5097334303166925, 0.3171798703640042],
    [0.8, 0.6336820222406044, 0.43707917226646414],
    [0.9, 0.7827609195726949, 0.6108563083546391],
  ];
  const rows: CloudRow[] = [];
  const row = (model: string, shift: string, family: string, group: string, severity: number, accuracy: number) =>
    ({ model, arch: 'mlp', width: 1, epochs: 1, seed: 0, train_size: 1000, params: 1, shift, family, group, severity, accuracy, n: 1000, ci_lo: 0, ci_hi: 1 }) as CloudRow;
  table.forEach(([id, s1, s2], i) => {
    rows.push(row(`m${i}`, 'clean', 'clean', 'clean', 0, id), row(`m${i}`, 'gaussian_noise', 'corruption', 'noise', 1, s1), row(`m${i}`, 'gaussian_noise', 'corruption', 'noise', 2, s2));
  });
  return rows;
}

const cell = (shift: string, family: ScoredCell['family'], group: string, severity: number, correct: number[]): ScoredCell => ({
  shift, family, group, severity, labels: correct.map(() => 1), predicted: correct.map((c) => (c ? 1 : 0)),
});

test('summarizeRobustness: accuracies, ρ per cell then averaged, r² and intervals against hand-computed values', () => {
  const scored = [
    cell('clean', 'clean', 'clean', 0, [1, 1, 1, 0]),
    cell('gaussian_noise', 'corruption', 'noise', 1, [1, 1, 0, 0]),
    cell('gaussian_noise', 'corruption', 'noise', 2, [1, 0, 0, 0]),
    cell('sketch', 'rendition', 'rendition', 0, [0, 1, 1, 1]),
  ];
  const s = summarizeRobustness(scored, syntheticCloud(), { model: 'toy', samples: 400, seed: 3 });
  assert.equal(s.model, 'toy');
  assert.equal(s.cloud_models, 4);
  assert.deepEqual(s.rows.map((r) => r.set), ['clean', 'corruptions', 'noise', 'renditions']);
  const [clean, corruptions, noise, renditions] = s.rows;
  assert.equal(clean.accuracy, 0.75);
  assert.deepEqual([clean.ci_lo, clean.ci_hi], clopperPearson(3, 4));
  assert.equal(clean.effective_robustness, null);
  // Mean of 0.5 and 0.25; ρ = mean(0.5 − Φ(Φ⁻¹(0.75) − 0.5), 0.25 − Φ(Φ⁻¹(0.75) − 1)) (Python: −0.09582858526866422).
  for (const r of [corruptions, noise]) {
    assert.equal(r.cells, 2);
    assert.equal(r.n, 4);
    assert.equal(r.accuracy, 0.375);
    assert.ok(Math.abs((r.effective_robustness as number) - -0.09582858526866422) < 1e-6, String(r.effective_robustness));
    assert.ok(Math.abs((r.line_r2 as number) - 1) < 1e-9);
    assert.equal(r.reliable, true);
    assert.ok(r.ci_lo <= r.accuracy && r.accuracy <= r.ci_hi && r.ci_lo >= 0 && r.ci_hi <= 1);
    // ρ's interval is the accuracy's bootstrap interval moved by the (fixed) expected accuracy.
    const expected = r.accuracy - (r.effective_robustness as number);
    assert.ok(Math.abs((r.effective_robustness_ci_lo as number) - (r.ci_lo - expected)) < 1e-12);
    assert.ok(Math.abs((r.effective_robustness_ci_hi as number) - (r.ci_hi - expected)) < 1e-12);
  }
  // One cell: the exact interval; the cloud has no sketch cells, so no ρ.
  assert.equal(renditions.accuracy, 0.75);
  assert.deepEqual([renditions.ci_lo, renditions.ci_hi], clopperPearson(3, 4));
  assert.equal(renditions.effective_robustness, null);
  assert.equal(renditions.reliable, null);
  // Seeded: the same call gives the same intervals.
  assert.deepEqual(summarizeRobustness(scored, syntheticCloud(), { model: 'toy', samples: 400, seed: 3 }), s);
});

test('summarizeRobustness: the bootstrap interval of a mean over cells has the binomial width', () => {
  const n = 2000;
  const half = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0));
  const s = summarizeRobustness([cell('clean', 'clean', 'clean', 0, half), cell('fog', 'corruption', 'weather', 1, half), cell('fog', 'corruption', 'weather', 2, half)], syntheticCloud());
  const weather = s.rows.find((r) => r.set === 'weather')!;
  // Two identical cells: the mean is one binomial proportion, 95% half-width 1.96·√(0.25/n) ≈ 0.0219.
  const halfWidth = (weather.ci_hi - weather.ci_lo) / 2;
  assert.ok(Math.abs(halfWidth - 1.96 * Math.sqrt(0.25 / n)) < 0.004, `half-width ${halfWidth}`);
  assert.throws(() => summarizeRobustness([cell('fog', 'corruption', 'weather', 1, [1])], syntheticCloud()), /needs a clean cell/);
  assert.throws(
    () => summarizeRobustness([cell('clean', 'clean', 'clean', 0, [1]), cell('fog', 'corruption', 'weather', 1, [1, 0]), cell('fog', 'corruption', 'weather', 2, [1])], syntheticCloud()),
    /the cells of "corruptions" must share their images: fog has 2, fog s2 1/,
  );
});

test('robustnessSummary on an embedded model agrees with evaluateCells and with the model\'s recorded accuracy', async () => {
  const model = await loadLayersModel(path.join(__dirname, '..', 'datasets', 'models', 'vgg-small'));
  const options = { shiftSize: 200, severities: [3], shifts: ['gaussian_noise', 'shot_noise', 'fog', 'sketch'], hardEnsemble: [] };
  const cells = await cloudCells(options);
  const rows = await evaluateCells(model, cells);
  let reported = 0;
  const summary = await robustnessSummary(model, { ...options, cells, model: 'vgg-small', onCell: (done, total) => { reported = done; assert.equal(total, cells.length); } });
  model.dispose();
  assert.equal(reported, cells.length);
  const by = Object.fromEntries(summary.rows.map((r) => [r.set, r]));
  assert.equal(by.clean.accuracy, 0.9254, 'the embedded vgg-small scores 92.54% on the 10 000 test images');
  const mean = (shifts: string[]) => rows.filter((r) => shifts.includes(r.shift)).reduce((s, r) => s + r.accuracy, 0) / shifts.length;
  assert.ok(Math.abs(by.corruptions.accuracy - mean(['gaussian_noise', 'shot_noise', 'fog'])) < 1e-12);
  assert.ok(Math.abs(by.noise.accuracy - mean(['gaussian_noise', 'shot_noise'])) < 1e-12);
  assert.ok(Math.abs(by.renditions.accuracy - mean(['sketch'])) < 1e-12);
  assert.equal(by.hard, undefined, 'no hard subset without an ensemble');
  // ρ against the committed cloud: the per-cell lines exist for these cells.
  const cloud = loadCloud();
  assert.equal(summary.cloud_models, new Set(cloud.map((r) => r.model)).size);
  for (const set of ['corruptions', 'noise', 'weather', 'renditions']) {
    assert.equal(typeof by[set].effective_robustness, 'number', set);
    assert.equal(typeof by[set].line_r2, 'number', set);
  }
});
