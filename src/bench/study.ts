/**
 * `editlab bench --study`: runs one study spec in each execution mode (this process, local
 * worker processes, a BullMQ queue on a private Redis with as many `editlab worker`s) and
 * reports jobs, cells, images evaluated per second, where the time went (training edits, making
 * the shifted sets, evaluating), and each mode's speed against the one-process run measured in
 * the same bench. A second, cheap study of ≥ 200 jobs run in this process samples
 * `tf.memory().numTensors`, the resident set size and the JS heap after every job, each after a
 * full garbage collection, to show they stay flat.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { spawn, type ChildProcess } from 'node:child_process';
import { tf } from '../engine/backend';
import { listEditMethods } from '../edits';
import { QUICK_STUDY_SPEC, runStudy, queryStudy, exportStudyCells, validateStudySpec, type StudySpecInput } from '../study';
import { hasRedisServer, startLocalRedis } from '../study/local-redis';
import type { ProgressOption } from '../engine/progress';

/** An execution mode of the bench. */
export type StudyBenchMode = 'process' | 'workers' | 'queue';

/** One mode's run of the spec. */
export interface StudyBenchRun {
  mode: StudyBenchMode;
  /** Processes running jobs. */
  workers: number;
  seconds: number;
  jobs: number;
  cells: number;
  /** Images evaluated: Σ n over the cells (each image once per α). */
  images: number;
  cells_per_s: number;
  img_per_s: number;
  /** Σ over jobs of the time training edits, making shifted sets, and evaluating, as shares of Σ job time. */
  train_share: number;
  sets_share: number;
  eval_share: number;
  /** cells/s relative to the one-process run of this bench (1 for it). */
  speedup: number;
  /** Whether its exported cells equal the one-process run's byte for byte. */
  same_cells: boolean;
}

/**
 * The memory of a long in-process run, sampled after each job and a full garbage collection (so
 * that a sample counts what the process retains, not garbage not yet collected).
 */
export interface StudyBenchMemory {
  jobs: number;
  /** tf.memory().numTensors after jobs 1, 10, 50, 100, 200, … and the last. */
  num_tensors: Array<{ job: number; value: number }>;
  /** Resident set size in MiB at the same jobs. */
  rss_mib: Array<{ job: number; value: number }>;
  /** V8's used heap in MiB at the same jobs. */
  heap_mib: Array<{ job: number; value: number }>;
  /** Memory outside V8's heap that it accounts for (array buffers, the wasm backend's memory) in MiB at the same jobs. */
  external_mib: Array<{ job: number; value: number }>;
  /** Last minus the value after job 10 (after warm-up: code paths compiled, caches filled). */
  num_tensors_growth: number;
  rss_growth_mib: number;
  /** Least-squares slope of the RSS over jobs 10 to the last, in MiB per 100 jobs: the trend, where the last sample alone is noisy. */
  rss_slope_mib_per_100_jobs: number;
  /** The same slope for the heap. */
  heap_slope_mib_per_100_jobs: number;
  seconds: number;
}

/** What `bench --study` reports. */
export interface StudyBenchReport {
  /** 'quick', 'default', or the spec file's path. */
  spec: string;
  runs: StudyBenchRun[];
  memory?: StudyBenchMemory;
  /** Why a mode was not run (e.g. no redis-server). */
  skipped: string[];
  machine: { cpus: number; model: string; load_before: number[]; load_after: number[] };
}

/** Options of {@link benchStudy}. */
export interface StudyBenchOptions {
  spec?: StudySpecInput;
  /** Its name in the report. */
  specName?: string;
  /** Modes to run, in order (default process, workers, queue; `process` is always run first, as the baseline). */
  modes?: StudyBenchMode[];
  /** Workers of the workers and queue modes (default 2). */
  workers?: number;
  /** Jobs of the memory run (default 200; 0 skips it). */
  memoryJobs?: number;
  log?: (line: string) => void;
  progress?: ProgressOption;
}

const BIN = path.join(__dirname, '..', '..', 'bin', 'editlab.js');

/** The jobs of a finished study folder and where their time went. */
async function studyTotals(dir: string) {
  const [jobs] = await queryStudy(dir, 'SELECT count(*)::INTEGER AS jobs, sum(seconds) AS seconds, sum(sets_seconds) AS sets FROM jobs WHERE state = \'done\'');
  const [edits] = await queryStudy(dir, 'SELECT sum(seconds) AS train FROM edits');
  const [cells] = await queryStudy(dir, 'SELECT count(*)::INTEGER AS cells, sum(n)::BIGINT AS images FROM cells');
  const total = Number(jobs.seconds) || 1;
  const train = Number(edits.train) / total, sets = Number(jobs.sets) / total;
  return { jobs: Number(jobs.jobs), cells: Number(cells.cells), images: Number(cells.images), train_share: train, sets_share: sets, eval_share: Math.max(0, 1 - train - sets) };
}

