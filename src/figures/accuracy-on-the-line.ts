import type { Row, Rows } from '../frames/types';
import { fitAccuracyLine, lineBand, transformAccuracy, type AccuracyTransform } from '../metrics/effective-robustness';
import { appearanceOrder, figureConfig, nominalInTableOrder, withHalo } from './theme';
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
  /** Field ordering the points of a path (default 'alpha'); its first and last values label the path's ends. */
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
const LABEL_FONT_SIZE = 11;
const CLEARANCE = 8; // px between a path's end point and its label: the point's radius and a gap
const TICKS = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 0.995];

/**
 * Figure 3 of the study: shifted (OOD) accuracy vs in-distribution accuracy on probit (or
 * logit) axes for the reference cloud (one point shape per architecture when the rows have
 * `arch`), with its least-squares line, a bootstrap 95% band, the labelled y = x diagonal, and
 * edited models or interpolation paths overlaid, each path's ends labelled with their `order`
 * value (e.g. "α = 0" and "α = 1"), set off the path along its direction.
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
  const width = options.width ?? 340;
  const height = options.height ?? 280;
  const pxPerUnit = { x: width / (x1 - x0), y: height / (y1 - y0) };
  const grid = Array.from({ length: 31 }, (_, i) => x0 + ((x1 - x0) * i) / 30);
  const band = options.bootstrap === 0 ? grid.map((x) => ({ x, y: line.slope * x + line.intercept, ci_lo: null, ci_hi: null }))
    : lineBand(points, grid, { transform, samples: options.bootstrap ?? 500 });
  const values: Row[] = [
    ...band.map((b) => ({ [ROLE]: 'line', x: b.x, y: b.y, ci_lo: b.ci_lo, ci_hi: b.ci_hi, diagonal: b.x >= y0 && b.x <= y1 ? b.x : null })),
    ...cloud.map((r) => ({ ...r, [ROLE]: 'cloud', x: T(r.id as number), y: T(r.ood as number) })),
    ...overlay.map((r) => ({ ...r, [ROLE]: 'overlay', x: T(r.id as number), y: T(r.ood as number) })),
    ...pathEndLabels(overlay, series, order, T, pxPerUnit).map((l) => ({ ...l, [ROLE]: 'end' })),
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
      encoding: {
        x, y,
        ...(cloud.some((r) => r.arch != null) ? { shape: nominalInTableOrder(cloud, 'arch', 'architecture (cloud)') } : {}),
        tooltip: [...['model', 'arch'].filter((f) => cloud.some((r) => r[f] != null)).map((field) => ({ field, type: 'nominal' })), ...tooltipAcc],
      },
    },
    ...diagonalLabel([x0, x1], [y0, y1], pxPerUnit, x, y),
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
  if (values.some((v) => v[ROLE] === 'end')) {
    layer.push(...withHalo({ transform: only('end'), mark: { type: 'text', fontSize: LABEL_FONT_SIZE, align: 'center', baseline: 'middle' }, encoding: { x, y, text: { field: 'text', type: 'nominal' } } }));
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    ...(options.title ? { title: options.title } : {}),
    data: { values },
    config: figureConfig(),
    width,
    height,
    layer,
  };
}

type Encoding = Record<string, unknown>;
/** Pixels per axis unit (transformed accuracy) along x and y. */
type Scale2 = { x: number; y: number };

/**
 * Labels for the two ends of every overlay path: "α = 0" behind its first point, "α = 1" ahead of
 * its last (or whatever `order` values they have), each centred far enough along the path's
 * direction that the text clears the point. Paths that start at the same point share one label.
 * @returns rows `{ x, y, text }` in transformed axis units
 */
function pathEndLabels(overlay: Rows, series: string, order: string, T: (a: number) => number, px: Scale2): Row[] {
  const paths = new Map<unknown, Array<{ x: number; y: number; at: number }>>();
  for (const r of overlay) {
    if (typeof r[order] !== 'number') continue;
    paths.set(r[series], [...(paths.get(r[series]) ?? []), { x: T(r.id as number), y: T(r.ood as number), at: r[order] as number }]);
  }
  const name = order === 'alpha' ? 'α' : order;
  const labels: Row[] = [];
  const placed = new Set<string>();
  const label = (p: { x: number; y: number; at: number }, toward: { x: number; y: number }) => {
    const key = `${p.x},${p.y},${p.at}`;
    if (placed.has(key)) return;
    placed.add(key);
    const text = `${name} = ${+p.at.toPrecision(3)}`;
    // Direction in pixels (y up); the label's box (text width estimated) moves along it until it
    // is CLEARANCE px off the point horizontally or vertically, whichever comes first.
    const dx = (toward.x - p.x) * px.x;
    const dy = (toward.y - p.y) * px.y;
    const norm = Math.hypot(dx, dy);
    const [ux, uy] = norm > 0 ? [dx / norm, dy / norm] : [1, 0];
    const halfWidth = (0.6 * LABEL_FONT_SIZE * text.length) / 2;
    const halfHeight = LABEL_FONT_SIZE / 2;
    const reach = Math.min(ux ? (halfWidth + CLEARANCE) / Math.abs(ux) : Infinity, uy ? (halfHeight + CLEARANCE) / Math.abs(uy) : Infinity);
    labels.push({ x: p.x + (ux * reach) / px.x, y: p.y + (uy * reach) / px.y, text });
  };
  for (const points of paths.values()) {
    if (points.length < 2) continue;
    points.sort((a, b) => a.at - b.at);
    const [first, second] = points;
    const [beforeLast, last] = points.slice(-2);
    label(first, { x: 2 * first.x - second.x, y: 2 * first.y - second.y }); // behind the start
    label(last, { x: 2 * last.x - beforeLast.x, y: 2 * last.y - beforeLast.y }); // ahead of the end
  }
  return labels;
}

/**
 * "y = x" written along the diagonal near its upper visible end, above it (where OOD accuracy
 * would exceed ID accuracy, which the cloud's models rarely reach). Nothing if the diagonal
 * misses the plot.
 */
function diagonalLabel(xDomain: number[], yDomain: number[], px: Scale2, x: Encoding, y: Encoding): Record<string, unknown>[] {
  const lo = Math.max(xDomain[0], yDomain[0]);
  const hi = Math.min(xDomain[1], yDomain[1]);
  if (!(hi > lo)) return [];
  const at = Math.max(lo, hi - 16 / Math.min(px.x, px.y)); // ≥ 16 px inside the frame: the text stands above its anchor
  const angle = (-Math.atan2(px.y, px.x) * 180) / Math.PI; // the diagonal's slope on screen
  return withHalo({
    data: { values: [{ x: at, y: at }] },
    mark: { type: 'text', text: 'y = x', angle, align: 'right', baseline: 'bottom', dy: -4, fontSize: 10, fontStyle: 'italic', color: '#666' },
    encoding: { x, y },
  });
}
