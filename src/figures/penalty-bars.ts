import type { Row, Rows } from '../frames/types';
import { appearanceOrder, figureConfig, hasInterval, nominalInTableOrder, OKABE_ITO, REFERENCE_COLOR, titleWithNotes, tooltipsIfPresent } from './theme';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from './types';

/** Options of {@link penaltyBars}. */
export interface PenaltyBarsOptions {
  /** Figure title. Default: none. */
  title?: string;
  /** Draw the rows' `ci_lo`–`ci_hi` as error bars. Default: true when some row has both. */
  intervals?: boolean;
  /** Width of one bar in px (at least enough for a group to be 36 px wide); a method's group is as wide as its largest set of layers. Default 12. */
  barWidth?: number;
  /** Height of a panel in px. Default 200. */
  height?: number;
  /** y axis title. Default 'OOD penalty (percentage points)'. */
  yTitle?: string;
}

/** The note printed under the title when some bars are hollow. */
export const UNRELIABLE_NOTE = "hollow: the cloud's line for this shift family has r² < 0.5";

/** Field added to each row of the inlined data: where its bar's centre sits in its method's group, in bar widths from the group's centre. */
export const BAR_SLOT_FIELD = '__slot';
const BAR_DESCRIPTION_FIELD = '__description';

// Share of a method's step along x that its bars fill; the rest separates methods.
const BAND_FILL = 0.75;
const MIN_GROUP_WIDTH = 36;
// Width of a bar's outline (what draws a hollow bar), half of it outside the bar.
const OUTLINE = 1.5;

/**
 * Figure 2 of the study: the OOD penalty of each edit method, one bar per edited layer (grouped
 * under the method, coloured by layer), one panel per shift family in the table's order, in
 * percentage points with a zero rule and the rows' intervals as error bars. A bar is hollow
 * (white, outlined in its layer's colour) when its row is not `reliable` — the cloud's line for
 * that family explains little (r² < 0.5), so the penalty says little — and a note under the
 * title says so. Methods with fewer layers (e.g. `layer: 'all'` for global fine-tuning) get their
 * bars centred in their group rather than leaving empty slots.
 * @param table tidy rows `{ method, layer, family, penalty, ci_lo, ci_hi, reliable, r2 }`, penalties
 *   and interval ends as fractions (−0.031 = −3.1 points); `family` ∈ corruption | rendition | hard | overall
 *   (a row without a family is drawn as 'overall'), e.g. the family and overall rows of `shiftPenalties`
 *   with the edit's method and layer added
 * @param options title, intervals, sizes
 * @returns a Vega-Lite v5 spec with the data inlined
 * @example penaltyBars([
 *   { method: 'local-ft', layer: 'conv2', family: 'corruption', penalty: -0.031, ci_lo: -0.045, ci_hi: -0.017, reliable: true, r2: 0.91 },
 *   { method: 'global-ft', layer: 'all', family: 'corruption', penalty: -0.052, ci_lo: -0.07, ci_hi: -0.034, reliable: true, r2: 0.91 },
 * ], { title: 'OOD penalty of each edit' })
 */
