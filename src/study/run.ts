/**
 * Runs a study, or resumes it: validates the spec, keeps it as DIR/study.json, plans the jobs,
 * opens (or creates) DIR/study.duckdb, and runs every job not yet done, committing each one's
 * rows in one transaction. Killed at any moment, the next run starts again after the last
 * committed job and ends with the tables an uninterrupted run writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendInfo, type BackendRequest } from '../engine/backend';
import { writeFileAtomic } from '../data/write-atomic';
import { formatRate, progressFor, type ProgressOption } from '../engine/progress';
import { InProcessExecutor, LocalWorkers, type ExecutorOptions, type JobExecutor } from './executors';
import { QueueExecutor } from './queue';
import { StudyEta } from './work';
import { checkShard, planStudy, shardJobs, type StudyJob, type StudyPlan, type StudyShard } from './jobs';
import { formatSpecDifferences, specDifferences, validateStudySpec, type StudySpec, type StudySpecInput } from './spec';
import { commitStudyJob, mergeStudyDatabases, openStudyStore, readStudyEdit, readStudyStatus, type JobRows, type MergeResult, type StudyStatus } from './store';

/** The spec's file name in a study folder. */
export const STUDY_SPEC_FILE = 'study.json';

/** One progress event of {@link runStudy}. */
export interface StudyProgressEvent {
  /** 'planned' once; then per job 'skipped' (done earlier), 'started' or 'finished'. */
  event: 'planned' | 'skipped' | 'started' | 'finished';
  jobs_total: number;
  jobs_done: number;
  job?: StudyJob;
  /** Seconds the job took ('finished'). */
  seconds?: number;
  /** Cells the job wrote ('finished'). */
  cells?: number;
}

/** Options of {@link runStudy}. */
export interface RunStudyOptions {
  /** The study folder (created when absent): study.json and study.duckdb. */
  dir: string;
  /** Called as the study is planned and as each job is skipped, starts and finishes. */
  onProgress?: (event: StudyProgressEvent) => void;
  /**
   * One bar over the study (`true`, or a label; default none): jobs done of the total, cells
   * per second and the ETA, updated in place in a notebook and on a terminal, a line at most
   * every second in logs.
   */
  progress?: ProgressOption;
  /** Bars for each edit's steps and each sweep's images (in-process jobs only; default none). */
  jobProgress?: ProgressOption;
  /** Evaluation engine: 'auto' (default; ONNX Runtime when available), 'onnx' or 'tfjs'. */
  engine?: 'auto' | 'onnx' | 'tfjs';
  /** ONNX Runtime threads per worker (default 1: best beside other work; results do not depend on it). */
  threads?: number;
  /** Local worker processes, each with its own backend (default 1: run in this process). */
  workers?: number;
  /** Run only this shard of the jobs ({@link parseShard}); merge the shards' folders with `mergeStudies`. */
  shard?: StudyShard;
  /** Redis URL (`redis://HOST:PORT`): put the jobs on a BullMQ queue for `editlab worker`s anywhere; this process commits their rows. */
  queue?: string;
}

/** What {@link runStudy} returns: the study's status and what this run did. */
export interface StudyRunResult extends StudyStatus {
  dir: string;
  /** Jobs run now. */
  ran: number;
  /** Jobs found done (from an earlier, interrupted run). */
  skipped: number;
  seconds: number;
}

/** Reads and validates DIR/study.json. */
export function readStudySpec(dir: string): StudySpec {
  const file = path.join(path.resolve(dir), STUDY_SPEC_FILE);
  if (!fs.existsSync(file)) throw new Error(`editlab study: ${file} does not exist; write one with \`editlab study init ${dir}\`.`);
  return readStudySpecFile(file);
}

