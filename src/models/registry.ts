/**
 * Architectures by name, configs as data (timm-style). Each entry builds a fresh, seeded
 * tfjs LayersModel whose layers have stable, addressable names.
 */
import { tf } from '../engine/backend';

/** Options every architecture accepts. */
export interface BuildOptions {
  /** Seed of the weight initialisers. */
  seed?: number;
  /** Input shape [height, width, channels]. */
  inputShape?: [number, number, number];
  /** Number of classes. */
  classes?: number;
}

/** A registered architecture. */
export interface Architecture {
  name: string;
  description: string;
  build(options: Required<BuildOptions>): tf.LayersModel;
}

const registry = new Map<string, Architecture>();

/** Adds an architecture to the registry. */
export function registerArchitecture(arch: Architecture): void {
  registry.set(arch.name, arch);
}

/** The registered architectures. */
export function listArchitectures(): Architecture[] {
  return [...registry.values()];
}

/** Builds a fresh model of a registered architecture. */
export function buildModel(name: string, options: BuildOptions = {}): tf.LayersModel {
  const arch = registry.get(name);
  if (!arch) {
    throw new Error(`editlab: unknown architecture "${name}"; registered: ${[...registry.keys()].join(', ')}.`);
  }
  return arch.build({ seed: options.seed ?? 0, inputShape: options.inputShape ?? [28, 28, 1], classes: options.classes ?? 10 });
}

/** A seeded Glorot-uniform initialiser for the i-th layer of a model. */
export function initializer(seed: number, layerIndex: number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: seed * 1000 + layerIndex });
}

/**
 * The reference small CNN of the benchmark:
 * conv3x3(32)-relu-conv3x3(32)-relu-maxpool2-conv3x3(64)-relu-conv3x3(64)-relu-maxpool2-flatten-dense(128)-relu-dense(10).
 */
registerArchitecture({
  name: 'reference-cnn',
  description: 'conv32-conv32-pool-conv64-conv64-pool-fc128-fc10 (the benchmark CNN)',
  build({ seed, inputShape, classes }) {
    let i = 0;
    const conv = (filters: number, name: string) => tf.layers.conv2d({
      name, filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: initializer(seed, i++),
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
        tf.layers.dense({ units: 128, activation: 'relu', name: 'fc1', kernelInitializer: initializer(seed, i++) }),
        tf.layers.dense({ units: classes, name: 'logits', kernelInitializer: initializer(seed, i++) }),
      ],
    });
  },
});
