/**
 * The explorer's two figures as Vega-Lite specs (data + spec, rendered by vega-embed), and a
 * handle that swaps their data in place, which is much cheaper than embedding them again.
 */
import embed, { vega, type VisualizationSpec } from 'vega-embed';
import type { SetResult } from './results';

/** Named data sources the specs read; {@link LiveChart.update} replaces their rows. */
export type ChartData = Record<string, object[]>;

const PERCENT_AXIS = { format: '%', grid: true };
/**
 * Colour domains are given up front: the charts are embedded before their data arrives, and a
 * legend sized for no entries would stay clipped.
 */
const GROUPS = ['task', 'clean', 'shift'];

/** Accuracy of every set at the current α: a point, its 95% interval, and a tick at α = 0. */
export function accuracyAtAlphaSpec(sets: readonly string[]): VisualizationSpec {
  const y = { field: 'set', type: 'nominal', sort: [...sets], title: null, axis: { labelLimit: 260 } };
  const x = { type: 'quantitative', scale: { domain: [0, 1] }, axis: PERCENT_AXIS };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description: 'Accuracy of each image set at the current α, with 95% Clopper–Pearson intervals; grey ticks: the original model (α = 0).',
    width: 360,
    height: { step: 22 },
    data: { name: 'current' },
    layer: [
      { mark: 'rule', encoding: { y, x: { ...x, field: 'ci_lo', title: 'accuracy (95% interval)' }, x2: { field: 'ci_hi' }, color: { field: 'group', type: 'nominal', title: 'kind', scale: { domain: GROUPS } } } },
      { mark: { type: 'tick', color: '#777', thickness: 2 }, encoding: { y, x: { ...x, field: 'original' } } },
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          y, x: { ...x, field: 'accuracy' }, color: { field: 'group', type: 'nominal', scale: { domain: GROUPS } },
          tooltip: [{ field: 'set' }, { field: 'accuracy', format: '.2%' }, { field: 'ci_lo', format: '.2%' }, { field: 'ci_hi', format: '.2%' }, { field: 'original', title: 'at α = 0', format: '.2%' }],
        },
      },
    ],
  } as VisualizationSpec;
}

/** Accuracy of every set along α (every α computed so far), with a rule at the current α. */
export function accuracyAlongAlphaSpec(sets: readonly string[], alphaMax: number): VisualizationSpec {
  const alpha = { field: 'alpha', type: 'quantitative', title: 'α', scale: { domain: [0, alphaMax] } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    description: 'Accuracy of each image set against α: 0 is the original model, 1 the edited one.',
    width: 420,
    height: 260,
    layer: [
      {
        data: { name: 'path' },
        mark: { type: 'line', point: { size: 12 } },
        encoding: {
          x: alpha,
          y: { field: 'accuracy', type: 'quantitative', scale: { domain: [0, 1] }, axis: PERCENT_AXIS, title: 'accuracy' },
          color: { field: 'set', type: 'nominal', sort: [...sets], scale: { domain: [...sets], scheme: 'category10' }, legend: { orient: 'right', labelLimit: 300 } },
          tooltip: [{ field: 'set' }, { field: 'alpha', title: 'α' }, { field: 'accuracy', format: '.2%' }],
        },
      },
      { data: { name: 'cursor' }, mark: { type: 'rule', color: '#333', strokeDash: [4, 3] }, encoding: { x: alpha } },
    ],
  } as VisualizationSpec;
}

/** An embedded chart whose named data can be replaced. */
export class LiveChart {
  private constructor(private readonly view: Awaited<ReturnType<typeof embed>>['view']) {}

  /** Renders `spec` into `element` (SVG, no action menu) with its data sources empty. */
  static async create(element: HTMLElement, spec: VisualizationSpec): Promise<LiveChart> {
    const result = await embed(element, spec, { renderer: 'svg', actions: false });
    return new LiveChart(result.view);
  }

  /** Replaces the rows of each named data source and redraws. */
  async update(data: ChartData): Promise<void> {
    for (const [name, rows] of Object.entries(data)) {
      this.view.change(name, vega.changeset().remove(() => true).insert(rows));
    }
    await this.view.runAsync();
  }
}

/** The rows the current-α chart draws (the flips lists stay out of the chart's data). */
export function currentRows(results: readonly SetResult[]): object[] {
  return results.map(({ fixed: _f, broken: _b, ...row }) => row);
}
