/**
 * ImageFolder data sets on disk: `<root>/<class>/**\/*.{jpg,jpeg,png}` (torchvision's layout,
 * also ImageNet-R/-A's and each `<corruption>/<severity>` folder of ImageNet-C), read in
 * batches so that a 50 000-image set never sits in memory at once, and preprocessed to a
 * fixed size by a preset (ImageNet: shorter side 256, centre crop 224).
 * @module
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { ImageSet } from './image-set';
import { centerCrop, decodeImage, IMAGE_EXTENSIONS, resizeImage, resizeShorterAndCrop, toChannels, type RasterImage } from './image-io';

/** How images are brought to one size and scale. */
export interface Preprocess {
  /** Resize the shorter side to this many pixels (keeping the aspect ratio) before cropping. */
  resize?: number;
  /** Then take the central crop × crop pixels. */
  crop?: number;
  /** Or resize straight to [height, width] (no crop). */
  size?: readonly [number, number];
  /** Channels of the result: 1 (luma) or 3. */
  channels: 1 | 3;
  /** Per-channel mean and standard deviation for {@link normalizeImages}. */
  mean?: readonly number[];
  std?: readonly number[];
}

/**
 * Preprocessing presets. `imagenet`: torchvision's Resize(256) + CenterCrop(224), RGB, the
 * ImageNet mean/std; `cifar`: 32×32 RGB with CIFAR-10's mean/std; `small`: 28×28 grayscale.
 */
export const PREPROCESS_PRESETS: Readonly<Record<'imagenet' | 'cifar' | 'small', Preprocess>> = {
  imagenet: { resize: 256, crop: 224, channels: 3, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  cifar: { size: [32, 32], channels: 3, mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616] },
  small: { size: [28, 28], channels: 1 },
};

/** Output height and width of a preprocessing spec. */
export function preprocessSize(spec: Preprocess): [number, number] {
  if (spec.size) return [spec.size[0], spec.size[1]];
  if (spec.crop) return [spec.crop, spec.crop];
  throw new Error('editlab: a preprocessing spec needs `size` or `crop`.');
}

/** Applies a preprocessing spec to one decoded image. */
export function preprocessImage(image: RasterImage, spec: Preprocess): RasterImage {
  let out = toChannels(image, spec.channels);
  if (spec.size) {
    const [h, w] = spec.size;
    if (out.height !== h || out.width !== w) out = { ...out, height: h, width: w, data: resizeImage(out.data, out.height, out.width, out.channels, h, w, 'bilinear') };
  } else if (spec.resize) {
    out = resizeShorterAndCrop(out, spec.resize, spec.crop ?? spec.resize);
  } else if (spec.crop) {
    out = centerCrop(out, spec.crop, spec.crop);
  }
  return out;
}

/** Standardises NHWC images in place per channel: (x − mean[c]) / std[c]. Returns the array. */
export function normalizeImages(images: Float32Array, channels: number, mean: readonly number[], std: readonly number[]): Float32Array {
  if (mean.length !== channels || std.length !== channels) throw new Error(`normalizeImages: need ${channels} means and stds, got ${mean.length} and ${std.length}.`);
  for (let i = 0; i < images.length; i++) {
    const c = i % channels;
    images[i] = (images[i] - mean[c]) / std[c];
  }
  return images;
}

/** One image file of a folder. */
export interface ImageFolderEntry {
  /** Absolute (or root-joined) path. */
  path: string;
  /** Path relative to the root, '/'-separated: `<class>/…/<file>`. */
  relativePath: string;
  label: number;
}

/** A file that could not be used, and why. */
export interface ImageFolderProblem {
  path: string;
  message: string;
}

/** Options of {@link openImageFolder}. */
export interface ImageFolderOptions {
  /** Preprocessing preset or spec; default 'imagenet'. */
  preprocess?: keyof typeof PREPROCESS_PRESETS | Preprocess;
  /** Standardise with the preset's mean/std (keep false to apply shifts, which expect [0, 1]). Default false. */
  normalize?: boolean;
  /**
   * Fixed class list (label = position). Folders not in it are skipped (listed in
   * `skippedFolders`); listed classes without a folder simply have no images. Default: every
   * sub-folder of the root, sorted.
   */
  classes?: readonly string[];
  /** Extensions recognised as images (lower case, with the dot); default .jpg, .jpeg, .png. */
  extensions?: readonly string[];
}

