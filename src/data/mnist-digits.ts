/**
 * The embedded MNIST digit subset (datasets/mnist-digits: 3 000 train and 2 000 test digits, built
 * by scripts/make-mnist-digits.js), for tasks that patch a Fashion-MNIST classifier to read digits.
 * The files use Fashion-MNIST's names and IDX layout, so its reader parses and validates them.
 */
import { fashionMnistFile, loadFashionMnist, type FashionMnist, type FashionMnistSplit } from './fashion-mnist';
import type { ImageSet } from './image-set';
import { defaultMnistDigitsRoot } from './paths';

/** The 10 digit class names, indexed by label: '0' … '9'. */
export const MNIST_DIGIT_CLASSES: readonly string[] = Object.freeze(Array.from({ length: 10 }, (_, d) => String(d)));

/** A digits split: `train` (3 000 digits, 300 per class) or `test` (2 000, 200 per class). */
export type MnistDigitsSplit = FashionMnistSplit;

/** Options of {@link loadMnistDigits}. */
export interface MnistDigitsOptions {
  /** Which split to load. */
  split: MnistDigitsSplit;
  /** Keep only the first `limit` digits (a non-negative integer); default: all. */
  limit?: number;
  /** Folder holding the IDX files; default: the package's `datasets/mnist-digits`. */
  root?: string;
}

/** Digits as flat unsigned bytes: the shape of {@link FashionMnist}, with `classes` '0' … '9'. */
export type MnistDigits = FashionMnist;

/** The expected form of each file, for error messages. */
const EXPECTED_FORM = {
  images: 'a gzip or raw IDX file with magic 0x00000803 and dims [n, 28, 28] (uint8 pixels, 0 = background)',
  labels: 'a gzip or raw IDX file with magic 0x00000801 and dims [n] (uint8 labels 0 … 9)',
} as const;

/**
 * Loads a digits split from IDX files (gzip or raw), validating both headers, that the image and
 * label counts agree, and that every label is a digit. The embedded files are interleaved by class,
 * so the first 10·k digits hold k of each.
 *
 * @example
 * const { images, labels, n } = loadMnistDigits({ split: 'test' });
 * @throws Error starting `editlab:` naming the file and its expected form when it is missing or malformed.
 */
export function loadMnistDigits(options: MnistDigitsOptions): MnistDigits {
  const { split, limit, root = defaultMnistDigitsRoot() } = options;
  if (split !== 'train' && split !== 'test') {
    throw new Error(`editlab: loadMnistDigits: split must be 'train' or 'test', got ${JSON.stringify(split)}.`);
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new Error(`editlab: loadMnistDigits: limit must be a non-negative integer, got ${limit}.`);
  }
  for (const kind of ['images', 'labels'] as const) {
    try {
      fashionMnistFile(split, kind, root);
    } catch {
      // The Fashion-MNIST message would name the wrong data set; say which file and what it must be.
      const file = `${split === 'train' ? 'train' : 't10k'}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz`;
      throw new Error(
        `editlab: MNIST digits ${split} ${kind}: ${file} (or the same name without .gz) not found in ${root}; ` +
          `expected ${EXPECTED_FORM[kind]}. Rebuild it with scripts/make-mnist-digits.js (see datasets/README.md).`,
      );
    }
  }
  try {
    return { ...loadFashionMnist({ split, limit, root }), classes: [...MNIST_DIGIT_CLASSES] };
  } catch (e) {
    // Keep the error's type and fields (IdxFormatError names the file, field and expected form).
    if (e instanceof Error) e.message = `editlab: MNIST digits: ${e.message}`;
    throw e;
  }
}

/**
 * A digits split as an ImageSet (NHWC 28×28×1 floats in [0, 1], Int32 labels = the digit),
 * optionally the first `limit` digits. Like `fashionMnistSet`, it reads the files on each call
 * (the whole subset decodes in milliseconds).
 */
export function mnistDigitSet(split: MnistDigitsSplit, limit?: number): ImageSet {
  const raw = loadMnistDigits({ split, limit });
  const images = Float32Array.from(raw.images, (v) => v / 255);
  return { images, labels: Int32Array.from(raw.labels), n: raw.n, height: raw.height, width: raw.width, channels: 1, classes: raw.classes };
}
