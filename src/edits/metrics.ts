/**
 * Edit metrics: edit success on the exemplars, generalisation to held-out images of the
 * edited concept, accuracy on the original task, and Santurkar et al.'s errors corrected
 * (all fractions); every accuracy also as a tidy row with its 95% interval. Evaluation runs on
 * ONNX Runtime when it can (see `evaluate`), with one progress bar over all images.
 */
import type { tf } from '../engine/backend';
import { fashionMnistSet, sample, type ImageSet } from '../data/image-set';
import type { EvaluateOptions, Evaluation } from '../evaluate/evaluate';
import { evaluateSplits } from '../evaluate/splits';
import { progressFor } from '../engine/progress';
import type { SweepRow } from '../evaluate/sweep';
import type { Edit } from './edit';
import { buildTask, type EditSet, type EditTask } from './tasks';

/** Metrics of one model (before or after an edit), as fractions. */
export interface EditMetrics {
  /** Accuracy on the edit exemplars. */
  edit_success: number;
  /** Accuracy on held-out images of the edited concept. */
  generalization: number;
  /** Accuracy on the original (clean) task. */
  original_accuracy: number;
  /** Accuracy on each further held-out split of the task (e.g. held-out styles, other classes). */
  splits?: Record<string, number>;
}

/** The sets an edit is measured on. */
export interface EditMetricSets {
  /** The exemplars (edit success). */
  editSet: ImageSet;
  /** Held-out images of the edited concept (generalisation); with `originals`, errors corrected too. */
  heldOut: EditSet;
  /** Clean test images (original accuracy). */
  clean: ImageSet;
  /** The task's further held-out splits. */
  splits?: Record<string, ImageSet>;
}

/** The split name each headline metric has in rows (and in `eval --edit --split`). */
export const EDIT_METRIC_SPLITS = { edit_success: 'exemplars', generalization: 'held-out', original_accuracy: 'clean' } as const;

/** The sets as named splits: `exemplars`, `held-out`, `clean`, then the task's own splits. */
export function editMetricSplits(sets: EditMetricSets): Record<string, ImageSet> {
  return {
    [EDIT_METRIC_SPLITS.edit_success]: sets.editSet,
    [EDIT_METRIC_SPLITS.generalization]: sets.heldOut,
    [EDIT_METRIC_SPLITS.original_accuracy]: sets.clean,
    ...sets.splits,
  };
}

/**
 * How an edit was measured, as `editlab edit` records it in metrics.json: enough to rebuild
 * exactly the same sets ({@link protocolSets}).
 */
export interface EditProtocol {
  /** The editing task's name. */
  task: string;
  /** Seed of the exemplars, held-out and clean samples (and of the edit). */
  seed: number;
  /** Exemplars in the edit set. */
  exemplars: number;
  /** Held-out images per task split. */
  test_size: number;
  /** Clean test images (a seeded sample). */
  clean_size: number;
}

/** The task and the measured sets of a protocol (the same images every time). */
export function protocolSets(protocol: EditProtocol): EditMetricSets & { task: EditTask } {
  const task = buildTask(protocol.task, { exemplars: protocol.exemplars, testSize: protocol.test_size, seed: protocol.seed });
  const clean = sample(fashionMnistSet('test'), protocol.clean_size, protocol.seed + 11);
  return { task, editSet: task.editSet, heldOut: task.heldOut, clean, splits: task.splits };
}

function metricsOf(evaluations: Record<string, Evaluation>, sets: EditMetricSets): EditMetrics {
  const acc = (name: string) => evaluations[name].accuracy?.accuracy ?? 0;
  const metrics: EditMetrics = {
    edit_success: acc(EDIT_METRIC_SPLITS.edit_success),
    generalization: acc(EDIT_METRIC_SPLITS.generalization),
    original_accuracy: acc(EDIT_METRIC_SPLITS.original_accuracy),
  };
  if (sets.splits) metrics.splits = Object.fromEntries(Object.keys(sets.splits).map((name) => [name, acc(name)]));
  return metrics;
}

/** Edit success, generalisation and original-task accuracy of a model (fractions). */
export async function editMetrics(model: tf.LayersModel, sets: EditMetricSets, options: EvaluateOptions = {}): Promise<EditMetrics> {
  return metricsOf(await evaluateSplits(model, editMetricSplits(sets), options), sets);
}

/**
 * Santurkar et al.'s errors corrected, as a fraction in [−1, 1]: max((E_pre − E_post) /
 * max(10⁻³, E_pre), −1), with the error rates E on the held-out transformed images whose clean
 * original the unedited model classifies correctly (0 when there are none). A task without
 * originals (a new task, e.g. digits) counts every held-out image: pass `clean` undefined.
 * @param labels true labels of the held-out images
 * @param clean the unedited model's predictions on the clean originals, or undefined
 * @param before the unedited model's predictions on the transformed images
 * @param after the edited model's predictions on the transformed images
 */