export function penaltyBars(table: Rows, options: PenaltyBarsOptions = {}): VegaLiteSpec {
  const rows = table.map((r) => (r.family == null ? { ...r, family: 'overall' } : r)); // shiftPenalties leaves the overall row's family null
  const intervals = options.intervals ?? hasInterval(rows, 'ci_lo', 'ci_hi');
  const layers = appearanceOrder(rows, 'layer');
  const { values, slotsPerMethod } = withBarSlots(rows, layers);
  const slotWidth = Math.max(options.barWidth ?? 12, (MIN_GROUP_WIDTH * BAND_FILL) / slotsPerMethod);

  const x = {
    ...nominalInTableOrder(rows, 'method', null),
    scale: { paddingInner: 1 - BAND_FILL, paddingOuter: (1 - BAND_FILL) / 2 },
    axis: { labelAngle: -30, labelLimit: 110 },
  };
  // xOffset is quantitative so that each group can centre however many layers it has: the scale
  // maps the slots of the widest group onto the method's band; bars and whiskers are centred there.
  const xOffset = { field: BAR_SLOT_FIELD, type: 'quantitative', scale: { domain: [-slotsPerMethod / 2, slotsPerMethod / 2] } };
  const y = { field: 'penalty_pp', type: 'quantitative', title: options.yTitle ?? 'OOD penalty (percentage points)' };
  // One mapping layer → colour for the fill and the outline, so a hollow bar keeps its layer's colour.
  const layerScale = { domain: layers, range: [...OKABE_ITO] };
  const points = (field: string) => ({ field, type: 'quantitative', format: '.1f' });

  const bars = {
    mark: { type: 'bar', width: slotWidth - 1 - OUTLINE, strokeWidth: OUTLINE }, // 1 px apart, outlines included
    encoding: {
      x,
      xOffset,
      y,
      fill: { condition: { test: 'datum.reliable === false', value: 'white' }, ...nominalInTableOrder(rows, 'layer'), scale: layerScale },
      // Same field and scale as the fill: vega-lite merges the two into one legend.
      stroke: { ...nominalInTableOrder(rows, 'layer'), scale: layerScale },
      description: { field: BAR_DESCRIPTION_FIELD, type: 'nominal' },
      tooltip: [
        { field: 'family', type: 'nominal' },
        { field: 'method', type: 'nominal' },
        { field: 'layer', type: 'nominal' },
        ...tooltipsIfPresent(rows, { layers: 'model layers' }),
        { ...points('penalty_pp'), title: 'penalty (pp)' },
        ...(intervals ? [{ ...points('ci_lo_pp'), title: 'interval low (pp)' }, { ...points('ci_hi_pp'), title: 'interval high (pp)' }] : []),
        { field: 'r2', type: 'quantitative', format: '.2f', title: 'r² of the line' },
        { field: 'reliable', type: 'nominal' },
      ],
    },
  };
  const whiskers = {
    transform: [{ filter: 'isValid(datum.ci_lo) && isValid(datum.ci_hi)' }],
    mark: { type: 'rule', color: '#222', strokeWidth: 1.2 },
    encoding: { x, xOffset, y: { ...y, field: 'ci_lo_pp' }, y2: { field: 'ci_hi_pp' } },
  };
  // One row per panel, or the rule would be drawn once per bar.
  const zero = {
    transform: [{ aggregate: [{ op: 'count', as: 'bars' }], groupby: ['family'] }],
    mark: { type: 'rule', color: REFERENCE_COLOR, strokeWidth: 1 },
    encoding: { y: { datum: 0 } },
  };

  const anyUnreliable = rows.some((r) => r.reliable === false);
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...titleWithNotes(options.title, anyUnreliable ? [UNRELIABLE_NOTE] : []),
    data: { values },
    transform: [
      ...['penalty', 'ci_lo', 'ci_hi'].map((f) => ({ calculate: `isValid(datum.${f}) ? 100 * datum.${f} : null`, as: `${f}_pp` })),
      // What screen readers (and the SVG's aria-label) say of a bar, instead of every encoded field.
      { calculate: `datum.family + ', ' + datum.method + ', ' + datum.layer + ': ' + format(datum.penalty_pp, '.1f') + ' pp' + (datum.reliable === false ? ' (unreliable line)' : '')`, as: BAR_DESCRIPTION_FIELD },
    ],
    config: figureConfig(),
    facet: { column: { ...nominalInTableOrder(rows, 'family', null), header: { labelOrient: 'top' } } },
    spec: {
      width: { step: (slotsPerMethod * slotWidth) / BAND_FILL },
      height: options.height ?? 200,
      layer: [bars, ...(intervals ? [whiskers] : []), zero],
    },
  };
}

/**
 * Copies the rows with each bar's slot in its (family, method) group: the layers present in the
 * group, in table order, centred on 0 (in bar widths: −1, 0, 1 for three layers; 0 for one).
 */
function withBarSlots(rows: Rows, layers: ReadonlyArray<string | number | boolean>): { values: Row[]; slotsPerMethod: number } {
  const groups = new Map<string, Array<string | number | boolean | null>>();
  const groupOf = (r: Readonly<Row>) => JSON.stringify([r.family, r.method]);
  for (const r of rows) {
    const present = groups.get(groupOf(r)) ?? [];
    if (!present.includes(r.layer ?? null)) present.push(r.layer ?? null);
    groups.set(groupOf(r), present);
  }
  for (const present of groups.values()) present.sort((a, b) => layers.indexOf(a as string) - layers.indexOf(b as string));
  const values = rows.map((r) => {
    const present = groups.get(groupOf(r))!;
    const i = present.indexOf(r.layer ?? null);
    return { ...r, [BAR_SLOT_FIELD]: i - (present.length - 1) / 2 };
  });
  return { values, slotsPerMethod: Math.max(1, ...[...groups.values()].map((g) => g.length)) };
}
