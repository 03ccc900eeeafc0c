/**
 * Distribution shifts by name. A shift maps a batch of images (NHWC floats in [0, 1]) to
 * shifted images of the same shape, deterministically for a given severity and seed.
 */

/** Shape of an image batch. */
export interface ImageBatchShape {
  n: number;
  height: number;
  width: number;
  channels: number;
}

/** Size regime whose constants a shift uses. */
export type ShiftPreset = 'imagenet' | 'cifar' | 'small';

/** Options of one application. */
export interface ShiftOptions {
  /** 1 (mild) to 5 (severe). */
  severity: number;
  /** Seed of any randomness; same seed, same bytes. */
  seed?: number;
  /** Constants to use; 'small' (28×28) by default. */
  preset?: ShiftPreset;
}

/** A registered shift. */
export interface Shift {
  name: string;
  family: 'corruption' | 'rendition';
  description: string;
  apply(images: Float32Array, shape: ImageBatchShape, options: Required<ShiftOptions>): Float32Array;
}

const registry = new Map<string, Shift>();

/** Adds a shift to the registry. */
export function registerShift(shift: Shift): void {
  registry.set(shift.name, shift);
}

/** Every registered shift. */
export function listShifts(): Shift[] {
  return [...registry.values()];
}

/** Looks a shift up by name, with an error listing the valid names. */
export function getShift(name: string): Shift {
  const shift = registry.get(name);
  if (!shift) throw new Error(`editlab: unknown shift "${name}"; available: ${[...registry.keys()].join(', ')}.`);
  return shift;
}

/** Applies a named shift to an image batch; returns a new array, the input is untouched. */
export function applyShift(name: string, images: Float32Array, shape: ImageBatchShape, options: ShiftOptions): Float32Array {
  const shift = getShift(name);
  const { severity, seed = 0, preset = 'small' } = options;
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) {
    throw new Error(`editlab: severity of "${name}" must be an integer from 1 to 5, got ${severity}.`);
  }
  if (!['imagenet', 'cifar', 'small'].includes(preset)) {
    throw new Error(`editlab: unknown preset "${preset}"; expected imagenet, cifar or small.`);
  }
  const expected = shape.n * shape.height * shape.width * shape.channels;
  if (images.length !== expected) {
    throw new Error(`editlab: ${name}: image batch has ${images.length} values, shape ${JSON.stringify(shape)} needs ${expected}.`);
  }
  return shift.apply(images, shape, { severity, seed, preset });
}