export function errorsCorrectedFrom(labels: ArrayLike<number>, clean: ArrayLike<number> | undefined, before: ArrayLike<number>, after: ArrayLike<number>): number {
  const keep = Array.from({ length: labels.length }, (_, i) => i).filter((i) => !clean || clean[i] === labels[i]);
  if (!keep.length) return 0;
  const errorRate = (p: ArrayLike<number>) => keep.filter((i) => p[i] !== labels[i]).length / keep.length;
  const pre = errorRate(before), post = errorRate(after);
  return Math.max((pre - post) / Math.max(1e-3, pre), -1);
}

const withOriginals = (heldOut: EditSet): ImageSet => {
  if (!heldOut.originals) throw new Error('errorsCorrected: the held-out set has no original images.');
  return { ...heldOut, images: heldOut.originals };
};

/** {@link errorsCorrectedFrom} of two models on a held-out set (with originals where it has them; a fraction). */
export async function errorsCorrected(before: tf.LayersModel, after: tf.LayersModel, heldOut: EditSet, options: EvaluateOptions = {}): Promise<number> {
  const pre = await evaluateSplits(before, heldOut.originals ? { clean: withOriginals(heldOut), shifted: heldOut } : { shifted: heldOut }, options);
  const post = await evaluateSplits(after, { shifted: heldOut }, options);
  return errorsCorrectedFrom(heldOut.labels, pre.clean?.predicted, pre.shifted.predicted, post.shifted.predicted);
}

/** Edit success at or above this before the edit leaves the edit little to correct (a warning). */
export const ALREADY_RIGHT = 0.9;

/** Why an edit changed nothing measurable (empty when it did): exemplars already right, or edit success unchanged. */
export function editWarnings(before: EditMetrics, after: EditMetrics): string[] {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const warnings: string[] = [];
  if (before.edit_success >= ALREADY_RIGHT) warnings.push(`the model is already right on ${pct(before.edit_success)} of the exemplars before the edit (≥ ${pct(ALREADY_RIGHT)}): the edit has little to correct.`);
  if (after.edit_success === before.edit_success) warnings.push(`edit success is unchanged by the edit (${pct(before.edit_success)} before and after): it changed nothing measurable on the exemplars.`);
  return warnings;
}

/** What {@link evaluateEdit} returns. */
export interface EditEvaluation {
  /** The unedited model's metrics. */
  before: EditMetrics;
  /** The edited model's (α = 1), with errors corrected (a fraction in [−1, 1]). */
  after: EditMetrics & { errors_corrected?: number };
  /**
   * Every accuracy above with its n and 95% interval, as sweep rows: α 0 = before, α 1 =
   * after; split `exemplars`, `held-out`, `clean`, then the task's splits.
   */
  rows: SweepRow[];
  /** Why the edit changed nothing measurable ({@link editWarnings}); empty when it did. */
  warnings: string[];
}

/**
 * Measures an edit: the unedited model and W(1) on every set, as metrics and tidy rows with
 * intervals. One progress bar over all images (`options.progress`).
 * @example const { before, after, rows } = await evaluateEdit(edit, protocolSets(protocol), { progress: true });
 */
export async function evaluateEdit(edit: Edit, sets: EditMetricSets, options: EvaluateOptions = {}): Promise<EditEvaluation> {
  const splits = editMetricSplits(sets);
  const originals = sets.heldOut.originals ? withOriginals(sets.heldOut) : undefined;
  const images = (s: Record<string, ImageSet>) => [...new Set(Object.values(s))].reduce((n, set) => n + set.n, 0);
  const bar = progressFor(options.progress, 2 * images(splits) + (originals?.n ?? 0), `evaluate ${edit.method} before/after`, 'img');
  const quiet = { ...options, progress: undefined, onBatch: (b: { count: number }) => bar.tick(b.count) };
  const edited = await edit.at(1);
  try {
    const pre = await evaluateSplits(edit.model, originals ? { ...splits, '(originals)': originals } : splits, quiet);
    const post = await evaluateSplits(edited, splits, quiet);
    const after: EditEvaluation['after'] = metricsOf(post, sets);
    after.errors_corrected = errorsCorrectedFrom(sets.heldOut.labels, originals && pre['(originals)'].predicted, pre[EDIT_METRIC_SPLITS.generalization].predicted, post[EDIT_METRIC_SPLITS.generalization].predicted);
    const layer = edit.layers.join('+');
    const rows = ([[0, pre], [1, post]] as const).flatMap(([alpha, evaluations]) => Object.keys(splits).map((split): SweepRow => {
      const a = evaluations[split].accuracy!;
      return { method: edit.method, layer, alpha, split, accuracy: a.accuracy, n: a.n, ci_lo: a.ci_lo, ci_hi: a.ci_hi };
    }));
    const before = metricsOf(pre, sets);
    return { before, after, rows, warnings: editWarnings(before, after) };
  } finally {
    bar.done();
    edited.dispose();
  }
}
