import { cloneModel } from '../models/clone';
import { predict } from '../models/predict';
import { accuracy } from '../metrics/accuracy';
import type { ImageSet } from '../data/image-set';
import type { Edit } from '../edits/edit';
import { progressFor, type ProgressOption } from '../engine/progress';

/** One tidy result row of a sweep. */
export interface SweepRow {
  [key: string]: string | number;
  method: string;
  layer: string;
  alpha: number;
  split: string;
  accuracy: number;
  n: number;
  ci_lo: number;
  ci_hi: number;
}

/** Options of {@link sweepAlpha}. */
export interface SweepOptions {
  /** α values (default 0, 0.25, 0.5, 0.75, 1). */
  alphas?: number[];
  /** Called after each (α, split) cell. */
  onCell?: (done: number, total: number, row: SweepRow) => void;
  /**
   * 'onnx': evaluate on ONNX Runtime (sweepAlphaOnnx: the layers before the edit run once);
   * 'tfjs': on the tfjs backend; 'auto' (default): ONNX Runtime when it loads and the model exports.
   */
  engine?: 'auto' | 'onnx' | 'tfjs';
  /** A progress bar in images evaluated (`true`, or its label); see {@link ProgressOption}. Default none. */
  progress?: ProgressOption;
}

/** Images a sweep evaluates: every split at every α (what its progress bar counts). */
export function sweepImages(splits: Record<string, ImageSet>, alphas: readonly number[]): number {
  return alphas.length * Object.values(splits).reduce((n, s) => n + s.n, 0);
}

/**
 * Evaluates W(α) of an edit on named splits for every α and returns tidy rows. On tfjs: one
 * working copy of the model, the edited weights rewritten per α; on ONNX Runtime see
 * sweepAlphaOnnx.
 */
export async function sweepAlpha(edit: Edit, splits: Record<string, ImageSet>, options: SweepOptions = {}): Promise<SweepRow[]> {
  const engine = options.engine ?? 'auto';
  if (engine !== 'tfjs') {
    // Loaded lazily: the ONNX sweep builds on this module's row type.
    const { sweepAlphaOnnx } = await import('../evaluate/sweep');
    const { onnxRuntimeAvailable } = await import('../engine/onnx');
    if (engine === 'onnx') return sweepAlphaOnnx(edit, splits, options);
    if (onnxRuntimeAvailable()) {
      try {
        return await sweepAlphaOnnx(edit, splits, options);
      } catch (e) {
        // A model that does not export fails before any cell runs; evaluate it on tfjs instead.
        if (!(e as Error).message.startsWith('editlab onnx:')) throw e;
      }
    }
  }
  const alphas = options.alphas ?? [0, 0.25, 0.5, 0.75, 1];
  const names = Object.keys(splits);
  const rows: SweepRow[] = [];
  const copy = await cloneModel(edit.model);
  const bar = progressFor(options.progress, sweepImages(splits, alphas), 'sweep α', 'img');
  try {
    for (const alpha of alphas) {
      edit.applyTo(copy, alpha);
      for (const split of names) {
        const set = splits[split];
        const acc = accuracy(predict(copy, set, { onBatch: (n) => bar.tick(n) }).predicted, set.labels);
        const row: SweepRow = { method: edit.method, layer: edit.layers.join('+'), alpha, split, accuracy: acc.accuracy, n: acc.n, ci_lo: acc.ci[0], ci_hi: acc.ci[1] };
        rows.push(row);
        options.onCell?.(rows.length, alphas.length * names.length, row);
      }
    }
  } finally {
    bar.done();
    copy.dispose();
  }
  return rows;
}

