/**
 * The OOD penalty of edited models against the reference cloud, from tidy rows: fit the cloud's
 * line for a selection of shifted cells, place every model on it, and compare each with the
 * original model.
 */
import { baselineAccuracy, fitAccuracyLine, type AccuracyLine, type AccuracyTransform } from '../metrics/effective-robustness';
import { accuracyPairs, type CellSelection } from './table';
import type { CloudRow } from './table';

/** One model's place relative to the cloud's line (accuracies as fractions). */
export interface PenaltyRow {
  [key: string]: string | number;
  model: string;
  /** Clean accuracy. */
  id: number;
  /** Mean accuracy over the selected cells. */
  ood: number;
  /** What the cloud's line predicts at `id`. */
  expected: number;
  /** Effective robustness: ood − expected. */
  rho: number;
  /** ρ(model) − ρ(original): negative = less robust than its ID accuracy predicts, relative to the original. */
  penalty: number;
  /** ood(model) − ood(original). */
  drop: number;
}

/** Options of {@link oodPenalties}. */
export interface OodPenaltyOptions {
  /** Which shifted cells (default every corruption: `{ family: 'corruption' }`). */
  selection?: CellSelection;
  /** The model the others are compared with (its `model` value). */
  original: string;
  transform?: AccuracyTransform;
}

/**
 * Effective robustness and OOD penalty of every model in `rows` (tidy rows of `evaluateCells`
 * with a `model` column, e.g. one per α of an edit) against the cloud's line for the same cells.
 * @example oodPenalties(rows, loadCloud(), { original: 'α=0', selection: { family: 'corruption', severity: 3 } })
 */
export function oodPenalties(rows: readonly Pick<CloudRow, 'model' | 'shift' | 'family' | 'group' | 'severity' | 'accuracy'>[], cloud: readonly CloudRow[], options: OodPenaltyOptions): { line: AccuracyLine; rows: PenaltyRow[] } {
  const selection = options.selection ?? { family: 'corruption' };
  const line = fitAccuracyLine(accuracyPairs(cloud, selection), options.transform ?? 'probit');
  const pairs = accuracyPairs(rows, selection);
  const original = pairs.find((p) => p.model === options.original);
  if (!original) throw new Error(`editlab: oodPenalties: the original "${options.original}" is not among the models (${pairs.map((p) => p.model).join(', ')}).`);
  const rho = (p: { id: number; ood: number }) => p.ood - baselineAccuracy(line, p.id);
  return {
    line,
    rows: pairs.map((p) => ({
      model: p.model, id: p.id, ood: p.ood, expected: baselineAccuracy(line, p.id), rho: rho(p), penalty: rho(p) - rho(original), drop: p.ood - original.ood,
    })),
  };
}
