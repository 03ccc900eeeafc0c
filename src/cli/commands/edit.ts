import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseBackend, parseInteger, parseNumber, type Command } from '../command';

export const editCommand: Command = {
  name: 'edit',
  summary: 'edit a model on an editing task with one method; write the edit and its metrics before/after',
  usage: `editlab edit --model NAME|PATH --task NAME --method NAME --out DIR [--layer L] [--rank r] [--steps n]
                    [--lr x] [--seed s] [--exemplars n] [--backend B] [--json]

  Methods: editlab methods list; tasks: editlab tasks list; layers: editlab layers --model NAME.
  --layer defaults to the middle conv/dense layer. DIR receives the edit as its deltas alone
  (edit.json + deltas.bin) and metrics.json. With --json prints {method, layer, changed_params,
  changed_fraction, seconds, before, after}; before/after hold edit_success, generalization and
  original_accuracy (fractions), splits (accuracy on each of the task's held-out splits, where it
  has them), and after also errors_corrected (Santurkar's %).`,
  options: {
    model: { type: 'string' }, task: { type: 'string' }, method: { type: 'string' }, out: { type: 'string' }, layer: { type: 'string' },
    rank: { type: 'string' }, steps: { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' }, exemplars: { type: 'string' },
    backend: { type: 'string' }, json: { type: 'boolean' },
  },
  async run(v) {
    for (const flag of ['model', 'task', 'method', 'out'] as const) {
      if (typeof v[flag] !== 'string') throw new Error(`edit: --${flag} is required (see editlab edit --help).`);
    }
    const { useBackend } = await import('../../engine/backend');
    const { resolveModel, editableLayers } = await import('../../models');
    const { edit, getEditMethod, buildTask, saveEdit, editMetrics, errorsCorrected } = await import('../../edits');
    const { fashionMnistSet, sample } = await import('../../data');
    getEditMethod(String(v.method));
    await useBackend(parseBackend(v.backend));
    const seed = parseInteger(v.seed, 'seed', 0);
    const task = buildTask(String(v.task), { exemplars: parseInteger(v.exemplars, 'exemplars', 64), seed });
    const { model } = await resolveModel(String(v.model));
    const candidates = editableLayers(model).filter((l) => l.kind === 'Conv2D' || l.kind === 'Dense');
    const layer = typeof v.layer === 'string' ? v.layer : candidates[Math.floor((candidates.length - 1) / 2)]?.name;
    if (!layer) throw new Error(`edit: model "${v.model}" has no conv or dense layer to edit.`);
    const clean = sample(fashionMnistSet('test'), 1000, seed + 11);
    const sets = { editSet: task.editSet, heldOut: task.heldOut, clean, splits: task.splits };
    const before = editMetrics(model, sets);
    const started = performance.now();
    const result = await edit(model, task.editSet, String(v.method), {
      layer, seed, rank: v.rank === undefined ? undefined : parseInteger(v.rank, 'rank', 1),
      steps: v.steps === undefined ? undefined : parseInteger(v.steps, 'steps', 40), learningRate: v.lr === undefined ? undefined : parseNumber(v.lr, 'lr', 1e-3),
    });
    const seconds = (performance.now() - started) / 1000;
    const edited = await result.at(1);
    const report = {
      method: result.method, layer, changed_params: result.changedParams, changed_fraction: result.changedFraction, seconds,
      before, after: { ...editMetrics(edited, sets), errors_corrected: errorsCorrected(model, edited, task.heldOut) }, info: result.info,
    };
    const out = path.resolve(String(v.out));
    saveEdit(result, out);
    fs.writeFileSync(path.join(out, 'metrics.json'), JSON.stringify(report, null, 2) + '\n');
    if (v.json) console.log(JSON.stringify(report, null, 2));
    else {
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      console.log(`${report.method} on ${layer}: ${report.changed_params} parameters changed (${pct(report.changed_fraction)}), ${seconds.toFixed(1)} s`);
      for (const k of ['edit_success', 'generalization', 'original_accuracy'] as const) console.log(`  ${k.padEnd(18)} ${pct(before[k]).padStart(6)} → ${pct(report.after[k]).padStart(6)}`);
      for (const [name, value] of Object.entries(report.after.splits ?? {})) console.log(`  ${name.padEnd(32)} ${pct(before.splits![name]).padStart(6)} → ${pct(value).padStart(6)}`);
      console.log(`  errors corrected   ${report.after.errors_corrected.toFixed(1)}%`);
      console.log(`wrote the edit to ${out}`);
    }
    edited.dispose();
    result.dispose();
    model.dispose();
    return 0;
  },
};

export const tasksCommand: Command = {
  name: 'tasks',
  summary: 'list the editing tasks',
  usage: 'editlab tasks list [--json]',
  options: { json: { type: 'boolean' } },
  async run(v) {
    const { listTasks } = await import('../../edits');
    const rows = listTasks().map(({ name, description }) => ({ name, description }));
    if (v.json) console.log(JSON.stringify(rows, null, 2));
    else for (const r of rows) console.log(`${r.name.padEnd(18)} ${r.description}`);
    return 0;
  },
};

export const methodsCommand: Command = {
  name: 'methods',
  summary: 'list the edit methods',
  usage: 'editlab methods list [--json]',
  options: { json: { type: 'boolean' } },
  async run(v) {
    const { listEditMethods } = await import('../../edits');
    const rows = listEditMethods().map(({ name, description }) => ({ name, description }));
    if (v.json) console.log(JSON.stringify(rows, null, 2));
    else for (const r of rows) console.log(`${r.name.padEnd(18)} ${r.description}`);
    return 0;
  },
};
