/**
 * Distribution shifts by name. A shift maps a batch of images (NHWC floats in [0, 1]) to
 * shifted images of the same shape, deterministically for a given severity, preset and seed.
 *
 * Two families live in this registry: the ImageNet-C **corruptions** (15 benchmark ones and 4
 * held-out ones, five severities each, constants per size regime as data) and the ImageNet-R
 * style **renditions** (one style each, no severities). The third family, the ImageNet-A style
 * **hard** subset, selects images rather than transforming them: see `hardSubset`.
 */

/** Shape of an image batch. */
export interface ImageBatchShape {
  n: number;
  height: number;
  width: number;
  channels: number;
}

/**
 * Size regime whose constants a corruption uses: `imagenet` (224×224, make_imagenet_c.py),
 * `cifar` (32×32, make_cifar_c.py) or `small` (28×28 grayscale, editlab's, calibrated on
 * Fashion-MNIST).
 */
export type ShiftPreset = 'imagenet' | 'cifar' | 'small';

/** Every preset, in order. */
export const SHIFT_PRESETS: readonly ShiftPreset[] = ['imagenet', 'cifar', 'small'];

/** Kinds of shift. */
export type ShiftFamily = 'corruption' | 'rendition' | 'hard';

/** ImageNet-C's grouping of corruptions. */
export type CorruptionGroup = 'noise' | 'blur' | 'weather' | 'digital';

/** Options of one application. */
export interface ShiftOptions {
  /** 1 (mild) to 5 (severe); required for corruptions, ignored by renditions (default 1). */
  severity?: number;
  /** Seed of any randomness; same seed, same bytes. Default 0. */
  seed?: number;
  /** Constants to use; 'small' (28×28) by default. */
  preset?: ShiftPreset;
}

/** A registered shift. */
export interface Shift {
  name: string;
  family: 'corruption' | 'rendition';
  description: string;
  /** ImageNet-C group (corruptions only). */
  group?: CorruptionGroup;
  /** One of ImageNet-C's four held-out corruptions (speckle noise, gaussian blur, spatter, saturate). */
  heldOut?: boolean;
  /** Whether the result depends on the seed (default true). */
  random?: boolean;
  /** Whether severity changes the result (default: true for corruptions, false for renditions). */
  usesSeverity?: boolean;
  /** Constants per preset, one entry per severity 1–5 (corruptions). */
  constants?: Readonly<Record<ShiftPreset, readonly unknown[]>>;
  /**
   * Shifts a batch; returns a new array, the input untouched. `options.severity` is 1–5,
   * `options.seed` an unsigned 32-bit integer.
   */
  apply(images: Float32Array, shape: ImageBatchShape, options: Required<ShiftOptions>): Float32Array;
}

const registry = new Map<string, Shift>();

/** Adds a shift to the registry (replacing one of the same name). */
export function registerShift(shift: Shift): void {
  registry.set(shift.name, shift);
}

/** Every registered shift, optionally of one family, in registration order. */
export function listShifts(family?: ShiftFamily): Shift[] {
  const all = [...registry.values()];
  return family ? all.filter((s) => s.family === family) : all;
}

/** Looks a shift up by name, with an error listing the valid names. */
export function getShift(name: string): Shift {
  const shift = registry.get(name);
  if (!shift) throw new Error(`editlab: unknown shift "${name}"; available: ${[...registry.keys()].join(', ')}.`);
  return shift;
}

/** Whether a value is a preset name. */
export function isShiftPreset(value: unknown): value is ShiftPreset {
  return typeof value === 'string' && (SHIFT_PRESETS as readonly string[]).includes(value);
}

/** Validates a preset name, with an error listing the valid ones. */
export function checkPreset(preset: unknown): ShiftPreset {
  if (!isShiftPreset(preset)) throw new Error(`editlab: unknown preset "${String(preset)}"; expected imagenet, cifar or small.`);
  return preset;
}

