/**
 * Real shifted data sets on disk: ImageNet-C (`<root>/<corruption>/<severity>/<wnid>/*.JPEG`)
 * and the 200-class ImageNet-R / ImageNet-A (`<root>/<wnid>/*.jpg`), read as streaming image
 * folders, and the logit masking that scores a 1000-way model on a 200-class subset.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openImageFolder, type ImageFolder, type ImageFolderOptions } from '../data/image-folder';
import { checkSeverity, getShift } from './registry';
import { IMAGENET_A_WNIDS, IMAGENET_R_WNIDS, IMAGENET_WNIDS } from './imagenet-classes';

/** The 200-class ImageNet subsets. */
export type ImageNetSubset = 'imagenet-r' | 'imagenet-a';

/** The sorted WordNet ids of a 200-class subset. */
export function subsetWnids(subset: ImageNetSubset): readonly string[] {
  if (subset === 'imagenet-r') return IMAGENET_R_WNIDS;
  if (subset === 'imagenet-a') return IMAGENET_A_WNIDS;
  throw new Error(`editlab: unknown ImageNet subset "${String(subset)}"; expected imagenet-r or imagenet-a.`);
}

/** Positions of a subset's classes among the 1000 ImageNet logits (ascending). */
export function subsetIndices(subset: ImageNetSubset): Int32Array {
  const index = new Map(IMAGENET_WNIDS.map((w, i) => [w, i]));
  return Int32Array.from(subsetWnids(subset), (w) => index.get(w) as number);
}

/**
 * Keeps the logit columns of `indices` (n × classes → n × indices.length), the masking
 * ImageNet-R/-A evaluations apply before the argmax.
 */
export function maskLogits(logits: Float32Array, n: number, indices: ArrayLike<number>): Float32Array {
  const classes = logits.length / n;
  if (!Number.isInteger(classes)) throw new Error(`maskLogits: ${logits.length} logits do not split into ${n} rows.`);
  const k = indices.length;
  const out = new Float32Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) {
    const c = indices[j];
    if (c < 0 || c >= classes) throw new Error(`maskLogits: class index ${c} outside 0..${classes - 1}.`);
    out[i * k + j] = logits[i * classes + c];
  }
  return out;
}

/**
 * Predicted subset labels (0–199, the position in the sorted subset, which is the label of an
 * ImageFolder opened with {@link openImageNetSubset}) from 1000-way logits, argmax over the
 * subset's logits only.
 */
export function subsetPredictions(logits: Float32Array, n: number, subset: ImageNetSubset): Int32Array {
  const masked = maskLogits(logits, n, subsetIndices(subset));
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < 200; j++) if (masked[i * 200 + j] > masked[i * 200 + best]) best = j;
    out[i] = best;
  }
  return out;
}

/**
 * Opens ImageNet-R or ImageNet-A (`<root>/<wnid>/…`) with its 200 classes fixed, so labels are
 * positions in the sorted subset even when some class folders are missing. ImageNet
 * preprocessing by default.
 */
export function openImageNetSubset(root: string, subset: ImageNetSubset, options: Omit<ImageFolderOptions, 'classes'> = {}): ImageFolder {
  return openImageFolder(root, { ...options, classes: subsetWnids(subset) });
}

/** `<root>/<corruption>/<severity>`, checked: a known corruption, severity 1–5, an existing folder. */
export function imageNetCPath(root: string, corruption: string, severity: number): string {
  const shift = getShift(corruption);
  if (shift.family !== 'corruption') throw new Error(`editlab: "${corruption}" is a ${shift.family}, not a corruption.`);
  checkSeverity(corruption, severity);
  return join(root, corruption, String(severity));
}

/**
 * Opens one corruption and severity of an ImageNet-C style folder
 * (`<root>/<corruption>/<severity>/<class>/…`), e.g. one written by `editlab corrupt`.
 * ImageNet-C's images are already 224×224: pass `preprocess` to change that (default 'imagenet',
 * which leaves 224×224 images as they are).
 */
export function openImageNetC(root: string, corruption: string, severity: number, options: ImageFolderOptions = {}): ImageFolder {
  const dir = imageNetCPath(root, corruption, severity);
  if (!existsSync(dir)) throw new Error(`editlab: no ImageNet-C folder ${dir} (expected <root>/<corruption>/<severity>/<class>/<image>).`);
  return openImageFolder(dir, options);
}

/** The (corruption, severity) folders present under an ImageNet-C style root. */
export function listImageNetC(root: string): Array<{ corruption: string; severity: number; path: string }> {
  if (!existsSync(root)) throw new Error(`editlab: cannot read folder ${root}: it does not exist.`);
  const out: Array<{ corruption: string; severity: number; path: string }> = [];
  for (const corruption of readdirSync(root).sort()) {
    const dir = join(root, corruption);
    if (!statSync(dir).isDirectory()) continue;
    for (let severity = 1; severity <= 5; severity++) {
      const path = join(dir, String(severity));
      if (existsSync(path) && statSync(path).isDirectory()) out.push({ corruption, severity, path });
    }
  }
  return out;
}
