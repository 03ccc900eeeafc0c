import * as path from 'node:path';
import { QUIET_OPTION, parseBackend, parseInteger, printJson, stderrOf, type Command } from '../command';

type Flags = Record<string, string | boolean | string[] | undefined>;

const ENGINES = ['auto', 'onnx', 'tfjs'] as const;

/** The study folder: the one positional after the subcommand. */
function folderOf(what: string, positionals: string[]): string {
  const [, dir, ...extra] = positionals;
  if (!dir) throw new Error(`study ${what}: DIR is required (editlab study ${what} DIR).`);
  if (extra.length) throw new Error(`study ${what}: one folder expected, got also ${extra.map((e) => `"${e}"`).join(', ')}.`);
  return dir;
}

/** `study init DIR [--quick]`: writes DIR/study.json. */
async function init(v: Flags, dir: string): Promise<number> {
  const study = await import('../../study');
  const spec = v.quick ? study.QUICK_STUDY_SPEC : study.DEFAULT_STUDY_SPEC;
  const file = study.writeStudySpec(dir, spec);
  if (v.json) printJson({ spec_file: file, spec: study.validateStudySpec(spec) });
  else console.log(`wrote ${file} (the ${v.quick ? 'quick' : 'default'} spec); run it with \`editlab study run ${dir}\``);
  return 0;
}

/** `study run DIR`: runs or resumes the study, a bar over jobs and a line per job on stderr. */
async function run(v: Flags, dir: string): Promise<number> {
  if (v.engine !== undefined && !(ENGINES as readonly unknown[]).includes(v.engine)) throw new Error(`study run: --engine must be one of ${ENGINES.join(', ')}, got "${String(v.engine)}".`);
  const { useBackend } = await import('../../engine/backend');
  await useBackend(parseBackend(v.backend));
  const { runStudy, readStudySpec, parseShard } = await import('../../study');
  const stderr = stderrOf(v);
  const spec = readStudySpec(dir);
  const shard = typeof v.shard === 'string' ? parseShard(v.shard) : undefined;
  const workers = v.workers === undefined ? 1 : parseInteger(v.workers, 'workers', 1);
  if (workers < 1) throw new Error(`study run: --workers must be an integer ≥ 1, got ${String(v.workers)}.`);
  const queue = typeof v.queue === 'string' ? v.queue : undefined;
  // One bar over the study on a terminal; in logs its lines, and a line per finished job.
  const terminal = Boolean(process.stderr.isTTY);
  const result = await runStudy(spec, {
    dir, shard, workers, queue,
    progress: stderr.progress,
    engine: v.engine as (typeof ENGINES)[number] | undefined,
    threads: v.threads === undefined ? undefined : Math.max(1, parseInteger(v.threads, 'threads', 1)),
    onProgress: (e) => {
      if (e.event === 'planned') {
        stderr.log(`study ${dir}${shard ? ` shard ${shard.index}/${shard.count}` : ''}: ${e.jobs_total} jobs, ${e.jobs_done} done before${workers > 1 ? `; ${workers} workers` : ''}${queue ? `; jobs go to the queue at ${queue} (start workers with editlab worker --queue ${queue})` : ''}`);
      } else if (e.event === 'finished' && e.job && !terminal) {
        const j = e.job;
        stderr.log(`[${e.jobs_done}/${e.jobs_total}] ${j.model} ${j.task.name} ${j.method.name} ${j.layer} seed ${j.seed}: ${e.seconds!.toFixed(1)} s, ${e.cells} cells`);
      }
    },
  });
  const summary = { dir: result.dir, jobs_total: result.jobs_total, jobs_done: result.jobs_done, cells_done: result.cells_done, ran: result.ran, skipped: result.skipped, seconds: Math.round(result.seconds * 10) / 10 };
  if (v.json) printJson(summary);
  else console.log(`${result.dir}: ${result.jobs_done}/${result.jobs_total} jobs done (${result.ran} now, ${result.skipped} before), ${result.cells_done} cells, ${summary.seconds} s`);
  return 0;
}

/** `study status DIR`: jobs and cells so far. */
async function status(v: Flags, dir: string): Promise<number> {
  const { openStudy } = await import('../../study');
  const s = await (await openStudy(dir)).status();
  if (v.json) printJson(s);
  else console.log(`${path.resolve(dir)}: ${s.jobs_done}/${s.jobs_total} jobs done, ${s.cells_done} cells`);
  return 0;
}

