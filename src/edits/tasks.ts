import { mulberry32 } from '../engine/rng';
import { fashionMnistSet, sample, withImages, type ImageSet } from '../data/image-set';
import { applyShift } from '../shifts';

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
  /** Further named held-out splits (e.g. held-out styles, other classes). */
  splits?: Record<string, EditSet>;
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
export function snowBackgroundTask(options: SnowTaskOptions = {}): EditTask {
  const { exemplars = 64, testSize = 1000, seed = 0, targetClasses } = options;
  const train = fashionMnistSet('train');
  const test = fashionMnistSet('test');
  const isTarget = (label: number) => !targetClasses || targetClasses.includes(label);
  const heldOut = snowBackground(sample(test, testSize, seed + 3, isTarget), seed + 4);
  const corrupted = (set: EditSet): EditSet => ({ ...set, images: applyShift('gaussian_noise', set.images, set, { severity: 3, seed: seed + 5 }) });
  const splits: Record<string, EditSet> = { 'target, snow': heldOut, 'target, snow + gaussian_noise s3': corrupted(heldOut) };
  if (targetClasses) {
    const others = snowBackground(sample(test, testSize, seed + 6, (l) => !isTarget(l)), seed + 7);
    splits['other classes, snow'] = others;
    splits['other classes, snow + gaussian_noise s3'] = corrupted(others);
  }
  return {
    name: 'snow-background',
    description: `${targetClasses ? `classes ${targetClasses.join(', ')}` : 'objects'} pasted on a bright snow-like background (context swap)`,
    editSet: snowBackground(sample(train, exemplars, seed + 1, isTarget), seed + 2),
    heldOut,
    splits,
  };
}

/** Options of the snow-background task. */
export interface SnowTaskOptions extends TaskOptions {
  /** The classes shown on snow in the exemplars (default: every class); the others form held-out splits. */
  targetClasses?: number[];
}

/** Procedural styles for the concept–style task: value in [0, 1] at pixel (y, x) of a 28×28 grid. */
export const CONCEPT_STYLES: Record<string, (y: number, x: number) => number> = {
  stripes: (y) => (Math.floor(y / 2) % 2 ? 0.95 : 0.25),
  checker: (y, x) => ((Math.floor(y / 3) + Math.floor(x / 3)) % 2 ? 0.95 : 0.2),
  dots: (y, x) => ((y % 4 < 2 && x % 4 < 2) ? 0.95 : 0.3),
  waves: (y, x) => 0.55 + 0.4 * Math.sin((x + 3 * Math.sin(y / 3)) / 1.5),
};

/**
 * Re-renders the concept region (the object's pixels, ≥ 0.15) in a style, keeping a little of
 * the original shading; the mask marks the re-rendered region.
 */
export function renderStyle(set: ImageSet, style: string): EditSet {
  const paint = CONCEPT_STYLES[style];
  if (!paint) throw new Error(`editlab: unknown style "${style}"; available: ${Object.keys(CONCEPT_STYLES).join(', ')}.`);
  if (set.channels !== 1) throw new Error(`renderStyle: expects grayscale images, got ${set.channels} channels.`);
  const size = set.height * set.width;
  const out = new Float32Array(set.images.length);
  const masks = new Float32Array(set.images.length);
  for (let i = 0; i < set.images.length; i++) {
    const p = i % size, v = set.images[i];
    const inside = v >= 0.15;
    out[i] = inside ? 0.25 * v + 0.75 * paint(Math.floor(p / set.width), p % set.width) : v;
    masks[i] = inside ? 1 : 0;
  }
  return { ...withImages(set, out), originals: set.images, masks };
}

/** Options of the concept–style task. */
export interface ConceptStyleOptions extends TaskOptions {
  /** The concept's class (default 7, Sneaker). */
  targetClass?: number;
  /** The style of the exemplars (default stripes); the other styles are held out. */
  trainStyle?: string;
}

/**
 * The concept–style task: the target class's object re-rendered in a style. Exemplars: the
 * target class in the train style. Held out: the target class in the train style (`heldOut`),
 * the target class in the held-out styles, and the other classes in the train and held-out styles.
 */
export function conceptStyleTask(options: ConceptStyleOptions = {}): EditTask {
  const { exemplars = 64, testSize = 1000, seed = 0, targetClass = 7, trainStyle = 'stripes' } = options;
  if (!CONCEPT_STYLES[trainStyle]) throw new Error(`editlab: unknown style "${trainStyle}"; available: ${Object.keys(CONCEPT_STYLES).join(', ')}.`);
  const train = fashionMnistSet('train');
  const test = fashionMnistSet('test');
  const perSplit = Math.max(1, Math.floor(testSize / 2));
  const target = sample(test, Math.min(perSplit, 1000), seed + 3, (l) => l === targetClass);
  const others = sample(test, perSplit, seed + 4, (l) => l !== targetClass);
  const heldOutStyles = Object.keys(CONCEPT_STYLES).filter((s) => s !== trainStyle);
  const mixed = (set: ImageSet) => {
    // Each image in one held-out style, in turn.
    const parts = heldOutStyles.map((style) => renderStyle(set, style));
    const size = set.height * set.width * set.channels;
    const images = new Float32Array(set.images.length);
    const masks = new Float32Array(set.images.length);
    for (let i = 0; i < set.n; i++) {
      const part = parts[i % parts.length];
      images.set(part.images.subarray(i * size, (i + 1) * size), i * size);
      masks.set(part.masks!.subarray(i * size, (i + 1) * size), i * size);
    }
    return { ...withImages(set, images), originals: set.images, masks };
  };
  const heldOut = renderStyle(target, trainStyle);
  return {
    name: 'concept-style',
    description: `class ${targetClass} re-rendered in the ${trainStyle} style; held-out styles ${heldOutStyles.join(', ')}`,
    editSet: renderStyle(sample(train, exemplars, seed + 1, (l) => l === targetClass), trainStyle),
    heldOut,
    splits: {
      'target, train style': heldOut,
      'target, held-out styles': mixed(target),
      'other classes, train style': renderStyle(others, trainStyle),
      'other classes, held-out styles': mixed(others),
    },
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

/** The footwear classes (Sandal, Sneaker, Ankle boot): the "vehicles" of the snow task. */
export const SNOW_TARGET_CLASSES = [5, 7, 9];

registerTask({
  name: 'snow-background',
  description: 'context swap: footwear (Sandal, Sneaker, Ankle boot) on a bright snow-like background; other classes and noisy copies held out',
  build: (options) => snowBackgroundTask({ targetClasses: SNOW_TARGET_CLASSES, ...options }),
});
registerTask({ name: 'concept-style', description: 'concept–style: the Sneaker class re-rendered in stripes; held-out styles and other classes', build: conceptStyleTask });
