import type { Row, Rows } from '../frames/types';
import {
  accuracyScale,
  accuracyTooltip,
  figureConfig,
  guessAccuracyUnit,
  hasInterval,
  nominalInTableOrder,
  REFERENCE_COLOR,
  titleWithNotes,
  tooltipsIfPresent,
  type AccuracyUnit,
} from './theme';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from './types';

/** Options of {@link tradeOff}. */
export interface TradeOffOptions {
  /** Figure title. Default: none. */
  title?: string;
  /**
   * Draw the rows' intervals as crosshairs: `edit_ci_lo`–`edit_ci_hi` horizontally,
   * `ood_ci_lo`–`ood_ci_hi` vertically. Default: true when some row has either pair.
   */
  intervals?: boolean;
  /** Unit of the accuracies (both shown as 0–100 %). Default: `'percent'` if any value exceeds 1.5. */
  unit?: AccuracyUnit;
  /** Plot width in px. Default 360. */
  width?: number;
  /** Plot height in px. Default 300. */
  height?: number;
  /** x axis title. Default 'edit-task accuracy (held-out)'. */
  xTitle?: string;
  /** y axis title. Default 'original-task OOD accuracy'. */
  yTitle?: string;
}

/** The subtitle that says how to read the paths. */
export const TRADE_OFF_NOTE = 'each path runs from the original (α = 0, ◆) to the edited model (α = 1, arrowhead)';
/** The subtitle when the rows have no α = 0 (so no original is drawn). */
export const TRADE_OFF_NOTE_WITHOUT_ORIGINAL = 'each path runs along α to its largest value (arrowhead)';

/** Field added to the inlined data: the direction (degrees clockwise from up) of a path's last step, for its arrowhead. */
export const ARROW_ANGLE_FIELD = '__arrow_angle';

// Distinct dash patterns for layers, solid first (the layer-independent methods usually come first).
const LAYER_DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3], [12, 4]];

/**
 * Figure 4 of the study: the trade-off that weight interpolation traces, edit-task accuracy
 * (x) against the original task's OOD accuracy (y), both on 0–100 % axes. One path per
 * method × layer (colour = method, dash = layer), its points ordered by α; the original model
 * (α = 0, where every path starts) is a large black diamond labelled "original", the α = 1
 * end of each path an arrowhead pointing along its last step. The "no trade-off" guides are dotted
 * rules at the original's two accuracies; the quadrant above and right of both (edit accuracy
 * gained, no OOD accuracy lost) is shaded. The original is the mean of the α = 0 rows (they should agree);
 * without α = 0 rows there is no original mark and no guides.
 * @param rows tidy rows `{ method, layer, alpha, edit_accuracy, ood_accuracy }` (fractions or
 *   percent), optionally with `edit_ci_lo`, `edit_ci_hi`, `ood_ci_lo`, `ood_ci_hi`
 * @param options title, intervals, unit, sizes, axis titles
 * @returns a Vega-Lite v5 spec with the data inlined
 * @example tradeOff([
 *   { method: 'local-ft', layer: 'fc', alpha: 0, edit_accuracy: 0.32, ood_accuracy: 0.61 },
 *   { method: 'local-ft', layer: 'fc', alpha: 0.5, edit_accuracy: 0.7, ood_accuracy: 0.6 },
 *   { method: 'local-ft', layer: 'fc', alpha: 1, edit_accuracy: 0.9, ood_accuracy: 0.54 },
 * ], { title: 'Interpolating local fine-tuning' })
 */
