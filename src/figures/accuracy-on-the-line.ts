import type { Row, Rows } from '../frames/types';
import { fitAccuracyLine, lineBand, transformAccuracy, type AccuracyTransform } from '../metrics/effective-robustness';
import { appearanceOrder, figureConfig } from './theme';
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from './types';

/** Options of {@link accuracyOnTheLine}. */
export interface AccuracyOnTheLineOptions {
  /** Axis transform; default 'probit'. */
  transform?: AccuracyTransform;
  /**
   * Models to draw over the cloud (edited models, interpolation paths): rows with `id` and
   * `ood` accuracies, one coloured path per value of `series` in the order of `order`.
   */
  overlay?: Rows;
  /** Field naming an overlay path (default 'label'). */
  series?: string;
  /** Field ordering the points of a path (default 'alpha'). */
  order?: string;
  /** Bootstrap resamples of the band (default 500; 0 = no band). */
  bootstrap?: number;
  title?: string;
  xTitle?: string;
  yTitle?: string;
  width?: number;
  height?: number;
}

const ROLE = '__part';
const TICKS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 0.995];

/**
 * Figure 3 of the study: shifted (OOD) accuracy vs in-distribution accuracy on probit (or
 * logit) axes for the reference cloud, with its least-squares line, a bootstrap 95% band, the
 * y = x diagonal, and edited models or interpolation paths overlaid.
 * @param cloud rows with `id` and `ood` accuracies (fractions), e.g. `accuracyPairs(loadCloud(), { family: 'corruption' })`
 * @returns a Vega-Lite v5 spec with the data inlined
 * @example accuracyOnTheLine(pairs, { overlay: [{ label: 'local-ft', alpha: 1, id: 0.84, ood: 0.55 }] })
 */
export function accuracyOnTheLine(cloud: Rows, options: AccuracyOnTheLineOptions = {}): VegaLiteSpec {
  const transform = options.transform ?? 'probit';
  const series = options.series ?? 'label';
  const order = options.order ?? 'alpha';
  const overlay = options.overlay ?? [];
  const pair = (r: Row, what: string) => {
    if (typeof r.id !== 'number' || typeof r.ood !== 'number') throw new Error(`editlab: accuracyOnTheLine: every ${what} row needs numeric id and ood accuracies, got ${JSON.stringify(r)}.`);
    return { id: r.id, ood: r.ood };
  };
  const points = cloud.map((r) => pair(r, 'cloud'));
  overlay.forEach((r) => pair(r, 'overlay'));
  const line = fitAccuracyLine(points, transform);
  const T = (a: number) => transformAccuracy(a, transform);
  const all = [...cloud, ...overlay] as Row[];
  const xs = all.map((r) => T(r.id as number));
  const ys = all.map((r) => T(r.ood as number));
  const pad = (lo: number, hi: number) => [lo - 0.08 * (hi - lo || 1), hi + 0.08 * (hi - lo || 1)];
  const [x0, x1] = pad(Math.min(...xs), Math.max(...xs));
  const [y0, y1] = pad(Math.min(...ys), Math.max(...ys));
  const grid = Array.from({ length: 31 }, (_, i) => x0 + ((x1 - x0) * i) / 30);
  const band = options.bootstrap === 0 ? grid.map((x) => ({ x, y: line.slope * x + line.intercept, ci_lo: null, ci_hi: null }))
    : lineBand(points, grid, { transform, samples: options.bootstrap ?? 500 });
  const values: Row[] = [
    ...band.map((b) => ({ [ROLE]: 'line', x: b.x, y: b.y, ci_lo: b.ci_lo, ci_hi: b.ci_hi, diagonal: b.x >= y0 && b.x <= y1 ? b.x : null })),
    ...cloud.map((r) => ({ ...r, [ROLE]: 'cloud', x: T(r.id as number), y: T(r.ood as number) })),
    ...overlay.map((r) => ({ ...r, [ROLE]: 'overlay', x: T(r.id as number), y: T(r.ood as number) })),
  ];
  const labelExpr = transform === 'probit' ? "format(cumulativeNormal(datum.value), '.1~%')" : "format(1 / (1 + exp(-datum.value)), '.1~%')";
  const ticks = (lo: number, hi: number) => TICKS.map(T).filter((t) => t >= lo && t <= hi);
  const x = { field: 'x', type: 'quantitative', title: options.xTitle ?? `ID accuracy (${transform} axis)`, scale: { domain: [x0, x1], nice: false, zero: false }, axis: { values: ticks(x0, x1), labelExpr } };
  const y = { field: 'y', type: 'quantitative', title: options.yTitle ?? `OOD accuracy (${transform} axis)`, scale: { domain: [y0, y1], nice: false, zero: false }, axis: { values: ticks(y0, y1), labelExpr } };
  const only = (part: string) => [{ filter: `datum['${ROLE}'] === '${part}'` }];
  const tooltipAcc = [{ field: 'id', type: 'quantitative', format: '.1%', title: 'ID' }, { field: 'ood', type: 'quantitative', format: '.1%', title: 'OOD' }];
  const layer: Record<string, unknown>[] = [];
  if (options.bootstrap !== 0) layer.push({ transform: only('line'), mark: { type: 'area', color: '#bdbdbd', opacity: 0.45, clip: true }, encoding: { x, y: { ...y, field: 'ci_lo' }, y2: { field: 'ci_hi' } } });
  layer.push(
    { transform: [...only('line'), { filter: 'datum.diagonal !== null' }], mark: { type: 'line', color: '#999', strokeDash: [4, 4], strokeWidth: 1, clip: true }, encoding: { x: { ...x, field: 'diagonal' }, y: { ...y, field: 'diagonal' } } },
    { transform: only('line'), mark: { type: 'line', color: '#333', strokeWidth: 2, clip: true }, encoding: { x, y } },
    {
      transform: only('cloud'),
      mark: { type: 'point', filled: true, size: 40, color: '#777', opacity: 0.85 },
      encoding: { x, y, tooltip: [...['model', 'arch'].filter((f) => cloud.some((r) => r[f] != null)).map((field) => ({ field, type: 'nominal' })), ...tooltipAcc] },
    },
  );
  if (overlay.length) {
    layer.push({
      transform: only('overlay'),
      mark: { type: 'line', point: { filled: true, size: 60 }, strokeWidth: 2, clip: true },
      encoding: {
        x, y,
        color: { field: series, type: 'nominal', title: series, sort: appearanceOrder(overlay, series) },
        ...(overlay.some((r) => r[order] != null) ? { order: { field: order, type: 'quantitative' } } : {}),
        tooltip: [{ field: series, type: 'nominal' }, ...(overlay.some((r) => r[order] != null) ? [{ field: order, type: 'quantitative' }] : []), ...tooltipAcc],
      },
    });
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...(options.title ? { title: options.title } : {}),
    data: { values },
    config: figureConfig(),
    width: options.width ?? 340,
    height: options.height ?? 280,
    layer,
  };
}
