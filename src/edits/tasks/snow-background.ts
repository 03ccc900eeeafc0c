import { mulberry32 } from '../../engine/rng';
import { fashionMnistSet, sample, withImages, type ImageSet } from '../../data/image-set';
import { applyShift } from '../../shifts';
import { registerTask, type EditSet, type EditTask, type TaskOptions } from './task';

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

/** The footwear classes (Sandal, Sneaker, Ankle boot): the "vehicles" of the snow task. */
export const SNOW_TARGET_CLASSES = [5, 7, 9];

registerTask({
  name: 'snow-background',
  heldOutSplit: 'target, snow',
  description: 'context swap: footwear (Sandal, Sneaker, Ankle boot) on a bright snow-like background; other classes and noisy copies held out',
  build: (options) => snowBackgroundTask({ targetClasses: SNOW_TARGET_CLASSES, ...options }),
});