/** Validates a severity (an integer 1–5) for the named shift. */
export function checkSeverity(name: string, severity: unknown): number {
  if (typeof severity !== 'number' || !Number.isInteger(severity) || severity < 1 || severity > 5) {
    throw new Error(`editlab: severity of "${name}" must be an integer from 1 to 5, got ${String(severity)}.`);
  }
  return severity;
}

/**
 * The preset whose constants suit an image size: `small` up to 28 pixels on the shorter side,
 * `cifar` up to 64, `imagenet` above.
 */
export function presetForSize(height: number, width: number): ShiftPreset {
  const side = Math.min(height, width);
  return side <= 28 ? 'small' : side <= 64 ? 'cifar' : 'imagenet';
}

/**
 * Applies a named shift to an image batch (NHWC floats in [0, 1], 1 or 3 channels); returns a
 * new Float32Array of the same shape with values in [0, 1], the input untouched. Image i of
 * the batch draws its randomness from (seed, i), so the same input, name, severity, preset and
 * seed give the same bytes on every run and machine.
 * @example applyShift('fog', set.images, set, { severity: 3, preset: 'small', seed: 1 })
 */
export function applyShift(name: string, images: Float32Array, shape: ImageBatchShape, options: ShiftOptions = {}): Float32Array {
  const shift = getShift(name);
  const { seed = 0, preset = 'small' } = options;
  const usesSeverity = shift.usesSeverity ?? shift.family === 'corruption';
  let severity = options.severity;
  if (severity === undefined && !usesSeverity) severity = 1;
  checkSeverity(name, severity);
  checkPreset(preset);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error(`editlab: seed of "${name}" must be an integer from 0 to 2^32 − 1, got ${seed}.`);
  }
  const { n, height, width, channels } = shape;
  for (const [k, v] of Object.entries({ n, height, width })) {
    if (!Number.isInteger(v) || v < (k === 'n' ? 0 : 1)) throw new Error(`editlab: ${name}: shape.${k} must be a positive integer, got ${v}.`);
  }
  if (channels !== 1 && channels !== 3) {
    throw new Error(`editlab: ${name}: images must have 1 (grayscale) or 3 (RGB) channels, got ${channels}.`);
  }
  const expected = n * height * width * channels;
  if (images.length !== expected) {
    throw new Error(`editlab: ${name}: image batch has ${images.length} values, shape ${JSON.stringify({ n, height, width, channels })} needs ${expected}.`);
  }
  return shift.apply(images, { n, height, width, channels }, { severity: severity as number, seed, preset });
}

/** Names of the 15 ImageNet-C benchmark corruptions, in ImageNet-C's order. */
export const BENCHMARK_CORRUPTIONS: readonly string[] = [
  'gaussian_noise', 'shot_noise', 'impulse_noise',
  'defocus_blur', 'glass_blur', 'motion_blur', 'zoom_blur',
  'snow', 'frost', 'fog',
  'brightness', 'contrast', 'elastic_transform', 'pixelate', 'jpeg_compression',
];

/** Names of ImageNet-C's 4 held-out corruptions. */
export const HELD_OUT_CORRUPTIONS: readonly string[] = ['speckle_noise', 'gaussian_blur', 'spatter', 'saturate'];

/** Runs `each(image, out, index)` over the images of a batch: views into the input and a new output. */
export function mapImages(
  images: Float32Array, shape: ImageBatchShape,
  each: (image: Float32Array, out: Float32Array, index: number) => void,
): Float32Array {
  const size = shape.height * shape.width * shape.channels;
  const out = new Float32Array(images.length);
  for (let i = 0; i < shape.n; i++) each(images.subarray(i * size, (i + 1) * size), out.subarray(i * size, (i + 1) * size), i);
  return out;
}

/** The constants of a corruption for a preset and severity. */
export function constantsOf<T>(table: Readonly<Record<ShiftPreset, readonly T[]>>, options: Required<ShiftOptions>): T {
  return table[options.preset][options.severity - 1];
}
