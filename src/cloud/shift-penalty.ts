/**
 * The OOD penalty of an edit per shift (BRIEF §4), with paired-bootstrap intervals. For each
 * shift d — one corruption at one severity, one rendition, or the hard subset — the cloud's
 * line β_d of T(acc_d) on T(acc_clean) is fitted on its own; ρ_d(f) = acc_d(f) − β_d(acc_clean(f))
 * and penalty_d = ρ_d(edited) − ρ_d(original), beside the raw drop acc_d(edited) − acc_d(original).
 * Shifts are then averaged within each family ('corruption', 'rendition', 'hard') and the
 * family means averaged into 'overall'.
 *
 * This differs from {@link oodPenalties} (src/cloud/penalty.ts), which averages each model's
 * accuracies over the selected cells first and fits one line to the averages: the probit line
 * is not linear in accuracy, so the two orders can disagree, even in sign
 * (test/shift-penalty.test.ts builds such a case). Per shift first is the definition of BRIEF §4
 * and lets an unreliable line (low r²) be flagged where it occurs.
 *
 * All values are fractions (×100 for percentage points), as every rate in editlab.
 */
import { baselineAccuracy, fitAccuracyLine, type AccuracyLine, type AccuracyTransform } from '../metrics/effective-robustness';
import { flipCounts, pairedBootstrapMany, type PairedBootstrapOptions, type PairedCorrectness } from '../metrics/paired';
import type { CloudRow } from './table';

/** A model's accuracy on one evaluated set: the clean one (`set: 'clean'`) or a shift at a severity. */
export interface ModelCell {
  /** 'clean', or the shift name, matching the cloud's `shift`. */
  set: string;
  family: string;
  /** Matches the cloud's `severity` (0 for clean, renditions and the hard subset). */
  severity: number;
  accuracy: number;
}

/** Where a row of {@link shiftPenalties} sits: one shift, a family mean, or the mean of the family means. */
export type PenaltyScope = 'shift' | 'family' | 'overall';

/** One tidy row of the per-shift OOD penalty. Every value is a fraction, not percentage points. */
export interface ShiftPenaltyRow {
  [key: string]: string | number | boolean | null;
  scope: PenaltyScope;
  /** The shift's family; null on the overall row. */
  family: string | null;
  /** The shift; null on family and overall rows. */
  shift: string | null;
  /** The shift's severity; null on family and overall rows. */
  severity: number | null;
  /** ρ(edited) − ρ(original); negative = the edit made the model less robust than its clean accuracy predicts. */
  penalty: number;
  /** acc(edited) − acc(original) on the shifted set. */
  drop: number;
  /** Paired-bootstrap interval of `penalty` ({@link shiftPenaltyIntervals}); null from {@link shiftPenalties}. */
  ci_lo: number | null;
  ci_hi: number | null;
  /** Paired-bootstrap interval of `drop`; null from {@link shiftPenalties}. */
  drop_ci_lo: number | null;
  drop_ci_hi: number | null;
  /** The shift line's r²; on family and overall rows the smallest r² of their shifts (min_r2). */
  r2: number;
  /**
   * Shift rows: r² ≥ `minR2`. Family rows: at least half of the family's shifts are reliable.
   * Overall row: at least half of the families are reliable.
   */
  reliable: boolean;
  /** The shift line on the transformed axes; null on family and overall rows. */
  slope: number | null;
  intercept: number | null;
  /** Number of shifts the row averages (1 on shift rows). */
  shifts: number;
}

/** Options of {@link shiftPenalties}. */
export interface ShiftPenaltyOptions {
  transform?: AccuracyTransform;
  /** Leaves a cloud member out of one shift's line (e.g. the models that chose the hard subset). */
  excludeFromLine?: (model: string, shift: string) => boolean;
  /** r² below which a shift's line is flagged unreliable (default 0.5). */
  minR2?: number;
}

/** Options of {@link shiftPenaltyIntervals}. */
export interface ShiftPenaltyIntervalOptions extends ShiftPenaltyOptions, PairedBootstrapOptions {}

/** One evaluated set's correctness bitsets for the original and the edited model (same images). */
export interface PairedSetCorrectness extends PairedCorrectness {
  /** 'clean', or the shift name. */
  set: string;
  family: string;
  severity: number;
}

/** Families in the order rows list them; others follow in order of appearance. */
const FAMILY_ORDER = ['corruption', 'rendition', 'hard'];

/** The fitted lines and the family grouping: everything but the two models' accuracies. */
interface PenaltyLayout {
  shifts: { family: string; shift: string; severity: number; line: AccuracyLine; reliable: boolean }[];
  families: { family: string; members: number[] }[];
}

