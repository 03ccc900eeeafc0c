/**
 * The statistics of a study, from its tables. Every edited cell is compared with the original
 * model (α = 0 of the same job) on the same images, so comparisons are paired:
 * - {@link studyComparisons}: per cell, the flips (fixed, broken) and McNemar's exact test;
 * - {@link studyPenalties}: per job and α, the OOD penalty and raw drop per shift, per family
 *   and overall against the reference cloud (one line per shift, BRIEF §4), with paired
 *   bootstrap intervals over images and each line's r² (below 0.5: unreliable);
 * - {@link studyCorruptionErrors}: per job and α, mCE and relative mCE against a named cloud
 *   member (the reference CNN by default).
 * All values are fractions; figures and tables show percentage points.
 */
import { loadCloud, cloudSettings, defaultCloudCsv, type CloudRow } from '../cloud';
import { shiftPenalties, shiftPenaltyIntervals, type ShiftPenaltyRow, type PairedSetCorrectness } from '../cloud/shift-penalty';
import { cloudHardSubset, rowsForLines, sameEnsemble } from '../cloud/hard-subset';
import { flipCounts, mcnemarExact } from '../metrics/paired';
import { baselineFromRows, corruptionErrors, type CorruptionAccuracyRow } from '../metrics/corruption-error';
import { getTask } from '../edits/tasks';
import { groupBy } from '../frames/group-by';
import { readStudySpec } from './run';
import { CELLS_WITH_DEPTH, queryStudy, type EditedModelKey } from './store';

export type { EditedModelKey };
import type { StudySpec } from './spec';


/** One edited cell against the original on the same images. */
export interface CellComparison extends EditedModelKey {
  [key: string]: string | number;
  set: string;
  family: string;
  severity: number;
  n: number;
  /** The original's accuracy (α = 0) and the edited model's. */
  accuracy_original: number;
  accuracy: number;
  /** Examples wrong before and right after, and the reverse. */
  fixed: number;
  broken: number;
  /** Two-sided exact McNemar p-value of fixed vs broken. */
  p_mcnemar: number;
}

/** One row of {@link studyPenalties}: a {@link ShiftPenaltyRow} of one job at one α. */
export type StudyPenaltyRow = EditedModelKey & ShiftPenaltyRow;

/** One row of {@link studyCorruptionErrors}. */
export interface StudyCorruptionErrorRow extends EditedModelKey {
  [key: string]: string | number | null;
  /** The base model's name. */
  base: string;
  mce: number;
  relative_mce: number | null;
  corruptions: number;
}

/** The cloud member mCE is measured against by default: the cloud's strongest reference CNN. */
export const DEFAULT_MCE_BASE = 'reference-cnn-w1-e3-n60k-s5';

type CorrectnessRow = { job_id: string; alpha: number; set: string; family: string; severity: number; n: number; accuracy: number; bits: Uint8Array } & Omit<EditedModelKey, 'alpha'>;

/** The cells (with bitsets) of the given α and of α = 0, grouped by job. */
async function readCorrectness(dir: string, alphas: readonly number[] | undefined, families: readonly string[]): Promise<Map<string, CorrectnessRow[]>> {
  const alphaFilter = alphas ? ` AND c.alpha IN (0, ${alphas.map((a) => Number(a)).join(', ')})` : '';
  const familyFilter = ` AND c.family IN (${families.map((f) => `'${f}'`).join(', ')})`;
  const rows = await queryStudy(dir, `SELECT c.job_id, c.model, c.task, c.method, c.layer, c.depth, c.seed, c.alpha, c.set, c.family, c.severity, c.n, c.accuracy, b.bits
    FROM ${CELLS_WITH_DEPTH} c JOIN correctness b USING (job_id, alpha, set, severity) WHERE TRUE${alphaFilter}${familyFilter}
    ORDER BY c.model, c.task, c.method, c.layer, c.seed, c.alpha, c.set, c.severity`) as CorrectnessRow[];
  return groupBy(rows, (r) => [r.job_id]);
}

/** A job's cells as pairs: each α ≠ 0 cell with the α = 0 cell of the same set. */
function pairsOf(cells: readonly CorrectnessRow[], spec: StudySpec): Array<{ alpha: number; original: CorrectnessRow; edited: CorrectnessRow }> {
  if (!spec.alphas.includes(0)) throw new Error('editlab study: paired statistics compare each α with the original, α = 0, which this spec\'s alphas do not include.');
  const originals = new Map(cells.filter((c) => c.alpha === 0).map((c) => [`${c.set}\u0000${c.severity}`, c]));
  return cells.filter((c) => c.alpha !== 0).map((edited) => {
    const original = originals.get(`${edited.set}\u0000${edited.severity}`);
    if (!original) throw new Error(`editlab study: job ${edited.job_id} has no α = 0 cell for ${edited.set} (severity ${edited.severity}).`);
    return { alpha: edited.alpha, original, edited };
  });
}

