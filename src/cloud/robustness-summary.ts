/**
 * A model's robustness in one call (RobustBench's `benchmark` is the model): clean accuracy, mean
 * accuracy per family and ImageNet-C group of corruptions, renditions and the hard subset, each
 * with an interval, and the effective robustness against the reference cloud with its lines' r².
 */
import type { ImageSet } from '../data/image-set';
import { progressFor, type ProgressOption } from '../engine/progress';
import { mulberry32 } from '../engine/rng';
import { predictSets } from '../evaluate/shift-cells';
import type { Evaluable, EvaluateOptions } from '../evaluate/evaluate';
import { clopperPearson } from '../metrics/accuracy';
import { baselineAccuracy, fitAccuracyLine, sortedQuantile, type AccuracyLine, type AccuracyTransform } from '../metrics/effective-robustness';
import type { ShiftCell } from '../shifts/evaluate';
import { cloudCells, cloudSettings, type CloudCellOptions } from './build';
import { rowsForLines } from './hard-subset';
import { accuracyPairs, loadCloud, type CloudRow } from './table';

/** One line of a {@link RobustnessSummary}. Accuracies and ρ are fractions; intervals are 95% by default. */
export interface RobustnessSummaryRow {
  [key: string]: string | number | boolean | null;
  /** 'clean', 'corruptions' (ImageNet-C's 15), a corruption group ('noise', 'blur', 'weather', 'digital', 'held-out'), 'renditions' or 'hard'. */
  set: string;
  family: 'clean' | 'corruption' | 'rendition' | 'hard';
  /** Shifted copies averaged (shift × severity). */
  cells: number;
  /** Images per cell. */
  n: number;
  /** Mean accuracy over the cells. */
  accuracy: number;
  ci_lo: number;
  ci_hi: number;
  /** Mean over the cells d of ρ_d = acc_d − β_d(clean accuracy), each β_d the cloud's line for d; null for clean. */
  effective_robustness: number | null;
  effective_robustness_ci_lo: number | null;
  effective_robustness_ci_hi: number | null;
  /** Mean r² of the cells' lines over the cloud (transformed axes). */
  line_r2: number | null;
  /** Whether line_r2 ≥ 0.5: below it, the line predicts little and ρ says little. */
  reliable: boolean | null;
}

/** What {@link robustnessSummary} returns. */
export interface RobustnessSummary {
  model: string;
  transform: AccuracyTransform;
  /** Models of the cloud that the lines were fitted on. */
  cloud_models: number;
  rows: RobustnessSummaryRow[];
}

/** A scored cell: its place in the grid, its labels and the model's predictions. */
export interface ScoredCell extends Omit<ShiftCell, 'set'> {
  labels: ArrayLike<number>;
  predicted: ArrayLike<number>;
}

/** The summary's sets after clean, as data: which cells each averages. */
const SUMMARY_SETS: ReadonlyArray<{ set: string; family: RobustnessSummaryRow['family']; takes(cell: Omit<ShiftCell, 'set'>): boolean }> = [
  { set: 'corruptions', family: 'corruption', takes: (c) => c.family === 'corruption' && c.group !== 'held-out' },
  ...['noise', 'blur', 'weather', 'digital', 'held-out'].map((group) => ({ set: group, family: 'corruption' as const, takes: (c: Omit<ShiftCell, 'set'>) => c.family === 'corruption' && c.group === group })),
  { set: 'renditions', family: 'rendition', takes: (c) => c.family === 'rendition' },
  { set: 'hard', family: 'hard', takes: (c) => c.family === 'hard' },
];

/** Options of {@link summarizeRobustness}. */
export interface SummarizeOptions {
  model?: string;
  transform?: AccuracyTransform;
  /** Bootstrap resamples of the images for the intervals of multi-cell means and of ρ. Default 1000. */
  samples?: number;
  /** Interval level. Default 0.95. */
  level?: number;
  /** Seed of the bootstrap. Default 0. */
  seed?: number;
}

/**
 * The summary from scored cells (one clean cell and any shifted ones) and a cloud table. A set's
 * accuracy is the mean over its cells; its interval is exact (Clopper–Pearson) for one cell and a
 * percentile bootstrap over images (the same resample for every cell: they share their images)
 * for several. ρ is computed per cell against that cell's line, then averaged, as defined
 * (BRIEF §4); its interval comes from the same bootstrap, with the lines and the clean accuracy
 * held fixed. Sets with no cells are left out; a set whose cells the cloud lacks gets ρ = null.
 */
