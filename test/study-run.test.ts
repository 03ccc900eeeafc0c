// A small study run in-process: its rows checked against an independent evaluation on tfjs,
// the stored edits against retraining (determinism) and the one-layer-interp method itself,
// resume, export, the notebook API, and bad input (changed spec, corrupt or foreign database)
// refused with nothing stored changed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tf, useBackend } from '../src/engine/backend';
import { resolveModel, predict, countParams } from '../src/models';
import { fashionMnistSet, sample, withImages, type ImageSet } from '../src/data/image-set';
import { applyShift } from '../src/shifts';
import { buildTask, edit, getEditMethod, protocolOptions, withoutOverlap } from '../src/edits';
import { clopperPearson } from '../src/metrics/accuracy';
import { parseCsv } from '../src/frames';
import {
  runStudy, openStudy, loadStudyEdit, readStudySpec, validateStudySpec, imageSetDigest, unpackCorrect, queryStudy, planStudy, openStudyStore, commitStudyJob,
  readStudyStatus, CELL_COLUMNS, STUDY_SPEC_FILE, type StudySpecInput, type JobRows, type StudyJob,
} from '../src/study';

const SPEC: StudySpecInput = {
  models: ['vgg-small'],
  tasks: [{ name: 'snow-background', exemplars: 16 }],
  methods: [{ name: 'local-ft', steps: 4 }, { name: 'one-layer-interp', steps: 4 }, { name: 'rewrite', steps: 5 }],
  layers: ['middle'],
  alphas: [0, 0.5, 1],
  sets: { clean: true, corruptions: ['gaussian_noise'], severities: [3], renditions: ['sketch'], task_splits: true },
  images: 64,
};
const LAYER = 'block2_conv2';

let work: string;
let dir: string;
let model: tf.LayersModel;
const tensorsAtJobEnd: number[] = [];
let tensorsBefore = 0;
let tensorsAfter = 0;

type Row = Record<string, unknown>;
const bytesOf = (t: tf.Tensor) => Buffer.from((t.dataSync() as Float32Array).buffer.slice(0));
const fileDigest = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

before(async () => {
  await useBackend('wasm');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-study-'));
  dir = path.join(work, 'study');
  tensorsBefore = tf.memory().numTensors;
  await runStudy(SPEC, { dir, onProgress: (e) => { if (e.event === 'finished') tensorsAtJobEnd.push(tf.memory().numTensors); } });
  tensorsAfter = tf.memory().numTensors;
  model = (await resolveModel('vgg-small')).model;
});

after(() => {
  model?.dispose();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The job's sets, built here independently of the study's code. */
function independentSets(): Record<string, { set: ImageSet; severity: number }> {
  const test = sample(fashionMnistSet('test'), 64, 0);
  const task = buildTask('snow-background', { exemplars: 16, testSize: 64, seed: 0 });
  return {
    clean: { set: test, severity: 0 },
    gaussian_noise: { set: withImages(test, applyShift('gaussian_noise', test.images, test, { severity: 3, seed: 0 })), severity: 3 },
    sketch: { set: withImages(test, applyShift('sketch', test.images, test, { seed: 0 })), severity: 0 },
    exemplars: { set: task.editSet, severity: 0 },
    ...Object.fromEntries(Object.entries(task.splits!).map(([name, set]) => [name, { set, severity: 0 }])),
  };
}

test('every job is stored: 3 jobs × 3 α × 8 sets, no tensors left behind', async () => {
  const study = await openStudy(dir);
  assert.deepEqual(await study.status(), { jobs_total: 3, jobs_done: 3, cells_done: 72 });
  assert.equal(tensorsAfter, tensorsBefore, 'the run disposes every model and edit');
  assert.ok(tensorsAtJobEnd.every((n) => n === tensorsAtJobEnd[0]), `tensors after each job: ${tensorsAtJobEnd.join(', ')}`);
  const jobs = await study.rows('jobs');
  assert.deepEqual(jobs.map((j) => [j.method, j.layer, j.layer_spec, j.state]), [
    ['local-ft', LAYER, 'middle', 'done'], ['rewrite', LAYER, 'middle', 'done'], ['one-layer-interp', LAYER, 'middle', 'done'],
  ]);
  assert.equal(jobs[2].reuses, jobs[0].job_id, '1-LI reused the local-ft edit');
});

test('cells agree with an independent tfjs evaluation of the stored edits, example by example', async () => {
  const sets = independentSets();
  const cells = await queryStudy(dir, 'SELECT c.*, k.bits FROM cells c JOIN correctness k USING (job_id, alpha, set, severity) ORDER BY job_id, alpha, set');
  const jobs = await queryStudy(dir, 'SELECT job_id, method FROM jobs');
  assert.equal(cells.length, 72);
  for (const { job_id: jobId, method } of jobs) {
    const stored = await loadStudyEdit(dir, String(jobId), model);
    for (const alpha of SPEC.alphas!) {
      const copy = await stored.at(alpha);
      for (const [name, { set, severity }] of Object.entries(sets)) {
        const row = cells.find((c) => c.job_id === jobId && c.alpha === alpha && c.set === name)!;
        assert.ok(row, `${method} α=${alpha} ${name}`);
        const predicted = predict(copy, set).predicted;
        const correct = Array.from(predicted, (p, i) => (p === set.labels[i] ? 1 : 0));
        const where = `${method} α=${alpha} ${name}`;
        assert.deepEqual([...unpackCorrect(row.bits as Uint8Array, set.n)], correct, where);
        const k = correct.reduce((a: number, b) => a + b, 0);
        assert.deepEqual([row.n, row.correct, row.accuracy, row.severity], [set.n, k, k / set.n, severity], where);
        assert.deepEqual([row.ci_lo, row.ci_hi], clopperPearson(k, set.n), where);
        assert.equal(row.family, { clean: 'clean', gaussian_noise: 'corruption', sketch: 'rendition' }[name] ?? 'task');
      }
      copy.dispose();
    }
    stored.dispose();
  }
  // α = 0 is the original model for every method.
  const atZero = (m: string) => cells.filter((c) => c.alpha === 0 && c.method === m).map((c) => [c.set, c.correct]);
  assert.deepEqual(atZero('rewrite'), atZero('local-ft'));
  // The sets table fingerprints exactly these images.
  const digests = await queryStudy(dir, 'SELECT set, n, sha256 FROM sets ORDER BY set');
  assert.deepEqual(digests.map((r) => [r.set, r.n, r.sha256]), Object.entries(sets).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, { set }]) => [name, set.n, imageSetDigest(set)]));
});