/** A row's edited-model keys, in table column order (`alpha` given: a pair's edited α). */
const keyOf = (c: EditedModelKey, alpha = c.alpha): EditedModelKey => ({ model: c.model, task: c.task, method: c.method, layer: c.layer, depth: c.depth, seed: c.seed, alpha });

/**
 * Every edited cell (α ≠ 0) against the original on the same images: flips and McNemar's exact test.
 * @param dir a study folder
 * @param options `alphas` to compare (default every α of the spec but 0)
 */
export async function studyComparisons(dir: string, options: { alphas?: number[] } = {}): Promise<CellComparison[]> {
  const spec = readStudySpec(dir);
  const out: CellComparison[] = [];
  for (const cells of (await readCorrectness(dir, options.alphas, ['clean', 'corruption', 'rendition', 'hard', 'task'])).values()) {
    for (const { alpha, original, edited } of pairsOf(cells, spec)) {
      const flips = flipCounts(original.bits, edited.bits, edited.n);
      out.push({
        ...keyOf(edited, alpha), set: edited.set, family: edited.family, severity: edited.severity, n: edited.n,
        accuracy_original: original.accuracy, accuracy: edited.accuracy, fixed: flips.fixed, broken: flips.broken, p_mcnemar: mcnemarExact(flips.fixed, flips.broken),
      });
    }
  }
  return out;
}

/** Options of {@link studyPenalties}. */
export interface StudyPenaltyOptions {
  /** α values to score (default: 1 when the spec has it, else its largest α). */
  alphas?: number[];
  /** Bootstrap resamples for the intervals (default 1000; 0: point estimates only, interval columns null). */
  samples?: number;
  /** Bootstrap seed (default 0). */
  seed?: number;
  /** The cloud table (default the committed one). */
  cloudCsv?: string;
}

/**
 * The OOD penalty of every job at the given α against the reference cloud: per shift (one cloud
 * line each), per family and overall, with paired bootstrap intervals over images. The hard
 * subset counts only when it is the cloud's (the same images as the cloud's hard rows); its line
 * leaves out the cloud members that chose it.
 * @example (await studyPenalties('studies/quick')).filter((r) => r.scope === 'family')
 */
export async function studyPenalties(dir: string, options: StudyPenaltyOptions = {}): Promise<StudyPenaltyRow[]> {
  const spec = readStudySpec(dir);
  const alphas = options.alphas ?? [spec.alphas.includes(1) ? 1 : Math.max(...spec.alphas)];
  const cloudCsv = options.cloudCsv ?? defaultCloudCsv();
  const cloud = rowsForLines(loadCloud(cloudCsv), cloudSettings(cloudCsv)?.hardEnsemble ?? []);
  const cloudHard = spec.sets.hard.length > 0 && sameEnsemble(spec.sets.hard, cloudHardSubset(cloudCsv).ensemble);
  const families = ['clean', 'corruption', 'rendition', ...(cloudHard ? ['hard'] : [])];
  const samples = options.samples ?? 1000;
  const out: StudyPenaltyRow[] = [];
  for (const cells of (await readCorrectness(dir, alphas, families)).values()) {
    for (const pairs of groupBy(pairsOf(cells, spec).filter((p) => alphas.includes(p.alpha)), (p) => [p.alpha]).values()) {
      const alpha = pairs[0].alpha;
      const sets: PairedSetCorrectness[] = pairs.map(({ original, edited }) => ({ set: edited.set, family: edited.family, severity: edited.severity, n: edited.n, original: original.bits, edited: edited.bits }));
      if (!sets.some((s) => s.set === 'clean') || sets.length < 2) continue; // no clean or no shifted set: nothing to place on a line
      const rows = samples > 0
        ? shiftPenaltyIntervals(cloud, sets, { samples, seed: options.seed ?? 0 })
        : shiftPenalties(cloud, cellsFrom(sets, 'original'), cellsFrom(sets, 'edited'));
      for (const row of rows) out.push({ ...keyOf(cells[0], alpha), ...row });
    }
  }
  return out;
}

/** The accuracies the original's or the edited model's bitsets give, as cells. */
function cellsFrom(sets: readonly PairedSetCorrectness[], which: 'original' | 'edited') {
  return sets.map((s) => {
    const f = flipCounts(s.original, s.edited, s.n);
    return { set: s.set, family: s.family, severity: s.severity, accuracy: (f.both_correct + (which === 'original' ? f.broken : f.fixed)) / s.n };
  });
}

