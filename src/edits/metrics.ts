/**
 * Edit metrics: edit success on the exemplars, generalisation to held-out images of the
 * edited concept, accuracy on the original task, and Santurkar et al.'s "% errors corrected".
 */
import type { tf } from '../engine/backend';
import { predict } from '../models/predict';
import type { ImageSet } from '../data/image-set';
import type { EditSet } from './tasks';

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

const accuracyOf = (model: tf.LayersModel, set: ImageSet) => {
  const p = predict(model, set).predicted;
  return p.reduce((n, v, i) => n + (v === set.labels[i] ? 1 : 0), 0) / set.n;
};

/** Edit success, generalisation and original-task accuracy of a model. */
export function editMetrics(model: tf.LayersModel, sets: { editSet: ImageSet; heldOut: ImageSet; clean: ImageSet; splits?: Record<string, ImageSet> }): EditMetrics {
  const metrics: EditMetrics = { edit_success: accuracyOf(model, sets.editSet), generalization: accuracyOf(model, sets.heldOut), original_accuracy: accuracyOf(model, sets.clean) };
  if (sets.splits) metrics.splits = Object.fromEntries(Object.entries(sets.splits).map(([name, set]) => [name, accuracyOf(model, set)]));
  return metrics;
}

/**
 * "% errors corrected" (Santurkar et al.): 100·max((E_pre − E_post) / max(10⁻³, E_pre), −1), with
 * the error rates E on the held-out transformed images whose clean original the model
 * classifies correctly. Needs the held-out set's originals.
 */
export function errorsCorrected(before: tf.LayersModel, after: tf.LayersModel, heldOut: EditSet): number {
  if (!heldOut.originals) throw new Error('errorsCorrected: the held-out set has no original images.');
  const clean = predict(before, { ...heldOut, images: heldOut.originals }).predicted;
  const keep = [...clean.keys()].filter((i) => clean[i] === heldOut.labels[i]);
  if (!keep.length) return 0;
  const errorRate = (m: tf.LayersModel) => {
    const p = predict(m, heldOut).predicted;
    return keep.filter((i) => p[i] !== heldOut.labels[i]).length / keep.length;
  };
  const pre = errorRate(before), post = errorRate(after);
  return 100 * Math.max((pre - post) / Math.max(1e-3, pre), -1);
}
