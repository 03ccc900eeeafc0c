/**
 * The explorer page: an α slider over an edit, the accuracy of every image set at that α with
 * its 95% interval (table and chart), accuracy along α, and the predictions that flipped. The
 * model runs in a worker (worker.ts); this thread draws. `window.editlabExplorer` exposes the
 * state for tests and for the curious: the α shown, the rows, and the last update's duration.
 */
import { unpackSets, type ExploreManifest, type NamedSet } from '../format';
import { accuracyAlongAlphaSpec, accuracyAtAlphaSpec, currentRows, LiveChart } from './charts';
import { drawFlips, FLIPS_SHOWN } from './flip-grid';
import { PredictionCache } from './prediction-cache';
import { percent, setResults, type SetResult } from './results';
import type { FromWorker, ToWorker } from './protocol';
import type { EvaluatorPart } from '../parts';

/** What the page exposes on `window.editlabExplorer`. */
export interface ExplorerState {
  /** True once the model is loaded and the first α is drawn. */
  ready: boolean;
  /** The α whose results are on screen. */
  alpha: number | null;
  /** The rows on screen (flip lists left out). */
  rows: object[];
  /** Milliseconds from the slider's input event to redrawn charts, of the last update. */
  lastUpdateMs: number | null;
  /** Milliseconds from the first part of the last slider α sent to its whole prediction (model only, no drawing). */
  lastComputeMs: number | null;
  /** Whether the α on screen was already computed when the slider reached it (then only drawing). */
  lastWasCached: boolean | null;
  /** Compute workers that have loaded the model and take parts. */
  workers: number;
  /** From page start to the model loaded and the first α drawn. */
  loadMs: number | null;
  /** Whether the background α grid is done and nothing is computing. */
  idle: boolean;
  /** The model's cut (activations cached before it), or null. */
  cut: string | null;
  error: string | null;
}

declare global {
  interface Window { editlabExplorer: ExplorerState }
}

const state: ExplorerState = { ready: false, alpha: null, rows: [], lastUpdateMs: null, lastComputeMs: null, lastWasCached: null, workers: 0, loadMs: null, idle: false, cut: null, error: null };
window.editlabExplorer = state;

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => { byId('status').textContent = text; };

/** α rounded to the slider's step, so cache keys match however the value was reached. */
const roundAlpha = (x: number) => Math.round(x * 1000) / 1000;

function fail(message: string): void {
  state.error = message;
  status(`Error: ${message}`);
  console.error(message);
}

/** Writes the table of results beside the chart: numbers as text, one row per set. */
function drawTable(results: readonly SetResult[]): void {
  const body = byId<HTMLTableSectionElement>('accuracy-rows');
  body.replaceChildren(...results.map((r) => {
    const row = document.createElement('tr');
    row.dataset.set = r.set;
    row.dataset.correct = String(r.correct);
    row.dataset.n = String(r.n);
    const cells = [r.set, String(r.n), percent(r.accuracy), `${percent(r.ci_lo)}–${percent(r.ci_hi)}`, percent(r.original), String(r.fixed.length), String(r.broken.length)];
    row.replaceChildren(...cells.map((text, i) => {
      const cell = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) cell.scope = 'row';
      if (i === 2) cell.className = 'accuracy';
      cell.textContent = text;
      return cell;
    }));
    return row;
  }));
}