/**
 * mCE and relative mCE (Hendrycks & Dietterich 2019) of every job at every α (0 included: the
 * original) against a cloud member: CE_c = Σ_s E_{s,c} / Σ_s E^base_{s,c} over the spec's
 * severities, averaged over the spec's corruptions; relative CE subtracts each model's clean error.
 * @param options `base`: a cloud member's name (default {@link DEFAULT_MCE_BASE}); `cloudCsv`
 */
export async function studyCorruptionErrors(dir: string, options: { base?: string; cloudCsv?: string } = {}): Promise<StudyCorruptionErrorRow[]> {
  const spec = readStudySpec(dir);
  if (!spec.sets.corruptions.length || !spec.sets.clean) throw new Error('editlab study: mCE needs the clean set and corruptions in the spec.');
  const baseName = options.base ?? DEFAULT_MCE_BASE;
  const cloud: CloudRow[] = loadCloud(options.cloudCsv ?? defaultCloudCsv());
  if (!cloud.some((r) => r.model === baseName)) throw new Error(`editlab study: the mCE base "${baseName}" is not a model of the cloud table; see \`editlab cloud list\`.`);
  const base = baselineFromRows(cloud.filter((r) => r.model === baseName && (r.family === 'clean' || spec.sets.severities.includes(r.severity))), baseName);
  const cells = await queryStudy(dir, `SELECT model, task, method, layer, depth, seed, alpha, set, family, severity, accuracy FROM ${CELLS_WITH_DEPTH}
    WHERE family IN ('clean', 'corruption') ORDER BY model, task, method, layer, seed, alpha, set, severity`) as unknown as Array<EditedModelKey & { set: string; family: string; severity: number; accuracy: number }>;
  const keys = new Map<string, EditedModelKey>();
  const rows: CorruptionAccuracyRow[] = cells.map((c) => {
    const key = JSON.stringify([c.model, c.task, c.method, c.layer, c.seed, c.alpha]);
    keys.set(key, keyOf(c));
    return { model: key, shift: c.set, family: c.family, severity: c.severity, accuracy: c.accuracy };
  });
  if (!rows.length) return [];
  const { summary } = corruptionErrors(rows, base, { models: [...keys.keys()] });
  return summary.map((s) => ({ ...keys.get(s.model)!, base: baseName, mce: s.mce, relative_mce: s.relative_mce, corruptions: s.corruptions }));
}

/** The layer columns of a pooled row (see {@link pooledLayers}). */
export type PooledLayers = {
  /** The depth the pooled jobs share: the spec's `layers` entry (`early`, `middle`, `late`, a layer name, or `all`). */
  layer: string;
  /** The model layers pooled under it, comma-separated in first-seen order (one name when one model). */
  layers: string;
};

/**
 * The layer columns of a group pooled over models: its shared `depth` as `layer`, and the
 * models' own layer names under it as `layers`.
 */
export function pooledLayers(group: ReadonlyArray<{ layer: string; depth: string }>): PooledLayers {
  return { layer: group[0].depth, layers: [...new Set(group.map((r) => r.layer))].join(', ') };
}

/** A method × depth's OOD penalty in one family, pooled over the study's models, tasks and seeds. */
export interface PooledPenaltyRow extends PooledLayers {
  [key: string]: string | number | boolean;
  family: string;
  method: string;
  alpha: number;
  /** Jobs pooled. */
  jobs: number;
  /** Mean of their penalties (fractions). */
  penalty: number;
  /**
   * Means of their interval ends: the interval of the mean if the jobs' errors were perfectly
   * correlated (they share the images), so never narrower than the truth.
   */
  ci_lo: number;
  ci_hi: number;
  drop: number;
  /** The smallest r² of the lines behind it, and whether every job's family row is reliable. */
  min_r2: number;
  reliable: boolean;
}

/**
 * Pools the family and overall rows of {@link studyPenalties} by family × method × depth × α
 * (over models, tasks and seeds), sorted by family, then penalty (most robustness lost first).
 */
export function poolPenalties(rows: readonly StudyPenaltyRow[]): PooledPenaltyRow[] {
  const groups = groupBy(rows.filter((r) => r.scope !== 'shift'), (r) => [r.family ?? 'overall', r.method, r.depth, r.alpha]);
  const mean = (xs: readonly (number | null)[]) => xs.reduce((s: number, x) => s + (x ?? NaN), 0) / xs.length;
  const pooled = [...groups.values()].map((g): PooledPenaltyRow => {
    const { method, alpha } = g[0], family = g[0].family ?? 'overall';
    return {
      family, method, ...pooledLayers(g), alpha, jobs: g.length, penalty: mean(g.map((r) => r.penalty)), ci_lo: mean(g.map((r) => r.ci_lo)), ci_hi: mean(g.map((r) => r.ci_hi)),
      drop: mean(g.map((r) => r.drop)), min_r2: Math.min(...g.map((r) => r.r2)), reliable: g.every((r) => r.reliable),
    };
  });
  const familyOrder = ['corruption', 'rendition', 'hard', 'overall'];
  const rank = (f: string) => (familyOrder.includes(f) ? familyOrder.indexOf(f) : familyOrder.length);
  return pooled.sort((a, b) => rank(a.family) - rank(b.family) || a.family.localeCompare(b.family) || a.alpha - b.alpha || a.penalty - b.penalty);
}

