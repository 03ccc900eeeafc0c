import { cloneModel } from '../models/clone';
import { predict } from '../engine/predict';
import { accuracy } from '../metrics/accuracy';
import type { ImageSet } from '../data/image-set';
import type { Edit } from '../edits/edit';
import { progressFor } from '../engine/progress';
import { onnxRuntimeAvailable } from '../engine/onnx';
import { sweepAlphaOnnx, sweepImages, type SweepOptions, type SweepRow } from '../evaluate/sweep';

// The row, options and image count live with the ONNX sweep, below this layer; re-exported here, where users look for them.
export { sweepImages, type SweepOptions, type SweepRow };


/**
 * Evaluates W(α) of an edit on named splits for every α and returns tidy rows. On tfjs: one
 * working copy of the model, the edited weights rewritten per α; on ONNX Runtime see
 * sweepAlphaOnnx.
 */
export async function sweepAlpha(edit: Edit, splits: Record<string, ImageSet>, options: SweepOptions = {}): Promise<SweepRow[]> {
  const engine = options.engine ?? 'auto';
  if (engine !== 'tfjs') {
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

