/**
 * User-provided edit sets: a JSON manifest of exemplars, each an image, a label and optionally
 * a mask of the concept and the original (untransformed) image. Paths are relative to the
 * manifest's folder and may not leave it.
 *
 *     { "classes": ["T-shirt/top", …],            // optional; labels may then be names
 *       "items": [ { "image": "snowy/0.png", "label": 7, "mask": "masks/0.png", "original": "clean/0.png" } ] }
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readImage, resizeImage, toChannels, type RasterImage } from '../data/image-io';
import type { EditSet } from './tasks';

/** Options of {@link loadEditManifest}. */
export interface ManifestOptions {
  /** Size the model expects, [height, width, channels] (default 28×28×1). */
  shape?: [number, number, 1 | 3];
  /** Class names (default: the manifest's "classes"); labels must index them. */
  classes?: readonly string[];
}

interface ManifestItem { image?: unknown; label?: unknown; mask?: unknown; original?: unknown }

/** Loads a manifest into an EditSet, with errors naming the item and field. */
export async function loadEditManifest(file: string, options: ManifestOptions = {}): Promise<EditSet> {
  const [height, width, channels] = options.shape ?? [28, 28, 1];
  const folder = path.dirname(path.resolve(file));
  let manifest: { classes?: unknown; items?: unknown };
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`editlab: cannot read edit manifest ${file}: ${(e as Error).message}`);
  }
  const classes = options.classes ?? (Array.isArray(manifest.classes) ? manifest.classes.map(String) : undefined);
  if (!Array.isArray(manifest.items) || manifest.items.length === 0) throw new Error(`editlab: ${file}: "items" must be a non-empty array of {image, label, mask?, original?}.`);
  const items = manifest.items as ManifestItem[];
  const inside = (i: number, field: string, value: unknown): string => {
    if (typeof value !== 'string' || !value) throw new Error(`editlab: ${file}: items[${i}].${field} must be a path relative to the manifest's folder.`);
    const resolved = path.resolve(folder, value);
    const rel = path.relative(folder, resolved);
    if (path.isAbsolute(value) || rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`editlab: ${file}: items[${i}].${field} "${value}" points outside the manifest's folder ${folder}.`);
    return resolved;
  };
  const fit = (image: RasterImage, gray: boolean): Float32Array => {
    const c = toChannels(image, gray ? 1 : channels);
    return c.width === width && c.height === height ? c.data : resizeImage(c.data, c.height, c.width, c.channels, height, width, 'bilinear');
  };
  const size = height * width * channels;
  const images = new Float32Array(items.length * size);
  const originals = items.some((it) => it.original !== undefined) ? new Float32Array(items.length * size) : undefined;
  const masks = items.some((it) => it.mask !== undefined) ? new Float32Array(items.length * height * width).fill(1) : undefined;
  const labels = new Int32Array(items.length);
  // Resolve and check every path and label before reading any image: a bad manifest loses nothing.
  const resolved = items.map((it, i) => {
    let label: number;
    if (typeof it.label === 'number' && Number.isInteger(it.label)) label = it.label;
    else if (typeof it.label === 'string' && classes?.includes(it.label)) label = classes.indexOf(it.label);
    else throw new Error(`editlab: ${file}: items[${i}].label must be a class index${classes ? ` or one of ${classes.join(', ')}` : ''}, got ${JSON.stringify(it.label)}.`);
    const count = classes?.length;
    if (label < 0 || (count !== undefined && label >= count)) throw new Error(`editlab: ${file}: items[${i}].label ${label} is outside the model's classes 0..${(count ?? 1) - 1}.`);
    labels[i] = label;
    return {
      image: inside(i, 'image', it.image),
      mask: it.mask === undefined ? undefined : inside(i, 'mask', it.mask),
      original: it.original === undefined ? undefined : inside(i, 'original', it.original),
    };
  });
  for (const [i, r] of resolved.entries()) {
    images.set(fit(await readImage(r.image), channels === 1), i * size);
    if (r.original && originals) originals.set(fit(await readImage(r.original), channels === 1), i * size);
    else if (originals) originals.set(images.subarray(i * size, (i + 1) * size), i * size);
    if (r.mask && masks) masks.set(fit(await readImage(r.mask), true), i * height * width);
  }
  return { images, labels, n: items.length, height, width, channels, classes: classes ?? [], originals, masks };
}
