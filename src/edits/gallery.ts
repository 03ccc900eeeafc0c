/** Gallery rows of an edit: images with the original's and the edited model's predictions, for `editGallery`. */
import { pngDataUrl, resizeImage } from '../data/image-io';
import type { ImageSet } from '../data/image-set';

/** One image of an edit gallery. */
export interface EditGalleryRow {
  [key: string]: string | number | boolean;
  task: string;
  /** The image's place: `#1`, `#2`, … */
  column: string;
  /** PNG data URL. */
  image: string;
  truth: string;
  before: string;
  after: string;
  before_correct: boolean;
  after_correct: boolean;
}

/**
 * The first `count` images of `set` with their true class and the predictions `before` and
 * `after` an edit (class indices per image of `set`), upscaled `scale`× (nearest) to stay crisp.
 */
export function editGalleryRows(set: ImageSet, before: ArrayLike<number>, after: ArrayLike<number>, options: { task: string; count?: number; scale?: number }): EditGalleryRow[] {
  const { count = 8, scale = 2 } = options;
  if (before.length !== set.n || after.length !== set.n) throw new Error(`editlab: editGalleryRows: ${before.length} and ${after.length} predictions for ${set.n} images.`);
  const size = set.height * set.width * set.channels;
  const name = (label: number) => set.classes[label] ?? `class ${label}`;
  return Array.from({ length: Math.min(count, set.n) }, (_, i) => {
    const data = resizeImage(set.images.slice(i * size, (i + 1) * size), set.height, set.width, set.channels, set.height * scale, set.width * scale, 'box');
    const truth = set.labels[i];
    return {
      task: options.task, column: `#${i + 1}`, image: pngDataUrl({ height: set.height * scale, width: set.width * scale, channels: set.channels as 1 | 3, data }),
      truth: name(truth), before: name(before[i]), after: name(after[i]), before_correct: before[i] === truth, after_correct: after[i] === truth,
    };
  });
}