test('edits are deterministic: retraining gives the stored weights; 1-LI equals the one-layer-interp method', async () => {
  const task = buildTask('snow-background', { exemplars: 16, testSize: 64, seed: 0 });
  const jobs = await queryStudy(dir, 'SELECT j.job_id, j.method, e.changed_params, e.changed_fraction, e.info FROM jobs j JOIN edits e USING (job_id) ORDER BY position');
  const [local, rewrite, oneLayer] = await Promise.all(jobs.map((j) => loadStudyEdit(dir, String(j.job_id), model)));
  // The study trains each method with its registry protocol, the spec's steps replacing the protocol's.
  const settings = (method: string, steps: number) => ({ ...protocolOptions({ ...getEditMethod(method).protocol, steps }), layer: LAYER, seed: 0 });
  const retrained = await edit(model, task.editSet, 'local-ft', settings('local-ft', 4));
  assert.deepEqual(local.changes.map((c) => bytesOf(c.edited)), retrained.changes.map((c) => bytesOf(c.edited)));
  const rewritten = await edit(model, task.editSet, 'rewrite', settings('rewrite', 5));
  assert.deepEqual(rewrite.changes.map((c) => bytesOf(c.edited)), rewritten.changes.map((c) => bytesOf(c.edited)));
  // The registry's 1-LI, given the study's validation set (exemplars drawn with seed + 1, less any
  // image of the seed's own), trains the same local-ft edit and picks the same α.
  const validation = withoutOverlap(buildTask('snow-background', { exemplars: 16, testSize: 1, seed: 1 }).editSet, task.editSet);
  const reference = await edit(model, task.editSet, 'one-layer-interp', { ...settings('one-layer-interp', 4), validation });
  assert.equal(JSON.parse(String(jobs[2].info)).alpha, reference.info.alpha);
  assert.deepEqual(oneLayer.changes.map((c) => bytesOf(c.edited)), reference.changes.map((c) => bytesOf(c.edited)));
  // Changed parameters: the layer's 3·3·64·64 kernel (it has no bias: batch norm follows it).
  assert.deepEqual(jobs.map((j) => j.changed_params), [36864, 36864, 36864]);
  for (const j of jobs) assert.equal(j.changed_fraction, Number(j.changed_params) / countParams(model));
  tf.dispose([local, rewrite, oneLayer, retrained, rewritten, reference].flatMap((e) => e.changes.flatMap((c) => [c.original, c.edited])));
});