export function tradeOff(rows: Rows, options: TradeOffOptions = {}): VegaLiteSpec {
  const unit = options.unit ?? guessAccuracyUnit(rows.flatMap((r) => [r.edit_accuracy, r.ood_accuracy]));
  const top = unit === 'percent' ? 100 : 1;
  const width = options.width ?? 360;
  const height = options.height ?? 300;
  const editIntervals = hasInterval(rows, 'edit_ci_lo', 'edit_ci_hi');
  const oodIntervals = hasInterval(rows, 'ood_ci_lo', 'ood_ci_hi');
  const intervals = options.intervals ?? (editIntervals || oodIntervals);

  const x = { field: 'edit_accuracy', type: 'quantitative', title: options.xTitle ?? 'edit-task accuracy (held-out)', ...accuracyScale(unit) };
  const y = { field: 'ood_accuracy', type: 'quantitative', title: options.yTitle ?? 'original-task OOD accuracy', ...accuracyScale(unit) };
  const color = nominalInTableOrder(rows, 'method');
  const dash = { ...nominalInTableOrder(rows, 'layer'), scale: { range: LAYER_DASHES }, legend: { symbolType: 'stroke', symbolStrokeColor: REFERENCE_COLOR, symbolStrokeWidth: 2, symbolSize: 400 } };
  const tooltip = [
    { field: 'method', type: 'nominal' },
    { field: 'layer', type: 'nominal' },
    ...tooltipsIfPresent(rows, { layers: 'model layers' }),
    { field: 'alpha', type: 'quantitative', title: 'α' },
    accuracyTooltip('edit_accuracy', unit, 'edit-task accuracy'),
    accuracyTooltip('ood_accuracy', unit, 'OOD accuracy'),
  ];
  const path = { detail: [{ field: 'method', type: 'nominal' }, { field: 'layer', type: 'nominal' }] };

  const layer: Record<string, unknown>[] = [];
  const original = originalModel(rows);
  const room = original && { left: (original.edit_accuracy / top) * width, above: (1 - original.ood_accuracy / top) * height };
  if (original && room) layer.push(...noTradeOffGuides(original, x, y, top, room));
  if (intervals) layer.push(...crosshairs(editIntervals, oodIntervals, x, y, color));
  layer.push(
    // Points in a layer of their own: a line's built-in points would blank the dash legend's symbols.
    { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color, strokeDash: dash, order: { field: 'alpha', type: 'quantitative' }, ...path } },
    { mark: { type: 'point', filled: true, size: 30, opacity: 1 }, encoding: { x, y, color, tooltip } },
    {
      transform: [{ filter: `isValid(datum['${ARROW_ANGLE_FIELD}'])` }],
      mark: { type: 'point', shape: 'triangle-up', filled: true, size: 130, opacity: 1 },
      encoding: { x, y, color, angle: { field: ARROW_ANGLE_FIELD, type: 'quantitative', scale: null }, tooltip },
    },
  );
  if (original && room) layer.push(...originalMark(original, x, y, room));

  return {
    $schema: VEGA_LITE_SCHEMA,
    ...titleWithNotes(options.title, [original ? TRADE_OFF_NOTE : TRADE_OFF_NOTE_WITHOUT_ORIGINAL]),
    data: { values: withArrowAngles(rows, width / top, height / top) },
    config: figureConfig(),
    width,
    height,
    layer,
  };
}

type Encoding = Record<string, unknown>;
/** Pixels between the original's mark and the plot's left edge and top edge: where labels fit. */
type Room = { left: number; above: number };
interface Original {
  edit_accuracy: number;
  ood_accuracy: number;
}

/** The original model: the mean of the α = 0 rows (every path starts there), or null without any. */
function originalModel(rows: Rows): Original | null {
  const starts = rows.filter((r) => r.alpha === 0 && typeof r.edit_accuracy === 'number' && typeof r.ood_accuracy === 'number');
  if (!starts.length) return null;
  const mean = (f: string) => starts.reduce((s, r) => s + (r[f] as number), 0) / starts.length;
  return { edit_accuracy: mean('edit_accuracy'), ood_accuracy: mean('ood_accuracy') };
}

/**
 * The no-trade-off guides: dotted rules at the original's two accuracies, and the quadrant where
 * an edit gains edit accuracy and loses no OOD accuracy shaded and labelled "no trade-off" (when
 * there is room). The edit-accuracy rule is labelled above the plot; the OOD rule just above its
 * left end, where paths rarely go (edits seldom lower edit accuracy) — or at its right end when
 * the original sits too far left for the label to fit before it.
 */
