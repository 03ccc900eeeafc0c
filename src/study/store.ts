/**
 * The study's results database: one DuckDB file, DIR/study.duckdb. A job's rows (its edit, the
 * edit's weights, its cells and their per-example correctness) are written in one transaction,
 * so they appear all or nothing; DuckDB's write-ahead log makes a committed job survive
 * `kill -9`. The database is opened only while it is read or written, so `study status` and a
 * notebook can read it while `study run` works between commits. A file that is not DuckDB, or a
 * DuckDB database that is not an editlab study, is refused and left untouched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { tf } from '../engine/backend';
import { Edit, type WeightChange } from '../edits/edit';
import { STUDY_CODE_VERSION, STUDY_FORMAT_VERSION, canonicalJson, type StudyJob, type StudyPlan } from './jobs';
import { formatSpecDifferences, specDifferences, type StudySpec } from './spec';
import type { StudySetFamily } from './sets';

/** The database's file name in a study folder. */
export const STUDY_DATABASE = 'study.duckdb';

/** The marker in `study_meta` that says a database is an editlab study. */
const FORMAT_MARKER = 'editlab-study';

/**
 * The tables, as DDL. Column names are those of every other output (snake_case, fractions in
 * [0, 1], intervals as ci_lo/ci_hi); `cells` holds exactly the exported columns plus job_id.
 */
const SCHEMA: Record<string, string> = {
  study_meta: 'key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL',
  jobs: `job_id VARCHAR PRIMARY KEY, position INTEGER NOT NULL, model VARCHAR NOT NULL, model_sha256 VARCHAR NOT NULL,
    task VARCHAR NOT NULL, method VARCHAR NOT NULL, layer VARCHAR NOT NULL, layer_spec VARCHAR NOT NULL, seed BIGINT NOT NULL,
    protocol VARCHAR NOT NULL, reuses VARCHAR, state VARCHAR NOT NULL, seconds DOUBLE, sets_seconds DOUBLE, backend VARCHAR, engine VARCHAR, finished_at TIMESTAMP`,
  edits: `job_id VARCHAR PRIMARY KEY, model VARCHAR NOT NULL, task VARCHAR NOT NULL, method VARCHAR NOT NULL, layer VARCHAR NOT NULL, seed BIGINT NOT NULL,
    layers VARCHAR NOT NULL, changed_params BIGINT NOT NULL, changed_fraction DOUBLE NOT NULL, seconds DOUBLE NOT NULL, protocol VARCHAR NOT NULL, info VARCHAR NOT NULL`,
  edit_weights: 'job_id VARCHAR NOT NULL, weight_index INTEGER NOT NULL, layer VARCHAR NOT NULL, shape VARCHAR NOT NULL, edited BLOB NOT NULL, PRIMARY KEY (job_id, weight_index)',
  sets: `task VARCHAR NOT NULL, seed BIGINT NOT NULL, set VARCHAR NOT NULL, family VARCHAR NOT NULL, severity INTEGER NOT NULL, n INTEGER NOT NULL,
    sha256 VARCHAR NOT NULL, PRIMARY KEY (task, seed, set, severity)`,
  cells: `job_id VARCHAR NOT NULL, model VARCHAR NOT NULL, task VARCHAR NOT NULL, method VARCHAR NOT NULL, layer VARCHAR NOT NULL, seed BIGINT NOT NULL,
    alpha DOUBLE NOT NULL, set VARCHAR NOT NULL, family VARCHAR NOT NULL, severity INTEGER NOT NULL, accuracy DOUBLE NOT NULL, n INTEGER NOT NULL,
    correct INTEGER NOT NULL, ci_lo DOUBLE NOT NULL, ci_hi DOUBLE NOT NULL, PRIMARY KEY (job_id, alpha, set, severity)`,
  correctness: 'job_id VARCHAR NOT NULL, alpha DOUBLE NOT NULL, set VARCHAR NOT NULL, severity INTEGER NOT NULL, n INTEGER NOT NULL, bits BLOB NOT NULL, PRIMARY KEY (job_id, alpha, set, severity)',
};