/** Per family and α: the method × depth that lost the most robustness (lowest penalty) and the least. */
export function penaltyExtremes(pooled: readonly PooledPenaltyRow[]): Array<{ family: string; alpha: number; most: PooledPenaltyRow; least: PooledPenaltyRow }> {
  const out: Array<{ family: string; alpha: number; most: PooledPenaltyRow; least: PooledPenaltyRow }> = [];
  for (const row of pooled) {
    let entry = out.find((e) => e.family === row.family && e.alpha === row.alpha);
    if (!entry) out.push((entry = { family: row.family, alpha: row.alpha, most: row, least: row }));
    if (row.penalty < entry.most.penalty) entry.most = row;
    if (row.penalty > entry.least.penalty) entry.least = row;
  }
  return out;
}

/** A place on the trade-off: edit-task, clean and OOD accuracy (fractions). */
export interface PathAccuracies {
  /** Accuracy on the task's held-out split (`heldOutSplit` of the task). */
  edit_accuracy: number;
  edit_ci_lo: number;
  edit_ci_hi: number;
  clean_accuracy: number;
  /** Mean over the shift families present (corruption, rendition, hard) of each family's mean accuracy. */
  ood_accuracy: number;
  /** The same means of the cells' interval ends (never narrower than the mean's interval). */
  ood_ci_lo: number;
  ood_ci_hi: number;
}

/** One edited model's place on the trade-off. */
export interface PathPoint extends EditedModelKey, PathAccuracies {
  [key: string]: string | number;
}

/**
 * Every job's path along α: edit-task accuracy, clean accuracy and OOD accuracy per α (the
 * tables behind the trade-off figure and the findings). A job without its task's held-out split
 * or without a shifted set is left out.
 */
export async function studyPaths(dir: string): Promise<PathPoint[]> {
  const cells = await queryStudy(dir, `SELECT model, task, method, layer, depth, seed, alpha, set, family, accuracy, ci_lo, ci_hi FROM ${CELLS_WITH_DEPTH}
    ORDER BY model, task, method, layer, seed, alpha`) as unknown as Array<EditedModelKey & { set: string; family: string; accuracy: number; ci_lo: number; ci_hi: number }>;
  const out: PathPoint[] = [];
  for (const group of groupBy(cells, (c) => [c.model, c.task, c.method, c.layer, c.seed, c.alpha]).values()) {
    const first = group[0];
    const edit = group.find((c) => c.family === 'task' && c.set === getTask(first.task).heldOutSplit);
    const clean = group.find((c) => c.family === 'clean');
    const families = ['corruption', 'rendition', 'hard'].map((f) => group.filter((c) => c.family === f)).filter((g) => g.length);
    if (!edit || !clean || !families.length) continue;
    const familyMean = (field: 'accuracy' | 'ci_lo' | 'ci_hi') => families.reduce((s, g) => s + g.reduce((t, c) => t + c[field], 0) / g.length, 0) / families.length;
    out.push({
      ...keyOf(first),
      edit_accuracy: edit.accuracy, edit_ci_lo: edit.ci_lo, edit_ci_hi: edit.ci_hi, clean_accuracy: clean.accuracy,
      ood_accuracy: familyMean('accuracy'), ood_ci_lo: familyMean('ci_lo'), ood_ci_hi: familyMean('ci_hi'),
    });
  }
  return out;
}

/** A method × depth's point at one α, pooled over models, tasks and seeds (means; interval ends averaged). */
export interface PooledPathPoint extends PathAccuracies, PooledLayers {
  [key: string]: string | number;
  method: string;
  alpha: number;
  jobs: number;
}

/**
 * Pools path points by method × depth × α (means over models, tasks and seeds; interval ends
 * averaged likewise), in method, depth, α order of first appearance.
 */
export function poolPaths(points: readonly PathPoint[]): PooledPathPoint[] {
  const groups = groupBy(points, (p) => [p.method, p.depth, p.alpha]);
  const fields = ['edit_accuracy', 'edit_ci_lo', 'edit_ci_hi', 'clean_accuracy', 'ood_accuracy', 'ood_ci_lo', 'ood_ci_hi'] as const;
  return [...groups.values()].map((g) => ({
    method: g[0].method, ...pooledLayers(g), alpha: g[0].alpha, jobs: g.length,
    ...Object.fromEntries(fields.map((f) => [f, g.reduce((s, p) => s + p[f], 0) / g.length])) as Record<(typeof fields)[number], number>,
  }));
}