/** Reads and validates a spec file; errors name the file and the field. */
export function readStudySpecFile(file: string): StudySpec {
  if (!fs.existsSync(file)) throw new Error(`editlab study: ${path.resolve(file)} does not exist.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`editlab study: ${file} is not valid JSON (${(e as Error).message}).`);
  }
  try {
    return validateStudySpec(parsed);
  } catch (e) {
    throw new Error((e as Error).message.replace(/^editlab study: /, `editlab study: ${file}: `));
  }
}

/**
 * Writes a spec as DIR/study.json (pretty-printed, atomically). Refuses to replace a different
 * spec already there.
 * @returns the file
 */
export function writeStudySpec(dir: string, spec: StudySpecInput | StudySpec): string {
  const validated = validateStudySpec(spec);
  const file = path.join(path.resolve(dir), STUDY_SPEC_FILE);
  if (fs.existsSync(file)) {
    const differences = specDifferences(readStudySpec(dir), validated);
    if (!differences.length) return file;
    throw new Error(`editlab study: ${file} holds another spec; refusing to replace it. Differing fields:\n${formatSpecDifferences(differences)}`);
  }
  writeFileAtomic(file, JSON.stringify(validated, null, 2) + '\n');
  return file;
}

/**
 * Runs a study, or resumes one: the spec is validated and kept as DIR/study.json (a different
 * spec already there, or in the database, is refused with the differing fields), the jobs are
 * planned, and each job not yet in DIR/study.duckdb runs and is committed in one transaction.
 * @param spec the study (see `validateStudySpec`; `DEFAULT_STUDY_SPEC`, `QUICK_STUDY_SPEC`)
 * @param options the folder, progress callbacks, evaluation engine and threads
 * @returns the status after the run and what it did
 * @example await runStudy(QUICK_STUDY_SPEC, { dir: 'studies/quick', onProgress: (e) => console.log(e.event, e.jobs_done) })
 */
export async function runStudy(spec: StudySpecInput | StudySpec, options: RunStudyOptions): Promise<StudyRunResult> {
  const started = performance.now();
  if (!options || typeof options.dir !== 'string' || !options.dir) throw new Error('editlab study: runStudy needs options.dir, the study folder.');
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) throw new Error(`editlab study: threads must be a positive integer, got ${options.threads}.`);
  if (options.workers !== undefined && (!Number.isInteger(options.workers) || options.workers < 1)) throw new Error(`editlab study: workers must be a positive integer, got ${options.workers}.`);
  if (options.engine !== undefined && !['auto', 'onnx', 'tfjs'].includes(options.engine)) throw new Error(`editlab study: engine must be auto, onnx or tfjs, got "${String(options.engine)}".`);
  if (options.shard) checkShard(options.shard);
  const dir = path.resolve(options.dir);
  const validated = validateStudySpec(spec);
  const info = await backendInfo();
  // Planned before anything is written: a spec naming a missing model or layer leaves no study.json behind.
  const plan: StudyPlan = await planStudy(validated);
  // Workers start (and an unreachable queue fails) before anything is written.
  const executor = await openExecutor(validated, options, { backend: info.backend, engine: options.engine, threads: options.threads, progress: options.jobProgress, backendRequest: info.requested });
  let ran = 0;
  let skipped = 0;
  try {
    fs.mkdirSync(dir, { recursive: true });
    writeStudySpec(dir, validated);
    const done = await openStudyStore(dir, plan);
    const mine = options.shard ? shardJobs(plan, options.shard) : plan.jobs;
    const total = mine.length;
    const toRun = mine.filter((j) => !done.has(j.id));
    skipped = total - toRun.length;
    let finished = skipped;
    let cellsNow = 0;
    const barStarted = performance.now();
    // The bar counts this run's jobs, so its rate and ETA are this run's (jobs found done are named in the label).
    const label = skipped ? `study (${skipped} of ${total} jobs done before)` : 'study';
    // Jobs differ in size by two orders of magnitude: the ETA weighs what is left by its estimated work.
    const eta = new StudyEta(plan, toRun);
    const bar = progressFor(options.progress, total - skipped, label, 'jobs', () => `${cellsNow} cells${cellsNow ? `, ${formatRate(cellsNow / ((performance.now() - barStarted) / 1000), 'cells')}` : ''}`, (elapsed) => eta.remaining(elapsed));
    options.onProgress?.({ event: 'planned', jobs_total: total, jobs_done: finished });
    for (const job of mine.filter((j) => done.has(j.id))) options.onProgress?.({ event: 'skipped', jobs_total: total, jobs_done: finished, job });
    // One database access at a time: commits and reads of reused edits queue here.
    let database: Promise<unknown> = Promise.resolve();
    const serially = <T>(fn: () => Promise<T>): Promise<T> => {
      const next = database.then(fn, fn);
      database = next.catch(() => undefined);
      return next;
    };
    const runJob = async (job: StudyJob): Promise<void> => {
      options.onProgress?.({ event: 'started', jobs_total: total, jobs_done: finished, job });
      eta.started(job);
      let rows: JobRows;
      try {
        const source = job.reuses ? await serially(() => readStudyEdit(dir, job.reuses!)) : undefined;
        rows = await executor.run({ job, source });
      } catch (e) {
        // Nothing of this job was stored; say which job failed.
        throw new Error(`editlab study: job ${job.position + 1}/${plan.jobs.length} (${job.method.name} on ${job.model} ${job.layer}, task ${job.task.name}, seed ${job.seed}) failed: ${(e as Error).message.replace(/^editlab( study)?: /, '')}`);
      }
      if (await serially(() => commitStudyJob(dir, job, rows))) ran++;
      done.add(job.id);
      finished++;
      cellsNow += rows.cells.length;
      eta.finished(job, rows.seconds, rows.edit.seconds);
      bar.tick();
      options.onProgress?.({ event: 'finished', jobs_total: total, jobs_done: finished, job, seconds: rows.seconds, cells: rows.cells.length });
    };
    await schedule(toRun, executor.slots, (j) => !j.reuses || done.has(j.reuses), runJob);
    bar.done();
  } finally {
    await executor.close();
  }
  const status = (await readStudyStatus(dir))!;
  return { dir, ...status, ran, skipped, seconds: (performance.now() - started) / 1000 };
}

/** Where the jobs run: a queue, local worker processes, or this process. */
async function openExecutor(spec: StudySpec, options: RunStudyOptions, executorOptions: ExecutorOptions & { backendRequest: BackendRequest }): Promise<JobExecutor> {
  if (options.queue && options.workers !== undefined && options.workers > 1) throw new Error('editlab study: with a queue, the workers are `editlab worker` processes; leave workers out.');
  if (options.queue) return QueueExecutor.open(options.queue, spec);
  if ((options.workers ?? 1) > 1) return LocalWorkers.start(options.workers!, spec, executorOptions);
  return new InProcessExecutor(spec, executorOptions);
}

/**
 * Runs jobs `slots` at a time, each only once `ready` says its inputs are there (a job reusing
 * another's edit waits for it). On a failure no new job starts; the running ones finish (and
 * are committed), then the first error is thrown.
 */
async function schedule(pending: StudyJob[], slots: number, ready: (job: StudyJob) => boolean, run: (job: StudyJob) => Promise<void>): Promise<void> {
  const running = new Map<string, Promise<void>>();
  let failure: unknown;
  while (failure === undefined && (pending.length || running.size)) {
    while (running.size < slots) {
      const next = pending.findIndex(ready);
      if (next < 0) break;
      const [job] = pending.splice(next, 1);
      running.set(job.id, run(job).catch((e) => { failure ??= e; }).finally(() => running.delete(job.id)));
    }
    if (!running.size) throw new Error(`editlab study: ${pending.length} jobs wait for edits that no job of this run makes (first: job ${pending[0].position + 1}, which reuses ${pending[0].reuses}).`);
    await Promise.race(running.values());
  }
  await Promise.all(running.values());
  if (failure !== undefined) throw failure;
}

/**
 * Merges study folders run as shards (`runStudy(spec, { shard })`, `study run --shard i/n`) or on
 * other machines into OUT: OUT/study.json and one database holding every job done in any of them.
 * Inputs of different specs or plans are refused with nothing written; OUT can then be resumed
 * with `runStudy` (`study run OUT`) to run whatever no shard finished.
 */
export async function mergeStudies(out: string, dirs: string[]): Promise<MergeResult> {
  const specs = dirs.map((d) => readStudySpec(d));
  const existing = fs.existsSync(path.join(path.resolve(out), STUDY_SPEC_FILE)) ? [{ dir: out, spec: readStudySpec(out) }] : [];
  for (const { dir, spec } of [...dirs.map((d, i) => ({ dir: d, spec: specs[i] })), ...existing]) {
    const differences = specDifferences(specs[0], spec);
    if (differences.length) throw new Error(`editlab study merge: ${path.resolve(dir)}/${STUDY_SPEC_FILE} is another spec than ${path.resolve(dirs[0])}'s; refusing to merge. Differing fields:\n${formatSpecDifferences(differences)}`);
  }
  fs.mkdirSync(path.resolve(out), { recursive: true });
  writeStudySpec(out, specs[0]);
  return mergeStudyDatabases(out, dirs);
}