/** The tables of a study database. */
export const STUDY_TABLES = Object.keys(SCHEMA);

/** The columns `study export` writes, in order; rows are sorted by the first nine. */
export const CELL_COLUMNS = ['model', 'task', 'method', 'layer', 'seed', 'alpha', 'set', 'family', 'severity', 'accuracy', 'n', 'correct', 'ci_lo', 'ci_hi'] as const;
const CELL_KEYS = CELL_COLUMNS.slice(0, 9);

/** The columns of `cells` that name an edited model: one job at one α. */
export interface CellKey {
  model: string;
  task: string;
  method: string;
  layer: string;
  seed: number;
  alpha: number;
}

/**
 * An edited model in the statistics' tables: its cells' keys and `depth`, the spec's `layers`
 * entry its job was planned for (`early`, `middle`, `late`, a layer name as written, or `all`).
 * Tables pooled over models group by depth: one model's `conv4` and another's `blocks.1` are both
 * `middle`.
 */
export interface EditedModelKey extends CellKey {
  depth: string;
}

/**
 * The cells with each job's `depth` (the spec's layer entry, from `jobs.layer_spec`), as a
 * subquery to select FROM.
 */
export const CELLS_WITH_DEPTH = '(SELECT cells.*, jobs.layer_spec AS depth FROM cells JOIN jobs USING (job_id))';

/** One row of `cells`. */
export interface StudyCell extends CellKey {
  set: string;
  family: StudySetFamily;
  severity: number;
  accuracy: number;
  n: number;
  correct: number;
  ci_lo: number;
  ci_hi: number;
}

/** Everything one finished job writes, in one transaction. */
export interface JobRows {
  edit: { layers: string; changed_params: number; changed_fraction: number; seconds: number; protocol: Record<string, unknown>; info: Record<string, unknown> };
  /** The edited values of every changed weight (the originals are the model's). */
  weights: Array<{ weight_index: number; layer: string; shape: number[]; edited: Float32Array }>;
  sets: Array<{ set: string; family: StudySetFamily; severity: number; n: number; sha256: string }>;
  cells: StudyCell[];
  /** Per cell (same order as `cells`): the correctness bitset (see `packCorrect`). */
  bits: Uint8Array[];
  /** The whole job's seconds. */
  seconds: number;
  /** Of them, making the evaluation sets (corrupting, rendering; the edit's own are `edit.seconds`). */
  sets_seconds: number;
  backend: string;
  engine: string;
}

/** What `study status` reports. */
export interface StudyStatus {
  jobs_total: number;
  jobs_done: number;
  cells_done: number;
}

/** The database file of a study folder. */
export function studyDatabasePath(dir: string): string {
  return path.join(path.resolve(dir), STUDY_DATABASE);
}

type DuckDB = typeof import('@duckdb/node-api');
let duckdbModule: DuckDB | undefined;
function duckdb(): DuckDB {
  // Loaded on first use: importing editlab should not load DuckDB's native library.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  duckdbModule ??= require('@duckdb/node-api') as DuckDB;
  return duckdbModule;
}

const isLockError = (e: unknown) => /Could not set lock|Conflicting lock/i.test((e as Error).message);

/**
 * Opens the database, runs `fn` on a connection, and closes it. A lock held by another process
 * (a running study writing a job) is waited for up to `waitMs`.
 */
async function withDatabase<T>(file: string, mode: 'read' | 'write', fn: (c: DuckDBConnection) => Promise<T>, waitMs = 60_000): Promise<T> {
  const { DuckDBInstance } = duckdb();
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    let instance;
    try {
      instance = await DuckDBInstance.create(file, { access_mode: mode === 'read' ? 'READ_ONLY' : 'READ_WRITE', autoinstall_known_extensions: 'false', threads: '2' });
    } catch (e) {
      if (isLockError(e) && Date.now() - started < waitMs) {
        await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
        continue;
      }
      const why = (e as Error).message.split('\n')[0];
      if (isLockError(e)) throw new Error(`editlab study: ${file} is in use by another process (a running \`editlab study run\`?): ${why}`);
      throw new Error(`editlab study: ${file} cannot be opened as a DuckDB database (${why}); it was left as it is. Move it away to start the study afresh.`);
    }
    const connection = await instance.connect();
    try {
      return await fn(connection);
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }
}

