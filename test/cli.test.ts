// The `editlab` command as a user runs it: the built bin/editlab.js in a child process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'editlab.js');

function editlab(args: string[], cwd = ROOT) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('help lists the commands; bad commands and flags fail with a clear message', () => {
  const help = editlab(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /reproduce\s+the paper's study end to end/);
  assert.match(help.stdout, /bench\s+training and inference throughput/);
  const unknown = editlab(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"; commands: .*reproduce.*bench/);
  const badFlag = editlab(['bench', '--stepz', '3']);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /Unknown option '--stepz'/);
  const badBackend = editlab(['bench', '--backend', 'quantum']);
  assert.equal(badBackend.code, 1);
  assert.match(badBackend.stderr, /--backend must be one of auto, tensorflow, wasm, cpu, got "quantum"/);
  assert.equal(editlab(['reproduce', '--quick']).code, 1);
});

test('bench --json reports throughput next to a cpu baseline from the same run', () => {
  const r = editlab(['bench', '--json', '--steps', '1', '--baseline-batch', '2']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.equal(report.backend, 'wasm');
  assert.equal(report.model, 'reference-cnn');
  assert.equal(report.batch, 128);
  assert.equal(report.baseline.backend, 'cpu');
  assert.equal(report.baseline.batch, 2);
  for (const v of [report.train_img_per_s, report.infer_img_per_s, report.baseline.train_img_per_s, report.baseline.infer_img_per_s]) {
    assert.ok(Number.isFinite(v) && v > 0, `positive throughput: ${v}`);
  }
  assert.ok(Math.abs(report.train_speedup - report.train_img_per_s / report.baseline.train_img_per_s) < 1e-9);
});

test('models, layers and eval print what the issue specifies, as JSON too', async () => {
  const archs = JSON.parse(editlab(['models', 'archs', '--json']).stdout) as Array<{ name: string }>;
  assert.ok(['vgg16', 'resnet50', 'vit-b16', 'clip-b32', 'vgg-small', 'resnet-small', 'vit-tiny'].every((n) => archs.some((a) => a.name === n)));
  const list = editlab(['models', 'list', '--json']);
  assert.equal(list.code, 0);
  for (const m of JSON.parse(list.stdout)) assert.deepEqual(Object.keys(m).sort(), ['accuracy', 'arch', 'name', 'params']);

  const layers = JSON.parse(editlab(['layers', '--model', 'vgg16', '--json']).stdout) as Array<{ name: string; kind: string; weight_shape: number[]; params: number }>;
  const conv = layers.find((l) => l.name === 'block5_conv3')!;
  assert.deepEqual([conv.kind, conv.weight_shape, conv.params], ['Conv2D', [3, 3, 512, 512], 3 * 3 * 512 * 512 + 512]);

  // A small trained model in a folder: eval reads it by path.
  const { trainToFolder } = await import('../src/models');
  const { fashionMnistSet } = await import('../src/data/image-set');
  const { useBackend } = await import('../src/engine/backend');
  await useBackend('wasm');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-eval-'));
  await trainToFolder({ arch: 'reference-cnn', out: dir, train: fashionMnistSet('train', 1024), epochs: 1, width: 0.5, batchSize: 64 });
  const clean = editlab(['eval', '--model', dir, '--limit', '400', '--json']);
  assert.equal(clean.code, 0, clean.stderr);
  const report = JSON.parse(clean.stdout);
  // {accuracy, n, ci} as the first issue spelled it, and the interval's ends as every output names them.
  assert.deepEqual(Object.keys(report), ['accuracy', 'n', 'ci', 'ci_lo', 'ci_hi']);
  assert.deepEqual(report.ci, [report.ci_lo, report.ci_hi]);
  assert.equal(report.n, 400);
  assert.ok(report.accuracy > 0.3 && report.ci[0] < report.accuracy && report.accuracy < report.ci[1]);
  const noisy = JSON.parse(editlab(['eval', '--model', dir, '--limit', '400', '--shift', 'gaussian_noise', '--severity', '5', '--json']).stdout);
  assert.ok(noisy.accuracy < report.accuracy, `severe noise lowers accuracy (${noisy.accuracy} vs ${report.accuracy})`);
  // A rendition takes no severity, and the output names it without one.
  const sketch = editlab(['eval', '--model', dir, '--images', '400', '--shift', 'sketch', '--quiet']);
  assert.equal(sketch.code, 0, sketch.stderr);
  assert.match(sketch.stdout, /on 400 images under sketch\n$/);
  assert.match(editlab(['eval', '--model', dir, '--shift', 'sketch', '--severity', '1']).stderr, /--severity: sketch is a rendition and takes no severity/);
  assert.match(editlab(['eval', '--model', dir, '--shift', 'fog']).stderr, /--severity S \(1 to 5\) is required for fog/);
  const untrained = editlab(['eval', '--model', 'vgg16']);
  assert.equal(untrained.code, 1);
  assert.match(untrained.stderr, /"vgg16" is an architecture, not a trained model/);
  assert.match(editlab(['eval', '--model', path.join(dir, 'nope')]).stderr, /no model ".*nope": not an embedded model/);
});

test('edit writes the deltas and before/after metrics; the saved edit reloads to identical outputs', async () => {
  const { trainToFolder, loadLayersModel, buildModel } = await import('../src/models');
  const { fashionMnistSet } = await import('../src/data/image-set');
  const { loadEdit } = await import('../src/edits');
  const { tf, useBackend } = await import('../src/engine/backend');
  await useBackend('wasm');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-edit-'));
  const modelDir = path.join(work, 'model');
  await trainToFolder({ arch: 'reference-cnn', out: modelDir, train: fashionMnistSet('train', 2048), epochs: 1, width: 0.5, batchSize: 64 });
  const out = path.join(work, 'edit');
  const r = editlab(['edit', '--model', modelDir, '--task', 'snow-background', '--method', 'local-ft', '--layer', 'conv4', '--steps', '20', '--lr', '0.01', '--exemplars', '32', '--out', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(report).slice(0, 7), ['method', 'layer', 'changed_params', 'changed_fraction', 'seconds', 'before', 'after']);
  assert.equal(report.layer, 'conv4');
  assert.equal(report.changed_params, 3 * 3 * 32 * 32 + 32);
  for (const k of ['edit_success', 'generalization', 'original_accuracy']) assert.ok(report.before[k] >= 0 && report.before[k] <= 1 && report.after[k] >= 0 && report.after[k] <= 1);
  assert.ok(report.after.edit_success > report.before.edit_success, 'the edit fixes exemplars');
  assert.deepEqual(fs.readdirSync(out).sort(), ['deltas.bin', 'edit.json', 'metrics.json']);

  const model = await loadLayersModel(modelDir);
  const loaded = loadEdit(out, model);
  assert.equal(loaded.method, 'local-ft');
  assert.equal(loaded.changedParams, report.changed_params);
  const x = tf.randomUniform([4, 28, 28, 1], 0, 1, 'float32', 8);
  const a = await loaded.at(0), b = await loaded.at(1);
  const diff = (p: any, q: any) => tf.tidy(() => tf.max(tf.abs(tf.sub(p, q))).dataSync()[0]);
  assert.equal(diff(a.predict(x), model.predict(x)), 0, 'α = 0 reproduces the original outputs exactly');
  assert.ok(diff(b.predict(x), model.predict(x)) > 0, 'α = 1 is the edited model');
  assert.throws(() => loadEdit(out, buildModel('vgg-small')), /has no weight "conv4\/kernel"/);

  // The edit on the command line: W(α) for a range of α, on its model (recorded in metrics.json).
  const sweep = editlab(['eval', '--edit', out, '--alpha', '0:1:0.25', '--images', '500', '--engine', 'tfjs']);
  assert.equal(sweep.code, 0, sweep.stderr);
  assert.match(sweep.stdout, /^local-ft on conv4 .*model .*model\n/);
  const lines = sweep.stdout.trim().split('\n').slice(2);
  assert.deepEqual(lines.map((l) => l.split(/\s+/)[1]), ['0', '0.25', '0.5', '0.75', '1']);
  // α = 0 is the original model: the same accuracy as evaluating the model itself.
  const original = JSON.parse(editlab(['eval', '--model', modelDir, '--images', '500', '--engine', 'tfjs', '--json']).stdout);
  assert.match(lines[0], new RegExp(`^clean\\s+0\\s+${(100 * original.accuracy).toFixed(2)}%`));
  // An edit made for another model is refused: same layer names, other shapes.
  const narrow = path.join(work, 'narrow');
  await trainToFolder({ arch: 'reference-cnn', out: narrow, train: fashionMnistSet('train', 256), epochs: 1, width: 0.25, batchSize: 64, calibrationImages: 0 });
  const refused = editlab(['eval', '--model', narrow, '--edit', out, '--alpha', '1']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /cannot be applied to --model .*narrow: the edit in .* does not fit model .*: weight "conv4\/kernel" is \[3,3,16,16\] in the model, \[3,3,32,32\] in the edit\. It was made with --model .*model\./);
  // An edit folder given as --model says how to evaluate it.
  assert.match(editlab(['eval', '--model', out]).stderr, /is an edit \(edit\.json\), not a model; evaluate it on its model: editlab eval --model .*model --edit .*edit --alpha 0,1/);
  assert.match(editlab(['eval', '--model', modelDir, '--edit', out, '--split', 'volcano']).stderr, /--split "volcano" is not a split of the snow-background task; available: "exemplars", "held-out", "clean", "target, snow"/);

  const bad = editlab(['edit', '--model', modelDir, '--task', 'snow-background', '--method', 'magic', '--out', path.join(work, 'never')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /unknown edit method "magic"; available: .*local-ft/);
  assert.equal(fs.existsSync(path.join(work, 'never')), false, 'nothing written on bad input');
  assert.match(editlab(['edit', '--model', modelDir, '--task', 'volcano', '--method', 'local-ft', '--out', path.join(work, 'never')]).stderr, /unknown task "volcano"; available: snow-background/);
});