async function start(): Promise<void> {
  const started = performance.now();
  let shown: { alpha: number; predicted: Int32Array[]; results: SetResult[] } | undefined;
  // Two workers, one per core here, loading side by side: each holds every other batch of images
  // (its share) and computes those batches of each α (the slider's first, then every position in
  // the background), one batch a part, so that a slider move waits for at most one batch of
  // background work on each worker.
  status('Loading the model, the edit and the images…');
  const workers = Array.from({ length: WORKERS }, () => startWorker());
  // Made once the workers say how many batches the images form (messages come only after).
  let cache!: PredictionCache;
  const receive = (worker: Worker, message: Extract<FromWorker, { type: 'predictions' }>) => cache.receive(worker, message);
  const [init] = await Promise.all(workers.map((worker, index) => workerReady(worker, { index, count: WORKERS }, receive)));
  // A background α redraws the path chart; the α a show waits for is drawn by that show.
  let awaited: number | undefined;
  cache = new PredictionCache(Math.max(WORKERS, init.batches), WORKERS, (alpha) => { if (alpha !== awaited) void redrawPath(); });
  workers.forEach((worker, index) => cache.attach(worker, index));
  state.workers = WORKERS;
  const manifest: ExploreManifest = init.manifest;
  const sets: NamedSet[] = unpackSets(manifest, init.images, init.labels);
  state.cut = init.cut;
  describe(manifest);

  const names = manifest.sets.map((s) => s.name);
  const [currentChart, pathChart] = await Promise.all([
    LiveChart.create(byId('chart-current'), accuracyAtAlphaSpec(names)),
    LiveChart.create(byId('chart-path'), accuracyAlongAlphaSpec(names, manifest.alpha.max)),
  ]);
  const original = (await cache.get(0))!;
  const slider = byId<HTMLInputElement>('alpha');
  const flipSet = byId<HTMLSelectElement>('flip-set');
  flipSet.replaceChildren(...names.map((name) => new Option(name, name)));

  async function redrawPath(): Promise<void> {
    if (!shown) return;
    const rows = cache.entries().flatMap(([alpha, predicted]) => setResults(sets, alpha, predicted, original).map((r) => ({ set: r.set, alpha, accuracy: r.accuracy })));
    await pathChart.update({ path: rows, cursor: [{ alpha: shown.alpha }] });
    state.idle = cache.idle;
  }
  function redrawFlips(): void {
    if (!shown) return;
    const index = Math.max(0, names.indexOf(flipSet.value));
    const result = shown.results[index];
    const set = sets[index].set;
    byId('fixed-heading').textContent = `Fixed: ${result.fixed.length} of ${result.n} (wrong at α = 0, right at α = ${shown.alpha})${result.fixed.length > FLIPS_SHOWN ? `, first ${FLIPS_SHOWN} shown` : ''}`;
    byId('broken-heading').textContent = `Broken: ${result.broken.length} of ${result.n} (right at α = 0, wrong at α = ${shown.alpha})${result.broken.length > FLIPS_SHOWN ? `, first ${FLIPS_SHOWN} shown` : ''}`;
    drawFlips(byId('fixed'), set, result.fixed, original[index], shown.predicted[index]);
    drawFlips(byId('broken'), set, result.broken, original[index], shown.predicted[index]);
  }
  /** Shows α: predictions (cached or computed), then the table, both charts and the grid; the background waits meanwhile. */
  async function show(alpha: number, since: number): Promise<void> {
    const release = cache.holdBackground();
    try {
      await draw(alpha, since);
    } finally {
      release();
    }
  }
  async function draw(alpha: number, since: number): Promise<void> {
    const cached = cache.has(alpha);
    awaited = alpha;
    const predicted = await cache.get(alpha);
    if (!predicted || roundAlpha(Number(slider.value)) !== alpha) return; // the slider moved on
    const results = setResults(sets, alpha, predicted, original);
    shown = { alpha, predicted, results };
    byId('alpha-value').textContent = alpha.toFixed(2);
    drawTable(results);
    await Promise.all([currentChart.update({ current: currentRows(results) }), redrawPath()]);
    redrawFlips();
    state.alpha = alpha;
    state.rows = currentRows(results);
    state.lastUpdateMs = performance.now() - since;
    state.lastComputeMs = cache.lastComputeMs;
    state.lastWasCached = cached;
    status(`α = ${alpha}: updated in ${Math.round(state.lastUpdateMs)} ms.`);
  }

  Object.assign(slider, { min: String(manifest.alpha.min), max: String(manifest.alpha.max), step: String(manifest.alpha.step), value: String(manifest.alpha.start), disabled: false });
  slider.addEventListener('input', () => { void show(roundAlpha(Number(slider.value)), performance.now()).catch((e) => fail((e as Error).message)); });
  flipSet.addEventListener('change', redrawFlips);
  await show(roundAlpha(manifest.alpha.start), performance.now());
  state.loadMs = performance.now() - started;
  state.ready = true;
  status(`Ready in ${(state.loadMs / 1000).toFixed(1)} s (backend ${init.backend}${init.cut ? `, activations cached ${init.linear ? `at ${init.cut}, linear in α` : `up to ${init.cut}`}` : ''}). Computing the other slider positions in the background…`);
  // Every slider position, nearest to the start first: once computed, a move costs only drawing.
  // The slider's own position is always computed before the rest.
  const { min, max, step, start: first } = manifest.alpha;
  const positions = Array.from({ length: Math.round((max - min) / step) + 1 }, (_, i) => roundAlpha(min + step * i));
  cache.fill(positions.sort((a, b) => Math.abs(a - first) - Math.abs(b - first)));
  state.idle = cache.idle;
}

/** Compute workers (one per core here). */
const WORKERS = 2;

/** A compute worker (worker.js beside the page). */
function startWorker(): Worker {
  const worker = new Worker(new URL('worker.js', document.baseURI));
  worker.onerror = (event) => fail(event.message || 'a compute worker failed to start');
  return worker;
}

/** Loads the model, the edit and the images in `worker`, holding its `share` of the batches; its predictions go to `receive`. */
function workerReady(worker: Worker, share: EvaluatorPart, receive: (worker: Worker, message: Extract<FromWorker, { type: 'predictions' }>) => void): Promise<Extract<FromWorker, { type: 'ready' }>> {
  return new Promise((resolve) => {
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      if (message.type === 'ready') resolve(message);
      else if (message.type === 'predictions') receive(worker, message);
      else fail(message.message);
    };
    worker.postMessage({ type: 'init', base: document.baseURI, share } satisfies ToWorker);
  });
}

/** The header: what is being explored. */
function describe(manifest: ExploreManifest): void {
  const e = manifest.edit;
  byId('summary').textContent = `${e.method} on ${e.layers.join(', ')} of ${manifest.model}` +
    `${e.task ? `, task ${e.task}` : ''}: ${e.changed_params.toLocaleString('en')} parameters changed (${(100 * e.changed_fraction).toFixed(1)}%). ` +
    `${manifest.sets.length} image sets, ${manifest.sets.reduce((n, s) => n + s.n, 0).toLocaleString('en')} images.`;
  if (manifest.study) {
    // --study served too: its figures on their own page.
    const link = document.createElement('p');
    link.id = 'study-link';
    const anchor = document.createElement('a');
    anchor.href = manifest.study;
    anchor.textContent = 'The study\'s figures';
    link.append(anchor);
    byId('summary').after(link);
  }
  byId('set-notes').replaceChildren(...manifest.sets.map((s) => {
    const item = document.createElement('li');
    item.textContent = `${s.name} (${s.n}): ${s.description}`;
    return item;
  }));
}

start().catch((e) => fail((e as Error).message ?? String(e)));
