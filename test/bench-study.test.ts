// `bench --study` on a tiny spec: every mode runs and stores the same cells as one process; the
// report's totals agree with the study's tables; the memory spec plans at least the jobs asked for;
// the memory samples' trend and garbage collection.
// (Speeds are measured by the bench, never asserted here.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useBackend } from '../src/engine/backend';
import { benchStudy, formatStudyBench, garbageCollector, memorySpec, slope } from '../src/bench/study';
import { planStudy, validateStudySpec, type StudySpecInput } from '../src/study';

const SPEC: StudySpecInput = {
  models: ['vgg-small'],
  tasks: [{ name: 'snow-background', exemplars: 8 }],
  methods: [{ name: 'local-ft', steps: 2 }, { name: 'lowrank', steps: 2 }],
  layers: ['middle'],
  alphas: [0, 1],
  sets: { clean: true, corruptions: ['fog'], severities: [3], task_splits: false },
  images: 24,
};

before(async () => {
  await useBackend('wasm');
});

test('every mode stores the one-process cells; totals and shares add up', async () => {
  const report = await benchStudy({ spec: SPEC, specName: 'tiny', memoryJobs: 0 });
  const modes = report.runs.map((r) => r.mode);
  assert.deepEqual(modes.filter((m) => m !== 'queue'), ['process', 'workers']);
  if (!modes.includes('queue')) assert.match(report.skipped.join(' '), /redis-server/);
  for (const run of report.runs) {
    assert.equal(run.jobs, 2);
    assert.equal(run.cells, 2 * 2 * 2, '2 jobs × 2 α × (clean, fog)');
    assert.equal(run.images, 2 * 2 * 2 * 24);
    assert.ok(run.same_cells, `${run.mode}: the same exported cells as one process`);
    assert.ok(Math.abs(run.train_share + run.sets_share + run.eval_share - 1) < 1e-9 && run.train_share > 0 && run.eval_share >= 0);
    assert.ok(Math.abs(run.img_per_s - run.images / run.seconds) < 1e-6);
  }
  assert.equal(report.runs[0].speedup, 1);
  assert.match(formatStudyBench(report), /process\s+1\s+2\s+8/);
});

test('the memory spec plans at least the jobs asked for', async () => {
  const plan = await planStudy(validateStudySpec(memorySpec(200)));
  assert.ok(plan.jobs.length >= 200 && plan.jobs.length < 200 + 48, `${plan.jobs.length} jobs`);
});

test('slope: least squares against job numbers, by hand', () => {
  // Jobs 10, 11, 12, 13 with RSS 300, 302, 301, 305: x̄ = 11.5, ȳ = 302;
  // Σ dx·dy = (−1.5)(−2) + (−0.5)(0) + (0.5)(−1) + (1.5)(3) = 7, Σ dx² = 5, slope 1.4.
  assert.ok(Math.abs(slope([300, 302, 301, 305], 10) - 1.4) < 1e-12);
  assert.equal(slope([7, 7, 7]), 0);
  assert.equal(slope([5]), 0);
});

test('the garbage collector frees garbage before a memory sample', () => {
  const collect = garbageCollector();
  collect();
  const before = process.memoryUsage().heapUsed;
  let garbage: Array<{ i: number; s: string }> | null = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `item ${i}` }));
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown > 10 * 2 ** 20 && garbage.length === 300_000, `the garbage took ${grown} bytes`);
  garbage = null;
  collect();
  assert.ok(process.memoryUsage().heapUsed - before < grown / 4, 'most of it was collected');
});
