import { cloneModel, layerVariables } from '../models/clone';
import { train } from '../models/train';
import { Edit, type WeightChange } from './edit';
import { registerEditMethod } from './registry';

/**
 * Local fine-tuning: train only layer ℓ's weights (and bias) on the edit set with
 * cross-entropy, batch-norm statistics frozen.
 */
registerEditMethod({
  name: 'local-ft',
  description: "fine-tune one layer's weights and bias on the edit set",
  async run(model, editSet, { layer, steps = 40, learningRate = 1e-3, seed = 0, onStep }) {
    const copy = await cloneModel(model);
    try {
      const variables = layerVariables(copy, layer);
      train(copy, editSet, { variables, epochs: steps, batchSize: Math.min(64, editSet.n), learningRate, seed, trainingMode: false, onStep });
      const changes: WeightChange[] = [];
      copy.weights.forEach((w, index) => {
        if (variables.includes(w.read() as never)) {
          changes.push({ layer, index, original: model.weights[index].read().clone(), edited: w.read().clone() });
        }
      });
      return new Edit('local-ft', model, changes);
    } finally {
      copy.dispose();
    }
  },
});
