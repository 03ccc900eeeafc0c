import type { Row, Rows } from '../frames/types';
import {
  accuracyScale,
  accuracyTooltip,
  appearanceOrder,
  figureConfig,
  guessAccuracyUnit,
  hasInterval,
  nominalInTableOrder,
  REFERENCE_COLOR,
  tooltipsIfPresent,
  type AccuracyUnit,
} from './theme';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from './types';

/** Options of {@link accuracyVsAlpha}. */
export interface AccuracyVsAlphaOptions {
  /** Field on the x axis (interpolation coefficient α). Default `'alpha'`. */
  x?: string;
  /** Field on the y axis. Default `'accuracy'`. */
  y?: string;
  /** Field giving one line per value. Default `'layer'` if the rows have it, else `'method'`. */
  color?: string;
  /** Field giving one facet column per value; `null` for a single panel. Default `'split'`. */
  facet?: string | null;
  /** Figure title. */
  title?: string;
  /**
   * Horizontal reference lines (e.g. global fine-tuning), one per row: the row's `y` field
   * is the level, its facet field the panel (a row without one is drawn in every panel),
   * its `referenceLabel` field the legend entry.
   */
  reference?: Rows;
  /** Field of the reference rows naming each reference line. Default `'label'`. */
  referenceLabel?: string;
  /**
   * Unit of the y values: `'fraction'` (0–1) or `'percent'` (0–100); both are shown as
   * 0–100 %. Default: `'percent'` if any value exceeds 1.5, else `'fraction'`.
   */
  yUnit?: AccuracyUnit;
  /** Facet columns per row before wrapping. Default: min(number of facets, 4). */
  columns?: number;
  /** Width of one panel in px. Default 220. */
  width?: number;
  /** Height of one panel in px. Default 180. */
  height?: number;
  /** x axis title. Default `'α'` for the field `alpha`, else the field name. */
  xTitle?: string;
  /** y axis title. Default `'accuracy'`. */
  yTitle?: string;
  /** Color legend title. Default: the color field name. */
  colorTitle?: string;
  /**
   * Draw each line's interval (rows' `ci_lo`/`ci_hi`, same unit as `y`) as a translucent band.
   * Default: true when some row has both.
   */
  intervals?: boolean;
}

/** Field marking the rows that draw reference rules in the inlined data. */
export const REFERENCE_ROLE_FIELD = '__role';

/**
 * Figure 1 of the study: accuracy vs interpolation coefficient α, one line (with points)
 * per edited layer or method, one facet column per evaluation split (edit task, original
 * clean data, each shift), y as 0–100 %, optional dashed horizontal reference lines
 * (e.g. global fine-tuning), and each line's interval (`ci_lo`/`ci_hi`) as a translucent
 * band when the rows have one. Facets and legend entries keep the table's order.
 * @param rows tidy rows with at least the x, y, color (and facet) fields
 * @param options field names, title, reference rows, sizes
 * @returns a Vega-Lite v5 spec with the data inlined
 * @example accuracyVsAlpha(rows, { title: 'Local fine-tuning', reference: [{ accuracy: 0.71, label: 'global FT' }] })
 */
