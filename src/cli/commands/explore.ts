import * as path from 'node:path';
import { imagesOptions, parseBackend, parseImages, parseInteger, stderrOf, type Command } from '../command';

/** Validates --severity for the shift families: one integer 1–5. */
function parseSeverity(value: unknown): number {
  const severity = parseInteger(value, 'severity', 3);
  if (severity < 1 || severity > 5) throw new Error(`explore: --severity must be an integer from 1 to 5, got "${String(value)}".`);
  return severity;
}

/** Validates --port: 0 (any free port) to 65535. */
function parsePort(value: unknown): number {
  const port = parseInteger(value, 'port', 0);
  if (port > 65535) throw new Error(`explore: --port must be 0–65535, got "${String(value)}".`);
  return port;
}

export const exploreCommand: Command = {
  name: 'explore',
  summary: 'explore an edit along α in the browser (accuracy with intervals per task split and shift family, flipped predictions), or a study\'s figures',
  usage: `editlab explore [--edit DIR] [--model NAME|PATH] [--images N] [--severity S] [--seed N]
                       [--host HOST] [--port PORT] [--alpha A] [--quiet]
       editlab explore --study DIR [--samples N] [--edit DIR ...] [--host HOST] [--port PORT]
       editlab explore --edit DIR|--study DIR ... --export OUT

  Starts a local web server (loopback, 127.0.0.1, unless --host; --port 0, the default, picks a
  free port), prints the page's URL and serves until interrupted (Ctrl-C). The page loads the
  model and the edit (a folder written by \`editlab edit --out DIR\`; --model defaults to the
  edit's own, and an edit made for another model is refused before the server starts) and runs
  them in the browser on tfjs's WebAssembly backend with editlab's kernels: an α slider from 0
  (the original) to 1.5 (1 = the edit), and at each α the accuracy with its 95% Clopper–Pearson
  interval on the edit task's held-out splits, the clean test sample and the clean sample under
  each shift family (ImageNet-C's noise, blur, weather and digital groups at --severity S,
  default 3, each image under one member of its family in turn; the renditions), as charts and
  as a table, and the images whose prediction the edit fixed or broke relative to α = 0.
  Without --edit (and without --study) the page lets the user pick a task (every registered
  one), a method (every one, with its protocol's steps and learning rate, which the page lets
  the user change) and a layer, and runs that edit itself, in its compute worker, with the
  library's own edit code on the exemplars \`editlab edit\` would use (--seed N draws them;
  --model, default vgg-small, must read 28×28×1 images); then the same slider.
  --images N: images per set (default 100; the slider's cost grows with it). --alpha: where the
  slider starts (default 1). --export OUT writes the same page as a static site into OUT
  (serve it with any static file server; browsers do not run it from file://) and exits.
  --study DIR: the study's figures 1–4 (those \`editlab reproduce\` saves), interactive: values on
  hover; a click on a legend entry or a mark highlights that method or layer in every panel. A
  folder without study.json, study.duckdb or a finished job is refused before the server starts.
  --samples N: bootstrap resamples of the penalties' intervals (default 200). With --edit too,
  the edit's page links to the study's (study.html).`,
  options: {
    edit: { type: 'string' }, model: { type: 'string' }, ...imagesOptions(), severity: { type: 'string' }, seed: { type: 'string' },
    host: { type: 'string' }, port: { type: 'string' }, alpha: { type: 'string' }, export: { type: 'string' }, backend: { type: 'string' },
    study: { type: 'string' }, samples: { type: 'string' },
  },
  async run(v) {
    const editDir = typeof v.edit === 'string' ? v.edit : undefined;
    const studyDir = typeof v.study === 'string' ? v.study : undefined;
    const alphaStart = v.alpha === undefined ? 1 : Number(v.alpha);
    if (typeof v.alpha === 'string' && (v.alpha.trim() === '' || !(alphaStart >= 0 && alphaStart <= 1.5))) throw new Error(`explore: --alpha must be a number from 0 to 1.5, got "${v.alpha}".`);
    const samples = parseInteger(v.samples, 'samples', 200);
    if (samples < 1) throw new Error(`explore: --samples must be an integer ≥ 1, got "${String(v.samples)}".`);
    const port = parsePort(v.port);
    const stderr = stderrOf(v);
    const { buildExplorerSite, buildStudySite, checkStudyFolder, combineSites, exportExplorerSite, startExplorerServer } = await import('../../explore');
    // A study folder without results is refused before anything slow starts.
    if (studyDir) await checkStudyFolder(studyDir);
    let editSite: Awaited<ReturnType<typeof buildExplorerSite>> | undefined;
    // With neither --edit nor --study: the page runs an edit the user picks.
    if (editDir || !studyDir) {
      const { useBackend } = await import('../../engine/backend');
      await useBackend(parseBackend(v.backend));
      stderr.log(editDir ? `explore: preparing the model, the edit and the image sets…` : 'explore: preparing the model, every task\'s exemplars and the image sets…');
      editSite = await buildExplorerSite({
        edit: editDir, model: typeof v.model === 'string' ? v.model : undefined, images: parseImages(v, [], 100) || 100,
        severity: parseSeverity(v.severity), seed: parseInteger(v.seed, 'seed', 0), alphaStart,
      });
      const { edit, pick, model, sets } = editSite.manifest;
      const shown = sets.filter((s) => s.group !== 'exemplars');
      const what = edit ? `${edit.method} on ${edit.layers.join(', ')}` : `an edit picked in the page (tasks ${pick!.tasks.map((t) => t.name).join(', ')}; methods ${pick!.methods.map((m) => m.name).join(', ')})`;
      stderr.log(`explore: ${what}, model ${model}; ${shown.length} sets (${shown.map((s) => s.name).join(', ')}), ${shown.reduce((n, s) => n + s.n, 0)} images`);
    }
    let studySite: Awaited<ReturnType<typeof buildStudySite>> | undefined;
    if (studyDir) {
      stderr.log(`explore: the study's figures (penalty intervals from ${samples} bootstrap resamples)…`);
      studySite = await buildStudySite({ study: studyDir, samples, explorer: !!editSite });
      const m = studySite.manifest;
      stderr.log(`explore: study ${studyDir}: ${m.jobs.done} of ${m.jobs.total} jobs done, ${m.cells} cells; figures ${m.figures.map((f) => f.number).join(', ')}${editSite ? ' at study.html' : ''}`);
    }
    const site = combineSites(editSite, studySite);
    if (typeof v.export === 'string') {
      exportExplorerSite(site, v.export);
      console.log(`wrote the explorer to ${path.resolve(v.export)} (serve the folder with any static file server, e.g. python3 -m http.server -d ${v.export})`);
      return 0;
    }
    const server = await startExplorerServer(site, { host: typeof v.host === 'string' ? v.host : undefined, port });
    console.log(server.url);
    stderr.log('explore: serving; Ctrl-C stops it');
    await new Promise<void>((resolve) => {
      const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); void server.close().then(resolve); };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};
