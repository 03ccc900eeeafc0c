/**
 * `editlab reproduce --out DIR`: the paper's study end to end on the study engine. Runs (or
 * resumes) the default or quick spec in DIR/study, then writes the tables (CSV and Parquet),
 * figures 1–5 (SVG, PNG, Vega-Lite JSON) and `summary.md`, which judges the paper's four
 * findings on the tables with the numbers and intervals that decide each.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { backendInfo } from '../engine/backend';
import type { ProgressOption } from '../engine/progress';
import { groupBy, writeCsv } from '../frames';
import { accuracyOnTheLine, accuracyVsAlpha, editGallery, penaltyBars, saveFigure, tradeOff, type VegaLiteSpec } from '../figures';
import { firstImages } from '../data/image-set';
import { resolveModel, predict } from '../models';
import { editGalleryRows, type EditGalleryRow } from '../edits';
import { accuracyPairs, loadCloud } from '../cloud';
import { getTask } from '../edits/tasks';
import {
  DEFAULT_STUDY_SPEC, QUICK_STUDY_SPEC, csvToParquet, exportStudyCells, poolPaths, poolPenalties, queryStudy, runStudy, studyComparisons, studyCorruptionErrors,
  studyPaths, studyPenalties, readStudySpec, loadStudyEdit, EvaluationSets, DEFAULT_MCE_BASE, CELLS_WITH_DEPTH, ALL_LAYERS, pooledLayers,
  type StudySpecInput, type PooledPenaltyRow, type PooledPathPoint, type PooledLayers,
} from '../study';
import { findingsMarkdown, judgeFindings, type Finding } from './findings';

/** Options of {@link reproduceStudy}. */
export interface ReproduceOptions {
  /** The output folder (created); the study itself goes to OUT/study and resumes from there. */
  out: string;
  /** The quick spec (minutes) instead of the default one (about an hour on 2 cores with two workers). */
  quick?: boolean;
  /** Local worker processes for the study (default 1). */
  workers?: number;
  /** Bootstrap resamples of the penalties' intervals (default 1000). */
  samples?: number;
  /** The study's progress bar (see `runStudy`). */
  progress?: ProgressOption;
  /** A line per step. */
  log?: (line: string) => void;
}

/** What {@link reproduceStudy} wrote and found. */
export interface ReproduceResult {
  out: string;
  spec: 'quick' | 'default';
  jobs: number;
  cells: number;
  seconds: number;
  findings: Finding[];
  /** Files written, relative to `out`. */
  files: string[];
}

/** The split names of figure 1 and `results.csv`, in panel order. */
export const SPLIT_LABELS = { edit: 'edit task (held-out)', clean: 'original (clean)', corruption: 'corruptions', rendition: 'renditions', hard: 'hard subset' } as const;

/** One row of `results.csv`: a job's accuracy on one split at one α. */
export type SplitRow = { model: string; task: string; method: string; layer: string; depth: string; seed: number; alpha: number; split: string; accuracy: number; n: number; ci_lo: number; ci_hi: number };

/**
 * Per job and α, the accuracy on the edit task's held-out split, the clean set, and each shift
 * family (the mean of its cells; `n` their images; interval ends averaged likewise).
 */
export async function splitRows(dir: string): Promise<SplitRow[]> {
  const cells = await queryStudy(dir, `SELECT model, task, method, layer, depth, seed, alpha, set, family, accuracy, n, ci_lo, ci_hi FROM ${CELLS_WITH_DEPTH}
    ORDER BY model, task, method, layer, seed, alpha, set, severity`) as unknown as Array<Omit<SplitRow, 'split'> & { set: string; family: string }>;
  const order = Object.values(SPLIT_LABELS) as string[];
  const labelled = cells.flatMap((c): SplitRow[] => {
    const split = c.family === 'task' ? (c.set === getTask(c.task).heldOutSplit ? SPLIT_LABELS.edit : undefined) : SPLIT_LABELS[c.family as keyof typeof SPLIT_LABELS];
    return split ? [{ model: c.model, task: c.task, method: c.method, layer: c.layer, depth: c.depth, seed: c.seed, alpha: c.alpha, split, accuracy: c.accuracy, n: c.n, ci_lo: c.ci_lo, ci_hi: c.ci_hi }] : [];
  });
  return [...groupBy(labelled, (r) => [r.model, r.task, r.method, r.layer, r.seed, r.alpha, r.split]).values()].map(meanSplit)
    .sort((a, b) => (a.model + a.task + a.method + a.layer).localeCompare(b.model + b.task + b.method + b.layer) || a.seed - b.seed || a.alpha - b.alpha || order.indexOf(a.split) - order.indexOf(b.split));
}

