/**
 * The α sweep on ONNX Runtime, over the graphs of ./alpha-graphs: what does not change with α
 * runs once per image (its values are held chunk by chunk), only the rest per α. Same rows as
 * `sweepAlpha` (src/sweep/interpolate.ts).
 */
import type { tf } from '../engine/backend';
import type { ImageSet } from '../data/image-set';
import type { Edit } from '../edits/edit';
import { progressFor, type ProgressOption } from '../engine/progress';
import { accuracyFromCounts } from '../metrics/accuracy';
import { onnxRuntime } from '../engine/onnx/session';
import { argmax } from './evaluate';
import { openOnnxAlphaGraphs, type OnnxAlphaGraphsOptions, type OnnxFeeds } from './alpha-graphs';

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

/** Options of `sweepAlpha` (src/sweep) and of {@link sweepAlphaOnnx}. */
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

/** Options of {@link sweepAlphaOnnx}; `weights`, `cache`, `linearize` as in {@link openOnnxAlphaGraphs}. */
export interface OnnxSweepOptions extends SweepOptions, OnnxAlphaGraphsOptions {
  /** Images per inference call (default 256). */
  batchSize?: number;
  /** Most bytes of cached activations held at once (default 256 MiB); larger splits go in chunks. */
  cacheBytes?: number;
}

/**
 * Evaluates W(α) of an edit on named splits for every α on ONNX Runtime. Returns the rows
 * `sweepAlpha` returns (α-major, splits in the given order); `onCell` is called as cells
 * finish, which is split by split here.
 */
export async function sweepAlphaOnnx(edit: Edit, splits: Record<string, ImageSet>, options: OnnxSweepOptions = {}): Promise<SweepRow[]> {
  const ort = onnxRuntime();
  const alphas = options.alphas ?? [0, 0.25, 0.5, 0.75, 1];
  for (const a of alphas) if (!Number.isFinite(a) || a < 0) throw new Error(`editlab: α must be a finite number ≥ 0 (0 = original, 1 = edited, > 1 extrapolates), got ${a}.`);
  const batchSize = options.batchSize ?? 256;
  const names = Object.keys(splits);
  const model = edit.model;
  const graphs = await openOnnxAlphaGraphs(edit, alphas, options);
  const bar = progressFor(options.progress, sweepImages(splits, alphas), 'sweep α', 'img');
  try {
    const correct = alphas.map(() => names.map(() => 0));
    const total = alphas.length * names.length;
    let done = 0;
    const rows: SweepRow[][] = alphas.map(() => []);
    const row = (k: number, s: number, n: number): SweepRow => {
      const acc = accuracyFromCounts(correct[k][s], n);
      return { method: edit.method, layer: edit.layers.join('+'), alpha: alphas[k], split: names[s], accuracy: acc.accuracy, n: acc.n, ci_lo: acc.ci[0], ci_hi: acc.ci[1] };
    };

    for (let s = 0; s < names.length; s++) {
      const set = splits[names[s]];
      const size = set.height * set.width * set.channels;
      const want = model.inputs[0].shape.slice(1);
      if (want.some((d, i) => d !== null && d !== [set.height, set.width, set.channels][i])) {
        throw new Error(`editlab: model "${model.name}" expects [batch, ${want.join(', ')}] inputs, but split "${names[s]}" has ${set.height}×${set.width}×${set.channels} images.`);
      }
      // Chunk: as many batches as the cached activations allow.
      const chunk = Math.max(batchSize, Math.floor((options.cacheBytes ?? 256 * 2 ** 20) / graphs.frontBytesPerImage / batchSize) * batchSize);
      for (let c0 = 0; c0 < set.n; c0 += chunk) {
        const c1 = Math.min(set.n, c0 + chunk);
        // The α-independent inputs of each batch: the images, or the cached prefix outputs.
        const batches: { feeds: OnnxFeeds; labels: Int32Array }[] = [];
        for (let b0 = c0; b0 < c1; b0 += batchSize) {
          const n = Math.min(batchSize, c1 - b0);
          const x = new ort.Tensor('float32', set.images.subarray(b0 * size, (b0 + n) * size), [n, set.height, set.width, set.channels]);
          batches.push({ feeds: await graphs.front(x), labels: set.labels.subarray(b0, b0 + n) });
        }
        for (let k = 0; k < alphas.length; k++) {
          for (const b of batches) {
            const logits = await graphs.logits(k, b.feeds);
            const predicted = argmax(logits, logits.length / b.labels.length);
            let ok = 0;
            for (let i = 0; i < predicted.length; i++) if (predicted[i] === b.labels[i]) ok++;
            correct[k][s] += ok;
            bar.tick(b.labels.length);
          }
        }
      }
      for (let k = 0; k < alphas.length; k++) {
        const r = row(k, s, set.n);
        rows[k].push(r);
        options.onCell?.(++done, total, r);
      }
    }
    return rows.flat();
  } finally {
    bar.done();
    await graphs.release();
  }
}