/**
 * Per-shift OOD penalty and raw drop of `edited` against `original`, their family means and the
 * overall mean, one cloud line per shift. `original` and `edited` hold the same cells: one clean
 * cell and shifted cells whose (set, severity) are the cloud's (shift, severity).
 * @example shiftPenalties(loadCloud(), originalCells, editedCells).filter((r) => r.scope === 'family')
 */
export function shiftPenalties(cloud: readonly Pick<CloudRow, 'model' | 'shift' | 'severity' | 'accuracy'>[], original: readonly ModelCell[], edited: readonly ModelCell[], options: ShiftPenaltyOptions = {}): ShiftPenaltyRow[] {
  return estimatePenalties(cloud, original, edited, options).rows;
}

/**
 * {@link shiftPenalties} with paired-bootstrap intervals: each resample draws every set's images
 * with replacement (independently per set, each keeping its size), gives the original and the
 * edited model the same images, recomputes the clean and every shifted accuracy and from them
 * every penalty and drop; the cloud's lines stay fixed. Accuracies come from the bitsets.
 * @example shiftPenaltyIntervals(loadCloud(), sets, { samples: 1000, seed: 0 })
 */
export function shiftPenaltyIntervals(cloud: readonly Pick<CloudRow, 'model' | 'shift' | 'severity' | 'accuracy'>[], sets: readonly PairedSetCorrectness[], options: ShiftPenaltyIntervalOptions = {}): ShiftPenaltyRow[] {
  const flips = sets.map((s) => flipCounts(s.original, s.edited, s.n));
  const cellsOf = (model: 'original' | 'edited'): ModelCell[] => sets.map((s, i) => ({
    set: s.set, family: s.family, severity: s.severity, accuracy: (flips[i].both_correct + (model === 'original' ? flips[i].broken : flips[i].fixed)) / s.n,
  }));
  const { layout, cells, rows } = estimatePenalties(cloud, cellsOf('original'), cellsOf('edited'), options);
  const cleanIndex = sets.findIndex((s) => s.set === 'clean');
  const shiftIndex = cells.map((c) => sets.findIndex((s) => s.set === c.set && s.severity === c.severity));
  const intervals = pairedBootstrapMany(sets, (o, e) => penaltyValues(layout, o[cleanIndex], e[cleanIndex], shiftIndex.map((i) => o[i]), shiftIndex.map((i) => e[i])), options);
  return rows.map((row, k) => ({
    ...row, ci_lo: intervals[k].ci_lo, ci_hi: intervals[k].ci_hi, drop_ci_lo: intervals[rows.length + k].ci_lo, drop_ci_hi: intervals[rows.length + k].ci_hi,
  }));
}

/** Matches the two models' cells, fits the cloud's line of every shifted cell, and gives the point estimates. */
function estimatePenalties(cloud: readonly Pick<CloudRow, 'model' | 'shift' | 'severity' | 'accuracy'>[], original: readonly ModelCell[], edited: readonly ModelCell[], options: ShiftPenaltyOptions) {
  const o = cellAccuracies(original, 'original'), e = cellAccuracies(edited, 'edited');
  const cells = o.shifted.map((c) => {
    const match = e.shifted.find((x) => x.set === c.set && x.severity === c.severity);
    if (!match) throw new Error(`editlab: shiftPenalties: the edited model has no cell for ${cellName(c)}, which the original has.`);
    return { set: c.set, family: c.family, severity: c.severity, original: c.accuracy, edited: match.accuracy };
  });
  const extra = e.shifted.find((x) => !o.shifted.some((c) => c.set === x.set && c.severity === x.severity));
  if (extra) throw new Error(`editlab: shiftPenalties: the original model has no cell for ${cellName(extra)}, which the edited has.`);
  const layout = penaltyLayout(cloud, cells, options);
  const values = penaltyValues(layout, o.clean, e.clean, cells.map((c) => c.original), cells.map((c) => c.edited));
  return { layout, cells, rows: penaltyRows(layout, values) };
}

/** The clean accuracy and the shifted cells of one model, checked for duplicates. */
function cellAccuracies(cells: readonly ModelCell[], which: string): { clean: number; shifted: ModelCell[] } {
  const clean = cells.filter((c) => c.set === 'clean');
  if (clean.length !== 1) throw new Error(`editlab: shiftPenalties: the ${which} model needs exactly one clean cell (set 'clean'), got ${clean.length}.`);
  const shifted = cells.filter((c) => c.set !== 'clean');
  if (!shifted.length) throw new Error(`editlab: shiftPenalties: the ${which} model has no shifted cells.`);
  shifted.forEach((c, i) => {
    if (shifted.findIndex((x) => x.set === c.set && x.severity === c.severity) !== i) throw new Error(`editlab: shiftPenalties: the ${which} model has two cells for ${cellName(c)}.`);
  });
  return { clean: clean[0].accuracy, shifted };
}