/** Means over models, tasks and seeds by method × depth × α × split (`layer`: the depth, `layers`: the names pooled). */
function poolSplits(rows: readonly SplitRow[]): Array<Omit<SplitRow, 'model' | 'task' | 'seed' | 'depth'> & PooledLayers> {
  return [...groupBy(rows, (r) => [r.method, r.depth, r.alpha, r.split]).values()].map((g) => {
    const { model: _m, task: _t, seed: _s, depth: _d, ...pooled } = meanSplit(g);
    return { ...pooled, ...pooledLayers(g) };
  });
}

/** One row for a group of split rows: the first's keys, mean accuracy and interval ends, summed n. */
function meanSplit(g: readonly SplitRow[]): SplitRow {
  const mean = (f: 'accuracy' | 'ci_lo' | 'ci_hi') => g.reduce((s, r) => s + r[f], 0) / g.length;
  return { ...g[0], accuracy: mean('accuracy'), n: g.reduce((s, r) => s + r.n, 0), ci_lo: mean('ci_lo'), ci_hi: mean('ci_hi') };
}

/** Figure 1: accuracy vs α per layer of the first layer-wise method (local fine-tuning when run), global fine-tuning at α = 1 as reference lines. */
function figureAccuracyVsAlpha(pooled: ReturnType<typeof poolSplits>, pooledOver: string): VegaLiteSpec {
  const layerwise = [...new Set(pooled.filter((r) => r.layer !== 'all').map((r) => r.method))];
  const method = layerwise.includes('local-ft') ? 'local-ft' : layerwise[0];
  const reference = pooled.filter((r) => r.method === 'global-ft' && r.alpha === 1).map((r) => ({ split: r.split, accuracy: r.accuracy, label: `global FT from ${r.layer}, α = 1` }));
  return accuracyVsAlpha(pooled.filter((r) => r.method === method), { title: `Accuracy along α: ${method} at each layer${pooledOver}`, reference, columns: 5 });
}

/**
 * Figure 3: the cloud's line for the study's own corruption cells (its corruptions at its
 * severities), with each method × layer's path (clean vs mean corruption accuracy) along α.
 */
async function figureOnTheLine(dir: string): Promise<VegaLiteSpec | undefined> {
  const { sets } = readStudySpec(dir);
  if (!sets.clean || !sets.corruptions.length) return undefined;
  const rows = await queryStudy(dir, `SELECT method, depth AS layer, alpha, avg(CASE WHEN family = 'clean' THEN accuracy END) AS id, avg(CASE WHEN family = 'corruption' THEN accuracy END) AS ood
    FROM ${CELLS_WITH_DEPTH} GROUP BY method, depth, alpha HAVING id IS NOT NULL AND ood IS NOT NULL ORDER BY method, depth, alpha`);
  const overlay = rows.map((r) => ({ label: `${r.method} ${r.layer}`, alpha: Number(r.alpha), id: Number(r.id), ood: Number(r.ood) }));
  const cloud = loadCloud().filter((r) => r.shift === 'clean' || (sets.corruptions.includes(r.shift) && sets.severities.includes(r.severity)));
  const archOf = new Map(cloud.map((r) => [r.model, r.arch]));
  const pairs = accuracyPairs(cloud, { family: 'corruption' }).map((p) => ({ ...p, arch: archOf.get(p.model) ?? null }));
  return accuracyOnTheLine(pairs, { overlay, title: `Accuracy on the line: the study's corruptions (${sets.corruptions.length} × severity ${sets.severities.join(', ')}), probit axes` });
}

/**
 * Figure 5: per task, 8 of its exemplars and 8 held-out images with the original's and the edited
 * model's predictions: the first model's local fine-tuning edit at the middle layer (or the first
 * job of a layer-wise method), at α = 1.
 */
