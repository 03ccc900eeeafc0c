import * as fs from 'node:fs';
import * as path from 'node:path';
import { IDX_MAGIC_IMAGES, IDX_MAGIC_LABELS, IdxFormatError, readIdx } from './idx';
import { defaultFashionMnistRoot } from './paths';

/** The 10 Fashion-MNIST class names, indexed by label. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** A Fashion-MNIST split: `train` (60 000 images) or `test` (10 000). */
export type FashionMnistSplit = 'train' | 'test';

/** Options of {@link loadFashionMnist}. */
export interface FashionMnistOptions {
  /** Which split to load. */
  split: FashionMnistSplit;
  /** Keep only the first `limit` examples (a non-negative integer); default: all. */
  limit?: number;
  /** Folder holding the IDX files; default: the package's `datasets/fashion-mnist`. */
  root?: string;
}

/** Fashion-MNIST examples as flat unsigned bytes (no tfjs). */
export interface FashionMnist {
  /** `n * 28 * 28` pixels, row-major per image, 0 (background) … 255. */
  images: Uint8Array;
  /** `n` labels in 0 … 9, indexing {@link FashionMnist.classes}. */
  labels: Uint8Array;
  /** Number of examples. */
  n: number;
  /** Image height in pixels (28). */
  height: 28;
  /** Image width in pixels (28). */
  width: 28;
  /** Class names by label ({@link FASHION_MNIST_CLASSES}). */
  classes: string[];
}

const PREFIX: Record<FashionMnistSplit, string> = { train: 'train', test: 't10k' };

/**
 * Locates one IDX file of a split: `<root>/<prefix>-<kind>-idx?-ubyte.gz`, else the same name
 * without `.gz`.
 *
 * @throws Error naming the file and every path it looked at when neither exists.
 */
export function fashionMnistFile(
  split: FashionMnistSplit,
  kind: 'images' | 'labels',
  root: string = defaultFashionMnistRoot(),
): string {
  const base = `${PREFIX[split]}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte`;
  const candidates = [path.join(root, base + '.gz'), path.join(root, base)];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new Error(
    `Fashion-MNIST ${split} ${kind} file ${base}.gz not found; looked for ${candidates.join(' and ')}` +
      ` (root: ${root})`,
  );
}

/**
 * Loads a Fashion-MNIST split from IDX files (gzip or raw), validating both headers, that the image
 * and label counts agree, and that every label is below 10.
 *
 * @example
 * const { images, labels, n } = loadFashionMnist({ split: 'test', limit: 1000 });
 * @throws Error naming the file when it is missing; {@link IdxFormatError} when malformed.
 */
export function loadFashionMnist(options: FashionMnistOptions): FashionMnist {
  const { split, limit, root } = options;
  if (split !== 'train' && split !== 'test') {
    throw new Error(`loadFashionMnist: split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new Error(`loadFashionMnist: limit must be a non-negative integer, got ${limit}`);
  }
  const dir = root ?? defaultFashionMnistRoot();
  const imagesFile = fashionMnistFile(split, 'images', dir);
  const labelsFile = fashionMnistFile(split, 'labels', dir);
  const img = readIdx(imagesFile, { magic: IDX_MAGIC_IMAGES, dims: [null, 28, 28] });
  const lab = readIdx(labelsFile, { magic: IDX_MAGIC_LABELS, dims: [null] });
  if (img.dims[0] !== lab.dims[0]) {
    throw new IdxFormatError(
      labelsFile,
      'count',
      `label count must equal the image count ${img.dims[0]} of ${imagesFile}, got ${lab.dims[0]}`,
    );
  }
  const total = lab.dims[0];
  for (let i = 0; i < total; i++) {
    if (lab.data[i] >= FASHION_MNIST_CLASSES.length) {
      throw new IdxFormatError(
        labelsFile,
        'labels',
        `labels must be 0 … ${FASHION_MNIST_CLASSES.length - 1}, got ${lab.data[i]} at index ${i}`,
      );
    }
  }
  const n = limit === undefined ? total : Math.min(limit, total);
  const pixels = n * 28 * 28;
  return {
    // Copy when limited so the full decompressed file can be garbage-collected.
    images: n === total ? img.data : img.data.slice(0, pixels),
    labels: n === total ? lab.data : lab.data.slice(0, n),
    n,
    height: 28,
    width: 28,
    classes: [...FASHION_MNIST_CLASSES],
  };
}