export function accuracyVsAlpha(rows: Rows, options: AccuracyVsAlphaOptions = {}): VegaLiteSpec {
  const x = options.x ?? 'alpha';
  const y = options.y ?? 'accuracy';
  const color = options.color ?? (rows.some((r) => r.layer != null) ? 'layer' : 'method');
  const facetField = options.facet === undefined ? 'split' : options.facet;
  const facet = facetField !== null && rows.some((r) => r[facetField] != null) ? facetField : null;
  const refLabel = options.referenceLabel ?? 'label';
  const reference = options.reference ?? [];

  const unit = options.yUnit ?? guessAccuracyUnit([...rows, ...reference].map((r) => r[y]));
  const intervals = options.intervals ?? hasInterval(rows, 'ci_lo', 'ci_hi');

  const facets = facet ? appearanceOrder(rows, facet) : [];
  const refRows: Row[] = [];
  for (const r of reference) {
    const label = r[refLabel] ?? 'reference';
    const panels = facet && (r[facet] === null || r[facet] === undefined) ? facets : [facet ? r[facet] : null];
    for (const p of panels) {
      const out: Row = { ...r, [refLabel]: label, [REFERENCE_ROLE_FIELD]: 'reference' };
      if (facet) out[facet] = p;
      refRows.push(out);
    }
  }

  const yEnc = { field: y, type: 'quantitative', title: options.yTitle ?? 'accuracy', ...accuracyScale(unit) };
  const tooltipY = accuracyTooltip(y, unit);
  const xEnc = { field: x, type: 'quantitative', title: options.xTitle ?? (x === 'alpha' ? 'α' : x) };
  const colorEnc = nominalInTableOrder(rows, color, options.colorTitle ?? color);
  const notReference = refRows.length ? [{ filter: `datum['${REFERENCE_ROLE_FIELD}'] !== 'reference'` }] : [];

  const lines = {
    transform: notReference,
    mark: { type: 'line', point: { filled: true, size: 36 }, strokeWidth: 2 },
    encoding: {
      x: xEnc,
      y: yEnc,
      color: colorEnc,
      order: { field: x, type: 'quantitative' },
      tooltip: [
        { field: color, type: 'nominal' },
        ...tooltipsIfPresent(rows, { layers: 'model layers' }),
        { field: x, type: 'quantitative' },
        tooltipY,
        ...(intervals ? [accuracyTooltip('ci_lo', unit, 'interval low'), accuracyTooltip('ci_hi', unit, 'interval high')] : []),
        ...(facet ? [{ field: facet, type: 'nominal' }] : []),
      ],
    },
  };
  // Drawn under the lines; light enough that overlapping bands of two layers stay readable. The
  // colour keeps its legend and the band sets fillOpacity, not opacity: vega-lite merges the
  // layers' legends, and `legend: null` or an opacity here would drop or fade the lines' one.
  const bands = {
    transform: [...notReference, { filter: 'isValid(datum.ci_lo) && isValid(datum.ci_hi)' }],
    mark: { type: 'area', fillOpacity: 0.18 },
    encoding: { x: xEnc, y: { ...yEnc, field: 'ci_lo' }, y2: { field: 'ci_hi' }, color: colorEnc },
  };
  const rules = {
    transform: [{ filter: `datum['${REFERENCE_ROLE_FIELD}'] === 'reference'` }],
    mark: { type: 'rule', color: REFERENCE_COLOR, strokeWidth: 1.5 },
    encoding: {
      y: { field: y, type: 'quantitative' },
      strokeDash: {
        field: refLabel,
        type: 'nominal',
        title: 'reference',
        legend: { symbolType: 'stroke', symbolSize: 400, symbolStrokeWidth: 1.5, symbolStrokeColor: REFERENCE_COLOR },
        sort: appearanceOrder(refRows, refLabel),
        scale: { range: [[6, 4], [2, 2], [10, 3, 2, 3], [1, 0]] },
      },
      tooltip: [{ field: refLabel, type: 'nominal' }, tooltipY],
    },
  };
  const panel = {
    width: options.width ?? 220,
    height: options.height ?? 180,
    layer: [...(intervals ? [bands] : []), lines, ...(refRows.length ? [rules] : [])],
  };

  const spec: VegaLiteSpec = {
    $schema: VEGA_LITE_SCHEMA,
    ...(options.title ? { title: options.title } : {}),
    data: { values: [...rows.map((r) => ({ ...r })), ...refRows] },
    config: figureConfig(),
  };
  if (!facet) return { ...spec, ...panel };
  return {
    ...spec,
    columns: options.columns ?? Math.min(Math.max(facets.length, 1), 4),
    facet: { field: facet, type: 'nominal', title: null, sort: facets, header: { labelLimit: (options.width ?? 220) } },
    spec: panel,
  };
}
