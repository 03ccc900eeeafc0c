// A study's statistics against second computations written here: flips and McNemar from the
// unpacked bitsets and a direct binomial sum, per-shift OOD penalties and mCE from the exported
// accuracies and a synthetic cloud whose lines are exact, pooling and extremes on hand-made rows,
// and `study stats` on the CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from '../src/engine/backend';
import { normalCdf, normalQuantile } from '../src/metrics/effective-robustness';
import { CLOUD_COLUMNS } from '../src/cloud';
import { toCsv } from '../src/frames/to-csv';
import {
  runStudy, queryStudy, unpackCorrect, studyComparisons, studyPenalties, studyCorruptionErrors, poolPenalties, penaltyExtremes,
  type StudySpecInput, type StudyPenaltyRow,
} from '../src/study';

const SPEC: StudySpecInput = {
  models: ['vgg-small'],
  tasks: [{ name: 'snow-background', exemplars: 16 }],
  methods: [{ name: 'local-ft', steps: 6, learning_rate: 0.01 }],
  layers: ['middle'],
  alphas: [0, 0.5, 1],
  sets: { clean: true, corruptions: ['gaussian_noise', 'fog'], severities: [3], renditions: ['sketch'], task_splits: true, shift_images: 48 },
  images: 80,
};
const CLI = path.join(__dirname, '..', 'bin', 'editlab.js');
const SHIFTS = [{ shift: 'gaussian_noise', family: 'corruption', severity: 3, slope: 0.8, intercept: -0.6 }, { shift: 'fog', family: 'corruption', severity: 3, slope: 1.1, intercept: -0.3 }, { shift: 'sketch', family: 'rendition', severity: 0, slope: 0.5, intercept: -0.9 }];

let work: string;
let dir: string;
let cloudCsv: string;
type Cell = { job_id: string; alpha: number; set: string; family: string; severity: number; n: number; accuracy: number; bits: Uint8Array };
let cells: Cell[];

