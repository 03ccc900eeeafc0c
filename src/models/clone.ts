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

/** The trainable variables of one named layer, with a clear error for unknown names. */
export function layerVariables(model: tf.LayersModel, layerName: string): tf.Variable[] {
  const names = model.layers.map((l) => l.name);
  if (!names.includes(layerName)) {
    throw new Error(`editlab: model "${model.name}" has no layer "${layerName}"; layers with weights: ${model.layers.filter((l) => l.trainableWeights.length).map((l) => l.name).join(', ')}.`);
  }
  const layer = model.getLayer(layerName);
  if (!layer.trainableWeights.length) throw new Error(`editlab: layer "${layerName}" has no trainable weights.`);
  return layer.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Total number of trainable parameters. */
export function countParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((p, d) => p * d, 1), 0);
}
