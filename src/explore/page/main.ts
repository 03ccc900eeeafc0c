/**
 * The explorer page: an α slider over an edit (the one served, or one the user picks and a
 * worker runs), the accuracy of every image set at that α with its 95% interval (table and
 * chart), accuracy along α, and the predictions that flipped. The model runs in workers
 * (worker.ts); this thread draws. `window.editlabExplorer` exposes the
 * state for tests and for the curious: the α shown, the rows, and the last update's duration.
 */
import { unpackSets, type ExploreManifest, type NamedSet } from '../format';
import { accuracyAlongAlphaSpec, accuracyAtAlphaSpec, currentRows, LiveChart } from './charts';
import { drawFlips, FLIPS_SHOWN } from './flip-grid';
import { PredictionCache } from './prediction-cache';
import { percent, setResults, type SetResult } from './results';
import type { EditRequest, EvaluatorInfo, FromWorker, ToWorker } from './protocol';

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
  /** From page start to the model loaded and the first α drawn (with a picked edit: after it ran). */
  loadMs: number | null;
  /** Milliseconds the picked edit took to run in the worker (null: the edit was served). */
  editMs: number | null;
  /** Whether the background α grid is done and nothing is computing. */
  idle: boolean;
  /** The model's cut (activations cached before it), or null. */
  cut: string | null;
  error: string | null;
}

declare global {
  interface Window { editlabExplorer: ExplorerState }
}

const state: ExplorerState = { ready: false, alpha: null, rows: [], lastUpdateMs: null, lastComputeMs: null, lastWasCached: null, workers: 0, loadMs: null, editMs: null, idle: false, cut: null, error: null };
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
  // Two workers, one per core here, loading side by side: each holds every other batch of images
  // (its share) and computes those batches of each α (the slider's first, then every position in
  // the background), one batch a part, so that a slider move waits for at most one batch of
  // background work on each worker.
  status('Loading the model and the images…');
  const links = Array.from({ length: WORKERS }, () => new WorkerLink(startWorker()));
  const readies = await Promise.all(links.map((link, index) => link.request({ type: 'init', base: document.baseURI, share: { index, count: WORKERS } }, 'ready')));
  const init = readies[0];
  const manifest: ExploreManifest = init.manifest;
  const all = unpackSets(manifest, init.images, init.labels);
  if (manifest.edit) {
    describe(manifest, all);
    await explore(links, all, init.evaluator!, started, init.backend);
    return;
  }
  // No edit served: the user picks one and the first worker runs it.
  const form = pickForm(manifest);
  const request = requestFromUrl(manifest);
  if (!request) {
    byId('summary').textContent = `No edit yet: pick one of ${manifest.model} below; this page runs it, then lets you interpolate.`;
    status('Pick a task, a method and a layer, then run the edit.');
    return;
  }
  form.fill(request);
  const task = manifest.pick!.tasks[request.task];
  const sets = task.sets.map((i) => all[i]);
  byId('summary').textContent = `Running ${request.method} on ${request.layer} of ${manifest.model}, task ${task.name} (${request.steps} steps, learning rate ${request.learningRate})…`;
  links[0].onProgress = (p) => status(`Editing: step ${p.step} of ${p.total}, loss ${p.loss.toPrecision(3)}.`);
  const edited = await links[0].request({ type: 'edit', request }, 'edited');
  state.editMs = edited.ms;
  status(`Edited in ${(edited.ms / 1000).toFixed(1)} s; evaluating…`);
  const evaluating = await Promise.all(links.map((link) => link.request({ type: 'use-edit', task: request.task, json: edited.json, deltas: edited.deltas }, 'evaluating')));
  const info = JSON.parse(edited.json) as { method: string; changes: { layer: string }[] };
  describe(manifest, sets, `${info.method} on ${[...new Set(info.changes.map((c) => c.layer))].join(', ')} of ${manifest.model}, task ${task.name}, edited here in ${(edited.ms / 1000).toFixed(1)} s (${request.steps} steps, learning rate ${request.learningRate}).`);
  await explore(links, sets, evaluating[0].evaluator, started, init.backend);
}

/** The slider over one edit's predictions on `sets`, computed by the workers' evaluators. */
async function explore(links: WorkerLink[], sets: NamedSet[], evaluator: EvaluatorInfo, started: number, backend: string): Promise<void> {
  let shown: { alpha: number; predicted: Int32Array[]; results: SetResult[] } | undefined;
  // A background α redraws the path chart; the α a show waits for is drawn by that show.
  let awaited: number | undefined;
  const cache = new PredictionCache(Math.max(WORKERS, evaluator.batches), WORKERS, (alpha) => { if (alpha !== awaited) void redrawPath(); });
  links.forEach((link, index) => {
    link.onPredictions = (message) => cache.receive(link.worker, message);
    cache.attach(link.worker, index);
  });
  state.workers = WORKERS;
  state.cut = evaluator.cut;
  const manifest = links[0].manifest!;

  const names = sets.map((s) => s.entry.name);
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
  status(`Ready in ${(state.loadMs / 1000).toFixed(1)} s (backend ${backend}${evaluator.cut ? `, activations cached ${evaluator.linear ? `at ${evaluator.cut}, linear in α` : `up to ${evaluator.cut}`}` : ''}). Computing the other slider positions in the background…`);
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

type Answer<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

/** A worker's messages: one request at a time answered by a message of a named type; predictions and progress to their handlers. */
class WorkerLink {
  private waiting: { type: FromWorker['type']; resolve: (message: FromWorker) => void } | undefined;
  onPredictions: (message: Answer<'predictions'>) => void = () => {};
  onProgress: (message: Answer<'progress'>) => void = () => {};
  /** The manifest, once the worker is ready. */
  manifest: ExploreManifest | undefined;

  constructor(readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<FromWorker>) => {
      const message = event.data;
      if (message.type === 'predictions') this.onPredictions(message);
      else if (message.type === 'progress') this.onProgress(message);
      else if (message.type === 'error') fail(message.message);
      else if (this.waiting?.type === message.type) {
        const { resolve } = this.waiting;
        this.waiting = undefined;
        if (message.type === 'ready') this.manifest = message.manifest;
        resolve(message);
      } else fail(`editlab explore: unexpected "${message.type}" from a worker.`);
    };
  }

  /** Posts `message` and resolves with the worker's next message of type `answer`. */
  request<T extends FromWorker['type']>(message: ToWorker, answer: T): Promise<Answer<T>> {
    return new Promise((resolve) => {
      this.waiting = { type: answer, resolve: resolve as (message: FromWorker) => void };
      this.worker.postMessage(message);
    });
  }
}