test('a finished study resumes to nothing; export is sorted, repeatable CSV, and the same rows as Parquet', async () => {
  const first = await openStudy(dir).then((s) => s.export());
  const csv = fs.readFileSync(first, 'utf8');
  const again = await runStudy(readStudySpec(dir), { dir });
  assert.deepEqual([again.ran, again.skipped, again.jobs_done, again.cells_done], [0, 3, 3, 72]);
  assert.equal(fs.readFileSync(await (await openStudy(dir)).export(), 'utf8'), csv);
  const rows = parseCsv(csv) as Row[];
  assert.deepEqual(Object.keys(rows[0]), [...CELL_COLUMNS]);
  assert.equal(rows.length, 72);
  const key = (r: Row) => CELL_COLUMNS.slice(0, 9).map((k) => r[k]);
  const sorted = [...rows].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    const i = x.findIndex((v, j) => v !== y[j]);
    return i < 0 ? 0 : (x[i]! < y[i]! ? -1 : 1);
  });
  assert.deepEqual(rows, sorted);
  const parquet = await (await openStudy(dir)).export({ format: 'parquet', out: path.join(work, 'cells.parquet') });
  const back = await queryStudy(dir, `SELECT * FROM read_parquet('${parquet}')`);
  assert.deepEqual(back.map((r) => CELL_COLUMNS.map((k) => String(r[k]))), rows.map((r) => CELL_COLUMNS.map((k) => String(r[k]))));
});

test('in a notebook: tables as Arquero, SQL, rows for Danfo; unknown tables and writes refused', async () => {
  const study = await openStudy(dir);
  const cells = await study.table('cells');
  assert.equal(cells.numRows(), 72);
  assert.deepEqual(cells.columnNames(), ['job_id', ...CELL_COLUMNS]);
  const best = (await study.sql("SELECT method, max(accuracy) AS best FROM cells WHERE set = 'target, snow' GROUP BY method ORDER BY method")).objects();
  assert.deepEqual(best.map((r) => (r as Row).method), ['local-ft', 'one-layer-interp', 'rewrite']);
  await assert.rejects(study.table('results'), /no table "results"; the tables are study_meta, jobs, edits, edit_weights, sets, cells, correctness/);
  await assert.rejects(study.sql('DELETE FROM cells'), /read-only/);
  assert.equal((await study.status()).cells_done, 72);
});

test('bad input is refused with a clear message and nothing stored changes', async () => {
  const database = path.join(dir, 'study.duckdb');
  const digest = fileDigest(database);
  // A different spec given for the folder: study.json is not replaced.
  await assert.rejects(runStudy({ ...SPEC, alphas: [0, 1] }, { dir }), /study\.json holds another spec; refusing to replace it\. Differing fields:\n {2}alphas: \[0,0\.5,1\] in the study, \[0,1\] given/);
  // study.json edited after the run: the database's spec decides.
  const copy = path.join(work, 'edited');
  fs.cpSync(dir, copy, { recursive: true });
  const edited = { ...validateStudySpec(SPEC), seeds: [0, 1] };
  fs.writeFileSync(path.join(copy, STUDY_SPEC_FILE), JSON.stringify(edited));
  await assert.rejects(runStudy(readStudySpec(copy), { dir: copy }), /the spec differs from the one this study was run with .*\n {2}seeds: \[0\] in the study, \[0,1\] given/);
  assert.equal(fileDigest(path.join(copy, 'study.duckdb')), digest);
  // A corrupt database and a DuckDB database of something else.
  const corrupt = path.join(work, 'corrupt');
  fs.cpSync(dir, corrupt, { recursive: true });
  fs.writeFileSync(path.join(corrupt, 'study.duckdb'), Buffer.alloc(50_000, 7));
  const junk = fileDigest(path.join(corrupt, 'study.duckdb'));
  await assert.rejects(runStudy(SPEC, { dir: corrupt }), /study\.duckdb cannot be opened as a DuckDB database \(.*not a valid DuckDB database.*\); it was left as it is/);
  await assert.rejects((await openStudy(corrupt)).status(), /cannot be opened as a DuckDB database/);
  assert.equal(fileDigest(path.join(corrupt, 'study.duckdb')), junk);
  const foreign = path.join(work, 'foreign');
  fs.cpSync(dir, foreign, { recursive: true });
  fs.rmSync(path.join(foreign, 'study.duckdb'));
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const other = await DuckDBInstance.create(path.join(foreign, 'study.duckdb'));
  const connection = await other.connect();
  await connection.run('CREATE TABLE measurements (x INTEGER)');
  connection.closeSync();
  other.closeSync();
  const foreignDigest = fileDigest(path.join(foreign, 'study.duckdb'));
  await assert.rejects(runStudy(SPEC, { dir: foreign }), /is a DuckDB database but not an editlab study \(it has no study_meta table; its tables: measurements\); it was left as it is/);
  assert.equal(fileDigest(path.join(foreign, 'study.duckdb')), foreignDigest);
  // Bad options.
  await assert.rejects(runStudy(SPEC, { dir, threads: 0 }), /threads must be a positive integer, got 0/);
  await assert.rejects(runStudy(SPEC, {} as never), /runStudy needs options\.dir/);
  assert.equal(fileDigest(database), digest, 'the original study is untouched');
});

