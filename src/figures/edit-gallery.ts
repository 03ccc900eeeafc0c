import type { Rows } from '../frames/types';
import { OKABE_ITO, appearanceOrder, figureConfig } from './theme';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from './types';

/** Options of {@link editGallery}. */
export interface EditGalleryOptions {
  /** Image size in px (default 56). */
  cell?: number;
  title?: string;
}

/** Colours of a right and a wrong prediction (Okabe–Ito bluish green and vermillion). */
const RIGHT = OKABE_ITO[2];
const WRONG = OKABE_ITO[3];

/**
 * Figure 5 of the study, the edit's own gallery: a task's exemplars (or held-out images), one
 * column each, with what the original predicted ("before") and the edited model ("after")
 * under each image, green when right and vermillion when wrong; one row of images per task.
 * @param rows tidy rows: `task`, `column` (the image's place), `image` (PNG data URL), `truth`,
 *   `before`, `after` (class names) and `before_correct`, `after_correct` (booleans)
 * @returns a Vega-Lite v5 spec with the images inlined
 * @example await show(editGallery(editGalleryRows(task.editSet, before, after, { task: 'snow-background' })))
 */
export function editGallery(rows: Rows, options: EditGalleryOptions = {}): VegaLiteSpec {
  const cell = options.cell ?? 56;
  const text = (field: 'before' | 'after', correct: string, y: number) => ({
    mark: { type: 'text', fontSize: 9, baseline: 'top', limit: cell - 2 },
    encoding: {
      y: { value: y },
      text: { field, type: 'nominal' },
      color: { field: correct, type: 'nominal', scale: { domain: [true, false], range: [RIGHT, WRONG] }, legend: null },
    },
  });
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...(options.title ? { title: { text: options.title, subtitle: 'under each image: the original\'s prediction, then the edited model\'s (green right, vermillion wrong)' } } : {}),
    data: { values: rows.map((r) => ({ ...r })) },
    config: { ...figureConfig(), view: { stroke: null } },
    facet: { row: { field: 'task', type: 'nominal', sort: appearanceOrder(rows, 'task'), title: null, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top', labelFontWeight: 'bold' } } },
    spec: {
      width: { step: cell },
      height: cell + 30,
      encoding: {
        x: { field: 'column', type: 'ordinal', sort: appearanceOrder(rows, 'column'), title: null, axis: null },
        tooltip: ['truth', 'before', 'after'].map((field) => ({ field, type: 'nominal' })),
      },
      layer: [
        { mark: { type: 'image', width: cell - 4, height: cell - 4, aspect: false, smooth: false }, encoding: { y: { value: cell / 2 }, url: { field: 'image', type: 'nominal' } } },
        text('before', 'before_correct', cell + 1),
        text('after', 'after_correct', cell + 14),
      ],
    },
  };
}