/** The edit asked for in the page's URL (?task=…&method=…&layer=…&steps=…&lr=…), checked against the pick lists; undefined when none. */
function requestFromUrl(manifest: ExploreManifest): EditRequest | undefined {
  const q = new URLSearchParams(location.search);
  const pick = manifest.pick!;
  if (!q.has('method')) return undefined;
  const task = pick.tasks.findIndex((t) => t.name === q.get('task'));
  const method = pick.methods.find((m) => m.name === q.get('method'));
  if (task < 0 || !method) {
    fail(`unknown task "${q.get('task')}" or method "${q.get('method')}"; pick them from the lists.`);
    return undefined;
  }
  const layer = q.get('layer') ?? method.layer;
  if (method.layers.length && !method.layers.includes(layer)) {
    fail(`${method.name} cannot edit layer "${layer}"; it can edit ${method.layers.join(', ')}.`);
    return undefined;
  }
  const steps = Number(q.get('steps') ?? method.steps);
  const learningRate = Number(q.get('lr') ?? method.learning_rate);
  if (!(Number.isInteger(steps) && steps >= 1 && steps <= 10_000) || !(learningRate > 0 && learningRate < 10)) {
    fail(`steps must be an integer from 1 to 10 000 and the learning rate a number between 0 and 10; got ${q.get('steps')} and ${q.get('lr')}.`);
    return undefined;
  }
  return { task, method: method.name, layer: method.layers.length ? layer : method.layer, steps, learningRate };
}

/**
 * The form that picks an edit (shown without `--edit`): task, method, layer (the method's
 * editable ones, its protocol's preselected), steps and learning rate (the protocol's). Running it
 * reloads the page with the choice in its URL, so each load explores one edit and a link to it can be shared.
 */
function pickForm(manifest: ExploreManifest): { fill(request: EditRequest): void } {
  const pick = manifest.pick!;
  const form = byId<HTMLFormElement>('pick');
  form.hidden = false;
  const task = byId<HTMLSelectElement>('pick-task');
  const method = byId<HTMLSelectElement>('pick-method');
  const layer = byId<HTMLSelectElement>('pick-layer');
  const steps = byId<HTMLInputElement>('pick-steps');
  const rate = byId<HTMLInputElement>('pick-lr');
  task.replaceChildren(...pick.tasks.map((t) => new Option(t.name, t.name)));
  method.replaceChildren(...pick.methods.map((m) => new Option(m.name, m.name)));
  const describeChoice = () => {
    byId('pick-task-note').textContent = pick.tasks[task.selectedIndex].description;
    byId('pick-method-note').textContent = pick.methods[method.selectedIndex].description;
  };
  const methodChanged = () => {
    const m = pick.methods[method.selectedIndex];
    layer.replaceChildren(...(m.layers.length ? m.layers : [m.layer]).map((name) => new Option(name + (name === m.layer ? ' (protocol)' : ''), name)));
    layer.value = m.layer;
    layer.disabled = !m.layers.length;
    steps.value = String(m.steps);
    rate.value = String(m.learning_rate);
    describeChoice();
  };
  method.addEventListener('change', methodChanged);
  task.addEventListener('change', describeChoice);
  methodChanged();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams({ task: task.value, method: method.value, layer: layer.value, steps: steps.value, lr: rate.value });
    location.search = q.toString();
  });
  return {
    fill(request) {
      task.selectedIndex = request.task;
      method.value = request.method;
      methodChanged();
      layer.value = request.layer;
      steps.value = String(request.steps);
      rate.value = String(request.learningRate);
    },
  };
}

/** The header: what is being explored, and the sets' notes. */
function describe(manifest: ExploreManifest, sets: NamedSet[], header?: string): void {
  const e = manifest.edit;
  const what = header ?? (e ? `${e.method} on ${e.layers.join(', ')} of ${manifest.model}` +
    `${e.task ? `, task ${e.task}` : ''}: ${e.changed_params.toLocaleString('en')} parameters changed (${(100 * e.changed_fraction).toFixed(1)}%).` : '');
  byId('summary').textContent = `${what} ${sets.length} image sets, ${sets.reduce((n, s) => n + s.set.n, 0).toLocaleString('en')} images.`;
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
  byId('set-notes').replaceChildren(...sets.map(({ entry: s }) => {
    const item = document.createElement('li');
    item.textContent = `${s.name} (${s.n}): ${s.description}`;
    return item;
  }));
}

start().catch((e) => fail((e as Error).message ?? String(e)));
