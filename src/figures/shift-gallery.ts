import type { Rows } from '../frames/types';
import { appearanceOrder, figureConfig } from './theme';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from './types';

/** Options of {@link shiftGallery}. */
export interface ShiftGalleryOptions {
  /** Field giving the row (default 'label'). */
  row?: string;
  /** Field giving the column (default 'column'). */
  column?: string;
  /** Field holding each cell's image URL (default 'image', a PNG data URL). */
  image?: string;
  /** Cell size in px (default 48). */
  cell?: number;
  title?: string;
  /** Title over the columns (e.g. 'severity'); none by default. */
  columnTitle?: string;
}

/**
 * Figure 5 of the study, galleries: a grid of images (e.g. one image under every corruption ×
 * severity, or examples × renditions), rows and columns in table order, pixels kept sharp.
 * @param rows tidy rows with a row field, a column field and an image URL (see `galleryRows`)
 * @returns a Vega-Lite v5 spec with the data (and images) inlined
 * @example await show(shiftGallery(galleryRows(testSet, 0, { scale: 2 })))
 */
export function shiftGallery(rows: Rows, options: ShiftGalleryOptions = {}): VegaLiteSpec {
  const row = options.row ?? 'label';
  const column = options.column ?? 'column';
  const image = options.image ?? 'image';
  const cell = options.cell ?? 48;
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...(options.title ? { title: options.title } : {}),
    data: { values: rows.map((r) => ({ ...r })) },
    config: { ...figureConfig(), view: { stroke: null } },
    width: { step: cell },
    height: { step: cell },
    mark: { type: 'image', width: cell - 3, height: cell - 3, aspect: false, smooth: false },
    encoding: {
      x: {
        field: column, type: 'ordinal', sort: appearanceOrder(rows, column), title: options.columnTitle ?? null,
        axis: { orient: 'top', labelAngle: 0, labelLimit: cell - 2, ticks: false, domain: false, labelPadding: 4 },
      },
      y: { field: row, type: 'ordinal', sort: appearanceOrder(rows, row), title: null, axis: { ticks: false, domain: false, labelPadding: 6 } },
      url: { field: image, type: 'nominal' },
      tooltip: [{ field: row, type: 'nominal' }, { field: column, type: 'nominal' }],
    },
  };
}