before(async () => {
  await useBackend('wasm');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-stats-'));
  dir = path.join(work, 'study');
  await runStudy(SPEC, { dir });
  cells = await queryStudy(dir, 'SELECT c.job_id, c.alpha, c.set, c.family, c.severity, c.n, c.accuracy, b.bits FROM cells c JOIN correctness b USING (job_id, alpha, set, severity)') as unknown as Cell[];
  // A cloud of five members on exact probit lines: T(acc_d) = slope·T(acc_clean) + intercept.
  const rows = [0.6, 0.7, 0.8, 0.85, 0.9].flatMap((clean, m) => [
    { shift: 'clean', family: 'clean', group: 'clean', severity: 0, accuracy: clean },
    ...SHIFTS.map((s) => ({ shift: s.shift, family: s.family, group: s.family, severity: s.severity, accuracy: normalCdf(s.slope * normalQuantile(clean) + s.intercept) })),
  ].map((r) => ({ model: `m${m}`, arch: 'linear', width: 1, epochs: 1, seed: m, train_size: 1000, params: 1, ...r, n: 1000, ci_lo: 0, ci_hi: 1 })));
  cloudCsv = path.join(work, 'cloud.csv');
  fs.writeFileSync(cloudCsv, toCsv(rows, CLOUD_COLUMNS));
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

const cellOf = (alpha: number, set: string) => cells.find((c) => c.alpha === alpha && c.set === set)!;

/** Two-sided exact binomial p of min(b, c) out of b + c at 1/2, summed term by term. */
function binomialP(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  let tail = 0;
  for (let k = 0; k <= Math.min(b, c); k++) {
    let term = 1;
    for (let i = 0; i < k; i++) term *= (n - i) / (i + 1);
    tail += term / 2 ** n;
  }
  return Math.min(1, 2 * tail);
}

test('comparisons: flips from the unpacked bitsets and McNemar as a direct binomial sum', async () => {
  const rows = await studyComparisons(dir);
  assert.equal(rows.length, cells.filter((c) => c.alpha !== 0).length, 'one row per edited cell');
  let changed = 0;
  for (const r of rows) {
    const before = unpackCorrect(cellOf(0, r.set).bits, r.n), after = unpackCorrect(cellOf(r.alpha, r.set).bits, r.n);
    let fixed = 0, broken = 0;
    for (let i = 0; i < r.n; i++) { if (!before[i] && after[i]) fixed++; if (before[i] && !after[i]) broken++; }
    assert.deepEqual([r.fixed, r.broken], [fixed, broken], `${r.set} α=${r.alpha}`);
    assert.equal(r.accuracy_original, cellOf(0, r.set).accuracy);
    assert.ok(Math.abs(r.accuracy - r.accuracy_original - (fixed - broken) / r.n) < 1e-12, 'the accuracy change is the net flips');
    assert.ok(Math.abs(r.p_mcnemar - binomialP(fixed, broken)) < 1e-12);
    changed += fixed + broken;
  }
  assert.ok(changed > 0, 'the edit changed some predictions (else the test proves little)');
});

test('penalties per shift, per family and overall equal a direct computation on exact cloud lines', async () => {
  const rows = await studyPenalties(dir, { cloudCsv, samples: 200, alphas: [0.5, 1] });
  for (const alpha of [0.5, 1]) {
    const rho = (a: number, s: (typeof SHIFTS)[number]) => cellOf(a, s.shift).accuracy - normalCdf(s.slope * normalQuantile(cellOf(a, 'clean').accuracy) + s.intercept);
    const expected = SHIFTS.map((s) => ({ ...s, penalty: rho(alpha, s) - rho(0, s), drop: cellOf(alpha, s.shift).accuracy - cellOf(0, s.shift).accuracy }));
    const mine = rows.filter((r) => r.alpha === alpha);
    for (const e of expected) {
      const row = mine.find((r) => r.scope === 'shift' && r.shift === e.shift)!;
      assert.ok(Math.abs(row.penalty - e.penalty) < 1e-6, `${e.shift}: ${row.penalty} vs ${e.penalty}`);
      assert.ok(Math.abs(row.drop - e.drop) < 1e-12);
      assert.ok(Math.abs(row.r2 - 1) < 1e-9 && row.reliable, 'exact lines: r² = 1');
      assert.ok(row.ci_lo! <= row.penalty + 1e-12 && row.penalty - 1e-12 <= row.ci_hi!, 'the interval holds the estimate');
    }
    const corruption = (expected[0].penalty + expected[1].penalty) / 2;
    assert.ok(Math.abs(mine.find((r) => r.scope === 'family' && r.family === 'corruption')!.penalty - corruption) < 1e-6, 'family = mean of its shifts');
    assert.ok(Math.abs(mine.find((r) => r.scope === 'overall')!.penalty - (corruption + expected[2].penalty) / 2) < 1e-6, 'overall = mean of the family means');
    assert.deepEqual([...new Set(mine.map((r) => `${r.model} ${r.method} ${r.layer} ${r.depth}`))], ['vgg-small local-ft block2_conv2 middle'], 'rows carry the spec\'s layer entry as depth');
  }
  const none = await studyPenalties(dir, { cloudCsv, samples: 0 });
  assert.ok(none.every((r) => r.alpha === 1 && r.ci_lo === null), 'default α = 1; no samples, no intervals');
});

test('mCE against a cloud member equals the hand formula', async () => {
  const rows = await studyCorruptionErrors(dir, { cloudCsv, base: 'm2' });
  assert.equal(rows.length, 3, 'one row per α (0 is the original)');
  const baseClean = 0.8;
  const baseError = (s: (typeof SHIFTS)[number]) => 1 - normalCdf(s.slope * normalQuantile(baseClean) + s.intercept);
  for (const r of rows) {
    const corruptions = SHIFTS.filter((s) => s.family === 'corruption');
    const error = (s: (typeof SHIFTS)[number]) => 1 - cellOf(r.alpha, s.shift).accuracy;
    const clean = 1 - cellOf(r.alpha, 'clean').accuracy;
    const mce = corruptions.reduce((sum, s) => sum + error(s) / baseError(s), 0) / corruptions.length;
    const relative = corruptions.reduce((sum, s) => sum + (error(s) - clean) / (baseError(s) - (1 - baseClean)), 0) / corruptions.length;
    assert.ok(Math.abs(r.mce - mce) < 1e-9, `α=${r.alpha}: ${r.mce} vs ${mce}`);
    assert.ok(Math.abs(r.relative_mce! - relative) < 1e-9);
    assert.equal(r.corruptions, 2);
  }
  await assert.rejects(studyCorruptionErrors(dir, { cloudCsv, base: 'alexnet' }), /mCE base "alexnet" is not a model of the cloud table/);
});

test('pooling averages jobs per family × method × depth (each model\'s own layer there) and the extremes are the lowest and highest', () => {
  const row = (method: string, layer: string, family: string | null, penalty: number, reliable = true): StudyPenaltyRow => ({
    model: 'm', task: 't', method, layer, depth: 'middle', seed: 0, alpha: 1, scope: family ? 'family' : 'overall', family, shift: null, severity: null,
    penalty, drop: penalty, ci_lo: penalty - 0.01, ci_hi: penalty + 0.01, drop_ci_lo: null, drop_ci_hi: null, r2: reliable ? 0.9 : 0.3, reliable, slope: null, intercept: null, shifts: 2,
  });
  const pooled = poolPenalties([
    row('a', 'l1', 'corruption', -0.04), { ...row('a', 'blocks.1', 'corruption', -0.02), model: 'm2' }, row('b', 'l1', 'corruption', 0.01, false), row('a', 'l1', null, -0.03),
    { ...row('a', 'l3', 'corruption', -0.08), depth: 'late' },
  ]);
  const a = pooled.find((p) => p.method === 'a' && p.family === 'corruption' && p.layer === 'middle')!;
  assert.deepEqual([a.jobs, +a.penalty.toFixed(6), +a.ci_lo.toFixed(6), a.reliable, a.layers], [2, -0.03, -0.04, true, 'l1, blocks.1']);
  const late = pooled.find((p) => p.layer === 'late')!;
  assert.deepEqual([late.jobs, late.layers, +late.penalty.toFixed(6)], [1, 'l3', -0.08], 'another depth of the same method is its own row');
  pooled.splice(pooled.indexOf(late), 1);
  assert.equal(pooled.find((p) => p.method === 'b')!.reliable, false);
  assert.deepEqual(pooled.map((p) => p.family), ['corruption', 'corruption', 'overall'], 'families in order, most robustness lost first');
  const [corruption] = penaltyExtremes(pooled);
  assert.deepEqual([corruption.most.method, corruption.least.method], ['a', 'b']);
});

test('study stats on the CLI: pooled penalties with intervals and the extremes per family, tables with --out', () => {
  const out = path.join(work, 'stats');
  const r = spawnSync(process.execPath, [CLI, 'study', 'stats', dir, '--samples', '100', '--out', out, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { pooled: Array<{ family: string; ci_lo: number; ci_hi: number; penalty: number }>; extremes: Array<{ family: string }>; mce: unknown[] };
  assert.deepEqual(report.extremes.map((e) => e.family), ['corruption', 'rendition', 'overall']);
  assert.ok(report.pooled.every((p) => p.ci_lo <= p.penalty && p.penalty <= p.ci_hi));
  assert.equal(report.mce.length, 3);
  for (const f of ['penalties.csv', 'penalties-pooled.csv', 'comparisons.csv', 'mce.csv']) assert.ok(fs.existsSync(path.join(out, f)), f);
  const bad = spawnSync(process.execPath, [CLI, 'study', 'stats', dir, '--alpha', '0'], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--alpha takes α values > 0/);
});