async function rows(c: DuckDBConnection, sql: string, values?: DuckDBValue[]): Promise<Record<string, unknown>[]> {
  return (await c.runAndReadAll(sql, values)).getRowObjectsJS() as Record<string, unknown>[];
}

/** Reads `study_meta`, refusing a database that is not an editlab study of this format. */
async function readMeta(c: DuckDBConnection, file: string): Promise<Record<string, string>> {
  const tables = (await rows(c, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")).map((r) => r.table_name);
  const foreign = `editlab study: ${file} is a DuckDB database but not an editlab study`;
  if (!tables.includes('study_meta')) throw new Error(`${foreign} (it has no study_meta table${tables.length ? `; its tables: ${tables.join(', ')}` : ''}); it was left as it is.`);
  const meta = Object.fromEntries((await rows(c, 'SELECT key, value FROM study_meta')).map((r) => [String(r.key), String(r.value)]));
  if (meta.format !== FORMAT_MARKER) throw new Error(`${foreign} (study_meta.format is ${JSON.stringify(meta.format ?? null)}, not "${FORMAT_MARKER}"); it was left as it is.`);
  if (meta.format_version !== String(STUDY_FORMAT_VERSION)) {
    throw new Error(`editlab study: ${file} is a study of format ${meta.format_version} (written by ${meta.code_version}); this editlab reads format ${STUDY_FORMAT_VERSION}. It was left as it is.`);
  }
  const missing = STUDY_TABLES.filter((t) => !tables.includes(t));
  if (missing.length) throw new Error(`editlab study: ${file} lacks the tables ${missing.join(', ')}; it is damaged and was left as it is.`);
  return meta;
}

/** Inserts rows with parameterised multi-row INSERTs (chunks keep the statement small). */
async function insertRows(c: DuckDBConnection, table: string, columns: readonly string[], values: DuckDBValue[][]): Promise<void> {
  const chunk = Math.max(1, Math.floor(2000 / columns.length));
  for (let start = 0; start < values.length; start += chunk) {
    const part = values.slice(start, start + chunk);
    const placeholders = part.map((_, r) => `(${columns.map((__, k) => `$${r * columns.length + k + 1}`).join(', ')})`).join(', ');
    await c.run(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${placeholders}`, part.flat());
  }
}

/** Runs `fn` in a transaction: all of its writes are committed, or (on any error) none. */
async function transaction<T>(c: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await c.run('BEGIN TRANSACTION');
  try {
    const result = await fn();
    await c.run('COMMIT');
    return result;
  } catch (e) {
    await c.run('ROLLBACK');
    throw e;
  }
}

const JOB_COLUMNS = ['job_id', 'position', 'model', 'model_sha256', 'task', 'method', 'layer', 'layer_spec', 'seed', 'protocol', 'reuses', 'state'];

function jobProtocol(job: StudyJob): Record<string, unknown> {
  return { task: job.task, method: job.method, layer: job.layer, seed: job.seed };
}

/**
 * Creates a new study database: the schema, then `fill` (the spec and the plan), written under a
 * temporary name and renamed into place, so a database either exists complete or not at all.
 */
async function createDatabase(file: string, fill: (c: DuckDBConnection) => Promise<void>): Promise<void> {
  const fresh = `${file}.new`;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (const leftover of [fresh, `${fresh}.wal`]) fs.rmSync(leftover, { force: true }); // from a run killed while creating
  await withDatabase(fresh, 'write', (c) => transaction(c, async () => {
    for (const [table, columns] of Object.entries(SCHEMA)) await c.run(`CREATE TABLE ${table} (${columns})`);
    await fill(c);
  }).then(() => c.run('CHECKPOINT')));
  // Everything is in the main file now; a log left beside a missing database belongs to nothing.
  if (fs.existsSync(`${fresh}.wal`)) throw new Error(`editlab study: creating ${file} left a write-ahead log behind; nothing was stored.`);
  fs.rmSync(`${file}.wal`, { force: true });
  fs.renameSync(fresh, file);
}

/** Fills a new database with a plan: the spec in study_meta and every job, pending. */
function planFiller(plan: StudyPlan): (c: DuckDBConnection) => Promise<void> {
  return async (c) => {
    const meta = { format: FORMAT_MARKER, format_version: String(STUDY_FORMAT_VERSION), code_version: STUDY_CODE_VERSION, spec: canonicalJson(plan.spec) };
    await insertRows(c, 'study_meta', ['key', 'value'], Object.entries(meta));
    await insertRows(c, 'jobs', JOB_COLUMNS, plan.jobs.map(pendingJobRow));
  };
}

/** A planned job as a row of the jobs table, not yet run. */
function pendingJobRow(j: StudyJob): DuckDBValue[] {
  return [j.id, j.position, j.model, j.model_sha256, j.task.name, j.method.name, j.layer, j.layer_spec, j.seed, canonicalJson(jobProtocol(j)), j.reuses, 'pending'];
}

/**
 * Opens a study's database for a run: creates it with the plan when absent; otherwise checks
 * that it is an editlab study, that its spec is `plan.spec` (else refuses, listing the
 * differing fields) and that every finished job is still the plan's (else the models' weights,
 * editlab's version or the planning changed: refused, nothing stored changed). Jobs not yet run
 * whose plan changed (e.g. a newer editlab caps a rank the layer cannot take) are re-planned.
 * @returns the ids of the jobs already done
 */
export async function openStudyStore(dir: string, plan: StudyPlan): Promise<Set<string>> {
  const file = studyDatabasePath(dir);
  if (!fs.existsSync(file)) await createDatabase(file, planFiller(plan));
  const { done, replan } = await checkStoredPlan(file, plan);
  if (replan.length) {
    await withDatabase(file, 'write', (c) => transaction(c, async () => {
      for (const job of replan) await c.run("DELETE FROM jobs WHERE position = $1 AND state = 'pending'", [job.position]);
      await insertRows(c, 'jobs', JOB_COLUMNS, replan.map(pendingJobRow));
    }));
  }
  return done;
}

/** The finished jobs of a stored study, and the pending jobs whose plan changed; refuses a changed spec or finished job. */
async function checkStoredPlan(file: string, plan: StudyPlan): Promise<{ done: Set<string>; replan: StudyJob[] }> {
  return withDatabase(file, 'read', async (c) => {
    const meta = await readMeta(c, file);
    const differences = specDifferences(JSON.parse(meta.spec), JSON.parse(canonicalJson(plan.spec)));
    if (differences.length) {
      throw new Error(`editlab study: the spec differs from the one this study was run with (${file}); refusing to mix their results. Differing fields:\n${formatSpecDifferences(differences)}\nRestore the spec, or start the new spec in another folder.`);
    }
    const stored = await rows(c, 'SELECT job_id, model, task, method, layer, seed, state FROM jobs ORDER BY position');
    const changed = plan.jobs.filter((j, i) => stored[i]?.job_id !== j.id);
    const changedDone = changed.filter((j) => stored[j.position]?.state === 'done');
    if (changedDone.length || stored.length !== plan.jobs.length) {
      const first = changedDone[0];
      const which = first ? ` (first: ${first.method.name} on ${first.model} ${first.layer}, task ${first.task.name}, seed ${first.seed})` : '';
      const why = meta.code_version === STUDY_CODE_VERSION ? "a model's weights or how the jobs are planned" : `a model's weights or the editlab version (${meta.code_version} → ${STUDY_CODE_VERSION})`;
      const count = stored.length !== plan.jobs.length ? `the study has ${stored.length} jobs and the plan ${plan.jobs.length}` : `${changedDone.length} of the study's finished jobs have other ids now${which}`;
      throw new Error(`editlab study: ${count}: ${why} changed since the study ran. Its results were left as they are; run the spec in a new folder.`);
    }
    return { done: new Set(stored.filter((r) => r.state === 'done').map((r) => String(r.job_id))), replan: changed };
  });
}

/**
 * Writes a finished job in one transaction: its edit and weights, its sets (checked against
 * the same sets of earlier jobs: the images must not differ), its cells and their bitsets, and
 * marks it done. A job already done is left as it is.
 * @returns whether the job was written
 */
export async function commitStudyJob(dir: string, job: StudyJob, result: JobRows): Promise<boolean> {
  return withDatabase(studyDatabasePath(dir), 'write', (c) => transaction(c, async () => {
    const [state] = await rows(c, 'SELECT state FROM jobs WHERE job_id = $1', [job.id]);
    if (!state) throw new Error(`editlab study: job ${job.id} is not in the study's plan.`);
    if (state.state === 'done') return false;
    const { blobValue } = duckdb();
    const e = result.edit;
    await insertRows(c, 'edits', ['job_id', 'model', 'task', 'method', 'layer', 'seed', 'layers', 'changed_params', 'changed_fraction', 'seconds', 'protocol', 'info'], [[
      job.id, job.model, job.task.name, job.method.name, job.layer, job.seed, e.layers, e.changed_params, e.changed_fraction, e.seconds, canonicalJson(e.protocol), canonicalJson(e.info),
    ]]);
    await insertRows(c, 'edit_weights', ['job_id', 'weight_index', 'layer', 'shape', 'edited'], result.weights.map((w) => [
      job.id, w.weight_index, w.layer, JSON.stringify(w.shape), blobValue(new Uint8Array(w.edited.buffer, w.edited.byteOffset, w.edited.byteLength)),
    ]));
    const known = new Map((await rows(c, 'SELECT set, severity, sha256 FROM sets WHERE task = $1 AND seed = $2', [job.task.name, job.seed])).map((r) => [`${r.set}\u0000${r.severity}`, String(r.sha256)]));
    for (const s of result.sets) {
      const before = known.get(`${s.set}\u0000${s.severity}`);
      if (before !== undefined && before !== s.sha256) throw new Error(`editlab study: the images of set "${s.set}" (severity ${s.severity}, task ${job.task.name}, seed ${job.seed}) differ from those earlier jobs saw; the study's sets are not deterministic here. Nothing of job ${job.id} was stored.`);
    }
    await insertRows(c, 'sets', ['task', 'seed', 'set', 'family', 'severity', 'n', 'sha256'], result.sets.filter((s) => !known.has(`${s.set}\u0000${s.severity}`)).map((s) => [job.task.name, job.seed, s.set, s.family, s.severity, s.n, s.sha256]));
    await insertRows(c, 'cells', ['job_id', ...CELL_COLUMNS], result.cells.map((r) => [job.id, ...CELL_COLUMNS.map((k) => r[k])]));
    await insertRows(c, 'correctness', ['job_id', 'alpha', 'set', 'severity', 'n', 'bits'], result.cells.map((r, i) => [job.id, r.alpha, r.set, r.severity, r.n, blobValue(result.bits[i])]));
    await c.run("UPDATE jobs SET state = 'done', seconds = $1, sets_seconds = $2, backend = $3, engine = $4, finished_at = now() WHERE job_id = $5", [result.seconds, result.sets_seconds ?? null, result.backend, result.engine, job.id]);
    return true;
  }));
}

/** A stored edit as plain data: what a worker needs to rebuild it on its own copy of the model. */
export interface StoredEdit {
  job_id: string;
  method: string;
  info: Record<string, unknown>;
  weights: JobRows['weights'];
}

/** A finished job's edit as stored (its edited weights bit for bit), without a model. */
export async function readStudyEdit(dir: string, jobId: string): Promise<StoredEdit> {
  return withDatabase(studyDatabasePath(dir), 'read', async (c) => {
    const [edit] = await rows(c, 'SELECT method, info FROM edits WHERE job_id = $1', [jobId]);
    if (!edit) throw new Error(`editlab study: job ${jobId} has no stored edit (it has not run yet).`);
    const weights = await rows(c, 'SELECT weight_index, layer, shape, edited FROM edit_weights WHERE job_id = $1 ORDER BY weight_index', [jobId]);
    return {
      job_id: jobId, method: String(edit.method), info: JSON.parse(String(edit.info)) as Record<string, unknown>,
      weights: weights.map((w) => {
        const bytes = w.edited as Uint8Array;
        const edited = new Float32Array(bytes.byteLength / 4);
        new Uint8Array(edited.buffer).set(bytes);
        return { weight_index: Number(w.weight_index), layer: String(w.layer), shape: JSON.parse(String(w.shape)) as number[], edited };
      }),
    };
  });
}

/** A stored edit rebuilt on its model: the originals are the model's weights, the edited values the stored ones. */
export function editFromStored(stored: StoredEdit, model: tf.LayersModel): Edit {
  const changes: WeightChange[] = stored.weights.map((w) => ({
    layer: w.layer, index: w.weight_index, original: model.weights[w.weight_index].read().clone(), edited: tf.tensor(w.edited, w.shape),
  }));
  return new Edit(stored.method, model, changes, { ...stored.info });
}

/**
 * A stored edit, rebuilt on its model: the originals are the model's weights, the edited
 * values come from `edit_weights` (bit for bit what the job trained).
 */
export async function loadStudyEdit(dir: string, jobId: string, model: tf.LayersModel): Promise<Edit> {
  return editFromStored(await readStudyEdit(dir, jobId), model);
}

/** Counts of a study's jobs and cells, or undefined when it has no database yet. */
export async function readStudyStatus(dir: string): Promise<StudyStatus | undefined> {
  const file = studyDatabasePath(dir);
  if (!fs.existsSync(file)) return undefined;
  return withDatabase(file, 'read', async (c) => {
    await readMeta(c, file);
    const [r] = await rows(c, "SELECT (SELECT count(*) FROM jobs)::INTEGER AS jobs_total, (SELECT count(*) FROM jobs WHERE state = 'done')::INTEGER AS jobs_done, (SELECT count(*) FROM cells)::INTEGER AS cells_done");
    return { jobs_total: Number(r.jobs_total), jobs_done: Number(r.jobs_done), cells_done: Number(r.cells_done) };
  });
}

/** The spec stored in a study's database. */
export async function readStoredSpec(dir: string): Promise<StudySpec | undefined> {
  const file = studyDatabasePath(dir);
  if (!fs.existsSync(file)) return undefined;
  return withDatabase(file, 'read', async (c) => JSON.parse((await readMeta(c, file)).spec) as StudySpec);
}

/** Converts DuckDB values for tables and JSON: BIGINT → number (when exact), BLOB → Uint8Array, timestamps → ISO text. */
function plain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

/**
 * Runs read-only SQL on a study's database (writes are refused by DuckDB).
 * @returns the result as plain rows
 */
export async function queryStudy(dir: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const file = studyDatabasePath(dir);
  if (!fs.existsSync(file)) throw new Error(`editlab study: ${path.resolve(dir)} has no ${STUDY_DATABASE} yet; run the study first (editlab study run ${dir}).`);
  return withDatabase(file, 'read', async (c) => {
    await readMeta(c, file);
    return (await rows(c, sql)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])));
  });
}

