/**
 * Where a study's jobs run: in this process, or in local worker processes (each with its own
 * tfjs backend and ONNX Runtime session, one thread each by default). Both take the same
 * request (a job, and the stored edit it reuses, as data) and return the same rows, so the
 * coordinator in `run.ts` schedules and commits jobs the same way whoever runs them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { tf } from '../engine/backend';
import { backendInfo, useBackend, type BackendRequest } from '../engine/backend';
import type { ProgressOption } from '../engine/progress';
import { resolveModel } from '../models';
import { runStudyJob } from './execute';
import { OriginalPredictions } from './sweep';
import type { StudyJob } from './jobs';
import { EvaluationSets } from './sets';
import type { StudySpec } from './spec';
import type { JobRows, StoredEdit } from './store';

/** One job to run, with the stored edit it reuses (when `job.reuses` is set). */
export interface JobRequest {
  job: StudyJob;
  source?: StoredEdit;
}

/** Runs jobs; at most `slots` at once. */
export interface JobExecutor {
  readonly slots: number;
  run(request: JobRequest): Promise<JobRows>;
  close(): Promise<void>;
}

/** How an executor evaluates (the same for every kind, so the rows do not depend on it). */
export interface ExecutorOptions {
  /** The backend's name, recorded with each job. */
  backend: string;
  engine?: 'auto' | 'onnx' | 'tfjs';
  /** ONNX Runtime threads per executor (default 1). */
  threads?: number;
  /** Bars for edit steps and sweep images (in-process only). */
  progress?: ProgressOption;
}

/** The models of the plan, loaded one at a time (jobs come grouped by model), each with its shared α = 0 predictions. */
class ModelSlot {
  private name?: string;
  private loaded?: { model: tf.LayersModel; original: OriginalPredictions };

  constructor(private readonly evaluation: ConstructorParameters<typeof OriginalPredictions>[1]) {}

  async get(name: string): Promise<{ model: tf.LayersModel; original: OriginalPredictions }> {
    if (this.name !== name) {
      await this.dispose();
      const { model } = await resolveModel(name);
      this.loaded = { model, original: new OriginalPredictions(model, this.evaluation) };
      this.name = name;
    }
    return this.loaded!;
  }

  async dispose(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = this.name = undefined;
    await loaded?.original.close();
    loaded?.model.dispose();
  }
}

/** Runs jobs one at a time in this process. */
export class InProcessExecutor implements JobExecutor {
  readonly slots = 1;
  private readonly models: ModelSlot;
  private readonly sets: EvaluationSets;
  private readonly evaluation: { engine?: 'auto' | 'onnx' | 'tfjs'; threads: number };

  constructor(private readonly spec: StudySpec, private readonly options: ExecutorOptions) {
    this.sets = new EvaluationSets(spec, { threads: options.threads });
    this.evaluation = { engine: options.engine, threads: options.threads ?? 1 };
    this.models = new ModelSlot(this.evaluation);
  }

  async run({ job, source }: JobRequest): Promise<JobRows> {
    const { model, original } = await this.models.get(job.model);
    return runStudyJob(job, {
      spec: this.spec, model, original, sets: this.sets, backend: this.options.backend, progress: this.options.progress, source, evaluation: this.evaluation,
    });
  }

  async close(): Promise<void> {
    await this.models.dispose();
  }
}

/** Messages between the coordinator and a worker process. */
export type WorkerMessage =
  | { type: 'init'; spec: StudySpec; options: ExecutorOptions & { backendRequest: BackendRequest } }
  | { type: 'job'; request: JobRequest };
export type WorkerReply = { type: 'ready' } | { type: 'rows'; rows: JobRows } | { type: 'error'; message: string };

/** One worker process and the request it is working on. */
class WorkerProcess {
  private pending?: { resolve: (reply: WorkerReply) => void; reject: (e: Error) => void };
  private exited?: string;

