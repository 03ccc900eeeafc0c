// Parallel and sharded studies: `workers: 2` and two shards merged each end with exactly the
// tables of a single-process run (byte-identical exported CSV, the same stored edits); merging
// refuses another spec with nothing written, and merging again adds nothing; the CLI's
// --workers, --shard and `study merge` do the same.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useBackend } from '../src/engine/backend';
import {
  runStudy, mergeStudies, exportStudyCells, queryStudy, readStudyStatus, planStudy, shardJobs, parseShard, validateStudySpec, writeStudySpec, type StudySpecInput,
} from '../src/study';

const SPEC: StudySpecInput = {
  models: ['vgg-small'],
  tasks: [{ name: 'snow-background', exemplars: 16 }],
  methods: [{ name: 'local-ft', steps: 3 }, { name: 'one-layer-interp', steps: 3 }, { name: 'lowrank', steps: 3 }, { name: 'rewrite', steps: 3 }],
  layers: ['middle', 'late'],
  alphas: [0, 0.5, 1],
  sets: { clean: true, corruptions: ['gaussian_noise'], severities: [3], task_splits: true },
  images: 48,
};
const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'editlab.js');

let work: string;
let single: string;

/** Everything a study stored that does not depend on where or when it ran. */
async function content(dir: string): Promise<unknown> {
  const csv = fs.readFileSync(await exportStudyCells(dir, { out: path.join(dir, 'export.csv') }), 'utf8');
  const jobs = await queryStudy(dir, 'SELECT job_id, position, state, reuses FROM jobs ORDER BY position');
  const weights = await queryStudy(dir, 'SELECT job_id, weight_index, md5(edited::VARCHAR) AS digest FROM edit_weights ORDER BY job_id, weight_index');
  const bits = await queryStudy(dir, 'SELECT job_id, alpha, set, severity, md5(bits::VARCHAR) AS digest FROM correctness ORDER BY job_id, alpha, set, severity');
  const sets = await queryStudy(dir, 'SELECT * FROM sets ORDER BY task, seed, set, severity');
  return { csv, jobs, weights, bits, sets };
}

before(async () => {
  await useBackend('wasm');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-parallel-'));
  single = path.join(work, 'single');
  await runStudy(SPEC, { dir: single });
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

test('shards deal the jobs out whole: each once, a reusing job with its source', async () => {
  const plan = await planStudy(validateStudySpec(SPEC));
  assert.equal(plan.jobs.length, 8);
  const shards = [0, 1, 2].map((index) => shardJobs(plan, { index, count: 3 }));
  assert.deepEqual(shards.flat().map((j) => j.id).sort(), plan.jobs.map((j) => j.id).sort());
  for (const shard of shards) {
    for (const job of shard.filter((j) => j.reuses)) assert.ok(shard.some((j) => j.id === job.reuses), '1-LI runs in the shard of the local-ft edit it reuses');
  }
  assert.deepEqual(parseShard('2/4'), { index: 2, count: 4 });
  for (const bad of ['4/4', '1/0', '-1/2', '1', 'a/b']) assert.throws(() => parseShard(bad), /shard must be i\/n|a shard is i\/n/);
});

test('two local worker processes store exactly what one process stores', async () => {
  const dir = path.join(work, 'workers');
  const started: number[] = [];
  const result = await runStudy(SPEC, { dir, workers: 2, onProgress: (e) => { if (e.event === 'started') started.push(e.jobs_done); } });
  assert.equal(result.ran, 8);
  assert.equal(result.jobs_done, 8);
  assert.deepEqual(await content(dir), await content(single));
});

test('two shards merged equal the single run; merging again adds nothing; another spec is refused', async () => {
  const shards = [0, 1].map((index) => path.join(work, `shard-${index}`));
  for (const [index, dir] of shards.entries()) {
    const r = await runStudy(SPEC, { dir, shard: { index, count: 2 } });
    assert.equal(r.ran, 4, `shard ${index} ran its half`);
    assert.equal((await readStudyStatus(dir))!.jobs_done, 4);
  }
  const merged = path.join(work, 'merged');
  const first = await mergeStudies(merged, shards);
  assert.deepEqual(first.merged.map((m) => m.jobs), [4, 4]);
  assert.deepEqual(await content(merged), await content(single));
  const again = await mergeStudies(merged, [...shards, shards[0]]);
  assert.deepEqual(again.merged.map((m) => m.jobs), [0, 0, 0]);
  // A folder of another spec: refused, naming the field, and the merged study is unchanged.
  const other = path.join(work, 'other');
  writeStudySpec(other, { ...SPEC, alphas: [0, 1] });
  await runStudy({ ...SPEC, alphas: [0, 1] }, { dir: other, shard: { index: 0, count: 4 } });
  const before = await content(merged);
  await assert.rejects(mergeStudies(merged, [other]), /another spec.*refusing to merge[\s\S]*alphas/);
  await assert.rejects(mergeStudies(path.join(work, 'mixed'), [shards[0], other]), /another spec.*refusing to merge[\s\S]*alphas/);
  assert.ok(!fs.existsSync(path.join(work, 'mixed', 'study.duckdb')), 'nothing written');
  assert.deepEqual(await content(merged), before);
});

test('the CLI: study run --workers 2 --shard i/n and study merge', () => {
  const dir = (name: string) => path.join(work, `cli-${name}`);
  for (const name of ['a', 'b']) writeStudySpec(dir(name), SPEC);
  const env = { ...process.env, NO_COLOR: '1' };
  const runShard = (name: string, shard: string) => JSON.parse(execFileSync(process.execPath, [CLI, 'study', 'run', dir(name), '--shard', shard, '--workers', '2', '--json', '--quiet'], { env, encoding: 'utf8' }));
  assert.equal(runShard('a', '0/2').ran, 4);
  assert.equal(runShard('b', '1/2').ran, 4);
  const merged = JSON.parse(execFileSync(process.execPath, [CLI, 'study', 'merge', dir('all'), dir('a'), dir('b'), '--json'], { env, encoding: 'utf8' }));
  assert.deepEqual([merged.jobs_done, merged.jobs_total], [8, 8]);
  assert.deepEqual(merged.merged.map((m: { jobs: number }) => m.jobs), [4, 4]);
  const bad = spawnSync(process.execPath, [CLI, 'study', 'run', dir('a'), '--shard', '2/2'], { env, encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /a shard is i\/n with n ≥ 1 and 0 ≤ i < n/);
});