/** The rows of one table of a study. */
export async function studyTableRows(dir: string, table: string): Promise<Array<Record<string, unknown>>> {
  if (!STUDY_TABLES.includes(table)) throw new Error(`editlab study: no table "${table}"; the tables are ${STUDY_TABLES.join(', ')}.`);
  const order: Record<string, string> = { cells: CELL_KEYS.join(', '), jobs: 'position', study_meta: 'key' };
  return queryStudy(dir, `SELECT * FROM ${table}${order[table] ? ` ORDER BY ${order[table]}` : ''}`);
}

/** Formats of `study export`. */
export type StudyExportFormat = 'csv' | 'parquet';

/**
 * Writes the cells table (columns {@link CELL_COLUMNS}, sorted by model, task, method, layer,
 * seed, alpha, set, family, severity) as CSV or Parquet, through a temporary file and a
 * rename. Two runs of one spec export byte-identical CSV.
 * @returns the file written
 */
export async function exportStudyCells(dir: string, options: { format?: StudyExportFormat; out?: string } = {}): Promise<string> {
  const format = options.format ?? 'csv';
  if (format !== 'csv' && format !== 'parquet') throw new Error(`editlab study: format must be csv or parquet, got "${String(format)}".`);
  const out = path.resolve(options.out ?? path.join(dir, `cells.${format}`));
  const file = studyDatabasePath(dir);
  if (!fs.existsSync(file)) throw new Error(`editlab study: ${path.resolve(dir)} has no ${STUDY_DATABASE} yet; run the study first (editlab study run ${dir}).`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp`;
  await withDatabase(file, 'read', async (c) => {
    await readMeta(c, file);
    const options_ = format === 'csv' ? 'FORMAT csv, HEADER true' : 'FORMAT parquet';
    await c.run(`COPY (SELECT ${CELL_COLUMNS.join(', ')} FROM cells ORDER BY ${CELL_KEYS.join(', ')}) TO '${tmp.replace(/'/g, "''")}' (${options_})`);
  });
  fs.renameSync(tmp, out);
  return out;
}

