import { tf } from '../../engine/backend';
import { initializer, registerArchitecture, scaled } from '../registry';

/**
 * The reference small CNN of the benchmark:
 * conv3x3(32)-relu-conv3x3(32)-relu-maxpool2-conv3x3(64)-relu-conv3x3(64)-relu-maxpool2-flatten-dense(128)-relu-dense(10).
 */
registerArchitecture({
  name: 'reference-cnn',
  description: 'conv32-conv32-pool-conv64-conv64-pool-fc128-fc10 (the benchmark CNN)',
  build({ seed, inputShape, classes, width }) {
    let i = 0;
    const conv = (filters: number, name: string) => tf.layers.conv2d({
      name, filters: scaled(filters, width), kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: initializer(seed, i++),
    });
    return tf.sequential({
      name: 'reference-cnn',
      layers: [
        tf.layers.inputLayer({ inputShape, name: 'input' }),
        conv(32, 'conv1'),
        conv(32, 'conv2'),
        tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
        conv(64, 'conv3'),
        conv(64, 'conv4'),
        tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }),
        tf.layers.flatten({ name: 'flatten' }),
        tf.layers.dense({ units: scaled(128, width), activation: 'relu', name: 'fc1', kernelInitializer: initializer(seed, i++) }),
        tf.layers.dense({ units: classes, name: 'logits', kernelInitializer: initializer(seed, i++) }),
      ],
    });
  },
});
