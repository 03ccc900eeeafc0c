/**
 * The edit methods' protocols: how they were chosen, and what they do.
 *
 *   npx tsx scripts/edit-protocols.ts search [--methods a,b] [--models a,b]
 *   npx tsx scripts/edit-protocols.ts select
 *   npx tsx scripts/edit-protocols.ts table  [--methods a,b] [--models a,b] [--tasks a,b]
 *
 * `search`: on the snow-background task only (seed 0, 64 exemplars, 300 held-out images per split,
 * 300 clean test images), every setting of a small grid per method (SEARCH_GRIDS) on the three
 * embedded models, one row per run in datasets/edit-protocols/snow-search.csv. The rule that
 * picked each method's protocol, then frozen in its registry entry: among the settings that reach
 * edit success ≥ 0.9 and errors corrected ≥ 0.5 on every model, the one with the highest
 * worst-model clean accuracy after the edit (ties: fewer steps); without one, the setting with the
 * highest worst-model edit success (ties: the highest mean edit success, then fewer steps).
 * `table`: every method at its frozen default protocol on every task and model (seed 0, the
 * protocol's exemplars, 500 held-out images per split, 500 clean), in
 * datasets/edit-protocols/default-protocols.csv.
 * `select`: applies the rule to snow-search.csv and prints each method's choice with its
 * per-model numbers.
 * Rows already in a CSV are kept and skipped, so both resume.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useBackend } from '../src/engine/backend';
import { resolveModel, resolveLayer } from '../src/models';
import { edit, evaluateEdit, getEditMethod, listEditMethods, listTasks, protocolSets, protocolOptions, type MethodProtocol } from '../src/edits';

type Setting = Omit<MethodProtocol, 'exemplars'>;
const grid = (layers: string[], steps: number[], rates: number[], extra: Array<Partial<Setting>> = [{}]): Setting[] =>
  layers.flatMap((layer) => steps.flatMap((s) => rates.flatMap((learning_rate) => extra.map((e) => ({ layer, steps: s, learning_rate, ...e })))));

/** The grids searched, per method (data). 1-LI shares local-ft's protocol, so it is not searched separately. */
export const SEARCH_GRIDS: Record<string, Setting[]> = {
  'local-ft': grid(['middle'], [20, 40, 80, 160], [1e-3, 3e-3]),
  'global-ft': [...grid(['middle'], [10, 20, 40], [1e-4, 3e-4, 1e-3]), ...grid(['middle'], [80, 160], [1e-4, 3e-4])],
  interp: [...grid(['middle'], [10, 20, 40], [1e-4, 3e-4, 1e-3]), ...grid(['middle'], [80, 160], [1e-4, 3e-4])],
  lowrank: [...grid(['middle'], [60, 120], [1e-2], [{ rank: 1 }, { rank: 4 }]), ...grid(['middle'], [240], [1e-2], [{ rank: 4 }])],
  rewrite: grid(['middle', 'late'], [400], [3e-3, 1e-2], [{ rank: 8, project_every: 10 }, { rank: 32, project_every: 10 }]),
};

const MODELS = ['vgg-small', 'resnet-small', 'vit-tiny'];
const COLUMNS = ['task', 'method', 'model', 'layer_spec', 'layer', 'steps', 'learning_rate', 'rank', 'project_every', 'edit_success_before', 'edit_success', 'generalization_before', 'generalization', 'errors_corrected', 'clean_before', 'clean_after', 'changed_fraction', 'seconds'] as const;
const FOLDER = path.join(__dirname, '..', 'datasets', 'edit-protocols');

interface Run {
  task: string;
  method: string;
  setting: Setting;
}

