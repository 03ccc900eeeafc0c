/**
 * Corrupting image files: one file, or a whole `<class>/…/<image>` folder written in
 * ImageNet-C's layout `<out>/<corruption>/<severity>/<class>/…/<image>` (renditions, which have
 * no severity: `<out>/<rendition>/<class>/…/<image>`, as ImageNet-R), so users can build a "-C"
 * or "-R" version of any data set. The engine of `editlab corrupt`.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { decodeImage, formatFromPath, readImage, resizeShorterAndCrop, writeImage, type RasterImage } from '../data/image-io';
import { scanImageFolder, type ImageFolderProblem } from '../data/image-folder';
import { applyShift, checkPreset, checkSeverity, getShift, presetForSize, type ShiftPreset } from './registry';
import { seedFromKey } from './ops/random';
import { progressFor, type ProgressOption } from '../engine/progress';

/** Options of {@link corruptFile} and {@link corruptFolder}. */
export interface CorruptFilesOptions {
  /** Shift names: corruptions (written once per severity) and renditions (written once). */
  shifts?: readonly string[];
  /** The older name of `shifts`. */
  corruptions?: readonly string[];
  /** Severities of the corruptions (renditions have none; may be empty when only renditions are given). */
  severities: readonly number[];
  /** Constants' size regime; default by each image's size ({@link presetForSize}). */
  preset?: ShiftPreset;
  /** Default 0. Folder images get seedFromKey(seed, relative path). */
  seed?: number;
  /** JPEG quality of written .jpg/.jpeg files (default 85). */
  quality?: number;
  /** 'imagenet': shorter side to 256, centre crop 224, before corrupting. */
  preprocess?: 'imagenet';
  /** Progress lines (one per 5% of the images). */
  log?: (line: string) => void;
  /** A progress bar in images (`true`, or its label); see {@link ProgressOption}. Default none. */
  progress?: ProgressOption;
}

/** What {@link corruptFolder} did. */
export interface CorruptFolderReport {
  /** Input images read successfully. */
  images: number;
  /** Files written. */
  written: number;
  /** Input files that could not be read or decoded (skipped). */
  failed: ImageFolderProblem[];
  /** Non-image files (ignored), relative to the input root. */
  ignored: string[];
  /** Class folders without images. */
  empty_classes: string[];
  seconds: number;
}

/** One output of an image: a shift at a severity, and the folders it goes in. */
interface Variant { name: string; severity: number; folders: string[] }

/** Every (shift, severity) to write, checked: corruptions × severities, then each rendition once. */
function variants(options: CorruptFilesOptions): Variant[] {
  const names = options.shifts ?? options.corruptions ?? [];
  if (!names.length) throw new Error('editlab: no shift given.');
  const out: Variant[] = [];
  for (const name of names) {
    const shift = getShift(name);
    if (shift.family !== 'corruption') {
      out.push({ name, severity: 1, folders: [name] });
      continue;
    }
    if (!options.severities.length) throw new Error(`editlab: no severity given for the corruption ${name}.`);
    for (const severity of options.severities) out.push({ name, severity: checkSeverity(name, severity), folders: [name, String(severity)] });
  }
  if (options.preset !== undefined) checkPreset(options.preset);
  return out;
}

function corruptOne(image: RasterImage, name: string, severity: number, preset: ShiftPreset | undefined, seed: number): RasterImage {
  const { width, height, channels } = image;
  const data = applyShift(name, image.data, { n: 1, height, width, channels }, { severity, seed, preset: preset ?? presetForSize(height, width) });
  return { width, height, channels, data };
}

/**
 * Corrupts one PNG/JPEG file. With one shift (and severity) it writes `output` (or
 * `output/<file name>` if `output` is a folder or ends with a separator); with several it
 * writes `output/<corruption>/<severity>/<file name>` and `output/<rendition>/<file name>`.
 * Returns the written paths.
 */
export async function corruptFile(input: string, output: string, options: CorruptFilesOptions): Promise<string[]> {
  const all = variants(options);
  let image = await readImage(input);
  if (options.preprocess === 'imagenet') image = resizeShorterAndCrop(image, 256, 224);
  const multi = all.length > 1;
  const outIsDir = multi || /[\\/]$/.test(output) || (await stat(output).then((s) => s.isDirectory(), () => false));
  const written: string[] = [];
  for (const v of all) {
    const dest = multi ? join(output, ...v.folders, basename(input)) : outIsDir ? join(output, basename(input)) : output;
    if (!formatFromPath(dest)) throw new Error(`editlab: cannot write ${dest}: the extension must be .png, .jpg or .jpeg.`);
    await writeImage(dest, corruptOne(image, v.name, v.severity, options.preset, options.seed ?? 0), { quality: options.quality });
    written.push(dest);
  }
  return written;
}

/**
 * Corrupts every image of an ImageFolder (`<input>/<class>/…/<image>`) and writes
 * `<output>/<corruption>/<severity>/<class>/…/<image>` (renditions: `<output>/<rendition>/<class>/…`)
 * in the input's format. Files that cannot be read are reported in `failed` and the others
 * still written. Images are read one at a time, so any number fits in memory.
 */
export async function corruptFolder(input: string, output: string, options: CorruptFilesOptions): Promise<CorruptFolderReport> {
  const all = variants(options);
  const rel = relative(resolve(input), resolve(output));
  if (rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel))) {
    throw new Error(`editlab: the output folder ${output} must not be inside the input folder ${input}.`);
  }
  const t0 = performance.now();
  const scan = scanImageFolder(input);
  const failed: ImageFolderProblem[] = [];
  let images = 0;
  let written = 0;
  const total = scan.files.length;
  const every = Math.max(1, Math.round(total / 20));
  const bar = progressFor(options.progress, total, `corrupt (${all.length} output${all.length === 1 ? '' : 's'} per image)`, 'img');
  const corruptEntry = async (entry: (typeof scan.files)[number]) => {
    let image: RasterImage;
    try {
      const bytes = await readFile(entry.path).catch((e: NodeJS.ErrnoException) => { throw new Error(`editlab: cannot read ${entry.path}: ${e.code ?? e.message}.`); });
      image = decodeImage(bytes, entry.path);
      if (options.preprocess === 'imagenet') image = resizeShorterAndCrop(image, 256, 224);
    } catch (e) {
      failed.push({ path: entry.path, message: (e as Error).message.replace(/^editlab: /, '') });
      return;
    }
    images++;
    const seed = seedFromKey(options.seed ?? 0, entry.relativePath);
    for (const v of all) {
      const dest = join(output, ...v.folders, ...entry.relativePath.split('/'));
      await writeImage(dest, corruptOne(image, v.name, v.severity, options.preset, seed), { quality: options.quality });
      written++;
    }
  };
  for (let i = 0; i < total; i++) {
    await corruptEntry(scan.files[i]);
    bar.tick();
    if ((i + 1) % every === 0 || i + 1 === total) options.log?.(`corrupt: ${i + 1}/${total} images`);
  }
  bar.done();
  return { images, written, failed, ignored: scan.ignoredFiles, empty_classes: scan.emptyClasses, seconds: (performance.now() - t0) / 1000 };
}
