import { tf } from '../../engine/backend';
import { initializer, registerArchitecture, scaled, type BuildOptions } from '../registry';

/** A multilayer perceptron as data: the hidden layer widths (none = softmax regression). */
export interface MlpConfig {
  hidden: number[];
}

/** Configs by name: the cheapest members of the reference cloud (and its low-accuracy end). */
export const MLP_CONFIGS = {
  linear: { hidden: [] },
  mlp: { hidden: [256, 128] },
} satisfies Record<string, MlpConfig>;

/** Builds flatten → fc{k} (ReLU) … → predictions (logits). */
export function mlp(config: MlpConfig, { seed, inputShape, classes, width }: Required<BuildOptions>, name: string): tf.LayersModel {
  let i = 0;
  const layers: tf.layers.Layer[] = [tf.layers.flatten({ name: 'flatten', inputShape })];
  config.hidden.forEach((units, k) => {
    layers.push(tf.layers.dense({ name: `fc${k + 1}`, units: scaled(units, width), activation: 'relu', kernelInitializer: initializer(seed, i++) }));
  });
  layers.push(tf.layers.dense({ name: 'predictions', units: classes, kernelInitializer: initializer(seed, i++) }));
  return tf.sequential({ name, layers });
}

registerArchitecture({
  name: 'linear',
  description: 'softmax regression on the pixels (flatten → predictions)',
  build: (o) => mlp(MLP_CONFIGS.linear, o, 'linear'),
});

registerArchitecture({
  name: 'mlp',
  description: 'multilayer perceptron: flatten → fc256 → fc128 → predictions, ReLU',
  build: (o) => mlp(MLP_CONFIGS.mlp, o, 'mlp'),
});