/** A batch read from an image folder: an ImageSet of the images that decoded, plus what did not. */
export interface ImageFolderBatch extends ImageSet {
  /** Paths of the images in this batch, in order. */
  paths: string[];
  /** Relative paths (`<class>/…/<file>`), in order. */
  relativePaths: string[];
  /** Position of the batch's first file in the folder's file list. */
  start: number;
  /** Files of this batch that could not be read or decoded (left out of the batch). */
  errors: ImageFolderProblem[];
}

/** Options of {@link ImageFolder.batches}. */
export interface BatchOptions {
  /** Files per batch; default 64. */
  batchSize?: number;
  /** 'skip' (default): leave unreadable files out and report them in `errors`; 'throw': stop at the first. */
  onError?: 'skip' | 'throw';
  /** Read only files [start, end) of the list. */
  start?: number;
  end?: number;
}

/** An opened image folder: its classes and file list (no pixels are read until you iterate). */
export interface ImageFolder {
  root: string;
  classes: readonly string[];
  files: readonly ImageFolderEntry[];
  /** Class folders without any image. */
  emptyClasses: string[];
  /** Files that are not images by extension (ignored), relative to the root. */
  ignoredFiles: string[];
  /** Sub-folders of the root left out because they are not in `options.classes`. */
  skippedFolders: string[];
  /** The preprocessing spec in use. */
  preprocess: Preprocess;
  height: number;
  width: number;
  channels: 1 | 3;
  /** Reads the images batch by batch. */
  batches(options?: BatchOptions): AsyncGenerator<ImageFolderBatch>;
  /** Reads one file, preprocessed (throws with the path on failure). */
  read(index: number): Promise<RasterImage>;
}

function listDir(path: string): Dirent[] {
  try {
    return readdirSync(path, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`editlab: cannot read folder ${path}: ${code === 'ENOENT' ? 'it does not exist' : code === 'ENOTDIR' ? 'not a folder' : (e as Error).message}.`);
  }
}

/** Every file under `dir`, recursively, as paths relative to `dir`, sorted. Symlinked folders are followed. */
function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of listDir(dir).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    const full = join(dir, entry.name);
    let isDir = entry.isDirectory();
    if (entry.isSymbolicLink()) {
      try { isDir = statSync(full).isDirectory(); } catch { isDir = false; }
    }
    if (isDir) out.push(...walk(full, rel));
    else out.push(rel);
  }
  return out;
}

/** The file list of an image folder, without reading pixels (see {@link scanImageFolder}). */
export interface ImageFolderScan {
  root: string;
  classes: readonly string[];
  files: ImageFolderEntry[];
  /** Class folders without any image. */
  emptyClasses: string[];
  /** Files that are not images by extension (ignored), relative to the root. */
  ignoredFiles: string[];
  /** Sub-folders of the root left out because they are not in `options.classes`. */
  skippedFolders: string[];
}

/**
 * Lists `<root>/<class>/…/<image>` files (images may sit in nested folders inside a class
 * folder), sorted, without reading them. Throws, naming the root, if it is missing or holds no
 * image at all.
 */
export function scanImageFolder(root: string, options: Pick<ImageFolderOptions, 'classes' | 'extensions'> = {}): ImageFolderScan {
  const extensions = (options.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase());
  const entries = listDir(root);
  const isDir = (d: Dirent) => d.isDirectory() || (d.isSymbolicLink() && (() => { try { return statSync(join(root, d.name)).isDirectory(); } catch { return false; } })());
  const folders = entries.filter(isDir).map((d) => d.name).sort();
  const classes = options.classes ? [...options.classes] : folders;
  const index = new Map(classes.map((c, i) => [c, i]));
  const skippedFolders = folders.filter((f) => !index.has(f));
  const files: ImageFolderEntry[] = [];
  const ignoredFiles: string[] = entries.filter((d) => !isDir(d)).map((d) => d.name).sort();
  const emptyClasses: string[] = [];
  for (const cls of classes) {
    if (!folders.includes(cls)) continue;
    let count = 0;
    for (const rel of walk(join(root, cls))) {
      const lower = rel.toLowerCase();
      if (extensions.some((e) => lower.endsWith(e))) {
        files.push({ path: join(root, cls, ...rel.split('/')), relativePath: `${cls}/${rel}`, label: index.get(cls) as number });
        count++;
      } else ignoredFiles.push(`${cls}/${rel}`);
    }
    if (count === 0) emptyClasses.push(cls);
  }
  if (files.length === 0) {
    throw new Error(
      `editlab: no images (${extensions.join(', ')}) in ${root}: expected <class>/<image> files` +
        (folders.length ? ` under its ${folders.length} class folder(s)` : ', and it has no class folders') + '.',
    );
  }
  return { root, classes, files, emptyClasses, ignoredFiles, skippedFolders };
}