/** Starts `count` `editlab worker` processes on a queue; resolves once each has said it is ready. */
async function startQueueWorkers(url: string, count: number): Promise<ChildProcess[]> {
  const workers = Array.from({ length: count }, () => spawn(process.execPath, [BIN, 'worker', '--queue', url], { stdio: ['ignore', 'ignore', 'pipe'] }));
  await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
    let text = '';
    w.stderr!.on('data', (d) => { text += d; if (/taking study jobs/.test(text)) resolve(); });
    w.on('exit', (code) => reject(new Error(`editlab bench: an \`editlab worker\` exited with ${code} before it was ready: ${text.trim()}`)));
  })));
  return workers;
}

/**
 * A cheap spec of at least `jobs` jobs (one embedded model, every task and method at three
 * layers, two steps, 16 clean images, α ∈ {0, 1}), with as many seeds as that takes.
 */
export function memorySpec(jobs: number): StudySpecInput {
  const all = listEditMethods();
  // Three tasks; a layer-independent method is one job per task, the others one per layer.
  const perSeed = 3 * all.reduce((n, m) => n + (m.layerIndependent ? 1 : 3), 0);
  const seeds = Math.max(1, Math.ceil(jobs / perSeed));
  return {
    models: ['vgg-small'],
    tasks: [{ name: 'snow-background', exemplars: 8 }, { name: 'concept-style', exemplars: 8 }, { name: 'digit-patching', exemplars: 8 }],
    methods: all.map((m) => ({ name: m.name, steps: 2 })), layers: ['early', 'middle', 'late'], alphas: [0, 1],
    sets: { clean: true, task_splits: false }, images: 16, seeds: Array.from({ length: seeds }, (_, i) => i), sample_seed: 0,
  };
}

/**
 * Runs the bench (see the module comment). Each mode runs in a fresh temporary folder, removed
 * afterwards.
 */
