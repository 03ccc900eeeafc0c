import { tf } from '../../engine/backend';
import { initializer, registerArchitecture, scaled, type BuildOptions } from '../registry';

/** A VGG-style network as data: conv stages (each ends in a 2×2 max-pool), then dense layers. */
export interface VggConfig {
  /** Output channels of each conv of each stage. */
  stages: number[][];
  /** Hidden dense layers before the classifier. */
  fc: number[];
  /** Batch norm after every conv (then ReLU). */
  batchNorm: boolean;
  /** Dropout after each hidden dense layer. */
  dropout: number;
}

/** Configs by name: the real VGG16 (Keras applications) and small and shallow variants for 28×28 inputs. */
export const VGG_CONFIGS = {
  vgg16: { stages: [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]], fc: [4096, 4096], batchNorm: false, dropout: 0 },
  'vgg-small': { stages: [[32, 32], [64, 64], [128, 128]], fc: [256], batchNorm: true, dropout: 0.3 },
  'vgg-mini': { stages: [[32], [64]], fc: [128], batchNorm: true, dropout: 0 },
} satisfies Record<string, VggConfig>;

/**
 * Builds a VGG with Keras-applications layer names: block{i}_conv{j}, block{i}_pool, flatten,
 * fc{k}, predictions (logits). With batch norm: block{i}_bn{j} and block{i}_relu{j} follow each conv.
 */
export function vgg(config: VggConfig, { seed, inputShape, classes, width }: Required<BuildOptions>, name: string): tf.LayersModel {
  let i = 0;
  const init = () => initializer(seed, i++);
  const layers: tf.layers.Layer[] = [tf.layers.inputLayer({ inputShape, name: 'input_1' })];
  config.stages.forEach((convs, s) => {
    convs.forEach((filters, c) => {
      const id = `block${s + 1}`;
      layers.push(tf.layers.conv2d({
        name: `${id}_conv${c + 1}`, filters: scaled(filters, width), kernelSize: 3, padding: 'same',
        activation: config.batchNorm ? 'linear' : 'relu', useBias: !config.batchNorm, kernelInitializer: init(),
      }));
      if (config.batchNorm) {
        layers.push(tf.layers.batchNormalization({ name: `${id}_bn${c + 1}` }));
        layers.push(tf.layers.activation({ name: `${id}_relu${c + 1}`, activation: 'relu' }));
      }
    });
    layers.push(tf.layers.maxPooling2d({ name: `block${s + 1}_pool`, poolSize: 2, strides: 2 }));
  });
  layers.push(tf.layers.flatten({ name: 'flatten' }));
  config.fc.forEach((units, k) => {
    layers.push(tf.layers.dense({ name: `fc${k + 1}`, units: scaled(units, width), activation: 'relu', kernelInitializer: init() }));
    if (config.dropout > 0) layers.push(tf.layers.dropout({ name: `dropout${k + 1}`, rate: config.dropout, seed: seed + k }));
  });
  layers.push(tf.layers.dense({ name: 'predictions', units: classes, kernelInitializer: init() }));
  return tf.sequential({ name, layers });
}

registerArchitecture({
  name: 'vgg16',
  description: 'VGG16 (Keras applications layout, 224×224×3, 1000 classes)',
  defaults: { inputShape: [224, 224, 3], classes: 1000 },
  build: (o) => vgg(VGG_CONFIGS.vgg16, o, 'vgg16'),
});

registerArchitecture({
  name: 'vgg-small',
  description: 'VGG-style CNN for 28×28: 3 stages of two 3×3 convs with batch norm, fc256, dropout',
  build: (o) => vgg(VGG_CONFIGS['vgg-small'], o, 'vgg-small'),
});

registerArchitecture({
  name: 'vgg-mini',
  description: 'shallow VGG-style CNN for 28×28: 2 stages of one 3×3 conv with batch norm, fc128',
  build: (o) => vgg(VGG_CONFIGS['vgg-mini'], o, 'vgg-mini'),
});
