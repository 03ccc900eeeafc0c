import type { Rows } from '../frames/types';
import { appearanceOrder, figureConfig } from './theme';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from './types';

/** Options of {@link editMetricsChart}. */
export interface EditMetricsChartOptions {
  title?: string;
  /** Width of one panel in px (default 200). */
  width?: number;
}

/**
 * Edit metrics per method: one panel per metric (edit success, generalisation, original
 * accuracy), a bar per method for the edited model and a black tick at the unedited model.
 * @param rows tidy rows {method, metric, before, after} with fractions
 */
export function editMetricsChart(rows: Rows, options: EditMetricsChartOptions = {}): VegaLiteSpec {
  const method = { field: 'method', type: 'nominal', sort: appearanceOrder(rows, 'method'), title: null, axis: { labelAngle: -35 } };
  const percent = { type: 'quantitative', scale: { domain: [0, 1] }, axis: { format: '.0%' }, title: null };
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...(options.title ? { title: options.title } : {}),
    data: { values: rows.map((r) => ({ ...r })) },
    config: figureConfig(),
    facet: { column: { field: 'metric', type: 'nominal', sort: appearanceOrder(rows, 'metric'), title: null } },
    spec: {
      width: options.width ?? 200,
      height: 180,
      layer: [
        { mark: { type: 'bar', tooltip: true }, encoding: { x: method, y: { field: 'after', ...percent }, color: { field: 'method', type: 'nominal', sort: appearanceOrder(rows, 'method'), legend: null } } },
        { mark: { type: 'tick', color: 'black', thickness: 2 }, encoding: { x: method, y: { field: 'before', ...percent } } },
      ],
    },
  };
}
