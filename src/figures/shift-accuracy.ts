import type { Rows } from '../frames/types';
import { accuracyVsAlpha } from './accuracy-vs-alpha';
import type { VegaLiteSpec } from './types';

/** Options of {@link accuracyPerSeverity}. */
export interface AccuracyPerSeverityOptions {
  /** Field of the shift name (one line each; default 'shift'). */
  color?: string;
  /** Field giving one panel per value (default 'group'); null for one panel. */
  facet?: string | null;
  title?: string;
  columns?: number;
  width?: number;
  height?: number;
}

/**
 * Accuracy vs corruption severity, one line per shift, one panel per group (noise, blur,
 * weather, digital, held-out), with the clean accuracy (the rows whose shift is 'clean') as a
 * dashed reference line in every panel.
 * @param rows tidy rows of `evaluateShifts`: shift, group, severity, accuracy
 * @returns a Vega-Lite v5 spec with the data inlined
 */
export function accuracyPerSeverity(rows: Rows, options: AccuracyPerSeverityOptions = {}): VegaLiteSpec {
  const color = options.color ?? 'shift';
  const facet = options.facet === undefined ? 'group' : options.facet;
  const clean = rows.filter((r) => r[color] === 'clean');
  const lines = rows.filter((r) => r[color] !== 'clean' && typeof r.severity === 'number' && (r.severity as number) > 0);
  const spec = accuracyVsAlpha(lines, {
    x: 'severity',
    y: 'accuracy',
    color,
    facet,
    xTitle: 'severity',
    colorTitle: color,
    title: options.title,
    columns: options.columns,
    width: options.width ?? 170,
    height: options.height ?? 150,
    reference: clean.map((r) => ({ accuracy: r.accuracy, label: 'clean' })),
    yUnit: 'fraction',
  });
  // Up to 20 shifts get distinct colours (the default scheme has 10).
  const panel = (spec.spec ?? spec) as { layer: Array<{ encoding: { color?: Record<string, unknown> } }> };
  const color0 = panel.layer[0].encoding.color;
  if (color0) color0.scale = { scheme: 'tableau20' };
  return spec;
}
