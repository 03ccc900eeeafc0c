/**
 * Gallery rows: one image under shifts and severities, as tidy rows carrying PNG data URLs,
 * for the `shiftGallery` figure.
 */
import { pngDataUrl, resizeImage } from '../data/image-io';
import { applyShift, getShift, listShifts, type ShiftPreset } from './registry';
import type { ImageSet } from '../data/image-set';

/** One gallery cell. */
export interface GalleryRow {
  [key: string]: string | number;
  shift: string;
  /** 0 for the original image and for renditions. */
  severity: number;
  /** Row label: the shift name, or 'original'. */
  label: string;
  /** Column label: the severity ('1' … '5'), 'original', or the example (renditions). */
  column: string;
  /** PNG data URL. */
  image: string;
}

/** Options of {@link galleryRows}. */
export interface GalleryOptions {
  /** Shift names (default: every corruption). */
  shifts?: readonly string[];
  severities?: readonly number[];
  preset?: ShiftPreset;
  seed?: number;
  /** Upscale the images by this integer factor (nearest neighbour) so they stay crisp; default 1. */
  scale?: number;
  /** Add an 'original' row/column (default true). */
  original?: boolean;
}

function url(images: Float32Array, set: Pick<ImageSet, 'height' | 'width' | 'channels'>, index: number, scale: number): string {
  const size = set.height * set.width * set.channels;
  let data = images.slice(index * size, (index + 1) * size);
  let { height, width } = set;
  if (scale > 1) {
    data = resizeImage(data, height, width, set.channels, height * scale, width * scale, 'box');
    height *= scale;
    width *= scale;
  }
  return pngDataUrl({ height, width, channels: set.channels as 1 | 3, data });
}

/**
 * Rows for a shift × severity gallery of example `index` of `set` (corruptions get one cell per
 * severity, renditions one cell).
 */
export function galleryRows(set: ImageSet, index: number, options: GalleryOptions = {}): GalleryRow[] {
  const { severities = [1, 2, 3, 4, 5], preset = 'small', seed = 0, scale = 1 } = options;
  const names = options.shifts ?? listShifts('corruption').map((s) => s.name);
  const size = set.height * set.width * set.channels;
  const one = set.images.slice(index * size, (index + 1) * size);
  const shape = { n: 1, height: set.height, width: set.width, channels: set.channels };
  const rows: GalleryRow[] = [];
  if (options.original ?? true) rows.push({ shift: 'original', severity: 0, label: 'original', column: 'original', image: url(one, shape, 0, scale) });
  for (const name of names) {
    const shift = getShift(name);
    const levels = (shift.usesSeverity ?? shift.family === 'corruption') ? severities : [0];
    for (const severity of levels) {
      const out = applyShift(name, one, shape, { severity: severity || 1, preset, seed });
      rows.push({ shift: name, severity, label: name, column: severity ? String(severity) : name, image: url(out, shape, 0, scale) });
    }
  }
  return rows;
}

/**
 * Rows for a gallery of several examples (columns) under renditions (rows), plus the originals.
 */
export function renditionRows(set: ImageSet, indices: readonly number[], options: Omit<GalleryOptions, 'severities'> = {}): GalleryRow[] {
  const { seed = 0, scale = 1 } = options;
  const names = options.shifts ?? listShifts('rendition').map((s) => s.name);
  const size = set.height * set.width * set.channels;
  const rows: GalleryRow[] = [];
  const names0 = indices.map((i) => set.classes[set.labels[i]] ?? `#${i}`);
  const unique = new Set(names0).size === names0.length;
  for (const [k, index] of indices.entries()) {
    const one = set.images.slice(index * size, (index + 1) * size);
    const shape = { n: 1, height: set.height, width: set.width, channels: set.channels };
    // Columns are the examples' class names when those are distinct, else '#index class'.
    const column = unique ? names0[k] : `#${index} ${names0[k]}`;
    if (options.original ?? true) rows.push({ shift: 'original', severity: 0, label: 'original', column, image: url(one, shape, 0, scale) });
    for (const name of names) {
      const out = applyShift(name, one, shape, { seed: seed + index });
      rows.push({ shift: name, severity: 0, label: name, column, image: url(out, shape, 0, scale) });
    }
  }
  return rows;
}
