/**
 * A study spread over machines through a BullMQ queue on Redis. The coordinator (`runStudy` with
 * `queue`) puts each ready job on the queue, with its spec and the stored edit it reuses; a worker
 * (`editlab worker --queue URL`) anywhere takes jobs, runs each in a local worker process (so its
 * own event loop keeps renewing the job's lock while tfjs computes), and returns the job's rows
 * through the queue; the coordinator commits them. No shared filesystem. A worker that dies
 * mid-job loses its lock, and BullMQ's stalled-job check hands the job to another worker.
 */
import type { ConnectionOptions, Job, Queue, QueueEvents, Worker } from 'bullmq';
import type { BackendRequest } from '../engine/backend';
import { canonicalJson, type StudyJob } from './jobs';
import { LocalWorkers, type ExecutorOptions, type JobExecutor, type JobRequest } from './executors';
import type { StudySpec } from './spec';
import type { JobRows } from './store';
import { fromWire, toWire } from './wire';

/** The BullMQ queue every study's jobs go through (job ids are content hashes, so studies do not collide). */
export const STUDY_QUEUE = 'editlab-study';

/** How long connecting to Redis may take before the error. */
const CONNECT_TIMEOUT_MS = 5000;

/** A dead worker's lock lapses after this long; its job then goes to another worker. */
const LOCK_MS = 10_000;

type BullMQ = typeof import('bullmq');
type IORedisClass = typeof import('ioredis').default;
let bullmqModule: BullMQ | undefined;
// Loaded on first use: importing editlab should not load BullMQ and ioredis.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bullmq = (): BullMQ => (bullmqModule ??= require('bullmq') as BullMQ);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const IORedis = (): IORedisClass => (require('ioredis') as { default: IORedisClass }).default;

/** What a queued job carries: the spec, the job, and the edit it reuses, as one wire string. */
interface QueuedJob {
  payload: string;
}

/**
 * Connects to Redis at `url` (`redis://HOST:PORT`, optionally with a password or database), or
 * fails within {@link CONNECT_TIMEOUT_MS} with the URL and the cause.
 */
export async function connectRedis(url: string): Promise<import('ioredis').default> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`editlab: --queue must be a Redis URL, redis://HOST:PORT, got "${url}".`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new Error(`editlab: --queue must be a Redis URL, redis://HOST:PORT, got "${url}".`);
  const Redis = IORedis();
  const client = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, retryStrategy: () => null });
  let lastError: Error | undefined;
  client.on('error', (e: Error) => { lastError = e; });
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS)),
    ]);
  } catch (e) {
    client.disconnect();
    throw new Error(`editlab: cannot reach Redis at ${url}: ${(lastError ?? (e as Error)).message}. Is redis-server running there?`);
  }
  // From here on, reconnect after a drop rather than give up.
  client.options.retryStrategy = (times: number) => Math.min(times * 200, 2000);
  return client;
}

/** The coordinator's side: runs jobs by queueing them and waiting for a worker's rows. */
export class QueueExecutor implements JobExecutor {
  /** Jobs in flight at once: as many as are ready; the workers' concurrency decides what runs. */
  readonly slots = 1024;

  private constructor(
    private readonly spec: StudySpec,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly connections: Array<import('ioredis').default>,
  ) {}

  /** Connects (or fails within 5 s) and opens the queue and its event stream. */
  static async open(url: string, spec: StudySpec): Promise<QueueExecutor> {
    const { Queue, QueueEvents } = bullmq();
    const connection = await connectRedis(url);
    const eventsConnection = connection.duplicate();
    const queue = new Queue(STUDY_QUEUE, { connection: connection as unknown as ConnectionOptions });
    const events = new QueueEvents(STUDY_QUEUE, { connection: eventsConnection as unknown as ConnectionOptions });
    await events.waitUntilReady();
    return new QueueExecutor(spec, queue, events, [connection, eventsConnection]);
  }

  async run({ job, source }: JobRequest): Promise<JobRows> {
    // A job left failed by an earlier run is queued afresh; a completed one's rows are reused.
    const earlier = await this.queue.getJob(job.id);
    if (earlier && (await earlier.isFailed())) await earlier.remove();
    const payload: QueuedJob = { payload: toWire({ spec: this.spec, job, source }) };
    const queued = await this.queue.add(describe(job), payload, { jobId: job.id, attempts: 3, backoff: { type: 'fixed', delay: 1000 }, removeOnComplete: false, removeOnFail: false });
    const rows = fromWire<JobRows>(String(await queued.waitUntilFinished(this.events)));
    await queued.remove().catch(() => undefined);
    return rows;
  }

  async close(): Promise<void> {
    await this.events.close();
    await this.queue.close();
    for (const c of this.connections) c.disconnect();
  }
}

const describe = (job: StudyJob) => `${job.model} ${job.task.name} ${job.method.name} ${job.layer} seed ${job.seed}`;

/** Options of {@link serveQueue}. */
export interface QueueWorkerOptions {
  /** Jobs run at once, each in its own process (default 1). */
  concurrency?: number;
  backend?: BackendRequest;
  engine?: ExecutorOptions['engine'];
  /** ONNX Runtime threads per job (default 1). */
  threads?: number;
  /** Called as jobs start, finish or fail. */
  onEvent?: (event: { event: 'started' | 'finished' | 'failed'; name: string; seconds?: number; message?: string }) => void;
}

/** A running queue worker; `close()` stops taking jobs and ends its processes. */
export interface QueueWorker {
  close(): Promise<void>;
}

/**
 * Takes study jobs from the queue at `url` until closed: each job runs in one of `concurrency`
 * local worker processes (started per spec, reused across jobs), and its rows go back as the job's
 * result. Fails within 5 s when Redis cannot be reached.
 */
export async function serveQueue(url: string, options: QueueWorkerOptions = {}): Promise<QueueWorker> {
  const concurrency = options.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`editlab worker: concurrency must be a positive integer, got ${concurrency}.`);
  const { Worker } = bullmq();
  const connection = await connectRedis(url);
  const pools = new Map<string, Promise<LocalWorkers>>();
  const poolFor = (spec: StudySpec) => {
    const key = canonicalJson(spec);
    let pool = pools.get(key);
    if (!pool) {
      pool = LocalWorkers.start(concurrency, spec, { backend: options.backend ?? 'auto', backendRequest: options.backend ?? 'auto', engine: options.engine, threads: options.threads });
      pools.set(key, pool);
    }
    return pool;
  };
  const worker: Worker = new Worker(STUDY_QUEUE, async (queued: Job<QueuedJob>) => {
    const started = performance.now();
    options.onEvent?.({ event: 'started', name: queued.name });
    try {
      const request = fromWire<JobRequest & { spec: StudySpec }>(queued.data.payload);
      const rows = await (await poolFor(request.spec)).run({ job: request.job, source: request.source });
      options.onEvent?.({ event: 'finished', name: queued.name, seconds: (performance.now() - started) / 1000 });
      return toWire(rows);
    } catch (e) {
      options.onEvent?.({ event: 'failed', name: queued.name, message: (e as Error).message });
      throw e;
    }
  }, { connection: connection as unknown as ConnectionOptions, concurrency, lockDuration: LOCK_MS, stalledInterval: LOCK_MS / 2, maxStalledCount: 3 });
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      for (const pool of pools.values()) await (await pool).close();
      connection.disconnect();
    },
  };
}