function noTradeOffGuides(original: Original, x: Encoding, y: Encoding, top: number, room: Room): Record<string, unknown>[] {
  const at = { data: { values: [original] } };
  const rule = { type: 'rule', color: REFERENCE_COLOR, strokeDash: [2, 3], strokeWidth: 1.2 };
  const label = { type: 'text', color: REFERENCE_COLOR, fontSize: 10, fontStyle: 'italic' };
  const share = original.edit_accuracy / top;
  const oodLabelFitsLeft = room.left > 85; // two lines of ~12 characters, and the diamond
  const editLabelAlign = share < 0.2 ? 'left' : share > 0.8 ? 'right' : 'center'; // stay over the plot
  const quadrantLabelFits = room.above > (oodLabelFitsLeft ? 20 : 50); // one line, or above the OOD label's two
  return [
    { ...at, mark: { type: 'rect', color: 'black', opacity: 0.04 }, encoding: { x, x2: { datum: top }, y, y2: { datum: top } } },
    { ...at, mark: rule, encoding: { y } },
    { ...at, mark: rule, encoding: { x } },
    {
      ...at,
      // Vega anchors a multi-line text at its first line: lift it by the second so both sit above the rule.
      mark: { ...label, align: oodLabelFitsLeft ? 'left' : 'right', baseline: 'bottom', lineHeight: 12, dx: oodLabelFitsLeft ? 4 : -4, dy: -3 - 12, text: ["original's", 'OOD accuracy'] },
      encoding: { x: { datum: oodLabelFitsLeft ? 0 : top }, y },
    },
    { ...at, mark: { ...label, align: editLabelAlign, baseline: 'bottom', dy: -4, text: "original's edit accuracy" }, encoding: { x, y: { datum: top } } },
    ...(quadrantLabelFits
      ? [{ ...at, mark: { ...label, align: 'right', baseline: 'top', dx: -4, dy: 4, fontSize: 11, text: 'no trade-off' }, encoding: { x: { datum: top }, y: { datum: top } } }]
      : []),
  ];
}

/** Thin interval whiskers across each point, in its method's colour. */
function crosshairs(edit: boolean, ood: boolean, x: Encoding, y: Encoding, color: Encoding): Record<string, unknown>[] {
  const mark = { type: 'rule', strokeWidth: 1, strokeOpacity: 0.5 }; // not opacity: the colour legend would fade too
  const out: Record<string, unknown>[] = [];
  if (edit) out.push({ transform: [{ filter: 'isValid(datum.edit_ci_lo) && isValid(datum.edit_ci_hi)' }], mark, encoding: { x: { ...x, field: 'edit_ci_lo' }, x2: { field: 'edit_ci_hi' }, y, color } });
  if (ood) out.push({ transform: [{ filter: 'isValid(datum.ood_ci_lo) && isValid(datum.ood_ci_hi)' }], mark, encoding: { x, y: { ...y, field: 'ood_ci_lo' }, y2: { field: 'ood_ci_hi' }, color } });
  return out;
}

/**
 * The original model's diamond and its label: below and left, where the paths do not go, or
 * below from the plot's left edge when the original sits too close to it.
 */
function originalMark(original: Original, x: Encoding, y: Encoding, room: Room): Record<string, unknown>[] {
  const at = { data: { values: [original] } };
  const text = { type: 'text', text: 'original', baseline: 'top', fontSize: 12, fontWeight: 'bold' };
  const fitsLeft = room.left > 64; // the word at 12 px bold, and the diamond
  return [
    { ...at, mark: { type: 'point', shape: 'diamond', filled: true, size: 260, color: 'black', opacity: 1 }, encoding: { x, y } },
    fitsLeft
      ? { ...at, mark: { ...text, align: 'right', dx: -7, dy: 7 }, encoding: { x, y } }
      : { ...at, mark: { ...text, align: 'left', dx: 4, dy: 10 }, encoding: { x: { datum: 0 }, y } },
  ];
}

/**
 * Copies the rows, giving each path's last point (its largest α) the screen direction of the
 * path's last step, so a triangle rotated by it points where the path goes.
 * @param pxPerUnitX pixels per accuracy unit along x (plot width / axis maximum)
 * @param pxPerUnitY the same along y
 */
function withArrowAngles(rows: Rows, pxPerUnitX: number, pxPerUnitY: number): Row[] {
  const values = rows.map((r) => ({ ...r }));
  const paths = new Map<string, Row[]>();
  for (const r of values) {
    if (typeof r.alpha !== 'number' || typeof r.edit_accuracy !== 'number' || typeof r.ood_accuracy !== 'number') continue;
    const key = JSON.stringify([r.method, r.layer]);
    paths.set(key, [...(paths.get(key) ?? []), r]);
  }
  for (const points of paths.values()) {
    if (points.length < 2) continue;
    points.sort((a, b) => (a.alpha as number) - (b.alpha as number));
    const [from, to] = points.slice(-2);
    const right = ((to.edit_accuracy as number) - (from.edit_accuracy as number)) * pxPerUnitX;
    const up = ((to.ood_accuracy as number) - (from.ood_accuracy as number)) * pxPerUnitY;
    // Vega rotates clockwise from the triangle's upward tip; screen y grows downwards.
    to[ARROW_ANGLE_FIELD] = right === 0 && up === 0 ? 0 : (Math.atan2(right, up) * 180) / Math.PI;
  }
  return values;
}
