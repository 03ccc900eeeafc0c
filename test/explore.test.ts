/**
 * `editlab explore`: inputs refused before the server starts, the server's confinement, the
 * static export, the α evaluator against the library's sweep, and the page itself in headless
 * Chromium (Debian's, through puppeteer-core): three slider positions whose displayed accuracies
 * must equal Node's `sweepAlpha` on the same images, no console errors, a screenshot
 * (out/explore-test/explorer.png) and the page's own timings, printed. The study view
 * (`--study`): folders without results refused before serving; a tiny study's figures 1–4 in
 * Chromium, a legend click that highlights a layer in both figures coloured by layer, and a
 * screenshot (out/explore-test/study.png).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { tf, useBackend } from '../src/engine/backend';
import { setOnnxConvKernels } from '../src/engine/onnx';
import { resolveModel } from '../src/models/embedded';
import { edit, loadEdit, protocolSets, saveEdit, type EditProtocol } from '../src/edits';
import { sweepAlpha } from '../src/sweep/interpolate';
import { accuracy } from '../src/metrics/accuracy';
import { main } from '../src/cli/main';
import { openStudyStore, planStudy, runStudy, validateStudySpec, writeStudySpec, type StudySpecInput } from '../src/study';
import { studyFigures } from '../src/reproduce/study';
import {
  AlphaEvaluator, mergeParts, NOT_PREDICTED, buildExplorerSite, buildStudySite, combineSites, exportExplorerSite, sitePath, startExplorerServer, unpackSets, SITE_PATHS, HIGHLIGHT, FADED_OPACITY,
  type ExplorerServer, type ExplorerSite, type NamedSet, type ExploreManifest,
} from '../src/explore';

const ROOT = path.resolve(__dirname, '..');
const SHOT_DIR = path.join(ROOT, 'out', 'explore-test');
const IMAGES = 100; // per set: 10 sets, 1 000 images, as the default
let tmp: string;
let editDir: string;
let site: ExplorerSite;

/** A real local-ft edit of vgg-small on the snow task, saved as `editlab edit` saves it (short: 12 steps). */
async function makeEdit(folder: string): Promise<void> {
  const protocol: EditProtocol = { task: 'snow-background', seed: 0, exemplars: 64, test_size: 1000, clean_size: 1000 };
  const model = (await resolveModel('vgg-small')).model;
  const result = await edit(model, protocolSets(protocol).editSet, 'local-ft', { layer: 'block2_conv2', steps: 12, learningRate: 0.003, seed: 0 });
  saveEdit(result, folder);
  fs.writeFileSync(path.join(folder, 'metrics.json'), JSON.stringify({ method: 'local-ft', model: 'vgg-small', task: protocol.task, protocol: { ...protocol, layer: 'block2_conv2' } }));
  result.dispose();
  model.dispose();
}

/** The site's image sets, decoded from the very bytes the server sends. */
function siteSets(s: ExplorerSite): NamedSet[] {
  const bytes = (name: string) => (s.files.get(name) as { bytes: Uint8Array }).bytes;
  const images = bytes(SITE_PATHS.images);
  const labels = bytes(SITE_PATHS.labels);
  return unpackSets(s.manifest, new Float32Array(images.buffer, images.byteOffset, images.byteLength / 4), new Int32Array(labels.buffer, labels.byteOffset, labels.byteLength / 4));
}

/** A GET with the path sent exactly as written (no client-side normalisation of `..`). */
function rawGet(url: string, requestPath: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: hostname, port, path: requestPath, method: 'GET' }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end();
  });
}

before(async () => {
  await useBackend('wasm');
  // The page is built from the current sources (npm run build does the same).
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-explorer.mjs')], { stdio: 'inherit' });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-explore-'));
  editDir = path.join(tmp, 'edit');
  await makeEdit(editDir);
  site = await buildExplorerSite({ edit: editDir, images: IMAGES });
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});


/** Headless Chromium on `url` (1200×900), collecting console errors and warnings, page errors and failed requests. */
async function openPage(puppeteer: typeof import('puppeteer-core').default, chromium: string, url: string) {
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  const problems: string[] = [];
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warn') problems.push(`console.${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()}`));
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(url);
  return { browser, page, problems };
}

