/**
 * The study view (`editlab explore --study DIR`): figures 1–4 of the study, the very specs
 * `editlab reproduce` saves, computed by the server and embedded here with vega-embed (tooltips
 * on hover). Each carries the `highlight` selection (../highlight.ts): a click on a legend entry
 * or a mark highlights that method or layer in every panel; figures that select on the same field
 * follow each other. `window.editlabStudy` exposes the views for tests and for the curious.
 */
import embed, { type VisualizationSpec } from 'vega-embed';
import { HIGHLIGHT, HIGHLIGHT_STORE, legendSignal } from '../highlight';
import { SITE_PATHS, type StudyManifest } from '../format';

type View = Awaited<ReturnType<typeof embed>>['view'];

/** What the page exposes on `window.editlabStudy`. */
export interface StudyPageState {
  /** True once every figure is embedded. */
  ready: boolean;
  /** The figures shown, by name, in order. */
  figures: string[];
  /** The Vega views by figure name. */
  views: Record<string, View>;
  /** The field each figure's highlight selects on (null: none). */
  fields: Record<string, string | null>;
  error: string | null;
}

declare global {
  interface Window { editlabStudy: StudyPageState }
}

const state: StudyPageState = { ready: false, figures: [], views: {}, fields: {}, error: null };
window.editlabStudy = state;

const byId = (id: string) => document.getElementById(id)!;

function fail(message: string): void {
  state.error = message;
  byId('status').textContent = `Error: ${message}`;
  console.error(message);
}

/** The values a view's highlight holds, one list per tuple (for comparing views). */
function selected(view: View): unknown[] {
  return (view.data(HIGHLIGHT_STORE) as Array<{ values: unknown[] }>).map((t) => t.values);
}

/**
 * Keeps the highlight of figures that select on the same field in step: when one changes, the
 * others get its tuples. The last value applied per field stops the echo.
 */
function linkHighlights(shown: ReadonlyArray<{ field: string | null; view: View }>): void {
  const last = new Map<string, string>();
  for (const a of shown) {
    const field = a.field;
    if (!field) continue;
    a.view.addSignalListener(HIGHLIGHT, () => {
      const key = JSON.stringify(selected(a.view));
      if (last.get(field) === key) return;
      last.set(field, key);
      // Fresh tuples (no vega ids from the other view): the unit, the fields and the values.
      const tuples = (a.view.data(HIGHLIGHT_STORE) as Array<{ unit: string; fields: unknown; values: unknown[] }>).map(({ unit, fields, values }) => ({ unit, fields, values }));
      for (const b of shown) {
        if (b === a || b.field !== field || JSON.stringify(selected(b.view)) === key) continue;
        b.view.data(HIGHLIGHT_STORE, tuples.map((t) => ({ ...t })));
        void b.view.runAsync();
      }
    });
  }
}

/**
 * Works around a vega quirk: in a faceted figure the panels take up the legend's first click only
 * with the next event (vega-lite#8267). Setting the legend's signal once and back, before any
 * click, makes the first click count; a tuple this leaves behind is cleared.
 */
async function primeLegend(view: View, field: string): Promise<void> {
  const name = legendSignal(field);
  try {
    view.signal(name);
  } catch {
    return; // no legend bound
  }
  view.signal(name, '\u0000');
  await view.runAsync();
  view.signal(name, null);
  await view.runAsync();
  if (view.data(HIGHLIGHT_STORE).length) {
    view.data(HIGHLIGHT_STORE, []);
    await view.runAsync();
  }
}

async function start(): Promise<void> {
  const response = await fetch(SITE_PATHS.study);
  if (!response.ok) throw new Error(`${SITE_PATHS.study}: HTTP ${response.status}`);
  const manifest = (await response.json()) as StudyManifest;
  const list = (xs: readonly (string | number)[]) => xs.join(', ');
  byId('summary').textContent = `Study ${manifest.study}: ${manifest.jobs.done} of ${manifest.jobs.total} jobs done, ${manifest.cells.toLocaleString('en')} cells; ` +
    `models ${list(manifest.models)}; tasks ${list(manifest.tasks)}; methods ${list(manifest.methods)}; α ${list(manifest.alphas)}. ` +
    `Penalty intervals from ${manifest.samples} bootstrap resamples.`;
  if (manifest.explorer) {
    const link = byId('explorer-link');
    link.querySelector('a')!.href = manifest.explorer;
    link.hidden = false;
  }
  const container = byId('figures');
  const shown: Array<{ field: string | null; view: View }> = [];
  for (const figure of manifest.figures) {
    const section = document.createElement('section');
    section.className = 'figure';
    section.id = `figure-${figure.name}`;
    const heading = document.createElement('h3');
    heading.textContent = `Figure ${figure.number}`;
    const caption = document.createElement('p');
    caption.className = 'note';
    caption.textContent = figure.caption;
    const chart = document.createElement('div');
    chart.className = 'chart';
    chart.setAttribute('role', 'img');
    chart.setAttribute('aria-label', `Figure ${figure.number}: ${figure.caption}`);
    section.append(heading, caption, chart);
    container.append(section);
    const { view } = await embed(chart, figure.spec as unknown as VisualizationSpec, { renderer: 'svg', actions: false });
    if (figure.field) await primeLegend(view, figure.field);
    state.views[figure.name] = view;
    state.fields[figure.name] = figure.field;
    state.figures.push(figure.name);
    shown.push({ field: figure.field, view });
  }
  linkHighlights(shown);
  byId('status').textContent = manifest.figures.length ? '' : 'The study has no figures to show yet.';
  state.ready = true;
}

start().catch((e) => fail((e as Error).message ?? String(e)));
