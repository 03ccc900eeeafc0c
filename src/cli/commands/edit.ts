import * as fs from 'node:fs';
import * as path from 'node:path';
import { QUIET_OPTION, imagesOptions, parseBackend, parseImages, parseInteger, parseNumber, printJson, stderrOf, type Command } from '../command';

/** Held-out images per task split and clean test images that `editlab edit` measures on. */
const TEST_SIZE = 1000;
const CLEAN_SIZE = 1000;

export const editCommand: Command = {
  name: 'edit',
  summary: 'edit a model on an editing task with one method; write the edit and its metrics before/after',
  usage: `editlab edit --model NAME|PATH --task NAME --method NAME --out DIR [--layer L] [--rank r] [--steps n]
                    [--lr x] [--project-every n] [--center] [--seed s] [--images n]
                    [--engine auto|onnx|tfjs] [--backend B] [--json] [--quiet]

  Methods and their protocols: editlab methods list; tasks: editlab tasks list, editlab tasks
  show NAME; layers: editlab layers --model NAME. Every setting not given comes from the
  method's protocol (editlab methods list --json): --layer (a layer name, or early, middle,
  late), --steps (optimiser steps), --lr, --rank (rewrite, lowrank), --project-every and
  --center (rewrite). --images n: exemplars in the edit set (default: the protocol's;
  --exemplars is an alias). The edit is measured before and after on the
  exemplars, ${TEST_SIZE} held-out images per task split and ${CLEAN_SIZE} clean test images (on ONNX Runtime
  when the model exports; --engine). DIR receives the edit as its deltas alone (edit.json +
  deltas.bin) and metrics.json (what --json prints). Progress (edit steps, then images) on
  stderr; --quiet: none.
  With --json prints {method, layer, changed_params, changed_fraction, seconds, before, after,
  layers, model, task, rows, protocol, info, warnings}: before/after hold edit_success, generalization
  and original_accuracy (fractions), splits (accuracy on each of the task's held-out splits,
  where it has them), and after also errors_corrected (Santurkar's, a fraction in [−1, 1]);
  rows has every one of those accuracies with n, ci_lo and ci_hi (95%), as the rows of
  \`editlab eval --edit DIR --alpha 0,1 --split all\` (α 0 = before, 1 = after); protocol
  {task, seed, exemplars, test_size, clean_size, layer, steps, learning_rate, …} is how the sets
  were drawn and the settings the edit used; warnings (also on stderr) says when an edit
  changed nothing measurable.`,
  options: {
    model: { type: 'string' }, task: { type: 'string' }, method: { type: 'string' }, out: { type: 'string' }, layer: { type: 'string' },
    rank: { type: 'string' }, steps: { type: 'string' }, lr: { type: 'string' }, 'project-every': { type: 'string' }, center: { type: 'boolean' },
    seed: { type: 'string' }, ...imagesOptions('exemplars'),
    engine: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }, ...QUIET_OPTION,
  },
  async run(v) {
    for (const flag of ['model', 'task', 'method', 'out'] as const) {
      if (typeof v[flag] !== 'string') throw new Error(`edit: --${flag} is required (see editlab edit --help).`);
    }
    const { useBackend } = await import('../../engine/backend');
    const { resolveModel, resolveLayer } = await import('../../models');
    const { edit, getEditMethod, saveEdit, evaluateEdit, protocolSets, protocolOptions } = await import('../../edits');
    const method = getEditMethod(String(v.method));
    if (v.engine !== undefined && !['auto', 'onnx', 'tfjs'].includes(String(v.engine))) throw new Error(`edit: --engine must be one of auto, onnx, tfjs, got "${String(v.engine)}".`);
    const engine = (v.engine ?? 'auto') as 'auto' | 'onnx' | 'tfjs';
    await useBackend(parseBackend(v.backend));
    const stderr = stderrOf(v);
    const seed = parseInteger(v.seed, 'seed', 0);
    const defaults = method.protocol;
    const settings = {
      steps: v.steps === undefined ? defaults.steps : parseInteger(v.steps, 'steps', defaults.steps),
      learning_rate: v.lr === undefined ? defaults.learning_rate : parseNumber(v.lr, 'lr', defaults.learning_rate),
      ...(defaults.rank !== undefined || v.rank !== undefined ? { rank: v.rank === undefined ? defaults.rank : parseInteger(v.rank, 'rank', 1) } : {}),
      ...(defaults.center !== undefined || v.center ? { center: Boolean(v.center ?? defaults.center) } : {}),
      ...(defaults.project_every !== undefined || v['project-every'] !== undefined ? { project_every: v['project-every'] === undefined ? defaults.project_every : parseInteger(v['project-every'], 'project-every', 10) } : {}),
    };
    const sets = protocolSets({ task: String(v.task), seed, exemplars: parseImages(v, ['exemplars'], defaults.exemplars), test_size: TEST_SIZE, clean_size: CLEAN_SIZE });
    const { model } = await resolveModel(String(v.model));
    const layer = resolveLayer(model, typeof v.layer === 'string' ? v.layer : defaults.layer);
    const protocol = { task: String(v.task), seed, exemplars: sets.editSet.n, test_size: TEST_SIZE, clean_size: CLEAN_SIZE, layer, ...settings };
    const started = performance.now();
    const result = await edit(model, sets.editSet, method.name, { ...protocolOptions(settings), layer, seed, progress: stderr.progress });
    const seconds = (performance.now() - started) / 1000;
    const { before, after, rows, warnings } = await evaluateEdit(result, sets, { engine, progress: stderr.progress });
    for (const w of warnings) process.stderr.write(`editlab: warning: ${w}\n`);
    const report = {
      method: result.method, layer, changed_params: result.changedParams, changed_fraction: result.changedFraction, seconds, before, after,
      layers: result.layers, model: String(v.model), task: protocol.task, rows, protocol, info: result.info, warnings,
    };
    const out = path.resolve(String(v.out));
    saveEdit(result, out);
    fs.writeFileSync(path.join(out, 'metrics.json'), JSON.stringify(report, null, 2) + '\n');
    if (v.json) printJson(report);
    else {
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      console.log(`${report.method} on ${layer}: ${report.changed_params} parameters changed (${pct(report.changed_fraction)}), ${seconds.toFixed(1)} s`);
      for (const k of ['edit_success', 'generalization', 'original_accuracy'] as const) console.log(`  ${k.padEnd(18)} ${pct(before[k]).padStart(6)} → ${pct(after[k]).padStart(6)}`);
      for (const [name, value] of Object.entries(after.splits ?? {})) console.log(`  ${name.padEnd(32)} ${pct(before.splits![name]).padStart(6)} → ${pct(value).padStart(6)}`);
      if (after.errors_corrected !== undefined) console.log(`  errors corrected   ${pct(after.errors_corrected)}`);
      console.log(`wrote the edit to ${out}`);
    }
    result.dispose();
    model.dispose();
    return 0;
  },
};

