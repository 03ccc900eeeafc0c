/**
 * The grid of flipped predictions: the images of one set that the edit at α fixed (wrong at
 * α = 0, right now) or broke (right at α = 0, wrong now), each drawn into a canvas with its
 * labels as text, so the grid reads without seeing the pixels too.
 */
import type { ImageSet } from '../../data/image-set';

/** Images shown per kind; the heading gives the full count. */
export const FLIPS_SHOWN = 24;
const SCALE = 2;

/** Draws image `index` of `set` (values in [0, 1], 1 or 3 channels) into a new canvas. */
export function imageCanvas(set: ImageSet, index: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = set.width;
  canvas.height = set.height;
  canvas.style.width = `${set.width * SCALE}px`;
  canvas.style.height = `${set.height * SCALE}px`;
  const context = canvas.getContext('2d')!;
  const pixels = context.createImageData(set.width, set.height);
  const size = set.width * set.height;
  const base = index * size * set.channels;
  for (let p = 0; p < size; p++) {
    for (let c = 0; c < 3; c++) {
      const value = set.images[base + p * set.channels + (set.channels === 3 ? c : 0)];
      pixels.data[4 * p + c] = Math.round(255 * Math.min(1, Math.max(0, value)));
    }
    pixels.data[4 * p + 3] = 255;
  }
  context.putImageData(pixels, 0, 0);
  return canvas;
}

/** One figure of the grid: the image, its true label, and the prediction before → after. */
function flipFigure(set: ImageSet, index: number, before: number, after: number): HTMLElement {
  const figure = document.createElement('figure');
  const name = (label: number) => set.classes[label] ?? String(label);
  const canvas = imageCanvas(set, index);
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', `image ${index}, a ${name(set.labels[index])}`);
  const caption = document.createElement('figcaption');
  caption.textContent = `${name(set.labels[index])}: ${name(before)} → ${name(after)}`;
  figure.append(canvas, caption);
  return figure;
}

/** Fills `container` with the first {@link FLIPS_SHOWN} of `indices`, replacing what was there. */
export function drawFlips(container: HTMLElement, set: ImageSet, indices: readonly number[], before: ArrayLike<number>, after: ArrayLike<number>): void {
  container.replaceChildren(...indices.slice(0, FLIPS_SHOWN).map((i) => flipFigure(set, i, before[i], after[i])));
  if (!indices.length) container.textContent = 'none';
}
