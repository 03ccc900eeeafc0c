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
  /** Width multiplier of every layer (1 = the config's widths). */
  width?: number;
}

/** A registered architecture. */
export interface Architecture {
  name: string;
  description: string;
  /** Defaults that differ from the embedded data's (28×28×1, 10 classes). */
  defaults?: BuildOptions;
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

/** Looks an architecture up by name, with an error listing the registered ones. */
export function getArchitecture(name: string): Architecture {
  const arch = registry.get(name);
  if (!arch) throw new Error(`editlab: unknown architecture "${name}"; registered: ${[...registry.keys()].join(', ')}.`);
  return arch;
}

/** Builds a fresh model of a registered architecture. */
export function buildModel(name: string, options: BuildOptions = {}): tf.LayersModel {
  const arch = getArchitecture(name);
  const o = { seed: 0, inputShape: [28, 28, 1] as [number, number, number], classes: 10, width: 1, ...arch.defaults, ...stripUndefined(options) };
  if (!(o.width > 0)) throw new Error(`editlab: width multiplier must be > 0, got ${o.width}.`);
  return arch.build(o);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A layer width scaled by the width multiplier (at least 1). */
export function scaled(units: number, width: number): number {
  return Math.max(1, Math.round(units * width));
}

/** A seeded Glorot-uniform initialiser for the i-th layer of a model. */
export function initializer(seed: number, layerIndex: number): ReturnType<typeof tf.initializers.glorotUniform> {
  return tf.initializers.glorotUniform({ seed: seed * 1000 + layerIndex });
}