test('explore refuses a missing or foreign edit folder and an edit made for another model, before serving', async () => {
  await assert.rejects(buildExplorerSite({ edit: path.join(tmp, 'nowhere') }), /--edit .*nowhere does not exist; make an edit with `editlab edit/);
  const foreign = path.join(tmp, 'foreign');
  fs.mkdirSync(foreign);
  fs.writeFileSync(path.join(foreign, 'notes.txt'), 'not an edit');
  await assert.rejects(buildExplorerSite({ edit: foreign }), /is not an edit folder \(expected edit.json and deltas.bin/);
  fs.writeFileSync(path.join(foreign, 'edit.json'), '{"format": "something-else"}');
  fs.writeFileSync(path.join(foreign, 'deltas.bin'), '');
  await assert.rejects(buildExplorerSite({ edit: foreign, model: 'vgg-small' }), /is not an editlab edit/);
  await assert.rejects(buildExplorerSite({ edit: editDir, model: 'resnet-small' }), /cannot be applied to --model resnet-small: .*does not fit model.*It was made with --model vgg-small/s);
  // The command says it on stderr and exits 1 through the launcher; here: it throws before printing a URL.
  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => { printed.push(args.join(' ')); };
  try {
    await assert.rejects(main(['explore', '--edit', foreign, '--quiet']), /not an editlab edit/);
  } finally {
    console.log = log;
  }
  assert.deepEqual(printed.filter((line) => line.startsWith('http')), []);
});

test('the server serves the site\'s files and 404s everything else, `..` and absolute paths included', async () => {
  assert.equal(sitePath('/'), 'index.html');
  assert.equal(sitePath('/model/model.json?x=1'), 'model/model.json');
  for (const bad of ['/../package.json', '/%2e%2e/package.json', '/model/../../package.json', '//etc/passwd', '/%2Fetc%2Fpasswd', '/..%5cpackage.json', '/./index.html']) {
    assert.equal(sitePath(bad), undefined, bad);
  }
  const server = await startExplorerServer(site);
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    for (const ok of ['/', '/app.js', '/worker.js', '/data/explore.json', '/model/model.json', '/model/weights.bin', '/edit/deltas.bin', '/kernels.wasm', '/wasm/tfjs-backend-wasm-simd.wasm']) {
      assert.equal(await rawGet(server.url, ok), 200, ok);
    }
    for (const bad of ['/../package.json', '/%2e%2e/package.json', '/model/../../package.json', '/edit/../../../etc/passwd', '//etc/passwd', '/%2Fetc%2Fpasswd', '/etc/passwd', '/package.json', '/src/explore/site.ts', '/edit/metrics.json', `/${editDir}/edit.json`]) {
      assert.equal(await rawGet(server.url, bad), 404, bad);
    }
  } finally {
    await server.close();
  }
});

test('--export writes the same files as a static site', () => {
  const out = path.join(tmp, 'static');
  exportExplorerSite(site, out);
  for (const [name, source] of site.files) {
    const written = fs.readFileSync(path.join(out, name));
    const expected = 'file' in source ? fs.readFileSync(source.file) : Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength);
    assert.ok(written.equals(expected), name);
  }
  assert.ok(fs.existsSync(path.join(out, 'index.html')));
});

test('the α evaluator (cached activations, suffix per α) equals sweepAlpha in Node', async () => {
  const sets = siteSets(site).slice(0, 3);
  const model = (await resolveModel('vgg-small')).model;
  const loaded = loadEdit(editDir, model);
  const tensorsBefore = tf.memory().numTensors;
  const evaluator = await AlphaEvaluator.create(loaded, sets.map((s) => s.set), { batchSize: 64 });
  // W(α) at the edited conv too, cut before it: the other way, to compare with.
  const direct = await AlphaEvaluator.create(loaded, sets.map((s) => s.set), { batchSize: 64, linearize: false });
  try {
    // block2_conv2 has no fused activation and its output is a cut point: z(α) = z₀ + α·(z₁ − z₀) there.
    assert.deepEqual([evaluator.cut, evaluator.linearLayer, direct.cut, direct.linearLayer], ['block2_conv2', 'block2_conv2', 'block2_relu1', undefined]);
    const rows = await sweepAlpha(loaded, Object.fromEntries(sets.map((s) => [s.entry.name, s.set])), { alphas: [0.4, 1.5], engine: 'tfjs' });
    for (const [k, alpha] of [0.4, 1.5].entries()) {
      const predicted = evaluator.predict(alpha);
      sets.forEach((s, i) => assert.equal(accuracy(predicted[i], s.set.labels).accuracy, rows[k * sets.length + i].accuracy, `${s.entry.name} at α ${alpha}`));
      assert.deepEqual(direct.predict(alpha), predicted, `linear in α at the edited layer or not, the same labels at α ${alpha}`);
      // Three parts (a share of the batches each) join into the whole; each leaves the others' images unset.
      const parts = [0, 1, 2].map((index) => evaluator.predict(alpha, { index, count: 3 }));
      assert.ok(parts.every((p) => p.some((labels) => labels.includes(NOT_PREDICTED))), 'every part leaves images to the others');
      assert.deepEqual(mergeParts(parts), predicted);
    }
    assert.throws(() => mergeParts([evaluator.predict(1, { index: 0, count: 2 })]), /do not cover every image/);
    // As many parts as batches (what the page asks for): one batch each, 64 or the 36 left of a set of 100.
    assert.equal(evaluator.batchCount, 6);
    const perBatch = [...Array(6).keys()].map((index) => evaluator.predict(0.4, { index, count: 6 }));
    assert.deepEqual(perBatch.map((p) => p.reduce((n, labels) => n + labels.filter((l) => l !== NOT_PREDICTED).length, 0)), [64, 36, 64, 36, 64, 36]);
    assert.deepEqual(mergeParts(perBatch), evaluator.predict(0.4));
    // Two evaluators holding every other batch each (the page's two workers): their parts join into the whole.
    const shared = await Promise.all([0, 1].map((index) => AlphaEvaluator.create(loaded, sets.map((s) => s.set), { batchSize: 64, share: { index, count: 2 } })));
    try {
      const own = [...Array(6).keys()].map((index) => shared[index % 2].predict(0.4, { index, count: 6 }));
      assert.deepEqual(mergeParts(own), evaluator.predict(0.4));
      assert.throws(() => shared[0].predict(0.4, { index: 1, count: 6 }), /batch 1 is outside this evaluator's share/);
    } finally {
      for (const e of shared) e.dispose();
    }
  } finally {
    evaluator.dispose();
    direct.dispose();
    // The copy's weights go with it (the suffix holds a reference to its layers).
    assert.equal(tf.memory().numTensors, tensorsBefore, 'the evaluator frees its copy and activations');
    loaded.dispose();
    model.dispose();
  }
});

/** Moves the page's α slider to `alpha` and waits until the page shows it; the update's timings. */
async function moveSlider(page: import('puppeteer-core').Page, alpha: number): Promise<{ update: number; compute: number }> {
  await page.evaluate((a) => {
    const slider = document.getElementById('alpha') as HTMLInputElement;
    slider.value = String(a);
    slider.dispatchEvent(new Event('input', { bubbles: true }));
  }, alpha);
  await page.waitForFunction((a) => window.editlabExplorer.alpha === a, { timeout: 120_000 }, alpha);
  return page.evaluate(() => ({ update: window.editlabExplorer.lastUpdateMs!, compute: window.editlabExplorer.lastComputeMs! }));
}

/** Debian's Chromium (or $EDITLAB_CHROMIUM): the browser the page test drives. */
function findChromium(): string | undefined {
  const candidates = [process.env.EDITLAB_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
  return candidates.find((c): c is string => !!c && fs.existsSync(c));
}

test('the page in headless Chromium: accuracies at three α equal Node\'s, no console errors, a screenshot', { timeout: 600_000 }, async () => {
  const chromium = findChromium();
  assert.ok(chromium, 'No Chromium found for the explorer\'s browser test. Install Debian\'s: sudo apt-get install chromium ' +
    '(or set EDITLAB_CHROMIUM to a Chrome/Chromium binary).');
  const puppeteer = (await import('puppeteer-core')).default;
  const sets = siteSets(site);
  const alphas = [0.35, 0.6, 1.25];
  const model = (await resolveModel('vgg-small')).model;
  const loaded = loadEdit(editDir, model);
  const rows = await sweepAlpha(loaded, Object.fromEntries(sets.map((s) => [s.entry.name, s.set])), { alphas, engine: 'tfjs' });
  loaded.dispose();
  model.dispose();

  const server: ExplorerServer = await startExplorerServer(site);
  const { browser, page, problems } = await openPage(puppeteer, chromium, server.url);
  try {
    await page.waitForFunction(() => window.editlabExplorer?.ready || window.editlabExplorer?.error, { timeout: 300_000 });
    const loadMs = await page.evaluate(() => window.editlabExplorer.loadMs);
    assert.equal(await page.evaluate(() => window.editlabExplorer.error), null);
    assert.equal(await page.evaluate(() => window.editlabExplorer.workers), 2, 'both workers loaded (each holding half the batches) when the page is ready');

    const timings: string[] = [];
    const moveTo = (alpha: number) => moveSlider(page, alpha);
    // The first move right after loading and then one to a position the background has not reached
    // yet (it goes outwards from the start, 1) compute their α, in parts on both workers beside the
    // background's; the other two come after every slider position was computed: drawing only.
    const cachedNote = async () => ((await page.evaluate(() => window.editlabExplorer.lastWasCached)) ? 'already computed' : 'not yet computed');
    const fresh = await moveTo(alphas[0]);
    timings.push(`α ${alphas[0]} right after load (${await cachedNote()}): ${fresh.update.toFixed(0)} ms to redrawn charts (model ${fresh.compute.toFixed(0)} ms)`);
    const far = await moveTo(0.05);
    timings.push(`α 0.05 (${await cachedNote()}): ${far.update.toFixed(0)} ms (model ${far.compute.toFixed(0)} ms)`);
    const idleStart = Date.now();
    await page.waitForFunction(() => window.editlabExplorer.idle, { timeout: 300_000 });
    timings.push(`every slider position computed ${((Date.now() - idleStart) / 1000).toFixed(1)} s later`);
    for (const alpha of alphas.slice(1)) timings.push(`α ${alpha} (computed): ${(await moveTo(alpha)).update.toFixed(0)} ms`);

    for (const alpha of alphas) {
      await moveTo(alpha);
      const shown = await page.$$eval('#accuracy-rows tr', (trs) => trs.map((tr) => ({
        set: (tr as HTMLElement).dataset.set!, correct: Number((tr as HTMLElement).dataset.correct), n: Number((tr as HTMLElement).dataset.n),
        text: tr.querySelector('td.accuracy')!.textContent!,
      })));
      const expected = rows.filter((r) => r.alpha === alpha);
      assert.deepEqual(shown.map((s) => s.set), expected.map((r) => r.split), `sets at α ${alpha}`);
      for (const [i, r] of expected.entries()) {
        assert.equal(shown[i].correct / shown[i].n, r.accuracy, `${r.split} at α ${alpha}: page ${shown[i].correct}/${shown[i].n}, Node ${r.accuracy}`);
        assert.equal(shown[i].text, `${(100 * r.accuracy).toFixed(2)}%`);
      }
    }
    fs.mkdirSync(SHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SHOT_DIR, 'explorer.png'), fullPage: true });
    console.log(`# explorer: loaded in ${((loadMs ?? 0) / 1000).toFixed(1)} s; ${timings.join('; ')}; screenshot ${path.relative(ROOT, path.join(SHOT_DIR, 'explorer.png'))}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.close();
  }
});