export const tasksCommand: Command = {
  name: 'tasks',
  summary: 'list the editing tasks, or show one task\'s splits',
  usage: `editlab tasks list [--json]
       editlab tasks show NAME [--images n] [--test-size n] [--seed s] [--json]

  show builds the task (--images exemplars, default 64; --test-size held-out images per split,
  default ${TEST_SIZE}) and lists its splits: the edit exemplars, the held-out target images and
  the task's further held-out splits (other classes, held-out styles, shifted copies), each with
  its size, the count of each label, and whether it carries originals and concept masks.
  --json: {name, description, splits: [{name, role, n, labels, originals, masks}]}.`,
  options: { json: { type: 'boolean' }, ...imagesOptions('exemplars'), 'test-size': { type: 'string' }, seed: { type: 'string' } },
  async run(v, positionals) {
    const { listTasks, buildTask } = await import('../../edits');
    const [what = 'list', name] = positionals;
    if (what === 'list') {
      const rows = listTasks().map(({ name, description }) => ({ name, description }));
      if (v.json) printJson(rows);
      else for (const r of rows) console.log(`${r.name.padEnd(18)} ${r.description}`);
      return 0;
    }
    if (what !== 'show') throw new Error(`tasks: unknown subcommand "${what}"; use list or show NAME.`);
    if (!name) throw new Error(`tasks show: name a task (${listTasks().map((t) => t.name).join(', ')}).`);
    const task = buildTask(name, { exemplars: parseImages(v, ['exemplars'], 64), testSize: parseInteger(v['test-size'], 'test-size', TEST_SIZE), seed: parseInteger(v.seed, 'seed', 0) });
    const describe = (split: string, role: string, set: typeof task.editSet) => {
      const labels: Record<string, number> = {};
      for (const l of set.labels) labels[l] = (labels[l] ?? 0) + 1;
      return { name: split, role, n: set.n, labels, originals: Boolean(set.originals), masks: Boolean(set.masks) };
    };
    const splits = [describe('exemplars', 'edit exemplars (edit success)', task.editSet), describe('held-out', 'held-out target (generalisation, errors corrected)', task.heldOut)];
    for (const [split, set] of Object.entries(task.splits ?? {})) splits.push(describe(split, set === task.heldOut ? 'held-out target (same images as held-out)' : 'held-out split', set));
    const report = { name: task.name, description: task.description, splits };
    if (v.json) printJson(report);
    else {
      console.log(`${task.name}: ${task.description}`);
      for (const s of splits) {
        const extras = [s.originals && 'originals', s.masks && 'masks'].filter(Boolean).join(', ');
        const labels = Object.entries(s.labels).map(([l, n]) => `${l}:${n}`).join(' ');
        console.log(`  ${s.name.padEnd(44)} ${String(s.n).padStart(5)}  ${s.role}${extras ? ` [${extras}]` : ''}\n  ${''.padEnd(44)}        labels ${labels}`);
      }
    }
    return 0;
  },
};

export const methodsCommand: Command = {
  name: 'methods',
  summary: 'list the edit methods and their default protocols',
  usage: `editlab methods list [--json]

  Each method with its default protocol (layer, steps, learning_rate, exemplars, and rank,
  center, project_every where the method has them). --json: [{name, description, protocol}].`,
  options: { json: { type: 'boolean' } },
  async run(v) {
    const { listEditMethods } = await import('../../edits');
    const rows = listEditMethods().map(({ name, description, protocol }) => ({ name, description, protocol }));
    if (v.json) printJson(rows);
    else {
      for (const r of rows) {
        console.log(`${r.name.padEnd(18)} ${r.description}`);
        console.log(`${''.padEnd(18)} protocol: ${Object.entries(r.protocol).map(([k, x]) => `${k} ${x}`).join(', ')}`);
      }
    }
    return 0;
  },
};