/**
 * Opens `<root>/<class>/…/<image>` (images may sit in nested folders inside a class folder).
 * Scans file names only; pixels are read by {@link ImageFolder.batches}. Throws, naming the
 * root, if it is missing or holds no image at all.
 * @example
 * const folder = openImageFolder('imagenet-r', { classes: IMAGENET_R_WNIDS });
 * for await (const batch of folder.batches({ batchSize: 100 })) evaluate(batch);
 */
export function openImageFolder(root: string, options: ImageFolderOptions = {}): ImageFolder {
  const spec = typeof options.preprocess === 'object' ? options.preprocess : PREPROCESS_PRESETS[options.preprocess ?? 'imagenet'];
  if (!spec) throw new Error(`editlab: unknown preprocessing preset "${String(options.preprocess)}"; expected imagenet, cifar, small or a spec.`);
  const [height, width] = preprocessSize(spec);
  const { classes, files, emptyClasses, ignoredFiles, skippedFolders } = scanImageFolder(root, options);
  const normalize = options.normalize ?? false;
  if (normalize && (!spec.mean || !spec.std)) throw new Error('editlab: normalize needs a preprocessing spec with mean and std.');
  const read = async (i: number): Promise<RasterImage> => {
    const entry = files[i];
    if (!entry) throw new Error(`editlab: image index ${i} outside 0..${files.length - 1}.`);
    let bytes: Buffer;
    try {
      bytes = await readFile(entry.path);
    } catch (e) {
      throw new Error(`editlab: cannot read ${entry.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`);
    }
    return preprocessImage(decodeImage(bytes, entry.path), spec);
  };
  const size = height * width * spec.channels;
  async function* batches(batchOptions: BatchOptions = {}): AsyncGenerator<ImageFolderBatch> {
    const { batchSize = 64, onError = 'skip' } = batchOptions;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`editlab: batchSize must be a positive integer, got ${batchSize}.`);
    const first = Math.max(0, batchOptions.start ?? 0);
    const end = Math.min(files.length, batchOptions.end ?? files.length);
    for (let start = first; start < end; start += batchSize) {
      const count = Math.min(batchSize, end - start);
      const results = await Promise.all(
        Array.from({ length: count }, (_, k) => read(start + k).then((img) => ({ img }), (error: Error) => ({ error }))),
      );
      const images = new Float32Array(count * size);
      const labels: number[] = [];
      const paths: string[] = [];
      const relativePaths: string[] = [];
      const errors: ImageFolderProblem[] = [];
      let n = 0;
      results.forEach((r, k) => {
        const entry = files[start + k];
        if ('error' in r) {
          if (onError === 'throw') throw r.error;
          errors.push({ path: entry.path, message: r.error.message });
          return;
        }
        images.set(r.img.data, n * size);
        labels.push(entry.label);
        paths.push(entry.path);
        relativePaths.push(entry.relativePath);
        n++;
      });
      const data = n === count ? images : images.slice(0, n * size);
      if (normalize) normalizeImages(data, spec.channels, spec.mean!, spec.std!);
      yield { images: data, labels: Int32Array.from(labels), n, height, width, channels: spec.channels, classes, paths, relativePaths, start, errors };
    }
  }
  return { root, classes, files, emptyClasses, ignoredFiles, skippedFolders, preprocess: spec, height, width, channels: spec.channels, batches, read };
}

/**
 * Reads a whole (small) image folder into one ImageSet, with the files that failed. For large
 * sets iterate {@link ImageFolder.batches} instead.
 */
export async function loadImageFolder(root: string, options: ImageFolderOptions = {}): Promise<ImageSet & { paths: string[]; errors: ImageFolderProblem[] }> {
  const folder = openImageFolder(root, options);
  const size = folder.height * folder.width * folder.channels;
  const images = new Float32Array(folder.files.length * size);
  const labels: number[] = [];
  const paths: string[] = [];
  const errors: ImageFolderProblem[] = [];
  let n = 0;
  for await (const batch of folder.batches({ batchSize: 256 })) {
    images.set(batch.images, n * size);
    labels.push(...batch.labels);
    paths.push(...batch.paths);
    errors.push(...batch.errors);
    n += batch.n;
  }
  return {
    images: images.slice(0, n * size), labels: Int32Array.from(labels), n,
    height: folder.height, width: folder.width, channels: folder.channels, classes: folder.classes, paths, errors,
  };
}

/** A path relative to a root, '/'-separated. */
export function relativePosix(root: string, path: string): string {
  return relative(root, path).split(sep).join('/');
}
