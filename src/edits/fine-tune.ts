import { tf } from '../engine/backend';
import { cloneModel } from '../models/clone';
import { frozenPrefix } from '../models/surgery';
import { train } from '../models/train';
import { holdConstant } from '../engine/held-constants';
import type { ImageSet } from '../data/image-set';
import { Edit, type WeightChange } from './edit';
import type { EditOptions } from './registry';

/**
 * Fine-tunes a copy of the model on the edit set with cross-entropy and Adam for `steps`
 * optimiser steps (batches of up to 64 exemplars), training only the weights of the layers
 * `pick` selects, in inference mode (batch-norm statistics and dropout frozen), and returns the
 * changed weights as an Edit of the original. The layers before the first trained one run once
 * on the edit set, not every step (see `frozenPrefix`). Shared by local and global fine-tuning, 1-LI and
 * interpolation.
 */
export async function fineTuneEdit(
  method: string,
  model: tf.LayersModel,
  editSet: ImageSet,
  options: EditOptions,
  pick: (layer: tf.layers.Layer) => boolean,
): Promise<Edit> {
  // edit() has filled every option the caller left out from the method's protocol.
  const { steps, learningRate, seed = 0, onStep } = options;
  const copy = await cloneModel(model);
  try {
    const chosen = new Set(copy.layers.filter(pick).map((l) => l.name));
    const variables = copy.trainableWeights.filter((w) => chosen.has(ownerOf(copy, w))).map((w) => w.read() as tf.Variable);
    if (!variables.length) throw new Error(`editlab: ${method}: no trainable weights selected.`);
    // Layers before the trained ones are fixed: their outputs are computed once, not every step.
    const cut = frozenPrefix(copy, chosen, editSet);
    // The other weights stay as they are for every step: kernels may keep them in faster forms.
    const release = holdConstant(copy.weights.map((w) => w.read()).filter((t) => !variables.includes(t as tf.Variable)));
    try {
      train(cut?.suffix ?? copy, cut?.features ?? editSet, { variables, steps, batchSize: Math.min(64, editSet.n), learningRate, seed, trainingMode: false, onStep });
    } finally {
      release();
      cut?.suffix.dispose();
    }
    const changes: WeightChange[] = [];
    copy.weights.forEach((w, index) => {
      if (variables.includes(w.read() as tf.Variable)) {
        changes.push({ layer: ownerOf(copy, w), index, original: model.weights[index].read().clone(), edited: w.read().clone() });
      }
    });
    return new Edit(method, model, changes);
  } finally {
    copy.dispose();
  }
}

/** The name of the layer that owns a weight. */
export function ownerOf(model: tf.LayersModel, weight: tf.LayerVariable): string {
  const layer = model.layers.find((l) => l.weights.includes(weight));
  if (!layer) throw new Error(`editlab: weight ${weight.name} belongs to no layer of ${model.name}.`);
  return layer.name;
}