function cellName(c: { set: string; severity: number }): string {
  return c.severity ? `${c.set} at severity ${c.severity}` : c.set;
}

/** One cloud line per shifted cell, and which shifts make up each family. */
function penaltyLayout(cloud: readonly Pick<CloudRow, 'model' | 'shift' | 'severity' | 'accuracy'>[], cells: readonly { set: string; family: string; severity: number }[], options: ShiftPenaltyOptions): PenaltyLayout {
  const { transform = 'probit', excludeFromLine, minR2 = 0.5 } = options;
  const cleanOf = new Map(cloud.filter((r) => r.shift === 'clean').map((r) => [r.model, r.accuracy]));
  const shifts = cells.map((c) => {
    const points = cloud
      .filter((r) => r.shift === c.set && r.severity === c.severity && cleanOf.has(r.model) && !excludeFromLine?.(r.model, r.shift))
      .map((r) => ({ id: cleanOf.get(r.model) as number, ood: r.accuracy }));
    if (points.length < 2) throw new Error(`editlab: shiftPenalties: the cloud has ${points.length} model(s) with a clean row and a row for ${cellName(c)}; a line needs at least 2.`);
    const line = fitAccuracyLine(points, transform);
    return { family: c.family, shift: c.set, severity: c.severity, line, reliable: line.r2 >= minR2 };
  });
  const names = [...new Set(shifts.map((s) => s.family))];
  const ordered = [...FAMILY_ORDER.filter((f) => names.includes(f)), ...names.filter((f) => !FAMILY_ORDER.includes(f))];
  return { shifts, families: ordered.map((family) => ({ family, members: shifts.flatMap((s, i) => (s.family === family ? [i] : [])) })) };
}

/**
 * Penalties then drops, each in row order (shifts, families, overall), from the two models'
 * clean and shifted accuracies. Shared by the estimate and every bootstrap resample.
 */
function penaltyValues(layout: PenaltyLayout, cleanOriginal: number, cleanEdited: number, shiftedOriginal: readonly number[], shiftedEdited: readonly number[]): Float64Array {
  const { shifts, families } = layout;
  const rowCount = shifts.length + families.length + 1;
  const values = new Float64Array(2 * rowCount);
  shifts.forEach(({ line }, i) => {
    const drop = shiftedEdited[i] - shiftedOriginal[i];
    // ρ(edited) − ρ(original), regrouped as the drop minus the change of the line's prediction.
    values[i] = drop - (baselineAccuracy(line, cleanEdited) - baselineAccuracy(line, cleanOriginal));
    values[rowCount + i] = drop;
  });
  for (const offset of [0, rowCount]) {
    let overall = 0;
    families.forEach(({ members }, f) => {
      const familyMean = members.reduce((s, i) => s + values[offset + i], 0) / members.length;
      values[offset + shifts.length + f] = familyMean;
      overall += familyMean / families.length;
    });
    values[offset + rowCount - 1] = overall;
  }
  return values;
}

/** Tidy rows from {@link penaltyValues}, intervals left null. */
function penaltyRows(layout: PenaltyLayout, values: Float64Array): ShiftPenaltyRow[] {
  const rowCount = values.length / 2;
  const noInterval = { ci_lo: null, ci_hi: null, drop_ci_lo: null, drop_ci_hi: null };
  const shiftRows: ShiftPenaltyRow[] = layout.shifts.map((s, i) => ({
    scope: 'shift', family: s.family, shift: s.shift, severity: s.severity, penalty: values[i], drop: values[rowCount + i], ...noInterval,
    r2: s.line.r2, reliable: s.reliable, slope: s.line.slope, intercept: s.line.intercept, shifts: 1,
  }));
  const aggregate = (scope: PenaltyScope, family: string | null, members: readonly { r2: number; reliable: boolean; shifts: number }[], k: number): ShiftPenaltyRow => ({
    scope, family, shift: null, severity: null, penalty: values[k], drop: values[rowCount + k], ...noInterval,
    r2: Math.min(...members.map((m) => m.r2)),
    reliable: members.filter((m) => m.reliable).length >= members.length / 2,
    slope: null, intercept: null, shifts: members.reduce((s, m) => s + m.shifts, 0),
  });
  const familyRows = layout.families.map(({ family, members }, f) => aggregate('family', family, members.map((i) => shiftRows[i]), layout.shifts.length + f));
  return [...shiftRows, ...familyRows, aggregate('overall', null, familyRows, rowCount - 1)];
}