export function summarizeRobustness(scored: readonly ScoredCell[], cloud: readonly CloudRow[], options: SummarizeOptions = {}): RobustnessSummary {
  const { model = 'model', transform = 'probit', samples = 1000, level = 0.95, seed = 0 } = options;
  const clean = scored.find((c) => c.family === 'clean');
  if (!clean) throw new Error('editlab: summarizeRobustness needs a clean cell (shift "clean") for the in-distribution accuracy.');
  const cleanCorrect = correctness(clean);
  const cleanCount = cleanCorrect.reduce((s, v) => s + v, 0);
  const id = cleanCount / cleanCorrect.length;
  const [cleanLo, cleanHi] = clopperPearson(cleanCount, cleanCorrect.length, level);
  const rows: RobustnessSummaryRow[] = [{
    set: 'clean', family: 'clean', cells: 1, n: cleanCorrect.length, accuracy: id, ci_lo: cleanLo, ci_hi: cleanHi,
    effective_robustness: null, effective_robustness_ci_lo: null, effective_robustness_ci_hi: null, line_r2: null, reliable: null,
  }];
  const lines = new Map<string, AccuracyLine | null>();
  const lineOf = (cell: Omit<ShiftCell, 'set'>): AccuracyLine | null => {
    const key = `${cell.shift}/${cell.severity}`;
    if (!lines.has(key)) {
      let line: AccuracyLine | null = null;
      try {
        line = fitAccuracyLine(accuracyPairs(cloud, { shift: cell.shift, severity: cell.severity }), transform);
      } catch {
        line = null; // the cloud has no such cell (a user's own shift, or a shorter table)
      }
      lines.set(key, line);
    }
    return lines.get(key)!;
  };
  for (const spec of SUMMARY_SETS) {
    const cells = scored.filter((c) => c.family !== 'clean' && spec.takes(c));
    if (!cells.length) continue;
    const n = cells[0].labels.length;
    const bad = cells.find((c) => c.labels.length !== n);
    if (bad) throw new Error(`editlab: the cells of "${spec.set}" must share their images: ${cells[0].shift} has ${n}, ${bad.shift} s${bad.severity} ${bad.labels.length}.`);
    const correct = cells.map(correctness);
    const cellLines = cells.map(lineOf);
    const hasLines = cellLines.every((l) => l !== null);
    const expected = hasLines ? cellLines.map((l) => baselineAccuracy(l!, id)) : [];
    const meanOf = (weights: Float64Array | null) => {
      let acc = 0;
      let total = 0;
      for (const c of correct) {
        let k = 0;
        let w = 0;
        for (let i = 0; i < n; i++) {
          const wi = weights ? weights[i] : 1;
          k += wi * c[i];
          w += wi;
        }
        acc += k / w;
        total++;
      }
      return acc / total;
    };
    const accuracy = meanOf(null);
    const meanExpected = hasLines ? expected.reduce((s, v) => s + v, 0) / expected.length : 0;
    // Percentile bootstrap over images, one resample shared by every cell of the set.
    const rand = mulberry32(seed);
    const draws: number[] = [];
    const weights = new Float64Array(n);
    for (let b = 0; b < samples; b++) {
      weights.fill(0);
      for (let i = 0; i < n; i++) weights[Math.floor(rand() * n)]++;
      draws.push(meanOf(weights));
    }
    draws.sort((a, c) => a - c);
    const [bootLo, bootHi] = [sortedQuantile(draws, (1 - level) / 2), sortedQuantile(draws, (1 + level) / 2)];
    const [ciLo, ciHi] = cells.length === 1 ? clopperPearson(Math.round(accuracy * n), n, level) : [bootLo, bootHi];
    const r2 = hasLines ? cellLines.reduce((s, l) => s + l!.r2, 0) / cellLines.length : null;
    rows.push({
      set: spec.set, family: spec.family, cells: cells.length, n, accuracy, ci_lo: ciLo, ci_hi: ciHi,
      effective_robustness: hasLines ? accuracy - meanExpected : null,
      effective_robustness_ci_lo: hasLines ? bootLo - meanExpected : null,
      effective_robustness_ci_hi: hasLines ? bootHi - meanExpected : null,
      line_r2: r2, reliable: r2 === null ? null : r2 >= 0.5,
    });
  }
  return { model, transform, cloud_models: new Set(cloud.map((r) => r.model)).size, rows };
}

/** Options of {@link robustnessSummary}. */
export interface RobustnessSummaryOptions extends SummarizeOptions, Pick<CloudCellOptions, 'shiftSize' | 'severities' | 'shifts' | 'hardEnsemble'> {
  /** The cloud table (default the committed one, less the hard rows of the members that chose the hard subset: `rowsForLines`). */
  cloud?: readonly CloudRow[];
  /** Cells to score instead of the cloud's (they must include a clean one). */
  cells?: readonly ShiftCell[];
  /** Evaluation options (engine, threads, …). */
  evaluate?: EvaluateOptions;
  /** Called after each evaluated cell. */
  onCell?: (done: number, total: number, cell: Omit<ShiftCell, 'set'>) => void;
  /** A progress bar in images (stderr, or in place in a notebook): `true` or a label. */
  progress?: ProgressOption;
}

/**
 * Scores a model on the reference cloud's cells (clean test set, every corruption × severity and
 * rendition on the cloud's seeded sample, the hard subset; see `cloudCells`) and summarises it
 * ({@link summarizeRobustness}).
 * @example const s = await robustnessSummary(await loadLayersModel('datasets/models/vgg-small'), { model: 'vgg-small' });
 * toArquero(s.rows)
 */
export async function robustnessSummary(source: Evaluable | Promise<Evaluable>, options: RobustnessSummaryOptions = {}): Promise<RobustnessSummary> {
  const cells = options.cells ?? await cloudCells({
    shiftSize: options.shiftSize, severities: options.severities, shifts: options.shifts, hardEnsemble: options.hardEnsemble, progress: options.progress,
  });
  const sets: ImageSet[] = cells.map((c) => c.set);
  const bar = progressFor(options.progress, sets.reduce((n, set) => n + set.n, 0), `robustness summary: ${cells.length} sets`, 'img');
  const predicted = await predictSets(source, sets, {
    ...options.evaluate,
    onSet: (i) => {
      bar.tick(sets[i].n);
      options.onCell?.(i + 1, cells.length, cells[i]);
    },
  });
  bar.done();
  const scored = cells.map(({ set, ...cell }, i) => ({ ...cell, labels: set.labels, predicted: predicted[i] }));
  return summarizeRobustness(scored, options.cloud ?? rowsForLines(loadCloud(), cloudSettings()?.hardEnsemble ?? []), options);
}

function correctness(cell: Pick<ScoredCell, 'labels' | 'predicted'>): Uint8Array {
  const out = new Uint8Array(cell.labels.length);
  for (let i = 0; i < out.length; i++) out[i] = cell.predicted[i] === cell.labels[i] ? 1 : 0;
  return out;
}
