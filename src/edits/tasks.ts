import { mulberry32 } from '../engine/rng';
import { fashionMnistSet, sample, withImages, type ImageSet } from '../data/image-set';

/** Sizes and seed of an editing task's splits. */
export interface TaskOptions {
  /** Exemplars in the edit set. */
  exemplars?: number;
  /** Held-out images per test split. */
  testSize?: number;
  seed?: number;
}

/**
 * Edit exemplars: the transformed images (the concept in its new context) with their labels,
 * plus, where known, the original images and the concept mask (1 where the image changed),
 * which rewriting needs.
 */
export interface EditSet extends ImageSet {
  /** The untransformed images, same shape as `images`. */
  originals?: Float32Array;
  /** n × height × width weights in [0, 1]. */
  masks?: Float32Array;
}

/** An editing task: exemplars to edit with, and held-out splits to measure generalisation. */
export interface EditTask {
  name: string;
  description: string;
  /** The exemplars (train split). */
  editSet: EditSet;
  /** Held-out images of the edited concept (test split). */
  heldOut: EditSet;
}

/**
 * Replaces the dark background of grayscale images with a bright, seeded "snow" texture
 * (the context-swap analog of "vehicles on snow"): objects keep their pixels.
 */
export function snowBackground(set: ImageSet, seed: number): EditSet {
  if (set.channels !== 1) throw new Error(`snowBackground: expects grayscale images, got ${set.channels} channels.`);
  const rand = mulberry32(seed);
  const out = new Float32Array(set.images.length);
  const masks = new Float32Array(set.n * set.height * set.width);
  const size = set.height * set.width;
  for (let i = 0; i < set.n; i++) {
    // Blobs of snow: a coarse random grid, upsampled, plus fine grain.
    const coarse = Array.from({ length: 49 }, () => rand());
    for (let p = 0; p < size; p++) {
      const v = set.images[i * size + p];
      const y = Math.floor(p / set.width), x = p % set.width;
      const blob = coarse[Math.floor((y * 7) / set.height) * 7 + Math.floor((x * 7) / set.width)];
      const snow = 0.55 + 0.3 * blob + 0.15 * rand();
      const background = v < 0.15;
      out[i * size + p] = background ? snow : v;
      masks[i * size + p] = background ? 1 : 0;
    }
  }
  return { ...withImages(set, out), originals: set.images, masks };
}

/**
 * The snow-background task on the embedded Fashion-MNIST: exemplars from the train split and
 * held-out images from the test split, all with snowy backgrounds and their true labels.
 */
export function snowBackgroundTask(options: TaskOptions = {}): EditTask {
  const { exemplars = 64, testSize = 1000, seed = 0 } = options;
  const train = fashionMnistSet('train');
  const test = fashionMnistSet('test');
  return {
    name: 'snow-background',
    description: 'objects pasted on a bright snow-like background (context swap)',
    editSet: snowBackground(sample(train, exemplars, seed + 1), seed + 2),
    heldOut: snowBackground(sample(test, testSize, seed + 3), seed + 4),
  };
}

/** A registered editing task: builds its exemplars and held-out sets. */
export interface TaskDefinition {
  name: string;
  description: string;
  build(options?: TaskOptions): EditTask;
}

const tasks = new Map<string, TaskDefinition>();

/** Adds a task to the registry. */
export function registerTask(task: TaskDefinition): void {
  tasks.set(task.name, task);
}

/** Every registered task. */
export function listTasks(): TaskDefinition[] {
  return [...tasks.values()];
}

/** Builds a task by name, with an error listing the valid ones. */
export function buildTask(name: string, options?: TaskOptions): EditTask {
  const task = tasks.get(name);
  if (!task) throw new Error(`editlab: unknown task "${name}"; available: ${[...tasks.keys()].join(', ')}.`);
  return task.build(options);
}

registerTask({ name: 'snow-background', description: 'context swap: objects on a bright snow-like background', build: snowBackgroundTask });
