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
                    [--lr x] [--seed s] [--images n] [--engine auto|onnx|tfjs] [--backend B] [--json] [--quiet]

  Methods: editlab methods list; tasks: editlab tasks list; layers: editlab layers --model NAME.
  --layer defaults to the middle conv/dense layer. --images n: exemplars in the edit set
  (default 64; --exemplars is an alias). The edit is measured before and after on the
  exemplars, ${TEST_SIZE} held-out images per task split and ${CLEAN_SIZE} clean test images (on ONNX Runtime
  when the model exports; --engine). DIR receives the edit as its deltas alone (edit.json +
  deltas.bin) and metrics.json (what --json prints). Progress (edit steps, then images) on
  stderr; --quiet: none.
  With --json prints {method, layer, changed_params, changed_fraction, seconds, before, after,
  layers, model, task, rows, protocol, info}: before/after hold edit_success, generalization
  and original_accuracy (fractions), splits (accuracy on each of the task's held-out splits,
  where it has them), and after also errors_corrected (Santurkar's, a fraction in [−1, 1]);
  rows has every one of those accuracies with n, ci_lo and ci_hi (95%), as the rows of
  \`editlab eval --edit DIR --alpha 0,1 --split all\` (α 0 = before, 1 = after); protocol
  {task, seed, exemplars, test_size, clean_size} is how the sets were drawn.`,
  options: {
    model: { type: 'string' }, task: { type: 'string' }, method: { type: 'string' }, out: { type: 'string' }, layer: { type: 'string' },
    rank: { type: 'string' }, steps: { type: 'string' }, lr: { type: 'string' }, seed: { type: 'string' }, ...imagesOptions('exemplars'),
    engine: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }, ...QUIET_OPTION,
  },
  async run(v) {
    for (const flag of ['model', 'task', 'method', 'out'] as const) {
      if (typeof v[flag] !== 'string') throw new Error(`edit: --${flag} is required (see editlab edit --help).`);
    }
    const { useBackend } = await import('../../engine/backend');
    const { resolveModel, editableLayers } = await import('../../models');
    const { edit, getEditMethod, saveEdit, evaluateEdit, protocolSets } = await import('../../edits');
    getEditMethod(String(v.method));
    if (v.engine !== undefined && !['auto', 'onnx', 'tfjs'].includes(String(v.engine))) throw new Error(`edit: --engine must be one of auto, onnx, tfjs, got "${String(v.engine)}".`);
    const engine = (v.engine ?? 'auto') as 'auto' | 'onnx' | 'tfjs';
    await useBackend(parseBackend(v.backend));
    const stderr = stderrOf(v);
    const seed = parseInteger(v.seed, 'seed', 0);
    const protocol = { task: String(v.task), seed, exemplars: parseImages(v, ['exemplars'], 64), test_size: TEST_SIZE, clean_size: CLEAN_SIZE };
    const sets = protocolSets(protocol);
    const { model } = await resolveModel(String(v.model));
    const candidates = editableLayers(model).filter((l) => l.kind === 'Conv2D' || l.kind === 'Dense');
    const layer = typeof v.layer === 'string' ? v.layer : candidates[Math.floor((candidates.length - 1) / 2)]?.name;
    if (!layer) throw new Error(`edit: model "${v.model}" has no conv or dense layer to edit.`);
    const started = performance.now();
    const result = await edit(model, sets.editSet, String(v.method), {
      layer, seed, rank: v.rank === undefined ? undefined : parseInteger(v.rank, 'rank', 1), progress: stderr.progress,
      steps: v.steps === undefined ? undefined : parseInteger(v.steps, 'steps', 40), learningRate: v.lr === undefined ? undefined : parseNumber(v.lr, 'lr', 1e-3),
    });
    const seconds = (performance.now() - started) / 1000;
    const { before, after, rows } = await evaluateEdit(result, sets, { engine, progress: stderr.progress });
    const report = {
      method: result.method, layer, changed_params: result.changedParams, changed_fraction: result.changedFraction, seconds, before, after,
      layers: result.layers, model: String(v.model), task: protocol.task, rows, protocol, info: result.info,
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
  summary: 'list the editing tasks',
  usage: 'editlab tasks list [--json]',
  options: { json: { type: 'boolean' } },
  async run(v) {
    const { listTasks } = await import('../../edits');
    const rows = listTasks().map(({ name, description }) => ({ name, description }));
    if (v.json) printJson(rows);
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
    if (v.json) printJson(rows);
    else for (const r of rows) console.log(`${r.name.padEnd(18)} ${r.description}`);
    return 0;
  },
};
