// `editlab study` as a user runs it, in child processes: init, run, status, export; and resume
// after `kill -9` at seeded random moments, which must end with exactly the tables, and the
// byte-identical CSV, of an uninterrupted run (in another process: determinism across runs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mulberry32 } from '../src/engine/rng';
import { queryStudy, readStudyStatus, validateStudySpec, writeStudySpec, QUICK_STUDY_SPEC, type StudySpecInput } from '../src/study';
import { conventionViolations } from './json-conventions';

const ROOT = path.resolve(__dirname, '..');
// The CLI from the sources: through main() once `study` is registered there, else the command module itself.
const REGISTERED = /studyCommand/.test(fs.readFileSync(path.join(ROOT, 'src', 'cli', 'main.ts'), 'utf8'));
const ENTRY = REGISTERED
  ? "require('./src/cli/main').main(process.argv.slice(1))"
  : "(() => { const { parseArgs } = require('node:util'); const { studyCommand: c } = require('./src/cli/commands/study');"
    + ' const a = parseArgs({ args: process.argv.slice(2), options: c.options, allowPositionals: true, strict: true }); return c.run(a.values, a.positionals); })()';
const CHILD = `${ENTRY}.then((code) => { process.exitCode = code; }, (e) => { console.error(e.message); process.exitCode = 1; })`;
const childArgs = (args: string[]) => ['--import', 'tsx', '-e', CHILD, '--', 'study', ...args];

