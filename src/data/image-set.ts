import { loadFashionMnist, type FashionMnistSplit } from './fashion-mnist';
import { permutation } from '../engine/rng';

/**
 * A labelled image batch in the form every stage uses: NHWC floats in [0, 1].
 * Plain typed arrays (no tensors), so sets can be sliced, shifted and cached freely.
 */
export interface ImageSet {
  /** n × height × width × channels values in [0, 1]. */
  images: Float32Array;
  /** n labels. */
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  /** Class names by label. */
  classes: readonly string[];
}

/** Fashion-MNIST as an ImageSet (optionally the first `limit` images). */
export function fashionMnistSet(split: FashionMnistSplit, limit?: number): ImageSet {
  const raw = loadFashionMnist({ split, limit });
  const images = new Float32Array(raw.images.length);
  for (let i = 0; i < images.length; i++) images[i] = raw.images[i] / 255;
  return { images, labels: Int32Array.from(raw.labels), n: raw.n, height: raw.height, width: raw.width, channels: 1, classes: raw.classes };
}

/** The examples at `indices`, in that order. */
export function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  const size = set.height * set.width * set.channels;
  const images = new Float32Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    if (!(j >= 0 && j < set.n)) throw new Error(`subset: index ${j} outside 0..${set.n - 1}.`);
    images.set(set.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = set.labels[j];
  }
  return { ...set, images, labels, n: indices.length };
}

/** The same set with its images replaced (same shape), e.g. by a shift. */
export function withImages(set: ImageSet, images: Float32Array): ImageSet {
  if (images.length !== set.images.length) throw new Error(`withImages: expected ${set.images.length} values, got ${images.length}.`);
  return { ...set, images };
}

/** The first `n` examples of a set (the set itself when it has no more). */
export function firstImages(set: ImageSet, n: number): ImageSet {
  return n >= set.n ? set : subset(set, Array.from({ length: n }, (_, i) => i));
}

/** A seeded random sample of `count` examples, optionally restricted by a predicate on labels. */
export function sample(set: ImageSet, count: number, seed: number, keep: (label: number, index: number) => boolean = () => true): ImageSet {
  const order = permutation(set.n, seed);
  const picked: number[] = [];
  for (const i of order) {
    if (picked.length === count) break;
    if (keep(set.labels[i], i)) picked.push(i);
  }
  if (picked.length < count) throw new Error(`sample: only ${picked.length} examples match, ${count} requested.`);
  return subset(set, picked);
}