/** What {@link mergeStudyDatabases} did. */
export interface MergeResult {
  /** The merged database. */
  out: string;
  /** Per input folder: jobs taken from it (done there, not yet in the output). */
  merged: Array<{ dir: string; jobs: number }>;
  status: StudyStatus;
}

/** Tables whose rows belong to one job (copied with it). */
const JOB_TABLES = ['edits', 'edit_weights', 'cells', 'correctness'];

/**
 * Merges the databases of study folders run as shards (or on other machines) into OUT's: every
 * input must be a study of the same spec and plan (else refused, naming the folder and the
 * differing fields, with nothing written). OUT's database is created like the inputs' when
 * absent; each input's done jobs that OUT lacks are copied with their edits, weights, cells and
 * bitsets in one transaction per input (sets checked to hold the same images). Merging again, or
 * merging a folder twice, adds nothing.
 * @returns the output database, jobs merged per input, and the merged status
 */
export async function mergeStudyDatabases(outDir: string, dirs: string[]): Promise<MergeResult> {
  if (!dirs.length) throw new Error('editlab study merge: name at least one study folder to merge.');
  const out = studyDatabasePath(outDir);
  const inputs = dirs.map((d) => studyDatabasePath(d));
  for (const [i, f] of inputs.entries()) if (!fs.existsSync(f)) throw new Error(`editlab study merge: ${path.resolve(dirs[i])} has no ${STUDY_DATABASE}; run (a shard of) the study there first.`);
  if (inputs.includes(out)) throw new Error(`editlab study merge: the output ${path.resolve(outDir)} is also an input; merge into another folder.`);
  // Every input (and an existing output) must be the same study: same spec, same jobs.
  const describe = (file: string) => withDatabase(file, 'read', async (c) => ({
    spec: JSON.parse((await readMeta(c, file)).spec) as StudySpec,
    jobs: (await rows(c, 'SELECT job_id FROM jobs ORDER BY position')).map((r) => String(r.job_id)),
  }));
  const first = await describe(inputs[0]);
  for (const file of [...inputs.slice(1), ...(fs.existsSync(out) ? [out] : [])]) {
    const other = await describe(file);
    const differences = specDifferences(first.spec, other.spec);
    const which = file === out ? `the output ${path.dirname(out)}` : path.dirname(file);
    if (differences.length) throw new Error(`editlab study merge: ${which} is a study of another spec than ${path.dirname(inputs[0])}; refusing to merge. Differing fields:\n${formatSpecDifferences(differences)}`);
    if (other.jobs.join() !== first.jobs.join()) throw new Error(`editlab study merge: ${which} planned other jobs than ${path.dirname(inputs[0])} (a model's weights or the editlab version differ); refusing to merge.`);
  }
  if (!fs.existsSync(out)) {
    await createDatabase(out, async (c) => {
      await c.run(`ATTACH '${inputs[0].replace(/'/g, "''")}' AS source (READ_ONLY)`);
      await c.run('INSERT INTO study_meta SELECT * FROM source.study_meta');
      await c.run(`INSERT INTO jobs (${JOB_COLUMNS.join(', ')}) SELECT ${JOB_COLUMNS.filter((k) => k !== 'state').join(', ')}, 'pending' FROM source.jobs`);
      // Detached when the connection closes (DuckDB refuses DETACH inside the transaction).
    });
  }
  const merged: MergeResult['merged'] = [];
  for (const [i, file] of inputs.entries()) {
    const jobs = await withDatabase(out, 'write', async (c) => {
      await c.run(`ATTACH '${file.replace(/'/g, "''")}' AS source (READ_ONLY)`);
      try {
        return await transaction(c, async () => {
          const taken = (await rows(c, "SELECT s.job_id FROM source.jobs s JOIN jobs o USING (job_id) WHERE s.state = 'done' AND o.state <> 'done'")).map((r) => String(r.job_id));
          if (!taken.length) return 0;
          await c.run('CREATE TEMP TABLE taken (job_id VARCHAR)');
          await insertRows(c, 'taken', ['job_id'], taken.map((id) => [id]));
          const clash = await rows(c, 'SELECT s.task, s.seed, s.set, s.severity FROM source.sets s JOIN sets o USING (task, seed, set, severity) WHERE s.sha256 <> o.sha256 LIMIT 1');
          if (clash.length) throw new Error(`editlab study merge: set "${clash[0].set}" (task ${clash[0].task}, seed ${clash[0].seed}, severity ${clash[0].severity}) holds other images in ${path.dirname(file)} than in the merged study; nothing of it was merged.`);
          await c.run('INSERT INTO sets SELECT s.* FROM source.sets s ANTI JOIN sets o USING (task, seed, set, severity)');
          for (const table of JOB_TABLES) await c.run(`INSERT INTO ${table} SELECT s.* FROM source.${table} s SEMI JOIN taken USING (job_id)`);
          await c.run("UPDATE jobs SET state = 'done', seconds = s.seconds, sets_seconds = s.sets_seconds, backend = s.backend, engine = s.engine, finished_at = s.finished_at FROM source.jobs s WHERE jobs.job_id = s.job_id AND jobs.job_id IN (SELECT job_id FROM taken)");
          await c.run('DROP TABLE taken');
          return taken.length;
        });
      } finally {
        await c.run('DETACH source');
      }
    });
    merged.push({ dir: path.resolve(dirs[i]), jobs });
  }
  return { out, merged, status: (await readStudyStatus(outDir))! };
}

/** Writes a CSV file's rows as Parquet (DuckDB in memory; column types inferred), through a temporary file. */
export async function csvToParquet(csv: string, parquet: string): Promise<string> {
  const { DuckDBInstance } = duckdb();
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: '1' });
  const connection = await instance.connect();
  const tmp = `${path.resolve(parquet)}.tmp`;
  const quote = (p: string) => `'${path.resolve(p).replace(/'/g, "''")}'`;
  try {
    await connection.run(`COPY (SELECT * FROM read_csv(${quote(csv)}, header = true)) TO ${quote(tmp)} (FORMAT parquet)`);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
  fs.renameSync(tmp, path.resolve(parquet));
  return path.resolve(parquet);
}