test('without --edit the page runs the edit the user picks (task, method, layer, steps): accuracies equal Node\'s same edit, a screenshot', { timeout: 600_000 }, async () => {
  const chromium = findChromium();
  assert.ok(chromium, 'No Chromium found for the explorer\'s browser test. Install Debian\'s: sudo apt-get install chromium ' +
    '(or set EDITLAB_CHROMIUM to a Chrome/Chromium binary).');
  const puppeteer = (await import('puppeteer-core')).default;
  const pickSite = await buildExplorerSite({ images: 50 });
  const pick = pickSite.manifest.pick!;
  assert.equal(pickSite.manifest.edit, null);
  assert.deepEqual(pick.tasks.map((t) => t.name), ['snow-background', 'concept-style', 'digit-patching']);
  assert.deepEqual(pick.methods.map((m) => m.name).sort(), ['global-ft', 'interp', 'local-ft', 'lowrank', 'one-layer-interp', 'rewrite']);
  assert.equal(pick.methods.find((m) => m.name === 'local-ft')!.layer, 'block2_conv2', 'the protocol\'s middle layer, resolved');
  assert.ok(pickSite.files.has(SITE_PATHS.reference) && !pickSite.files.has(SITE_PATHS.editDeltas));
  // The clean sample and its shifted sets are listed once for all three tasks.
  assert.equal(new Set(pick.tasks.flatMap((t) => t.sets)).size, pick.tasks.reduce((n, t) => n + t.sets.length, 0) - 2 * 6);

  // Node: the same edit on the same exemplars with the same kernels as the page (no ONNX Runtime), then W(α) on the task's sets.
  const task = pick.tasks[0];
  const all = siteSets(pickSite);
  const sets = task.sets.map((i) => all[i]);
  const protocol: EditProtocol = { task: task.name, seed: 0, exemplars: 64, test_size: 1000, clean_size: 1000 };
  const exemplars = protocolSets(protocol).task.editSet;
  assert.deepEqual(all[task.exemplars.images].set.images, exemplars.images, 'the page gets the exemplars `editlab edit` uses');
  assert.deepEqual(all[task.exemplars.originals!].set.images, exemplars.originals, 'and their originals (rewrite maps to them)');
  // Local fine-tuning, and rewriting (its reference images fetched by the page) with its masks.
  const picks = [{ method: 'local-ft', layer: 'block3_conv1', steps: 6, lr: '0.003' }, { method: 'rewrite', layer: 'block3_conv2', steps: 3, lr: '0.003' }];
  const model = (await resolveModel('vgg-small')).model;
  const was = setOnnxConvKernels(false);
  const expected: Array<Awaited<ReturnType<typeof sweepAlpha>>> = [];
  try {
    for (const p of picks) {
      const edited = await edit(model, exemplars, p.method, { layer: p.layer, steps: p.steps, learningRate: Number(p.lr), seed: 0 });
      expected.push(await sweepAlpha(edited, Object.fromEntries(sets.map((s) => [s.entry.name, s.set])), { alphas: [0.5, 1], engine: 'tfjs' }));
      edited.dispose();
    }
  } finally {
    setOnnxConvKernels(was);
    model.dispose();
  }

  const server = await startExplorerServer(pickSite);
  const { browser, page, problems } = await openPage(puppeteer, chromium, server.url);
  try {
    const timings: string[] = [];
    for (const [k, p] of picks.entries()) {
      await page.waitForFunction(() => (document.getElementById('pick-method') as HTMLSelectElement | null)?.options.length || window.editlabExplorer?.error, { timeout: 300_000 });
      assert.equal(await page.evaluate(() => window.editlabExplorer.error), null);
      await page.select('#pick-method', p.method);
      assert.equal(await page.$eval('#pick-steps', (e) => (e as HTMLInputElement).value), String(pick.methods.find((m) => m.name === p.method)!.steps), 'the protocol\'s steps');
      await page.select('#pick-layer', p.layer);
      await page.$eval('#pick-steps', (e, steps) => { (e as HTMLInputElement).value = String(steps); }, p.steps);
      await page.$eval('#pick-lr', (e, lr) => { (e as HTMLInputElement).value = lr; }, p.lr);
      await Promise.all([page.waitForNavigation(), page.click('#pick-run')]);
      assert.ok(page.url().endsWith(`?task=snow-background&method=${p.method}&layer=${p.layer}&steps=${p.steps}&lr=${p.lr}`), page.url());
      await page.waitForFunction(() => window.editlabExplorer?.ready || window.editlabExplorer?.error, { timeout: 300_000 });
      assert.equal(await page.evaluate(() => window.editlabExplorer.error), null);
      const { loadMs, editMs } = await page.evaluate(() => ({ loadMs: window.editlabExplorer.loadMs, editMs: window.editlabExplorer.editMs }));
      timings.push(`${p.method} at ${p.layer}, ${p.steps} steps, run in ${((editMs ?? 0) / 1000).toFixed(1)} s, ready ${((loadMs ?? 0) / 1000).toFixed(1)} s after the page opened`);
      for (const alpha of [0.5, 1]) {
        await moveSlider(page, alpha);
        const shown = await page.$$eval('#accuracy-rows tr', (trs) => trs.map((tr) => ({ set: (tr as HTMLElement).dataset.set!, correct: Number((tr as HTMLElement).dataset.correct), n: Number((tr as HTMLElement).dataset.n) })));
        const rows = expected[k].filter((r) => r.alpha === alpha);
        assert.deepEqual(shown.map((r) => r.set), rows.map((r) => r.split));
        for (const [i, r] of rows.entries()) assert.equal(shown[i].correct / shown[i].n, r.accuracy, `${p.method}: ${r.split} at α ${alpha}: page ${shown[i].correct}/${shown[i].n}, Node ${r.accuracy}`);
      }
      if (k === 0) {
        fs.mkdirSync(SHOT_DIR, { recursive: true });
        await page.screenshot({ path: path.join(SHOT_DIR, 'explorer-pick.png'), fullPage: true });
      }
    }
    console.log(`# explorer, edits picked in the page: ${timings.join('; ')}; screenshot ${path.relative(ROOT, path.join(SHOT_DIR, 'explorer-pick.png'))}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.close();
  }
});

/** A tiny study (≈ 20 s): local fine-tuning of vgg-small at two layers, three α, small sets. */
const STUDY_SPEC: StudySpecInput = {
  models: ['vgg-small'],
  tasks: [{ name: 'snow-background', exemplars: 16 }],
  methods: [{ name: 'local-ft', steps: 6, learning_rate: 0.01 }],
  layers: ['middle', 'late'],
  alphas: [0, 0.5, 1],
  sets: { clean: true, corruptions: ['gaussian_noise', 'fog'], severities: [3], renditions: ['sketch'], task_splits: true, shift_images: 40 },
  images: 60,
};

/** Runs `editlab explore ARGS` in-process; resolves with what it printed on stdout when it throws. */
async function exploreRefused(args: string[], message: RegExp): Promise<void> {
  const printed: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => { printed.push(a.join(' ')); };
  try {
    await assert.rejects(main(['explore', ...args, '--quiet']), message);
  } finally {
    console.log = log;
  }
  assert.deepEqual(printed.filter((line) => line.startsWith('http')), [], 'no server started');
}

test('explore --study refuses a folder without a study, without results or without finished jobs, before serving', async () => {
  // Without --edit or --study the page runs a picked edit: its model is checked before serving too.
  await exploreRefused(['--model', 'no-such-model'], /no model "no-such-model": not an embedded model/);
  await exploreRefused(['--study', path.join(tmp, 'no-study')], /--study .*no-study does not exist; make a study with `editlab study init DIR`/);
  const empty = path.join(tmp, 'empty-study');
  fs.mkdirSync(empty);
  await exploreRefused(['--study', empty], /--study .*empty-study is not a study folder \(no study\.json\)/);
  writeStudySpec(empty, STUDY_SPEC);
  await exploreRefused(['--study', empty], /--study .*empty-study has no results yet \(no study\.duckdb\); run it with `editlab study run /);
  await openStudyStore(empty, await planStudy(validateStudySpec(STUDY_SPEC))); // the database, its jobs planned, none done
  await exploreRefused(['--study', empty], /--study .*empty-study has no finished jobs yet \(0 of 2 done\)/);
  await assert.rejects(buildStudySite({ study: empty }), /no finished jobs yet/);
});

test('explore --study: figures 1–4 in headless Chromium, a legend click highlights a layer across panels and figures, a screenshot', { timeout: 300_000 }, async () => {
  const chromium = findChromium();
  assert.ok(chromium, 'No Chromium found for the study view\'s browser test. Install Debian\'s: sudo apt-get install chromium (or set EDITLAB_CHROMIUM).');
  const studyDir = path.join(tmp, 'study');
  await runStudy(STUDY_SPEC, { dir: studyDir });
  const study = await buildStudySite({ study: studyDir, samples: 200 });
  assert.deepEqual(study.manifest.figures.map((f) => [f.number, f.name, f.field]), [
    [1, 'accuracy-vs-alpha', 'layer'], [2, 'penalty-by-method-layer', 'layer'], [3, 'accuracy-on-the-line', 'label'], [4, 'trade-off', 'method'],
  ]);
  assert.deepEqual(study.manifest.jobs, { done: 2, total: 2 });
  // The served specs are the saved ones plus the selection: reproduce's figures have none.
  const saved = await studyFigures(studyDir, { samples: 200 });
  assert.ok(!JSON.stringify(saved).includes(`"${HIGHLIGHT}"`), 'the saved figures carry no highlight');
  for (const f of study.manifest.figures) assert.deepEqual((f.spec as { data: unknown }).data, saved[f.name].data, `${f.name}: the same data`);

  // With --edit too: the explorer at index.html, linking to study.html.
  const both = combineSites(site, study);
  assert.deepEqual(both.files.get('index.html'), site.files.get('index.html'));
  const manifestBytes = (both.files.get(SITE_PATHS.manifest) as { bytes: Uint8Array }).bytes;
  assert.equal((JSON.parse(Buffer.from(manifestBytes).toString()) as ExploreManifest).study, 'study.html');
  assert.ok(both.files.has(SITE_PATHS.studyScript) && both.files.has(SITE_PATHS.study));
  // --export with --study alone: the study page is the site's index.
  const exported = path.join(tmp, 'study-static');
  exportExplorerSite(combineSites(undefined, study), exported);
  for (const name of ['index.html', 'study.html', 'study.js', 'style.css', SITE_PATHS.study]) assert.ok(fs.existsSync(path.join(exported, name)), name);
  assert.ok(!fs.existsSync(path.join(exported, 'app.js')), 'no edit explorer without --edit');

  const puppeteer = (await import('puppeteer-core')).default;
  const server = await startExplorerServer(combineSites(undefined, study));
  const { browser, page, problems } = await openPage(puppeteer, chromium, server.url);
  try {
    await page.waitForFunction(() => window.editlabStudy?.ready || window.editlabStudy?.error, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => window.editlabStudy.error), null);
    assert.equal(await page.$eval('#study-heading', (h) => h.textContent), 'Study');
    assert.deepEqual(await page.evaluate(() => window.editlabStudy.figures), ['accuracy-vs-alpha', 'penalty-by-method-layer', 'accuracy-on-the-line', 'trade-off']);
    assert.equal(await page.$$eval('#figures .chart svg.marks', (svgs) => svgs.length), 4, 'four vega-embed views');

    const highlight = (name: string) => page.evaluate((n, h) => JSON.stringify(window.editlabStudy.views[n].signal(h)), name, HIGHLIGHT);
    const faded = (name: string) => page.$$eval(`#figure-${name} svg [opacity="${FADED_OPACITY}"]`, (marks) => marks.length);
    assert.equal(await faded('accuracy-vs-alpha'), 0, 'nothing faded before a click');
    // A click on figure 1's legend entry of the late layer (the second, shallow to deep) selects
    // that layer there and in figure 2, also coloured by layer.
    const symbols = await page.$$('#figure-accuracy-vs-alpha .role-legend-symbol path');
    assert.equal(symbols.length, 2, 'figure 1: one legend entry per layer');
    const layer = await page.$$eval('#figure-accuracy-vs-alpha .role-legend-label text', (texts) => texts[1].textContent);
    await symbols[1].click();
    await page.waitForFunction((h) => JSON.stringify(window.editlabStudy.views['penalty-by-method-layer'].signal(h)) !== '{}', { timeout: 10_000 }, HIGHLIGHT);
    assert.deepEqual(JSON.parse(await highlight('accuracy-vs-alpha')).layer, [layer]);
    assert.deepEqual(JSON.parse(await highlight('penalty-by-method-layer')).layer, [layer]);
    assert.ok(await faded('accuracy-vs-alpha') > 0, 'figure 1: the other layer faded');
    assert.ok(await faded('penalty-by-method-layer') > 0, 'figure 2: the other layer faded');
    assert.deepEqual(JSON.parse(await highlight('trade-off')), {}, 'figure 4 selects methods: untouched');
    fs.mkdirSync(SHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SHOT_DIR, 'study.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
    await server.close();
  }
});