async function figureGallery(dir: string): Promise<VegaLiteSpec | undefined> {
  const spec = readStudySpec(dir);
  const sets = new EvaluationSets(spec);
  const rows: EditGalleryRow[] = [];
  for (const task of spec.tasks) {
    const [job] = await queryStudy(dir, `SELECT job_id, model, layer, seed FROM jobs WHERE state = 'done' AND task = '${task.name.replace(/'/g, "''")}' AND layer <> 'all'
      ORDER BY method = 'local-ft' DESC, layer_spec = 'middle' DESC, position LIMIT 1`);
    if (!job) continue;
    const { model } = await resolveModel(String(job.model));
    try {
      const edit = await loadStudyEdit(dir, String(job.job_id), model);
      const edited = await edit.at(1);
      const built = sets.task(task, Number(job.seed));
      for (const [label, set] of [['exemplars', firstImages(built.editSet, 8)], ['held-out', firstImages(built.heldOut, 8)]] as const) {
        rows.push(...editGalleryRows(set, predict(model, set).predicted, predict(edited, set).predicted, { task: `${task.name}: ${label} (${job.model} ${job.layer})` }));
      }
      edited.dispose();
      edit.dispose();
    } finally {
      model.dispose();
    }
  }
  return rows.length ? editGallery(rows, { title: 'Each task\'s images before and after the edit (α = 1)' }) : undefined;
}

/** A sort of pooled rows into the spec's method order and its layer order (shallow to deep, `all` last), for legends and panels. */
function studyOrder(dir: string): <T extends { method: string; layer: string }>(rows: readonly T[]) => T[] {
  const spec = readStudySpec(dir);
  const methods = spec.methods.map((m) => m.name);
  const layers = [...spec.layers, ALL_LAYERS];
  const rank = (list: string[], x: string) => (list.includes(x) ? list.indexOf(x) : list.length);
  return (rows) => [...rows].sort((a, b) => rank(methods, a.method) - rank(methods, b.method) || rank(layers, a.layer) - rank(layers, b.layer));
}

/** The figure names of {@link studyFigures}, in figure order (the gallery is figure 5). */
export const STUDY_FIGURES = ['accuracy-vs-alpha', 'penalty-by-method-layer', 'accuracy-on-the-line', 'trade-off', 'edit-gallery'] as const;

/** The tables the figures are drawn from (computed by {@link studyFigures} when not given). */
export interface StudyFigureTables {
  /** {@link splitRows} of the study. */
  splits: SplitRow[];
  /** Pooled penalties at α = 1 (`poolPenalties(await studyPenalties(dir))`). */
  penalties: PooledPenaltyRow[];
  /** Pooled paths (`poolPaths(await studyPaths(dir))`). */
  paths: PooledPathPoint[];
}

/** Options of {@link studyFigures}. */
export interface StudyFiguresOptions {
  /** Bootstrap resamples of the penalties' intervals when `tables` is not given (default 1000). */
  samples?: number;
  /** The tables, when already computed (`reproduceStudy` computes them for its own tables). */
  tables?: StudyFigureTables;
  /** Also figure 5, the edit gallery (loads the model and replays an edit; default false). */
  gallery?: boolean;
}

/**
 * The study's figures as Vega-Lite specs, by name: 'accuracy-vs-alpha' (figure 1),
 * 'penalty-by-method-layer' (2), 'trade-off' (4), 'accuracy-on-the-line' (3, when the study has
 * clean and corruption sets) and 'edit-gallery' (5, with `gallery`). `reproduceStudy` saves them;
 * `editlab explore --study` serves them.
 * @example const figures = await studyFigures('out/quick/study', { samples: 200 });
 */
export async function studyFigures(dir: string, options: StudyFiguresOptions = {}): Promise<Record<string, VegaLiteSpec>> {
  const tables = options.tables ?? {
    splits: await splitRows(dir),
    penalties: poolPenalties(await studyPenalties(dir, { samples: options.samples })),
    paths: poolPaths(await studyPaths(dir)),
  };
  const { models, tasks, seeds } = readStudySpec(dir);
  const pooledOver = models.length * tasks.length * seeds.length > 1 ? ` (mean over ${[models.length > 1 && 'models', tasks.length > 1 && 'tasks', seeds.length > 1 && 'seeds'].filter(Boolean).join(', ')})` : ` (${models[0]}, ${tasks[0].name})`;
  const inStudyOrder = studyOrder(dir);
  const figures: Record<string, VegaLiteSpec> = {
    'accuracy-vs-alpha': figureAccuracyVsAlpha(inStudyOrder(poolSplits(tables.splits)), pooledOver),
    'penalty-by-method-layer': penaltyBars(inStudyOrder(tables.penalties), { title: `OOD penalty by method and layer at α = 1${pooledOver}` }),
    'trade-off': tradeOff(inStudyOrder(tables.paths), { title: 'Trade-off along α: edit-task vs original-task OOD accuracy' }),
  };
  const onTheLine = await figureOnTheLine(dir);
  if (onTheLine) figures['accuracy-on-the-line'] = onTheLine;
  if (options.gallery) {
    const gallery = await figureGallery(dir);
    if (gallery) figures['edit-gallery'] = gallery;
  }
  return figures;
}

