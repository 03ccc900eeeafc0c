/**
 * Accuracy of a model under every shift and severity, as tidy rows (one per shift × severity,
 * plus the clean set), ready for Arquero, CSV and the `accuracyPerSeverity` figure.
 */
import { withImages, type ImageSet } from '../data/image-set';
import { accuracy } from '../metrics/accuracy';
import { predictLabels, type Classifier } from './hard-subset';
import { applyShift, getShift, listShifts, type ShiftPreset } from './registry';

/** One row of {@link evaluateShifts}. */
export interface ShiftAccuracyRow {
  [key: string]: string | number | boolean | null;
  /** Shift name, or 'clean'. */
  shift: string;
  family: 'clean' | 'corruption' | 'rendition' | 'hard';
  /** ImageNet-C group, 'held-out' for the 4 held-out corruptions, the family otherwise. */
  group: string;
  /** 1–5; 0 for clean and renditions. */
  severity: number;
  accuracy: number;
  n: number;
  ci_lo: number;
  ci_hi: number;
}

/** Options of {@link evaluateShifts}. */
export interface EvaluateShiftsOptions {
  /** Shift names; default every corruption. */
  shifts?: readonly string[];
  /** Severities of corruptions; default 1–5. */
  severities?: readonly number[];
  preset?: ShiftPreset;
  seed?: number;
  /** Include a 'clean' row (default true). */
  clean?: boolean;
  batchSize?: number;
  /** Called after each evaluated cell. */
  onCell?: (row: ShiftAccuracyRow) => void;
}

/** The group column of a shift: ImageNet-C group, 'held-out', or the family. */
export function shiftGroup(name: string): string {
  const s = getShift(name);
  return s.family === 'corruption' ? (s.heldOut ? 'held-out' : (s.group ?? 'corruption')) : s.family;
}

/** One shifted copy of a set: what {@link shiftCells} yields. */
export interface ShiftCell {
  shift: string;
  family: ShiftAccuracyRow['family'];
  group: string;
  severity: number;
  set: ImageSet;
}

/**
 * The shifted copies of `set` for every requested shift and severity (the clean set first,
 * unless `clean: false`), made lazily one at a time: evaluate several models on the same
 * images by materialising them once (`[...shiftCells(set)]`).
 */
export function* shiftCells(set: ImageSet, options: Omit<EvaluateShiftsOptions, 'batchSize' | 'onCell'> = {}): Generator<ShiftCell> {
  const { severities = [1, 2, 3, 4, 5], preset = 'small', seed = 0 } = options;
  const names = options.shifts ?? listShifts('corruption').map((s) => s.name);
  if (options.clean ?? true) yield { shift: 'clean', family: 'clean', group: 'clean', severity: 0, set };
  for (const name of names) {
    const shift = getShift(name);
    const levels = (shift.usesSeverity ?? shift.family === 'corruption') ? severities : [0];
    for (const severity of levels) {
      const images = applyShift(name, set.images, set, { severity: severity || 1, preset, seed });
      yield { shift: name, family: shift.family as ShiftCell['family'], group: shiftGroup(name), severity, set: withImages(set, images) };
    }
  }
}

/** The tidy row of a cell scored by its predicted labels. */
export function shiftRow(cell: Omit<ShiftCell, 'set'> & { set: Pick<ImageSet, 'labels'> }, predicted: ArrayLike<number>): ShiftAccuracyRow {
  const acc = accuracy(predicted, cell.set.labels);
  return { shift: cell.shift, family: cell.family, group: cell.group, severity: cell.severity, accuracy: acc.accuracy, n: acc.n, ci_lo: acc.ci[0], ci_hi: acc.ci[1] };
}

/**
 * Evaluates a model (or a label function) on `set` shifted by every requested shift and
 * severity: accuracy with a 95% Clopper–Pearson interval per cell.
 * @example evaluateShifts(model, sample(fashionMnistSet('test'), 500, 1), { preset: 'small' })
 */
export function evaluateShifts(model: Classifier, set: ImageSet, options: EvaluateShiftsOptions = {}): ShiftAccuracyRow[] {
  const rows: ShiftAccuracyRow[] = [];
  for (const cell of shiftCells(set, options)) {
    const row = shiftRow(cell, predictLabels(model, cell.set, options.batchSize ?? 256));
    rows.push(row);
    options.onCell?.(row);
  }
  return rows;
}