/** Runs every run on every model, appending one CSV row per run not already in `file`. */
async function runAll(file: string, runs: Run[], models: string[], sizes: { exemplars?: number; test_size: number; clean_size: number }): Promise<void> {
  const key = (r: Record<string, unknown>) => [r.task, r.method, r.model, r.layer_spec, r.steps, r.learning_rate, r.rank ?? '', r.project_every ?? ''].join('|');
  const done = new Set<string>();
  if (fs.existsSync(file)) {
    const [head, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
    const names = head.split(',');
    for (const line of lines) done.add(key(Object.fromEntries(line.split(',').map((v, i) => [names[i], v === '' ? undefined : isNaN(Number(v)) ? v : Number(v)]))));
  } else fs.writeFileSync(file, COLUMNS.join(',') + '\n');
  const cell = (v: unknown) => (v === undefined ? '' : typeof v === 'number' && !Number.isInteger(v) ? String(+v.toPrecision(6)) : String(v));
  for (const modelName of models) {
    const { model } = await resolveModel(modelName);
    for (const { task, method, setting } of runs) {
      const row: Record<string, unknown> = { task, method, model: modelName, layer_spec: setting.layer, ...setting };
      if (done.has(key(row))) continue;
      const sets = protocolSets({ task, seed: 0, exemplars: sizes.exemplars ?? getEditMethod(method).protocol.exemplars, test_size: sizes.test_size, clean_size: sizes.clean_size });
      const layer = resolveLayer(model, setting.layer);
      const started = performance.now();
      const result = await edit(model, sets.editSet, method, { ...protocolOptions(setting), layer, seed: 0 });
      const seconds = (performance.now() - started) / 1000;
      const { before, after } = await evaluateEdit(result, sets);
      Object.assign(row, {
        layer, edit_success_before: before.edit_success, edit_success: after.edit_success, generalization_before: before.generalization, generalization: after.generalization,
        errors_corrected: after.errors_corrected, clean_before: before.original_accuracy, clean_after: after.original_accuracy, changed_fraction: result.changedFraction, seconds,
      });
      result.dispose();
      fs.appendFileSync(file, COLUMNS.map((c) => cell(row[c])).join(',') + '\n');
      console.log(COLUMNS.map((c) => `${c}=${cell(row[c])}`).join(' '));
    }
    model.dispose();
  }
}

/** A CSV this script wrote, as rows (numbers parsed). */
function readCsv(file: string): Array<Record<string, string | number | undefined>> {
  const [head, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const names = head.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v === '' ? undefined : isNaN(Number(v)) ? v : Number(v)])));
}

/** The rule of the header, per method: the chosen setting, whether it meets the targets, and its worst-model numbers. */
function selectProtocols(rows: Array<Record<string, string | number | undefined>>): Record<string, unknown> {
  const chosen: Record<string, unknown> = {};
  for (const method of new Set(rows.map((r) => String(r.method)))) {
    const settings = new Map<string, typeof rows>();
    for (const r of rows.filter((x) => x.method === method)) {
      const key = JSON.stringify([r.layer_spec, r.steps, r.learning_rate, r.rank, r.project_every]);
      settings.set(key, [...(settings.get(key) ?? []), r]);
    }
    const scored = [...settings.entries()].filter(([, rs]) => rs.length === MODELS.length).map(([key, rs]) => {
      const worst = (k: string) => Math.min(...rs.map((r) => Number(r[k])));
      const mean = rs.reduce((sum, r) => sum + Number(r.edit_success), 0) / rs.length;
      return { key, meets: worst('edit_success') >= 0.9 && worst('errors_corrected') >= 0.5, edit_success: worst('edit_success'), mean_edit_success: mean, errors_corrected: worst('errors_corrected'), clean_after: worst('clean_after'), steps: Number(rs[0].steps) };
    });
    scored.sort((a, b) => Number(b.meets) - Number(a.meets) || (a.meets ? b.clean_after - a.clean_after : b.edit_success - a.edit_success || b.mean_edit_success - a.mean_edit_success) || a.steps - b.steps);
    const [layer, steps, learning_rate, rank, project_every] = JSON.parse(scored[0].key);
    const best = scored[0];
    chosen[method] = { layer, steps, learning_rate, rank, project_every, meets_targets: best.meets, worst: { edit_success: best.edit_success, errors_corrected: best.errors_corrected, clean_after: best.clean_after }, mean_edit_success: best.mean_edit_success };
  }
  return chosen;
}

async function main(): Promise<void> {
  const arg = (flag: string) => { const i = process.argv.indexOf(flag); return i > 0 ? process.argv[i + 1].split(',') : undefined; };
  const mode = process.argv[2];
  await useBackend('wasm');
  const models = arg('--models') ?? MODELS;
  if (mode === 'search') {
    const methods = arg('--methods') ?? Object.keys(SEARCH_GRIDS);
    const runs = methods.flatMap((method) => SEARCH_GRIDS[method].map((setting) => ({ task: 'snow-background', method, setting })));
    await runAll(path.join(FOLDER, 'snow-search.csv'), runs, models, { exemplars: 64, test_size: 300, clean_size: 300 });
  } else if (mode === 'select') {
    for (const [method, choice] of Object.entries(selectProtocols(readCsv(path.join(FOLDER, 'snow-search.csv'))))) console.log(method, JSON.stringify(choice));
  } else if (mode === 'table') {
    const methods = arg('--methods') ?? listEditMethods().map((m) => m.name);
    const tasks = arg('--tasks') ?? listTasks().map((t) => t.name);
    const runs = tasks.flatMap((task) => methods.map((method) => {
      const { exemplars: _, ...setting } = getEditMethod(method).protocol;
      return { task, method, setting };
    }));
    await runAll(path.join(FOLDER, 'default-protocols.csv'), runs, models, { test_size: 500, clean_size: 500 });
  } else throw new Error('usage: npx tsx scripts/edit-protocols.ts search|table [--methods a,b] [--models a,b] [--tasks a,b]');
}

main().catch((e) => { console.error(e); process.exit(1); });
