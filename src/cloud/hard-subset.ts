/**
 * The cloud's hard subset (an ImageNet-A analog) as data: the indices of the Fashion-MNIST test
 * images a strict majority of an ensemble of *cloud members* misclassifies, written once when
 * the cloud is built and committed beside its table. The ensemble is disjoint from the embedded
 * models that studies edit: a subset chosen by the edited model itself starts it below the line,
 * so almost any edit would score as a robustness gain there. Studies and `cloudCells` read the
 * indices, so neither needs the ensemble's weights.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { subset, type ImageSet } from '../data/image-set';
import { writeFileAtomic } from '../data/write-atomic';
import type { HardSubset } from '../shifts';
import { defaultCloudCsv, type CloudRow } from './table';

/**
 * The cloud members that choose the hard subset: the strongest plain CNN, ResNet and ViT of the
 * cloud (three architecture families, so no single inductive bias picks the images).
 */
export const DEFAULT_HARD_ENSEMBLE: readonly string[] = ['reference-cnn-w1-e3-n60k-s5', 'resnet-small-w0.5-e2-n60k-s1', 'vit-tiny-w0.5-e2-n30k-s1'];

/** The committed hard subset: who chose it, by which rule, and which test images. */
export interface HardSubsetFile {
  /** Cloud members whose votes chose the images. */
  ensemble: string[];
  /** How many of them must misclassify an image for it to be kept. */
  min_wrong: number;
  /** The test images kept, as indices into the Fashion-MNIST test set, ascending. */
  indices: number[];
  /** Kept images per class, in label order. */
  per_class: number[];
}

/** The hard subset's file beside a cloud table: `reference-cloud.csv` → `reference-cloud.hard-subset.json`. */
export function hardSubsetPath(csv: string): string {
  return path.join(path.dirname(csv), `${path.basename(csv, path.extname(csv))}.hard-subset.json`);
}

/** Reads a hard-subset file, or undefined when there is none; a malformed one is refused naming the field. */
export function readHardSubsetFile(file: string): HardSubsetFile | undefined {
  if (!fs.existsSync(file)) return undefined;
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<HardSubsetFile>;
  const bad = (field: string, expected: string) => new Error(`editlab: ${file}: ${field} must be ${expected}.`);
  if (!Array.isArray(data.ensemble) || !data.ensemble.every((m) => typeof m === 'string')) throw bad('ensemble', 'a list of cloud member names');
  if (!Number.isInteger(data.min_wrong)) throw bad('min_wrong', 'an integer');
  if (!Array.isArray(data.indices) || !data.indices.every((i, k) => Number.isInteger(i) && i >= 0 && (k === 0 || i > data.indices![k - 1]))) {
    throw bad('indices', 'ascending non-negative integers (test image indices)');
  }
  if (!Array.isArray(data.per_class)) throw bad('per_class', 'a list of counts per class');
  return data as HardSubsetFile;
}

/** The file's content for a hard subset chosen by `ensemble` (its members' names, in vote order). */
export function hardSubsetFileOf(ensemble: readonly string[], hard: HardSubset): HardSubsetFile {
  return { ensemble: [...ensemble], min_wrong: hard.minWrong, indices: [...hard.indices], per_class: hard.perClass.map((c) => c.kept) };
}

/** Writes a hard-subset file (atomically). */
export function writeHardSubsetFile(file: string, data: HardSubsetFile): void {
  // One index list per line would make a 1 000-line file; the lists stay on one line each.
  writeFileAtomic(file, `{\n  "ensemble": ${JSON.stringify(data.ensemble)},\n  "min_wrong": ${data.min_wrong},\n  "per_class": ${JSON.stringify(data.per_class)},\n  "indices": ${JSON.stringify(data.indices)}\n}\n`);
}

/** The hard subset's images: the listed images of `test`, in index order. */
export function hardSubsetImages(test: ImageSet, file: HardSubsetFile): ImageSet {
  return subset(test, file.indices);
}

/** Whether two ensembles name the same members in the same order. */
export function sameEnsemble(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((m, i) => m === b[i]);
}

/**
 * The hard subset committed beside a cloud table (default the committed cloud's), refusing one
 * that is missing or chosen by other models than `ensemble` (when given).
 */
export function cloudHardSubset(csv: string = defaultCloudCsv(), ensemble?: readonly string[]): HardSubsetFile {
  const file = hardSubsetPath(path.resolve(csv));
  const hard = readHardSubsetFile(file);
  if (!hard) throw new Error(`editlab: ${file} is missing: the cloud's hard subset is made by \`editlab cloud build\`.`);
  if (ensemble && !sameEnsemble(hard.ensemble, ensemble)) throw new Error(`editlab: ${file} was chosen by ${hard.ensemble.join(', ')}, not ${ensemble.join(', ')}; rebuild the cloud (\`editlab cloud build\`) for another ensemble.`);
  return hard;
}

/**
 * A cloud's rows to fit accuracy lines on: the hard rows of the members that chose the hard
 * subset are left out (the subset was filtered against them: they are not standard models for it).
 */
export function rowsForLines<T extends Pick<CloudRow, 'model' | 'shift'>>(cloud: readonly T[], choosers: readonly string[]): T[] {
  return cloud.filter((r) => !(r.shift === 'hard' && choosers.includes(r.model)));
}