/**
 * Runs (or resumes) the study and writes every table, figure and the findings into `out`.
 * @example await reproduceStudy({ out: 'out/quick', quick: true, progress: true })
 */
export async function reproduceStudy(options: ReproduceOptions): Promise<ReproduceResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const out = path.resolve(options.out);
  const dir = path.join(out, 'study');
  const spec: StudySpecInput = options.quick ? QUICK_STUDY_SPEC : DEFAULT_STUDY_SPEC;
  fs.mkdirSync(out, { recursive: true });
  log(`reproduce: the ${options.quick ? 'quick' : 'default'} study in ${dir}`);
  const run = await runStudy(spec, { dir, workers: options.workers, progress: options.progress });
  const files: string[] = [];
  const table = async (name: string, rows: ReadonlyArray<Record<string, unknown>>) => {
    if (!rows.length) return;
    const csv = path.join(out, `${name}.csv`);
    await writeCsv(csv, rows as Array<Record<string, string | number | boolean | null>>);
    await csvToParquet(csv, path.join(out, `${name}.parquet`));
    files.push(`${name}.csv`, `${name}.parquet`);
  };
  log('reproduce: statistics (paired bootstrap over images)…');
  await exportStudyCells(dir, { out: path.join(out, 'cells.csv') });
  await exportStudyCells(dir, { out: path.join(out, 'cells.parquet'), format: 'parquet' });
  files.push('cells.csv', 'cells.parquet');
  const splits = await splitRows(dir);
  await table('results', splits);
  const penalties = await studyPenalties(dir, { samples: options.samples });
  await table('penalties', penalties);
  const pooledPenalties = poolPenalties(penalties);
  await table('penalties-pooled', pooledPenalties);
  const paths = poolPaths(await studyPaths(dir));
  await table('paths', paths);
  await table('comparisons', await studyComparisons(dir, { alphas: [1] }));
  if (loadCloud().some((r) => r.model === DEFAULT_MCE_BASE)) await table('mce', await studyCorruptionErrors(dir));
  else log(`reproduce: no mCE: the cloud table has no ${DEFAULT_MCE_BASE} (rebuild it with \`editlab cloud build\`)`);
  log('reproduce: figures…');
  const figures = await studyFigures(dir, { tables: { splits, penalties: pooledPenalties, paths }, gallery: true });
  for (const [name, figure] of Object.entries(figures)) {
    await saveFigure(figure, path.join(out, name));
    files.push(`${name}.svg`, `${name}.png`, `${name}.vl.json`);
  }
  const findings = judgeFindings(pooledPenalties.filter((r) => r.family === 'overall'), paths);
  const seconds = (performance.now() - started) / 1000;
  const machine = `${os.availableParallelism()} × ${os.cpus()[0]?.model ?? 'unknown CPU'}`;
  fs.writeFileSync(path.join(out, 'summary.md'), findingsMarkdown(findings, { spec: options.quick ? 'quick' : 'default', jobs: run.jobs_done, seconds, machine }));
  files.push('summary.md');
  const backend = await backendInfo();
  const summary = {
    spec: options.quick ? 'quick' : 'default', backend: backend.backend, jobs: run.jobs_done, cells: run.cells_done, seconds: Math.round(seconds * 10) / 10,
    findings: findings.map((f) => ({ id: f.id, claim: f.claim, verdict: f.verdict, figure: f.figure })), files: [...files, 'summary.json'],
  };
  fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  files.push('summary.json');
  return { out, spec: options.quick ? 'quick' : 'default', jobs: run.jobs_done, cells: run.cells_done, seconds, findings, files };
}
