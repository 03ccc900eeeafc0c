/**
 * Shared Vega-Lite `config` for editlab figures: font sizes that stay legible when a
 * figure is exported as a PNG and shown at its CSS size, a white background, and a
 * start-anchored title. No font family is set: the spec stays portable (browsers use
 * their sans-serif; headless rendering maps sans-serif to an installed font, see `fonts`).
 * @returns a fresh config object
 */
export function figureConfig(): Record<string, unknown> {
  return {
    background: 'white',
    padding: 8,
    title: { fontSize: 15, anchor: 'start', offset: 10 },
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
