import type { ImageSet } from '../data/image-set';
import { shiftRow, type ShiftAccuracyRow, type ShiftCell } from '../shifts/evaluate';
import { evaluateWith, openEvaluator, type Evaluable, type EvaluateOptions } from './evaluate';

/**
 * Predicted labels of one model on each set, with one export and one ONNX Runtime session
 * (or tfjs, see {@link openEvaluator}).
 */
export async function predictSets(source: Evaluable | Promise<Evaluable>, sets: readonly ImageSet[], options: EvaluateOptions & { onSet?: (index: number) => void } = {}): Promise<Int32Array[]> {
  const evaluator = await openEvaluator(source, options);
  try {
    const out: Int32Array[] = [];
    for (const set of sets) {
      out.push((await evaluateWith(evaluator, set, { ...options, logits: false })).predicted);
      options.onSet?.(out.length - 1);
    }
    return out;
  } finally {
    await evaluator.close();
  }
}

/**
 * Accuracy of one model on shifted cells (from `shiftCells`, or `cloudCells` to compare with
 * the reference cloud), as tidy rows with 95% intervals.
 * @example const rows = await evaluateCells(await edit.at(0.5), cloudCells({ severities: [3] }))
 */
export async function evaluateCells(source: Evaluable | Promise<Evaluable>, cells: readonly ShiftCell[], options: EvaluateOptions = {}): Promise<ShiftAccuracyRow[]> {
  const predicted = await predictSets(source, cells.map((c) => c.set), options);
  return cells.map((cell, i) => shiftRow(cell, predicted[i]));
}
