import type { ImageSet } from '../data/image-set';
import { progressFor } from '../engine/progress';
import { evaluateWith, openEvaluator, type Evaluable, type EvaluateOptions, type Evaluation } from './evaluate';

/**
 * Evaluates one model on named sets with one export and one session; a set given under two
 * names is evaluated once. Progress: `options.progress` (a bar in images) or `onBatch`.
 * @returns each name's evaluation (predictions and accuracy with its interval; no logits)
 */
export async function evaluateSplits(source: Evaluable | Promise<Evaluable>, splits: Record<string, ImageSet>, options: EvaluateOptions = {}): Promise<Record<string, Evaluation>> {
  const unique = [...new Set(Object.values(splits))];
  const bar = progressFor(options.progress, unique.reduce((n, s) => n + s.n, 0), 'evaluate', 'img');
  const evaluator = await openEvaluator(source, options);
  try {
    const done = new Map<ImageSet, Evaluation>();
    for (const set of unique) {
      done.set(set, await evaluateWith(evaluator, set, {
        ...options, logits: false, progress: undefined,
        onBatch: (b) => { bar.tick(b.count); return options.onBatch?.(b); },
      }));
    }
    return Object.fromEntries(Object.entries(splits).map(([name, set]) => [name, done.get(set)!]));
  } finally {
    bar.done();
    await evaluator.close();
  }
}
