import type { Rows } from '../frames/types';

/**
 * The Okabe–Ito palette (Okabe & Ito 2008), distinguishable under the common colour-vision
 * deficiencies. Reordered so that the first entries are the ones that read best as thin lines on
 * white: the yellow comes late, black last (black also draws references and the original model).
 */
export const OKABE_ITO: readonly string[] = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

/** Colour of reference marks that belong to no category (rules, guides, the original model). */
export const REFERENCE_COLOR = '#444';

/**
 * Shared Vega-Lite `config` for editlab figures: font sizes that stay legible when a
 * figure is exported as a PNG and shown at its CSS size, a white background, a
 * start-anchored title, and the colour-blind-safe {@link OKABE_ITO} palette for categories.
 * No font family is set: the spec stays portable (browsers use their sans-serif; headless
 * rendering maps sans-serif to an installed font, see `fonts`).
 * @returns a fresh config object
 */
export function figureConfig(): Record<string, unknown> {
  return {
    background: 'white',
    padding: 8,
    range: { category: [...OKABE_ITO] },
    title: { fontSize: 15, anchor: 'start', offset: 10, subtitleFontSize: 11, subtitleColor: '#555', subtitlePadding: 4 },
    axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#e6e6e6' },
    header: { labelFontSize: 12, labelFontWeight: 'bold', titleFontSize: 12 },
    legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal' },
    view: { stroke: '#cfcfcf' },
  };
}

/**
 * Distinct values of one field of some rows, in order of first appearance (`null` and
 * missing values left out). Used to keep facet columns and legend entries in the order
 * the table lists them rather than alphabetically.
 * @param rows the rows
 * @param field the field name
 * @returns the distinct values
 */
export function appearanceOrder(
  rows: ReadonlyArray<Readonly<Record<string, unknown>>>,
  field: string,
): Array<string | number | boolean> {
  const seen = new Set<string | number | boolean>();
  for (const r of rows) {
    const v = r[field];
    if (v !== null && v !== undefined) seen.add(v as string | number | boolean);
  }
  return [...seen];
}

/**
 * Tooltip entries for the fields that some row has (for optional columns, such as a pooled
 * table's `layers`, the model layers behind a depth).
 * @param rows the rows
 * @param fields field name → tooltip title
 * @returns Vega-Lite nominal tooltip entries, in the given order
 */
export function tooltipsIfPresent(rows: Rows, fields: Record<string, string>): Array<Record<string, unknown>> {
  return Object.entries(fields).filter(([f]) => rows.some((r) => r[f] != null)).map(([field, title]) => ({ field, type: 'nominal', title }));
}

/**
 * A nominal encoding whose legend entries, facets or axis categories keep the table's order.
 * @param rows the rows the field is read from
 * @param field the field name
 * @param title axis or legend title (default: the field name; `null` for none)
 * @returns a Vega-Lite field definition
 */
export function nominalInTableOrder(rows: Rows, field: string, title?: string | null): Record<string, unknown> {
  return { field, type: 'nominal', sort: appearanceOrder(rows, field), title: title === undefined ? field : title };
}

/**
 * Whether any row has a numeric interval in the two fields (e.g. `ci_lo`/`ci_hi`): the figures
 * draw interval marks exactly when this holds, unless told otherwise.
 * @param rows the rows
 * @param lo field of the lower end
 * @param hi field of the upper end
 * @returns true if at least one row has both ends as numbers
 */
export function hasInterval(rows: Rows, lo: string, hi: string): boolean {
  return rows.some((r) => typeof r[lo] === 'number' && typeof r[hi] === 'number');
}

/** How accuracies are stored: fractions (0–1) or percent (0–100). Both are shown as 0–100 %. */
export type AccuracyUnit = 'fraction' | 'percent';

/**
 * The unit of some accuracies, guessed from their values: percent if any exceeds 1.5.
 * @param values the accuracies (non-numbers are ignored)
 * @returns the unit
 */
export function guessAccuracyUnit(values: Iterable<unknown>): AccuracyUnit {
  for (const v of values) if (typeof v === 'number' && v > 1.5) return 'percent';
  return 'fraction';
}

/**
 * Scale and axis of an accuracy channel drawn over its whole range, 0–100 %, labelled in percent
 * whichever unit the data use (fractions are formatted, percents get a '%' appended).
 * @param unit how the values are stored
 * @returns `scale` and `axis` for a quantitative position encoding
 */
export function accuracyScale(unit: AccuracyUnit): { scale: Record<string, unknown>; axis: Record<string, unknown> } {
  return {
    scale: { domain: [0, unit === 'percent' ? 100 : 1], nice: false },
    axis: unit === 'percent' ? { labelExpr: "datum.value + '%'", tickCount: 5 } : { format: '.0%', tickCount: 5 },
  };
}

/**
 * A quantitative tooltip entry for an accuracy, shown in percent with one decimal.
 * @param field the field
 * @param unit how the values are stored
 * @param title the tooltip's label (default: the field name)
 * @returns a Vega-Lite tooltip field definition
 */
export function accuracyTooltip(field: string, unit: AccuracyUnit, title?: string): Record<string, unknown> {
  return { field, type: 'quantitative', format: unit === 'percent' ? '.1f' : '.1%', ...(title ? { title } : {}) };
}

/**
 * The `title` property of a figure: its title with notes as subtitle lines (how to read the
 * marks, e.g. what a hollow bar means). Without a title the notes stand alone in the subtitle's
 * style (vega drops a subtitle whose title is empty). Nothing when there is neither.
 * @param title the title
 * @param notes subtitle lines
 * @returns `{ title }` to spread into a spec, or `{}`
 */
export function titleWithNotes(title: string | undefined, notes: readonly string[] = []): Record<string, unknown> {
  if (!notes.length) return title ? { title } : {};
  if (!title) return { title: { text: [...notes], fontSize: 11, fontWeight: 'normal', color: '#555' } };
  return { title: { text: title, subtitle: [...notes] } };
}

/**
 * A text layer twice: first with a thick white outline, then plain on top, so that the label
 * stays readable where it crosses lines or points (vega strokes text over its fill, so the
 * outline needs a layer of its own).
 * @param textLayer a Vega-Lite layer with a `text` mark (as an object)
 * @returns the halo layer and the text layer
 */
export function withHalo(textLayer: Record<string, unknown>): Record<string, unknown>[] {
  const mark = textLayer.mark as Record<string, unknown>;
  return [{ ...textLayer, mark: { ...mark, stroke: 'white', strokeWidth: 3, strokeJoin: 'round' } }, textLayer];
}