test('a changed plan: pending jobs are re-planned, a finished job that changed is refused with nothing changed', async () => {
  const plan = await planStudy(validateStudySpec(SPEC));
  const withId = (k: number, id: string) => ({ ...plan, jobs: plan.jobs.map((j, i) => (i === k ? { ...j, id } : j)) });
  // Every job of `dir` is done: a changed one is refused, and the database is left as it was.
  const database = path.join(dir, 'study.duckdb');
  const digest = fileDigest(database);
  await assert.rejects(openStudyStore(dir, withId(1, 'f'.repeat(64))), /1 of the study's finished jobs have other ids now \(first: rewrite on vgg-small block2_conv2.*\): a model's weights or how the jobs are planned changed since the study ran\. Its results were left as they are/);
  assert.equal(fileDigest(database), digest);
  // A study with nothing run yet: the job with another id is re-planned in place, the others kept.
  const fresh = path.join(work, 'replanned');
  await openStudyStore(fresh, plan);
  assert.deepEqual(await openStudyStore(fresh, withId(1, 'e'.repeat(64))), new Set());
  const jobs = await queryStudy(fresh, 'SELECT position, job_id, state FROM jobs ORDER BY position');
  assert.deepEqual(jobs.map((j) => [j.position, j.job_id, j.state]), plan.jobs.map((j, i) => [i, i === 1 ? 'e'.repeat(64) : j.id, 'pending']));
});

test("a job's rows appear all or nothing: a failing write leaves no trace, a done job is not written twice", async () => {
  const store = path.join(work, 'atomic');
  const plan = await planStudy(validateStudySpec({ ...SPEC, methods: [{ name: 'local-ft', steps: 4 }, { name: 'rewrite', steps: 5 }] }));
  assert.deepEqual(await openStudyStore(store, plan), new Set());
  const rowsOf = (job: StudyJob, sha256: string, alphas: number[]): JobRows => ({
    edit: { layers: LAYER, changed_params: 4, changed_fraction: 0.5, seconds: 1, protocol: {}, info: {} },
    weights: [{ weight_index: 3, layer: LAYER, shape: [2, 2], edited: Float32Array.of(1, 2, 3, 4) }],
    sets: [{ set: 'clean', family: 'clean', severity: 0, n: 8, sha256 }],
    cells: alphas.map((alpha) => ({ model: job.model, task: job.task.name, method: job.method.name, layer: LAYER, seed: 0, alpha, set: 'clean', family: 'clean', severity: 0, accuracy: 0.5, n: 8, correct: 4, ci_lo: 0.1, ci_hi: 0.9 })),
    bits: alphas.map(() => Uint8Array.of(0b1111)),
    seconds: 1, sets_seconds: 0, backend: 'wasm', engine: 'onnx',
  });
  const [first, second] = plan.jobs;
  const nothing = async () => (await queryStudy(store, `SELECT (SELECT count(*) FROM edits)::INTEGER e, (SELECT count(*) FROM edit_weights)::INTEGER w, (SELECT count(*) FROM sets)::INTEGER s,
    (SELECT count(*) FROM cells)::INTEGER c, (SELECT count(*) FROM correctness)::INTEGER k, (SELECT count(*) FROM jobs WHERE state = 'done')::INTEGER d`))[0];
  // The second cell repeats the first's key: the write fails after the edit, weights and sets rows went in, and none of them stays.
  await assert.rejects(commitStudyJob(store, first, rowsOf(first, 'a', [0, 0])), /Constraint Error|Duplicate key/i);
  assert.deepEqual(await nothing(), { e: 0, w: 0, s: 0, c: 0, k: 0, d: 0 });
  assert.equal(await commitStudyJob(store, first, rowsOf(first, 'a', [0, 1])), true);
  assert.equal(await commitStudyJob(store, first, rowsOf(first, 'a', [0, 1])), false, 'already done');
  // Another job that saw other images under the same set name is refused whole.
  await assert.rejects(commitStudyJob(store, second, rowsOf(second, 'b', [0, 1])), /the images of set "clean" \(severity 0, task snow-background, seed 0\) differ from those earlier jobs saw/);
  assert.deepEqual(await nothing(), { e: 1, w: 1, s: 1, c: 2, k: 2, d: 1 });
  assert.deepEqual(await readStudyStatus(store), { jobs_total: 2, jobs_done: 1, cells_done: 2 });
  const stored = await loadStudyEdit(store, first.id, model);
  assert.deepEqual([stored.changes[0].index, [...stored.changes[0].edited.dataSync()], stored.changes[0].edited.shape], [3, [1, 2, 3, 4], [2, 2]]);
  stored.dispose();
});