/** `study export DIR`: the cells table as CSV or Parquet. */
async function exportCells(v: Flags, dir: string): Promise<number> {
  const format = v.format ?? 'csv';
  if (format !== 'csv' && format !== 'parquet') throw new Error(`study export: --format must be csv or parquet, got "${String(format)}".`);
  const { exportStudyCells, readStudyStatus } = await import('../../study');
  const file = await exportStudyCells(dir, { format, out: typeof v.out === 'string' ? v.out : undefined });
  const rows = (await readStudyStatus(dir))?.cells_done ?? 0;
  if (v.json) printJson({ file, format, rows });
  else console.log(`wrote ${file} (${rows} cells)`);
  return 0;
}

/** `study merge OUT DIR…`: the shards' (or machines') folders into one study. */
async function merge(v: Flags, out: string, dirs: string[]): Promise<number> {
  if (!dirs.length) throw new Error('study merge: name the folders to merge after OUT (editlab study merge OUT DIR…).');
  const { mergeStudies } = await import('../../study');
  const result = await mergeStudies(out, dirs);
  const report = { out: path.dirname(result.out), merged: result.merged, ...result.status };
  if (v.json) printJson(report);
  else {
    for (const m of result.merged) console.log(`${m.dir}: ${m.jobs} jobs merged`);
    console.log(`${report.out}: ${report.jobs_done}/${report.jobs_total} jobs done, ${report.cells_done} cells${report.jobs_done < report.jobs_total ? `; run the rest with \`editlab study run ${out}\`` : ''}`);
  }
  return 0;
}

/** Percentage points with a sign, from a fraction. */
const pp = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;

/** `study stats DIR`: OOD penalties per family and method × depth (pooled), the extremes, mCE; tables with --out. */
async function stats(v: Flags, dir: string): Promise<number> {
  const study = await import('../../study');
  const { writeCsv } = await import('../../frames');
  const alphas = typeof v.alpha === 'string' ? v.alpha.split(',').map((a) => {
    const x = Number(a);
    if (!Number.isFinite(x) || x <= 0) throw new Error(`study stats: --alpha takes α values > 0 (comma-separated), got "${a}".`);
    return x;
  }) : undefined;
  const samples = v.samples === undefined ? undefined : parseInteger(v.samples, 'samples', 1000);
  const penalties = await study.studyPenalties(dir, { alphas, samples });
  const pooled = study.poolPenalties(penalties);
  const extremes = study.penaltyExtremes(pooled);
  const spec = study.readStudySpec(dir);
  const mce = spec.sets.clean && spec.sets.corruptions.length ? await study.studyCorruptionErrors(dir) : [];
  if (typeof v.out === 'string') {
    const out = path.resolve(v.out);
    await writeCsv(path.join(out, 'penalties.csv'), penalties);
    await writeCsv(path.join(out, 'penalties-pooled.csv'), pooled);
    await writeCsv(path.join(out, 'comparisons.csv'), await study.studyComparisons(dir, { alphas }));
    if (mce.length) await writeCsv(path.join(out, 'mce.csv'), mce);
  }
  if (v.json) {
    printJson({ pooled, extremes: extremes.map((e) => ({ family: e.family, alpha: e.alpha, most: e.most, least: e.least })), mce });
    return 0;
  }
  if (!pooled.length) {
    console.log(`${path.resolve(dir)}: no penalties yet (needs finished jobs with the clean set and shifted sets, and α = 0 in the spec).`);
    return 0;
  }
  console.log('OOD penalty in percentage points (ρ(edited) − ρ(original) against the reference cloud; 95% paired bootstrap;');
  console.log('pooled over models, tasks and seeds; * = a line with r² < 0.5 behind it: unreliable)');
  for (const e of extremes) {
    console.log(`\n${e.family} at α = ${e.alpha}`);
    for (const r of pooled.filter((p) => p.family === e.family && p.alpha === e.alpha)) {
      const mark = r === e.most ? '  ← most robustness lost' : r === e.least ? '  ← least' : '';
      console.log(`  ${r.method.padEnd(18)} ${(r.layers === r.layer ? r.layer : `${r.layer} (${r.layers})`).padEnd(22)} ${pp(r.penalty).padStart(7)} pp  [${pp(r.ci_lo)}, ${pp(r.ci_hi)}]${r.reliable ? '' : ' *'}  (${r.jobs} job${r.jobs === 1 ? '' : 's'})${mark}`);
    }
  }
  if (mce.length) {
    const edited = mce.filter((m) => m.alpha === (alphas?.[0] ?? Math.max(...mce.map((x) => x.alpha))));
    console.log(`\nmCE against ${mce[0].base} (1 = as the base; relative mCE subtracts clean error), α = ${edited[0]?.alpha}:`);
    for (const m of edited) console.log(`  ${m.model} ${m.task} ${m.method} ${m.layer}: mCE ${m.mce.toFixed(3)}, relative ${m.relative_mce === null ? '—' : m.relative_mce.toFixed(3)}`);
  }
  return 0;
}

const SUBCOMMANDS: Record<string, (v: Flags, dir: string, rest: string[]) => Promise<number>> = { init, run, status, export: exportCells, merge, stats };

export const studyCommand: Command = {
  name: 'study',
  summary: 'the whole grid (models × tasks × methods × layers × α × shifts) as a resumable study in one DuckDB file',
  usage: `editlab study init DIR [--quick] [--json]
  Writes DIR/study.json: the default spec (3 embedded models × 3 tasks × 6 methods × early,
  middle, late layers × 11 α × 1 000 clean images, 19 corruptions × 5 severities on 25 images
  each, 6 renditions on 200 each, the hard subset and the task splits, 1 000 images each; about
  two hours in one process, one with --workers 2), or with --quick a spec that runs in
  about two minutes. Edit the file before the first run; the README lists every field.

editlab study run DIR [--workers N | --queue redis://HOST:PORT] [--shard i/n] [--engine auto|onnx|tfjs]
                      [--threads N] [--backend B] [--json] [--quiet]
  Runs the study in DIR, or resumes it: jobs already in DIR/study.duckdb are skipped, each
  finished job is committed in one transaction (a kill loses at most the running jobs). A spec
  changed after the first run is refused, with the differing fields. --workers N: N local
  worker processes, each with its own backend (default 1: this process). --shard i/n: only the
  i-th of n shares of the jobs (0-based, as Slurm array and Kubernetes job indices; a job that
  reuses another's edit goes with it); merge the folders with study merge. --queue: put the
  jobs on a BullMQ queue on that Redis for \`editlab worker --queue\` processes on any machine;
  their rows come back through the queue and this process stores them (no shared filesystem;
  a worker killed mid-job has its job retried by another). --threads: ONNX
  Runtime threads per worker (default 1). Progress on stderr (jobs; with one worker also edit
  steps and sweep images); --quiet: none. --json prints {dir, jobs_total, jobs_done,
  cells_done, ran, skipped, seconds}.

editlab study status DIR [--json]
  {jobs_total, jobs_done, cells_done}; readable while a run is going on.

editlab study export DIR [--format csv|parquet] [--out FILE] [--json]
  Writes the cells table (default DIR/cells.csv): model, task, method, layer, seed, alpha, set,
  family, severity, accuracy, n, correct, ci_lo, ci_hi (fractions; 95% Clopper–Pearson), sorted
  by the first nine, so two runs of one spec export byte-identical CSV. --json prints {file, format, rows}.

editlab study stats DIR [--alpha A[,B…]] [--samples N] [--out DIR] [--json]
  The OOD penalty of every finished job against the reference cloud, at α = 1 by default: one
  line per shift (corruption × severity, rendition, the cloud's hard subset), averaged per family
  and overall, with 95% paired bootstrap intervals over images (--samples, default 1000; 0: none)
  and each line's r² (< 0.5: unreliable, marked *). Prints, per family, every method × layer
  pooled over models, tasks and seeds by the spec's layer entry (early/middle/late: each model's
  own layer at that depth, named in brackets), marking the one that lost the most robustness and the one
  that lost the least, and mCE against the cloud's reference CNN. --out DIR writes penalties.csv
  (per job, shift, family), penalties-pooled.csv, comparisons.csv (per edited cell: flips fixed and
  broken, McNemar's exact p) and mce.csv. --json prints {pooled, extremes, mce}.

editlab study merge OUT DIR… [--json]
  Merges study folders run as shards or on other machines into OUT (created when absent): every
  job done in any of them, with its edit, cells and bitsets. Folders of another spec or plan are
  refused with nothing written; merging again adds nothing. Resume OUT with study run to run
  what no shard finished. --json prints {out, merged: [{dir, jobs}], jobs_total, jobs_done, cells_done}.`,
  options: {
    quick: { type: 'boolean' }, engine: { type: 'string' }, threads: { type: 'string' }, backend: { type: 'string' },
    format: { type: 'string' }, out: { type: 'string' }, alpha: { type: 'string' }, samples: { type: 'string' }, workers: { type: 'string' }, shard: { type: 'string' }, queue: { type: 'string' }, json: { type: 'boolean' }, ...QUIET_OPTION,
  },
  async run(v, positionals) {
    const [what] = positionals;
    const sub = what === undefined ? undefined : SUBCOMMANDS[what];
    if (!sub) throw new Error(`study: expected a subcommand: ${Object.keys(SUBCOMMANDS).join(', ')}${what ? `, got "${what}"` : ''}.`);
    const allowed: Record<string, string[]> = {
      // --quiet is global (docs/conventions.md): every subcommand takes it.
      init: ['quick', 'json', 'quiet'], stats: ['alpha', 'samples', 'out', 'json', 'quiet'], run: ['engine', 'threads', 'backend', 'workers', 'shard', 'queue', 'json', 'quiet'], status: ['json', 'quiet'], export: ['format', 'out', 'json', 'quiet'], merge: ['json', 'quiet'],
    };
    const stray = Object.keys(v).find((k) => v[k] !== undefined && !allowed[what!].includes(k));
    if (stray) throw new Error(`study ${what}: --${stray} is not an option of this subcommand (see editlab study --help).`);
    if (what === 'merge') {
      const [, out, ...dirs] = positionals;
      if (!out) throw new Error('study merge: OUT is required (editlab study merge OUT DIR…).');
      return sub(v, out, dirs);
    }
    return sub(v, folderOf(what!, positionals), []);
  },
};

export const workerCommand: Command = {
  name: 'worker',
  summary: "take a study's jobs from a Redis queue (the other end of study run --queue)",
  usage: `editlab worker --queue redis://HOST:PORT [--concurrency N] [--engine auto|onnx|tfjs] [--threads N]
                      [--backend B] [--quiet]

  Takes jobs that \`editlab study run DIR --queue redis://HOST:PORT\` put on the queue, from any
  machine that reaches that Redis: each job runs in one of N local worker processes (default 1),
  and its rows go back through the queue to the coordinator, which stores them. Runs until
  interrupted (Ctrl-C, SIGTERM); a worker killed mid-job loses its lock and its job goes to
  another worker after about 10 s. A line per job on stderr; --quiet: none. An unreachable Redis
  fails within 5 s.`,
  options: { queue: { type: 'string' }, concurrency: { type: 'string' }, engine: { type: 'string' }, threads: { type: 'string' }, backend: { type: 'string' }, ...QUIET_OPTION },
  async run(v) {
    if (typeof v.queue !== 'string') throw new Error('worker: --queue redis://HOST:PORT is required.');
    if (v.engine !== undefined && !(ENGINES as readonly unknown[]).includes(v.engine)) throw new Error(`worker: --engine must be one of ${ENGINES.join(', ')}, got "${String(v.engine)}".`);
    const concurrency = parseInteger(v.concurrency, 'concurrency', 1);
    if (concurrency < 1) throw new Error(`worker: --concurrency must be an integer ≥ 1, got ${String(v.concurrency)}.`);
    const { serveQueue } = await import('../../study');
    const stderr = stderrOf(v);
    const worker = await serveQueue(v.queue, {
      concurrency, backend: parseBackend(v.backend), engine: v.engine as (typeof ENGINES)[number] | undefined,
      threads: v.threads === undefined ? undefined : Math.max(1, parseInteger(v.threads, 'threads', 1)),
      onEvent: (e) => stderr.log(`${e.event} ${e.name}${e.seconds !== undefined ? `: ${e.seconds.toFixed(1)} s` : ''}${e.message ? `: ${e.message}` : ''}`),
    });
    stderr.log(`worker: taking study jobs from ${v.queue} (${concurrency} at a time)`);
    await new Promise<void>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve());
    });
    await worker.close();
    return 0;
  },
};