function editlab(args: string[]) {
  const r = spawnSync(process.execPath, childArgs(args), { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SPEC: StudySpecInput = {
  models: ['vgg-small'],
  tasks: [{ name: 'snow-background', exemplars: 16 }],
  methods: [{ name: 'local-ft', steps: 3 }, { name: 'one-layer-interp', steps: 3 }, { name: 'rewrite', steps: 4 }],
  layers: ['middle'],
  alphas: [0, 1],
  sets: { clean: true, corruptions: ['gaussian_noise'], severities: [3], task_splits: true },
  images: 48,
};
const CELLS_PER_JOB = 2 * (2 + 5); // α × (clean, gaussian_noise; exemplars and the task's 4 splits)

let work: string;
before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-study-cli-'));
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** Everything a run stores except timings: the tables an interrupted run must reproduce. */
async function storedTables(dir: string) {
  return {
    jobs: await queryStudy(dir, 'SELECT job_id, position, model, model_sha256, task, method, layer, layer_spec, seed, protocol, reuses, state, backend, engine FROM jobs ORDER BY position'),
    edits: await queryStudy(dir, 'SELECT * EXCLUDE (seconds) FROM edits ORDER BY job_id'),
    edit_weights: await queryStudy(dir, 'SELECT * FROM edit_weights ORDER BY job_id, weight_index'),
    sets: await queryStudy(dir, 'SELECT * FROM sets ORDER BY task, seed, set, severity'),
    cells: await queryStudy(dir, 'SELECT * FROM cells ORDER BY job_id, alpha, set, severity'),
    correctness: await queryStudy(dir, 'SELECT * FROM correctness ORDER BY job_id, alpha, set, severity'),
    study_meta: await queryStudy(dir, 'SELECT * FROM study_meta ORDER BY key'),
  };
}

test('study init writes the quick spec; it refuses to replace another spec; bad subcommands say what is expected', () => {
  const dir = path.join(work, 'init');
  const r = editlab(['init', dir, '--quick', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(conventionViolations(out), []);
  assert.equal(out.spec_file, path.join(dir, 'study.json'));
  assert.deepEqual(JSON.parse(fs.readFileSync(out.spec_file, 'utf8')), validateStudySpec(QUICK_STUDY_SPEC));
  const before = fs.readFileSync(out.spec_file, 'utf8');
  const again = editlab(['init', dir]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /study\.json holds another spec; refusing to replace it\. Differing fields:\n {2}models: \["vgg-small"\] in the study, \["vgg-small","resnet-small","vit-tiny"\] given/);
  assert.equal(fs.readFileSync(out.spec_file, 'utf8'), before);
  const none = editlab(['frobnicate', dir]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /study: expected a subcommand: init, run, status, export, merge, stats, got "frobnicate"/);
  assert.match(editlab(['status']).stderr, /study status: DIR is required/);
  assert.match(editlab(['status', dir, '--format', 'csv']).stderr, /study status: --format is not an option of this subcommand/);
  assert.match(editlab(['export', dir, '--format', 'xlsx']).stderr, /--format must be csv or parquet, got "xlsx"/);
  const missing = editlab(['run', path.join(work, 'nowhere')]);
  assert.match(missing.stderr, /nowhere\/study\.json does not exist; write one with `editlab study init/);
  fs.writeFileSync(out.spec_file, before.replace('"alphas": [\n    0,', '"alphas": [\n    -0.5,'));
  const negative = editlab(['status', dir]);
  assert.equal(negative.code, 1);
  assert.match(negative.stderr, /study\.json: alphas\[0\] must be a finite number ≥ 0 \(0 = original, 1 = edited, > 1 extrapolates\), got -0\.5/);
});

test('killed with SIGKILL at random moments, `study run` resumes to exactly the tables and CSV of an uninterrupted run', async (t) => {
  const reference = path.join(work, 'reference');
  const killed = path.join(work, 'killed');
  writeStudySpec(reference, SPEC);
  writeStudySpec(killed, SPEC);

  const t0 = performance.now();
  const full = editlab(['run', reference, '--json']);
  const seconds = (performance.now() - t0) / 1000;
  assert.equal(full.code, 0, full.stderr);
  const summary = JSON.parse(full.stdout);
  assert.deepEqual(conventionViolations(summary), []);
  assert.deepEqual([summary.jobs_total, summary.jobs_done, summary.ran, summary.skipped, summary.cells_done], [3, 3, 3, 0, 3 * CELLS_PER_JOB]);
  assert.match(full.stderr, /\[1\/3\] vgg-small snow-background local-ft block2_conv2 seed 0: [\d.]+ s/, 'a line per job on stderr');

  const rng = mulberry32(13);
  const kills: Array<{ after_s: number; jobs_done: number; cells_done: number }> = [];
  for (let k = 0; k < 3; k++) {
    const delay = (0.2 + 0.7 * rng()) * seconds * 1000;
    const child = spawn(process.execPath, childArgs(['run', killed, '--quiet']), { cwd: ROOT, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const timer = setTimeout(() => child.kill('SIGKILL'), delay);
    await exited;
    clearTimeout(timer);
    const status = (await readStudyStatus(killed)) ?? { jobs_done: 0, cells_done: 0 };
    kills.push({ after_s: delay / 1000, jobs_done: status.jobs_done, cells_done: status.cells_done });
    // All or nothing: every done job has all its cells, no other job has any.
    assert.equal(status.cells_done, status.jobs_done * CELLS_PER_JOB, JSON.stringify(kills));
  }
  assert.ok(kills.every((k, i) => i === 0 || k.jobs_done >= kills[i - 1].jobs_done), JSON.stringify(kills));
  t.diagnostic(`uninterrupted run ${seconds.toFixed(1)} s; kills: ${JSON.stringify(kills)}`);

  const status = editlab(['status', killed, '--json']);
  assert.equal(status.code, 0, status.stderr);
  const partial = JSON.parse(status.stdout);
  assert.deepEqual(Object.keys(partial), ['jobs_total', 'jobs_done', 'cells_done']);
  assert.equal(partial.jobs_done, kills[kills.length - 1].jobs_done);

  const resumed = editlab(['run', killed, '--json']);
  assert.equal(resumed.code, 0, resumed.stderr);
  const end = JSON.parse(resumed.stdout);
  assert.deepEqual([end.jobs_done, end.skipped, end.ran], [3, partial.jobs_done, 3 - partial.jobs_done]);

  const exports = [reference, killed].map((dir) => {
    const r = editlab(['export', dir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual([out.format, out.rows], ['csv', 3 * CELLS_PER_JOB]);
    return fs.readFileSync(out.file);
  });
  assert.ok(exports[0].equals(exports[1]), `the CSV of the resumed run differs (kills: ${JSON.stringify(kills)})`);
  assert.deepEqual(await storedTables(killed), await storedTables(reference));
});
