import { tf } from '../../engine/backend';
import { initializer, registerArchitecture, scaled, type BuildOptions } from '../registry';

/** A ResNet as data. */
export interface ResNetConfig {
  block: 'basic' | 'bottleneck';
  /** Blocks per stage. */
  blocks: number[];
  /** Base width of each stage (bottleneck outputs 4× this). */
  widths: number[];
  /** Stride of each stage's first block. */
  strides: number[];
  /** 'imagenet': 7×7/2 conv + 3×3/2 max-pool; 'small': one 3×3 conv. */
  stem: 'imagenet' | 'small';
  stemWidth: number;
}

/** Configs by name: ResNet50 (Keras applications) and small variants for 28×28 inputs. */
export const RESNET_CONFIGS = {
  resnet50: { block: 'bottleneck', blocks: [3, 4, 6, 3], widths: [64, 128, 256, 512], strides: [1, 2, 2, 2], stem: 'imagenet', stemWidth: 64 },
  resnet18: { block: 'basic', blocks: [2, 2, 2, 2], widths: [64, 128, 256, 512], strides: [1, 2, 2, 2], stem: 'imagenet', stemWidth: 64 },
  'resnet-small': { block: 'basic', blocks: [2, 2, 2], widths: [16, 32, 64], strides: [1, 2, 2], stem: 'small', stemWidth: 16 },
  'resnet-mini': { block: 'basic', blocks: [1, 1, 1], widths: [16, 32, 64], strides: [1, 2, 2], stem: 'small', stemWidth: 16 },
} satisfies Record<string, ResNetConfig>;

const BN_EPSILON = 1.001e-5;

/**
 * Builds a ResNet with Keras-applications layer names: conv1_conv/_bn/_relu, then
 * conv{stage}_block{b}_{1,2,3}_conv/_bn/_relu, the shortcut conv{stage}_block{b}_0_conv/_bn,
 * conv{stage}_block{b}_add and _out, avg_pool, predictions (logits).
 */
export function resnet(config: ResNetConfig, { seed, inputShape, classes, width }: Required<BuildOptions>, name: string): tf.LayersModel {
  let i = 0;
  const init = () => initializer(seed, i++);
  const conv = (x: tf.SymbolicTensor, id: string, filters: number, kernelSize: number, strides = 1, padding: 'same' | 'valid' = 'same') =>
    tf.layers.conv2d({ name: `${id}_conv`, filters, kernelSize, strides, padding, kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  const bn = (x: tf.SymbolicTensor, id: string) => tf.layers.batchNormalization({ name: `${id}_bn`, epsilon: BN_EPSILON }).apply(x) as tf.SymbolicTensor;
  const relu = (x: tf.SymbolicTensor, id: string) => tf.layers.activation({ name: id, activation: 'relu' }).apply(x) as tf.SymbolicTensor;

  const input = tf.input({ shape: inputShape, name: 'input_1' });
  let x: tf.SymbolicTensor;
  const stemWidth = scaled(config.stemWidth, width);
  if (config.stem === 'imagenet') {
    x = tf.layers.zeroPadding2d({ name: 'conv1_pad', padding: 3 }).apply(input) as tf.SymbolicTensor;
    x = relu(bn(conv(x, 'conv1', stemWidth, 7, 2, 'valid'), 'conv1'), 'conv1_relu');
    x = tf.layers.zeroPadding2d({ name: 'pool1_pad', padding: 1 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ name: 'pool1_pool', poolSize: 3, strides: 2 }).apply(x) as tf.SymbolicTensor;
  } else {
    x = relu(bn(conv(input, 'conv1', stemWidth, 3), 'conv1'), 'conv1_relu');
  }
  let channels = stemWidth;
  config.blocks.forEach((count, s) => {
    const base = scaled(config.widths[s], width);
    const out = config.block === 'bottleneck' ? 4 * base : base;
    for (let b = 0; b < count; b++) {
      const id = `conv${s + 2}_block${b + 1}`;
      const stride = b === 0 ? config.strides[s] : 1;
      let shortcut = x;
      if (stride !== 1 || channels !== out) shortcut = bn(conv(x, `${id}_0`, out, 1, stride), `${id}_0`);
      let y: tf.SymbolicTensor;
      if (config.block === 'bottleneck') {
        y = relu(bn(conv(x, `${id}_1`, base, 1, stride), `${id}_1`), `${id}_1_relu`);
        y = relu(bn(conv(y, `${id}_2`, base, 3), `${id}_2`), `${id}_2_relu`);
        y = bn(conv(y, `${id}_3`, out, 1), `${id}_3`);
      } else {
        y = relu(bn(conv(x, `${id}_1`, base, 3, stride), `${id}_1`), `${id}_1_relu`);
        y = bn(conv(y, `${id}_2`, base, 3), `${id}_2`);
      }
      x = tf.layers.add({ name: `${id}_add` }).apply([shortcut, y]) as tf.SymbolicTensor;
      x = relu(x, `${id}_out`);
      channels = out;
    }
  });
  x = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ name: 'predictions', units: classes, kernelInitializer: init() }).apply(x) as tf.SymbolicTensor;
  return tf.model({ name, inputs: input, outputs: logits });
}

registerArchitecture({
  name: 'resnet50',
  description: 'ResNet50 (Keras applications layout, bottleneck blocks [3, 4, 6, 3], 224×224×3, 1000 classes)',
  defaults: { inputShape: [224, 224, 3], classes: 1000 },
  build: (o) => resnet(RESNET_CONFIGS.resnet50, o, 'resnet50'),
});

registerArchitecture({
  name: 'resnet18',
  description: 'ResNet18 (basic blocks [2, 2, 2, 2], 224×224×3, 1000 classes)',
  defaults: { inputShape: [224, 224, 3], classes: 1000 },
  build: (o) => resnet(RESNET_CONFIGS.resnet18, o, 'resnet18'),
});

registerArchitecture({
  name: 'resnet-small',
  description: 'ResNet-style CNN for 28×28: 3×3 stem, basic blocks [2, 2, 2] of widths 16/32/64',
  build: (o) => resnet(RESNET_CONFIGS['resnet-small'], o, 'resnet-small'),
});

registerArchitecture({
  name: 'resnet-mini',
  description: 'shallow ResNet-style CNN for 28×28: 3×3 stem, one basic block per stage, widths 16/32/64',
  build: (o) => resnet(RESNET_CONFIGS['resnet-mini'], o, 'resnet-mini'),
});
