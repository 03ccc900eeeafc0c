import { tf } from '../engine/backend';

/**
 * An independent copy of a LayersModel: same topology and layer names, its own weight
 * variables. Edits work on copies so the user's model is never mutated.
 */
export async function cloneModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  const copy = await tf.models.modelFromJSON({ modelTopology: model.toJSON(null, false) as tf.io.ModelJSON['modelTopology'] });
  const weights = model.getWeights();
  copy.setWeights(weights);
  return copy;
}

/** Total number of trainable parameters. */
export function countParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((p, d) => p * d, 1), 0);
}
