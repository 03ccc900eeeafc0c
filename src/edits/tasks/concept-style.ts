import { fashionMnistSet, sample, withImages, type ImageSet } from '../../data/image-set';
import { registerTask, type EditTask, type EditSet, type TaskOptions } from './task';

/** Procedural styles for the concept–style task: value in [0, 1] at pixel (y, x) of a 28×28 grid. */
export const CONCEPT_STYLES: Record<string, (y: number, x: number) => number> = {
  stripes: (y) => (Math.floor(y / 2) % 2 ? 0.95 : 0.25),
  checker: (y, x) => ((Math.floor(y / 3) + Math.floor(x / 3)) % 2 ? 0.95 : 0.2),
  dots: (y, x) => ((y % 4 < 2 && x % 4 < 2) ? 0.95 : 0.3),
  waves: (y, x) => 0.55 + 0.4 * Math.sin((x + 3 * Math.sin(y / 3)) / 1.5),
  // Added because every class stays recognisable in the four styles above (some model ≥ 36%
  // right on every pairing). Near-black cells cut the object into pieces, and 4-px cells line
  // up with vit-tiny's 4×4 patches (3- or 5-px bars leave it about 80% right on pullovers).
  bars: (_y, x) => (Math.floor(x / 4) % 2 ? 0.95 : 0.02),
  blocks: (y, x) => ((Math.floor(y / 4) + Math.floor(x / 4)) % 2 ? 0.95 : 0.02),
};

/** A style's paint function, or an error listing the valid ones. */
function conceptStyle(style: string): (y: number, x: number) => number {
  const paint = CONCEPT_STYLES[style];
  if (!paint) throw new Error(`editlab: unknown style "${style}"; available: ${Object.keys(CONCEPT_STYLES).join(', ')}.`);
  return paint;
}

/**
 * Re-renders the concept region (the object's pixels, ≥ 0.15) in a style, keeping a little of
 * the original shading; the mask marks the re-rendered region.
 */
export function renderStyle(set: ImageSet, style: string): EditSet {
  const paint = conceptStyle(style);
  if (set.channels !== 1) throw new Error(`editlab: renderStyle expects grayscale images, got ${set.channels} channels.`);
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

/** The default concept: Pullover (class 2), chosen by measurement (see {@link CONCEPT_STYLE_BEFORE_ACCURACY}). */
export const CONCEPT_STYLE_DEFAULT_CLASS = 2;
/** The default train style; the other styles are held out. */
export const CONCEPT_STYLE_DEFAULT_STYLE = 'bars';

/**
 * Accuracy of the embedded models on the default task's target splits before any edit, measured
 * with `predict` on the wasm backend (scripts/measure-concept-style.ts prints them): the 1 000
 * test pullovers in bars, and the same pullovers in the held-out styles (each image in one of
 * stripes, checker, dots, waves, blocks in turn). Pullover is recognisable by its silhouette
 * alone (filled flat, every model ≥ 67% right: the script's "mask only" column), unlike Coat
 * (6.5%) and Shirt (36.5%), so the errors are the style's doing.
 */
export const CONCEPT_STYLE_BEFORE_ACCURACY: Readonly<Record<string, { trainStyle: number; heldOutStyles: number }>> = Object.freeze({
  'vgg-small': { trainStyle: 77 / 1000, heldOutStyles: 476 / 1000 },
  'resnet-small': { trainStyle: 17 / 1000, heldOutStyles: 304 / 1000 },
  'vit-tiny': { trainStyle: 65 / 1000, heldOutStyles: 594 / 1000 },
});

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

/** What the default task is, why, and its measured before-edit accuracies. */
export const CONCEPT_STYLE_DESCRIPTION =
  'concept–style: Pullovers (class 2) re-rendered in vertical bars (train style; held out: stripes, checker, dots, waves, blocks), ' +
  'other classes in the same styles; chosen as a pairing the models get wrong before editing — right on the test pullovers in bars / in the held-out styles: ' +
  Object.entries(CONCEPT_STYLE_BEFORE_ACCURACY).map(([model, a]) => `${percent(a.trainStyle)} / ${percent(a.heldOutStyles)} (${model})`).join(', ') +
  '; every class × style in datasets/tasks/concept-style-pairings.csv (npx tsx scripts/measure-concept-style.ts)';

/** Options of the concept–style task. */
export interface ConceptStyleOptions extends TaskOptions {
  /** The concept's class (default 2, Pullover). */
  targetClass?: number;
  /** The style of the exemplars (default bars); the other styles are held out. */
  trainStyle?: string;
}

/** How many examples of a set have a label that passes `keep`. */
function countLabels(set: ImageSet, keep: (label: number) => boolean): number {
  let n = 0;
  for (const l of set.labels) if (keep(l)) n++;
  return n;
}

/**
 * The concept–style task: the target class's object re-rendered in a style. Exemplars: the
 * target class in the train style (train split). Held out (test split), `testSize` images per
 * split: the target class in the train style (`heldOut`) and in the held-out styles, and the other
 * classes in the train and held-out styles. The target splits hold at most the 1 000 test images
 * of the class (the other-class splits at most the other 9 000), so a larger `testSize` is capped.
 */
export function conceptStyleTask(options: ConceptStyleOptions = {}): EditTask {
  const { exemplars = 64, testSize = 1000, seed = 0, targetClass = CONCEPT_STYLE_DEFAULT_CLASS, trainStyle = CONCEPT_STYLE_DEFAULT_STYLE } = options;
  conceptStyle(trainStyle);
  if (!Number.isInteger(testSize) || testSize < 1) throw new Error(`editlab: concept-style: testSize must be a positive integer, got ${testSize}.`);
  const train = fashionMnistSet('train');
  const test = fashionMnistSet('test');
  if (!Number.isInteger(targetClass) || targetClass < 0 || targetClass >= test.classes.length) {
    throw new Error(`editlab: concept-style: targetClass must be a class index from 0 to ${test.classes.length - 1}, got ${targetClass}.`);
  }
  const isTarget = (l: number) => l === targetClass, isOther = (l: number) => l !== targetClass;
  const target = sample(test, Math.min(testSize, countLabels(test, isTarget)), seed + 3, isTarget);
  const others = sample(test, Math.min(testSize, countLabels(test, isOther)), seed + 4, isOther);
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
  const isDefault = targetClass === CONCEPT_STYLE_DEFAULT_CLASS && trainStyle === CONCEPT_STYLE_DEFAULT_STYLE;
  return {
    name: 'concept-style',
    description: isDefault ? CONCEPT_STYLE_DESCRIPTION : `class ${targetClass} (${test.classes[targetClass]}) re-rendered in the ${trainStyle} style; held-out styles ${heldOutStyles.join(', ')}`,
    editSet: renderStyle(sample(train, exemplars, seed + 1, isTarget), trainStyle),
    heldOut,
    splits: {
      'target, train style': heldOut,
      'target, held-out styles': mixed(target),
      'other classes, train style': renderStyle(others, trainStyle),
      'other classes, held-out styles': mixed(others),
    },
  };
}

registerTask({ name: 'concept-style', heldOutSplit: 'target, train style', description: CONCEPT_STYLE_DESCRIPTION, build: conceptStyleTask });