  constructor(readonly child: ChildProcess, readonly index: number) {
    child.on('message', (reply: WorkerReply) => {
      const p = this.pending;
      this.pending = undefined;
      p?.resolve(reply);
    });
    child.on('exit', (code, signal) => {
      this.exited = signal ? `killed by ${signal}` : `exited with code ${code}`;
      this.pending?.reject(new Error(`worker ${index} ${this.exited} while running a job`));
      this.pending = undefined;
    });
  }

  request(message: WorkerMessage): Promise<WorkerReply> {
    if (this.exited) return Promise.reject(new Error(`worker ${this.index} ${this.exited}`));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send(message);
    });
  }
}

/**
 * Runs jobs in `count` local worker processes, one job each at a time. A job's rows come back
 * over IPC (typed arrays intact), and the coordinator commits them.
 */
export class LocalWorkers implements JobExecutor {
  private readonly idle: WorkerProcess[] = [];
  private readonly waiting: Array<(w: WorkerProcess) => void> = [];

  private constructor(private readonly workers: WorkerProcess[]) {
    this.idle.push(...workers);
  }

  get slots(): number {
    return this.workers.length;
  }

  /** Starts the processes and waits until each has its backend and spec. */
  static async start(count: number, spec: StudySpec, options: ExecutorOptions & { backendRequest: BackendRequest }): Promise<LocalWorkers> {
    if (!Number.isInteger(count) || count < 1) throw new Error(`editlab study: workers must be a positive integer, got ${count}.`);
    // Under tsx (tests, development) the worker is the TypeScript file, loaded through tsx's require hook.
    const ts = __filename.endsWith('.ts');
    const file = path.join(__dirname, `worker-process.${ts ? 'ts' : 'js'}`);
    const workers = Array.from({ length: count }, (_, i) => new WorkerProcess(fork(file, [], {
      serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ts ? ['--require', require.resolve('tsx/cjs')] : [],
    }), i + 1));
    const pool = new LocalWorkers(workers);
    try {
      const replies = await Promise.all(workers.map((w) => w.request({ type: 'init', spec, options: { ...options, progress: undefined } })));
      const failed = replies.find((r) => r.type === 'error');
      if (failed) throw new Error(`editlab study: a worker process could not start: ${(failed as { message: string }).message}`);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  async run(request: JobRequest): Promise<JobRows> {
    const worker = this.idle.pop() ?? (await new Promise<WorkerProcess>((resolve) => this.waiting.push(resolve)));
    try {
      const reply = await worker.request({ type: 'job', request });
      if (reply.type === 'error') throw new Error(reply.message);
      if (reply.type !== 'rows') throw new Error(`worker ${worker.index} answered ${reply.type} to a job`);
      return reply.rows;
    } finally {
      const next = this.waiting.shift();
      if (next) next(worker);
      else this.idle.push(worker);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => new Promise<void>((resolve) => {
      if (w.child.exitCode !== null || w.child.signalCode !== null) return resolve();
      w.child.once('exit', () => resolve());
      w.child.kill();
    })));
  }
}

/** The body of a worker process: builds an in-process executor on `init` and runs each job it is sent. */
export function serveWorker(): void {
  let executor: InProcessExecutor | undefined;
  const reply = (message: WorkerReply) => process.send!(message);
  process.on('message', (message: WorkerMessage) => {
    void (async () => {
      try {
        if (message.type === 'init') {
          await useBackend(message.options.backendRequest);
          // Record the backend this process really runs on.
          executor = new InProcessExecutor(message.spec, { ...message.options, backend: (await backendInfo()).backend });
          reply({ type: 'ready' });
        } else {
          if (!executor) throw new Error('a job came before init');
          reply({ type: 'rows', rows: await executor.run(message.request) });
        }
      } catch (e) {
        reply({ type: 'error', message: (e as Error).message });
      }
    })();
  });
  // The coordinator going away ends the worker.
  process.on('disconnect', () => process.exit(0));
}