export async function benchStudy(options: StudyBenchOptions = {}): Promise<StudyBenchReport> {
  const log = options.log ?? (() => {});
  const spec = validateStudySpec(options.spec ?? QUICK_STUDY_SPEC);
  const workers = options.workers ?? 2;
  const modes = ['process' as const, ...(options.modes ?? ['workers', 'queue']).filter((m) => m !== 'process')];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-bench-study-'));
  const report: StudyBenchReport = {
    spec: options.specName ?? 'custom', runs: [], skipped: [],
    machine: { cpus: os.availableParallelism(), model: os.cpus()[0]?.model ?? 'unknown', load_before: os.loadavg(), load_after: [] },
  };
  try {
    let baseline: { cellsPerS: number; csv: string } | undefined;
    for (const mode of modes) {
      if (mode === 'queue' && !hasRedisServer()) {
        report.skipped.push('queue: redis-server is not on the PATH (sudo apt-get install redis-server)');
        continue;
      }
      const dir = path.join(work, mode);
      log(`bench --study: ${mode}${mode === 'process' ? '' : ` with ${workers} workers`}…`);
      const started = performance.now();
      if (mode === 'queue') {
        const redis = await startLocalRedis();
        const queueWorkers = await startQueueWorkers(redis.url, workers);
        try {
          await runStudy(spec, { dir, queue: redis.url, progress: options.progress });
        } finally {
          for (const w of queueWorkers) w.kill('SIGTERM');
          redis.stop();
        }
      } else {
        await runStudy(spec, { dir, workers: mode === 'workers' ? workers : 1, progress: options.progress });
      }
      const seconds = (performance.now() - started) / 1000;
      const totals = await studyTotals(dir);
      const csv = fs.readFileSync(await exportStudyCells(dir, { out: path.join(work, `${mode}.csv`) }), 'utf8');
      const cellsPerS = totals.cells / seconds;
      baseline ??= { cellsPerS, csv };
      const run: StudyBenchRun = {
        mode, workers: mode === 'process' ? 1 : workers, seconds, ...totals, cells_per_s: cellsPerS, img_per_s: totals.images / seconds,
        speedup: cellsPerS / baseline.cellsPerS, same_cells: csv === baseline.csv,
      };
      report.runs.push(run);
      log(`  ${run.jobs} jobs, ${run.cells} cells, ${run.seconds.toFixed(1)} s, ${run.img_per_s.toFixed(0)} img/s, ×${run.speedup.toFixed(2)}`);
    }
    const memoryJobs = options.memoryJobs ?? 200;
    if (memoryJobs > 0) report.memory = await memoryRun(path.join(work, 'memory'), memoryJobs, log);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  report.machine.load_after = os.loadavg();
  return report;
}

/** Runs {@link memorySpec} in this process, sampling tensors and memory after every job. */
async function memoryRun(dir: string, jobs: number, log: (line: string) => void): Promise<StudyBenchMemory> {
  const started = performance.now();
  const collect = garbageCollector();
  const tensors: number[] = [], rss: number[] = [], heap: number[] = [], external: number[] = [];
  log(`bench --study: memory over ≥ ${jobs} jobs in this process…`);
  await runStudy(memorySpec(jobs), {
    dir,
    onProgress: (e) => {
      if (e.event !== 'finished') return;
      collect();
      const usage = process.memoryUsage();
      tensors.push(tf.memory().numTensors);
      rss.push(usage.rss / 2 ** 20);
      heap.push(usage.heapUsed / 2 ** 20);
      external.push(usage.external / 2 ** 20);
      if (tensors.length % 50 === 0) log(`  ${tensors.length} jobs: ${tensors.at(-1)} tensors, RSS ${rss.at(-1)!.toFixed(0)} MiB, heap ${heap.at(-1)!.toFixed(0)} MiB`);
    },
  });
  const marks = [...new Set([1, 10, 50, 100, 200, 500, tensors.length].filter((j) => j <= tensors.length))];
  const warm = Math.min(10, tensors.length) - 1;
  const at = (values: number[]) => marks.map((job) => ({ job, value: Math.round(values[job - 1]) }));
  return {
    jobs: tensors.length,
    num_tensors: marks.map((job) => ({ job, value: tensors[job - 1] })),
    rss_mib: at(rss),
    heap_mib: at(heap),
    external_mib: at(external),
    num_tensors_growth: tensors.at(-1)! - tensors[warm],
    rss_growth_mib: Math.round(rss.at(-1)! - rss[warm]),
    rss_slope_mib_per_100_jobs: round1(100 * slope(rss.slice(warm), warm + 1)),
    heap_slope_mib_per_100_jobs: round1(100 * slope(heap.slice(warm), warm + 1)),
    seconds: (performance.now() - started) / 1000,
  };
}

const round1 = (x: number) => Math.round(10 * x) / 10;

/** Least-squares slope of `values` against job numbers `first`, `first + 1`, …; 0 for fewer than two. */
export function slope(values: number[], first = 1): number {
  const n = values.length;
  if (n < 2) return 0;
  const meanX = first + (n - 1) / 2, meanY = values.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0;
  values.forEach((y, i) => { const dx = first + i - meanX; sxy += dx * (y - meanY); sxx += dx * dx; });
  return sxy / sxx;
}

/**
 * V8's full garbage collection, without starting Node with --expose-gc: the flag set at run time
 * exposes `gc` to contexts created afterwards.
 */
export function garbageCollector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

/** The report as text. */
export function formatStudyBench(report: StudyBenchReport): string {
  const lines = [`study bench (${report.spec} spec) on ${report.machine.cpus} × ${report.machine.model}; load before ${report.machine.load_before.map((l) => l.toFixed(1)).join(' ')}, after ${report.machine.load_after.map((l) => l.toFixed(1)).join(' ')}`];
  lines.push('mode       workers  jobs  cells   seconds   img/s  cells/s  ×1 proc  train  sets  eval  same cells');
  for (const r of report.runs) {
    const pct = (x: number) => `${Math.round(100 * x)}%`.padStart(5);
    lines.push(`${r.mode.padEnd(10)} ${String(r.workers).padStart(7)} ${String(r.jobs).padStart(5)} ${String(r.cells).padStart(6)} ${r.seconds.toFixed(1).padStart(9)} ${r.img_per_s.toFixed(0).padStart(7)} ${r.cells_per_s.toFixed(2).padStart(8)} ${r.speedup.toFixed(2).padStart(8)} ${pct(r.train_share)} ${pct(r.sets_share)} ${pct(r.eval_share)}  ${r.same_cells ? 'yes' : 'NO'}`);
  }
  for (const s of report.skipped) lines.push(`skipped ${s}`);
  const m = report.memory;
  if (m) {
    const marks = (points: Array<{ job: number; value: number }>) => points.map((p) => `${p.job}:${p.value}`).join(' ');
    lines.push(`memory over ${m.jobs} jobs (${m.seconds.toFixed(0)} s), each sample after a full garbage collection:`);
    lines.push(`  tensors ${marks(m.num_tensors)} (growth after job 10: ${m.num_tensors_growth})`);
    lines.push(`  RSS MiB ${marks(m.rss_mib)} (growth after job 10: ${m.rss_growth_mib}; trend ${m.rss_slope_mib_per_100_jobs} MiB per 100 jobs)`);
    lines.push(`  heap MiB ${marks(m.heap_mib)} (trend ${m.heap_slope_mib_per_100_jobs} MiB per 100 jobs); external MiB ${marks(m.external_mib)}`);
  }
  return lines.join('\n');
}
