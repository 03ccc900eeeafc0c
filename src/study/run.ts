/**
 * Runs a study, or resumes it: validates the spec, keeps it as DIR/study.json, plans the jobs,
 * opens (or creates) DIR/study.duckdb, and runs every job not yet done, committing each one's
 * rows in one transaction. Killed at any moment, the next run starts again after the last
 * committed job and ends with the tables an uninterrupted run writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { tf } from '../engine/backend';
import { backendInfo } from '../engine/backend';
import { writeFileAtomic } from '../data/write-atomic';
import { resolveModel } from '../models';
import type { ProgressOption } from '../engine/progress';
import { runStudyJob, type JobContext } from './execute';
import { planStudy, type StudyJob, type StudyPlan } from './jobs';
import { EvaluationSets } from './sets';
import { formatSpecDifferences, specDifferences, validateStudySpec, type StudySpec, type StudySpecInput } from './spec';
import { commitStudyJob, loadStudyEdit, openStudyStore, readStudyStatus, type StudyStatus } from './store';

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
}

/** Options of {@link runStudy}. */
export interface RunStudyOptions {
  /** The study folder (created when absent): study.json and study.duckdb. */
  dir: string;
  /** Called as the study is planned and as each job is skipped, starts and finishes. */
  onProgress?: (event: StudyProgressEvent) => void;
  /** Bars for each edit's steps and each sweep's images (`true`, or a label); default none. */
  progress?: ProgressOption;
  /** Evaluation engine: 'auto' (default; ONNX Runtime when available), 'onnx' or 'tfjs'. */
  engine?: 'auto' | 'onnx' | 'tfjs';
  /** ONNX Runtime threads (default 1: best beside other work; results do not depend on it). */
  threads?: number;
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

/** The models of the plan, loaded one at a time in job order (jobs are grouped by model). */
class ModelSlot {
  private name?: string;
  private model?: tf.LayersModel;

  async get(name: string): Promise<tf.LayersModel> {
    if (this.name !== name) {
      this.dispose();
      this.model = (await resolveModel(name)).model;
      this.name = name;
    }
    return this.model!;
  }

  dispose(): void {
    this.model?.dispose();
    this.model = this.name = undefined;
  }
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
  if (options.engine !== undefined && !['auto', 'onnx', 'tfjs'].includes(options.engine)) throw new Error(`editlab study: engine must be auto, onnx or tfjs, got "${String(options.engine)}".`);
  const dir = path.resolve(options.dir);
  const validated = validateStudySpec(spec);
  const backend = (await backendInfo()).backend;
  // Planned before anything is written: a spec naming a missing model or layer leaves no study.json behind.
  const plan: StudyPlan = await planStudy(validated);
  fs.mkdirSync(dir, { recursive: true });
  writeStudySpec(dir, validated);
  const done = await openStudyStore(dir, plan);
  const total = plan.jobs.length;
  const skipped = plan.jobs.filter((j) => done.has(j.id)).length;
  let finished = skipped;
  options.onProgress?.({ event: 'planned', jobs_total: total, jobs_done: finished });
  const sets = new EvaluationSets(validated, { threads: options.threads });
  const models = new ModelSlot();
  let ran = 0;
  try {
    for (const job of plan.jobs) {
      if (done.has(job.id)) {
        options.onProgress?.({ event: 'skipped', jobs_total: total, jobs_done: finished, job });
        continue;
      }
      options.onProgress?.({ event: 'started', jobs_total: total, jobs_done: finished, job });
      const model = await models.get(job.model);
      const context: JobContext = {
        spec: validated, model, sets, backend, progress: options.progress,
        evaluation: { engine: options.engine, threads: options.threads ?? 1 },
        loadEdit: (id) => loadStudyEdit(dir, id, model),
      };
      let rows;
      try {
        rows = await runStudyJob(job, context);
      } catch (e) {
        // Nothing of this job was stored; say which job failed.
        throw new Error(`editlab study: job ${job.position + 1}/${total} (${job.method.name} on ${job.model} ${job.layer}, task ${job.task.name}, seed ${job.seed}) failed: ${(e as Error).message.replace(/^editlab( study)?: /, '')}`);
      }
      if (await commitStudyJob(dir, job, rows)) ran++;
      finished++;
      options.onProgress?.({ event: 'finished', jobs_total: total, jobs_done: finished, job, seconds: rows.seconds });
    }
  } finally {
    models.dispose();
  }
  const status = (await readStudyStatus(dir))!;
  return { dir, ...status, ran, skipped, seconds: (performance.now() - started) / 1000 };
}
