// Every command's --json output, run as a user runs it (the built bin/editlab.js, small and fast
// settings), against docs/conventions.md: one pretty-printed JSON document on stdout, snake_case
// keys, rates as fractions, intervals as ci_lo / ci_hi, lists as arrays; progress on stderr only,
// with units, and none with --quiet.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { conventionViolations, oneJsonDocument } from './json-conventions';
import { encodeImage } from '../src/data';
import { readCsv } from '../src/frames';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'editlab.js');

function editlab(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: work, encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let work = '';
/** Subcommands whose --json output the tests below walked (`cloud build`, `models list`, …). */
const walked = new Set<string>();

/** Runs a command with --json, checks the conventions, and returns its document. */
function json(args: string[]): any {
  const r = editlab([...args, '--json']);
  const what = `editlab ${args.join(' ')} --json`;
  assert.equal(r.code, 0, `${what} failed:\n${r.stderr}`);
  const value = oneJsonDocument(r.stdout, what);
  assert.deepEqual(conventionViolations(value), [], what);
  walked.add(args[0] === 'bench' ? ['bench', ...args.filter((a) => a === '--shifts' || a === '--edits')].join(' ') : /^(list|archs|show|build|fit)$/.test(args[1] ?? '') ? `${args[0]} ${args[1]}` : args[0]);
  return value;
}

before(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-json-'));
});
after(() => fs.rmSync(work, { recursive: true, force: true }));

test('the checker flags what the conventions forbid, and nothing else', () => {
  assert.deepEqual(conventionViolations({ train_size: 1, accuracy: 0.5, n: 10, ci: [0.2, 0.8], ci_lo: 0.2, ci_hi: 0.8, presets: ['a', 'b'] }), []);
  assert.deepEqual(conventionViolations({ effective_robustness: -0.1, effective_robustness_ci_lo: -0.2, effective_robustness_ci_hi: 0, splits: { 'target, snow': 0.3 } }), []);
  assert.deepEqual(conventionViolations({ trainSize: 1 }), ['$.trainSize: camelCase key; use snake_case']);
  assert.deepEqual(conventionViolations({ after: { errors_corrected: 74.3 } }), ['$.after.errors_corrected: a rate above 1 (74.3); rates are fractions']);
  assert.deepEqual(conventionViolations({ splits: { 'target, snow': 73.7 } }), ['$.splits.target, snow: a rate above 1 (73.7); rates are fractions']);
  assert.deepEqual(conventionViolations({ accuracy: 0.5, ci: [0.4, 0.6] }), ['$.ci: "ci" without ci_lo and ci_hi beside it']);
  assert.deepEqual(conventionViolations({ accuracy: 0.5, lo: 0.4, hi: 0.6 }), ['$.lo: an interval end not named ci_lo / ci_hi', '$.hi: an interval end not named ci_lo / ci_hi']);
  assert.deepEqual(conventionViolations({ accuracy: 0.5, ci_lo: 0.4 }), ['$.ci_lo: without ci_hi beside it']);
  assert.deepEqual(conventionViolations([{ presets: 'imagenet,cifar,small', group: '—' }]), ['$[0].presets: a list as one string ("imagenet,cifar,small"); use a JSON array', '$[0].group: a placeholder "—"; use null']);
  assert.throws(() => oneJsonDocument('{"a":1}', 'x'), /not pretty-printed/);
  assert.throws(() => oneJsonDocument('{\n  "a": 1\n}\n{}', 'x'), /not one JSON document/);
});

describe('every command with --json', () => {
  let model = '';
  let editDir = '';

  test('train: the run in snake_case with its test accuracy and interval', () => {
    model = path.join(work, 'model');
    const run = json(['train', '--arch', 'reference-cnn', '--epochs', '1', '--width', '0.25', '--images', '512', '--batch', '64', '--out', model]);
    assert.equal(run.train_size, 512);
    assert.equal(run.batch_size, 64);
    assert.equal(run.resumed_from, 0);
    assert.equal(run.test.n, 10000);
    assert.ok(run.test.ci_lo <= run.test.accuracy && run.test.accuracy <= run.test.ci_hi);
  });

  test('eval: {accuracy, n, ci, ci_lo, ci_hi}; progress on stderr in img/s, none with --quiet', () => {
    const r = json(['eval', '--model', model, '--images', '300']);
    assert.deepEqual(Object.keys(r), ['accuracy', 'n', 'ci', 'ci_lo', 'ci_hi']);
    assert.deepEqual(r.ci, [r.ci_lo, r.ci_hi]);
    assert.equal(r.n, 300);
    const loud = editlab(['eval', '--model', model, '--limit', '300', '--json']);
    assert.match(loud.stderr, /evaluate clean .*300\/300 {2}100% {2}\d+ img\/s {2}done in/);
    assert.deepEqual(JSON.parse(loud.stdout), r, '--limit is an alias of --images');
    const quiet = editlab(['eval', '--model', model, '--images', '300', '--json', '--quiet']);
    assert.equal(quiet.stderr, '');
    const sketch = json(['eval', '--model', model, '--shift', 'sketch', '--images', '300']);
    assert.equal(sketch.n, 300);
    const summary = json(['eval', '--model', model, '--summary', '--images', '100', '--severity', '3', '--quiet']);
    assert.deepEqual(summary.rows.map((x: any) => x.set), ['clean', 'corruptions', 'noise', 'blur', 'weather', 'digital', 'held-out', 'renditions', 'hard']);
    assert.equal(summary.rows[0].n, 10000);
    assert.equal(summary.rows[1].n, 100);
  });

  test('edit: fractions (errors_corrected too), layers as a list, every accuracy as a row with its interval', () => {
    editDir = path.join(work, 'edit');
    const r = editlab(['edit', '--model', model, '--task', 'snow-background', '--method', 'local-ft', '--layer', 'conv4', '--steps', '5', '--lr', '0.01', '--images', '16', '--out', editDir, '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /edit: local-ft conv4 .*5\/5 .*(steps\/s|s\/step)/);
    assert.match(r.stderr, /evaluate local-ft before\/after .*img\/s/);
    const report = json(['edit', '--model', model, '--task', 'snow-background', '--method', 'local-ft', '--layer', 'conv4', '--steps', '5', '--lr', '0.01', '--exemplars', '16', '--out', editDir, '--quiet']);
    assert.deepEqual(Object.keys(report), ['method', 'layer', 'changed_params', 'changed_fraction', 'seconds', 'before', 'after', 'layers', 'model', 'task', 'rows', 'protocol', 'info', 'warnings']);
    assert.deepEqual([report.model, report.task], [model, 'snow-background']);
    assert.deepEqual(report.layers, [report.layer]);
    // How the sets were drawn, and the settings the edit used (the flags given, the rest from local-ft's protocol).
    assert.deepEqual(report.protocol, { task: 'snow-background', seed: 0, exemplars: 16, test_size: 1000, clean_size: 1000, layer: 'conv4', steps: 5, learning_rate: 0.01 });
    assert.ok(Array.isArray(report.warnings));
    assert.ok(report.after.errors_corrected >= -1 && report.after.errors_corrected <= 1);
    // rows: the same numbers as before/after, each with n and an interval around it.
    const row = (alpha: number, split: string) => report.rows.find((x: any) => x.alpha === alpha && x.split === split);
    assert.equal(row(0, 'exemplars').accuracy, report.before.edit_success);
    assert.equal(row(1, 'held-out').accuracy, report.after.generalization);
    assert.equal(row(1, 'clean').accuracy, report.after.original_accuracy);
    assert.equal(row(1, 'other classes, snow').accuracy, report.after.splits['other classes, snow']);
    assert.equal(row(0, 'exemplars').n, 16);
    for (const x of report.rows) assert.ok(x.ci_lo <= x.accuracy && x.accuracy <= x.ci_hi, JSON.stringify(x));
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(editDir, 'metrics.json'), 'utf8')), report, 'metrics.json is what --json prints');
  });

  test('eval --edit: one row per α and split; α 0 and 1 reproduce the edit\'s own rows', () => {
    const rows = json(['eval', '--model', model, '--edit', editDir, '--alpha', '0:1:0.5', '--split', 'all', '--engine', 'tfjs']);
    const recorded = JSON.parse(fs.readFileSync(path.join(editDir, 'metrics.json'), 'utf8')).rows;
    const splits = [...new Set(recorded.map((x: any) => x.split))];
    assert.equal(rows.length, 3 * splits.length);
    assert.deepEqual([...new Set(rows.map((x: any) => x.alpha))], [0, 0.5, 1]);
    for (const x of recorded) {
      const same = rows.find((y: any) => y.alpha === x.alpha && y.split === x.split);
      assert.deepEqual(same, x, `α ${x.alpha}, ${x.split}`);
    }
  });

  test('models, layers, tasks, methods', () => {
    for (const m of json(['models', 'list'])) assert.ok(m.accuracy === null || (m.accuracy > 0 && m.accuracy <= 1));
    json(['models', 'archs']);
    const layers = json(['layers', '--model', model]);
    assert.ok(layers.every((l: any) => Array.isArray(l.weight_shape)));
    json(['tasks', 'list']);
    const shown = json(['tasks', 'show', 'snow-background', '--images', '8', '--test-size', '20']);
    assert.deepEqual(shown.splits.map((s: any) => [s.name, s.n]).slice(0, 2), [['exemplars', 8], ['held-out', 20]]);
    assert.ok(shown.splits.every((s: any) => Object.values(s.labels).reduce((a: number, b: any) => a + b, 0) === s.n), 'label counts add up to n');
    for (const m of json(['methods', 'list'])) assert.ok(Number.isInteger(m.protocol.steps) && m.protocol.learning_rate > 0 && typeof m.protocol.layer === 'string', m.name);
  });

  test('shifts: presets as a list, one group column, list and show the same fields', () => {
    const list = json(['shifts', 'list']);
    const fog = list.find((s: any) => s.name === 'fog');
    assert.deepEqual(fog, { name: 'fog', family: 'corruption', group: 'weather', held_out: false, random: true, presets: ['imagenet', 'cifar', 'small'], description: fog.description });
    assert.deepEqual(list.find((s: any) => s.name === 'saturate').group, 'held-out');
    const sketch = list.find((s: any) => s.name === 'sketch');
    assert.deepEqual([sketch.group, sketch.presets], ['rendition', []]);
    for (const s of list) {
      const show = json(['shifts', 'show', s.name]);
      const { constants, ...fields } = show;
      assert.deepEqual(fields, s, `shifts show ${s.name} repeats its shifts list row`);
      assert.equal(constants === null, s.family === 'rendition');
    }
  });

  test('corrupt: a file and a folder, a corruption and a rendition', () => {
    const input = path.join(work, 'images');
    for (const [i, rel] of ['a/1.png', 'a/2.png', 'b/3.png'].entries()) {
      fs.mkdirSync(path.dirname(path.join(input, rel)), { recursive: true });
      const data = new Float32Array(28 * 28).map((_, k) => ((k * (i + 3) * 37) % 251) / 251);
      fs.writeFileSync(path.join(input, rel), encodeImage({ width: 28, height: 28, channels: 1, data }, 'png'));
    }
    const file = json(['corrupt', '--shift', 'sketch', path.join(input, 'a', '1.png'), path.join(work, 'sketch.png')]);
    assert.deepEqual(file, { written: [path.join(work, 'sketch.png')] });
    const folder = json(['corrupt', '--shift', 'fog,sketch', '--severity', '2', input, path.join(work, 'images-c')]);
    assert.deepEqual([folder.images, folder.written, folder.empty_classes], [3, 6, []]);
  });

  test('cloud: build, list and fit', () => {
    const csv = path.join(work, 'cloud', 'cloud.csv');
    const built = json(['cloud', 'build', '--members', 'linear-w1-e1-n10k-s0', '--images', '20', '--csv', csv, '--work', path.join(work, 'cloud-work'), '--workers', '1']);
    assert.deepEqual([built.built, built.cached], [['linear-w1-e1-n10k-s0'], []]);
    assert.equal(fs.readFileSync(csv, 'utf8').split('\n')[0], 'model,arch,width,epochs,seed,train_size,params,shift,family,group,severity,accuracy,n,ci_lo,ci_hi');
    const list = json(['cloud', 'list', '--csv', csv]);
    const member = list.find((m: any) => m.name === 'linear-w1-e1-n10k-s0');
    assert.equal(member.train_size, 10000);
    assert.ok(member.ci_lo <= member.accuracy && member.accuracy <= member.ci_hi && member.n === 10000);
    assert.equal(list.find((m: any) => m.name !== member.name).accuracy, null);
    json(['cloud', 'fit', '--family', 'corruption']);
  });

  test('bench: the default run, --shifts and --edits', () => {
    const report = json(['bench', '--steps', '1', '--baseline-batch', '2', '--profile']);
    assert.ok(Array.isArray(report.profile) && report.profile.every((k: any) => typeof k.kernel === 'string' && k.ms >= 0));
    // onnxruntime-node is installed: the convolutions, products, Erf and Exp run on it, and the SIMD-only run is the same-run baseline.
    assert.deepEqual(report.onnx_kernels, ['Conv2D', 'FusedConv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'BatchMatMul', '_FusedMatMul', 'Erf', 'Exp']);
    assert.ok(report.simd_only.train_img_per_s > 0 && report.simd_only.backend === 'wasm (SIMD)');
    const shifts = json(['bench', '--shifts', '--images', '20']);
    assert.equal(shifts.images, 20);
    const edits = json(['bench', '--edits', '--steps', '1', '--fused-baseline']).edits;
    assert.ok(edits.length >= 6 && edits.every((e: any) => e.steps === 1 && e.seconds > 0 && e.fused_baseline_seconds > 0));
  });

  test('study: init and status (run and export: their own tests, test/study-*.test.ts)', () => {
    const dir = path.join(work, 'study');
    const init = json(['study', 'init', dir, '--quick']);
    assert.equal(init.spec_file, path.join(dir, 'study.json'));
    const status = json(['study', 'status', dir]);
    assert.equal(status.jobs_done, 0);
  });

  test('reproduce --quick runs the quick study on the embedded model and writes every figure, table and the four findings into --out only', async () => {
    const existing = fs.readdirSync(work);
    const out = path.join(work, 'nested', 'quick');
    const r = editlab(['reproduce', '--quick', '--out', out, '--samples', '200', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(fs.readdirSync(work).filter((f) => !existing.includes(f)), ['nested'], 'nothing written beside --out');
    const printed = oneJsonDocument(r.stdout, 'editlab reproduce --json');
    assert.deepEqual(conventionViolations(printed), []);
    walked.add('reproduce');
    const figures = ['accuracy-vs-alpha', 'penalty-by-method-layer', 'accuracy-on-the-line', 'trade-off', 'edit-gallery'];
    const tables = ['results', 'cells', 'penalties', 'penalties-pooled', 'paths', 'comparisons', 'mce'];
    assert.deepEqual(fs.readdirSync(out).sort(), [
      ...figures.flatMap((f) => [`${f}.png`, `${f}.svg`, `${f}.vl.json`]), ...tables.flatMap((t) => [`${t}.csv`, `${t}.parquet`]), 'study', 'summary.json', 'summary.md',
    ].sort());
    for (const f of figures) {
      const png = fs.readFileSync(path.join(out, `${f}.png`));
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${f}.png`);
      assert.match(JSON.parse(fs.readFileSync(path.join(out, `${f}.vl.json`), 'utf8')).$schema, /vega-lite\/v5/);
    }
    assert.match(fs.readFileSync(path.join(out, 'accuracy-vs-alpha.svg'), 'utf8'), /edit task \(held-out\)/);
    const rows = await readCsv(path.join(out, 'results.csv'));
    assert.deepEqual(Object.keys(rows[0]), ['model', 'task', 'method', 'layer', 'depth', 'seed', 'alpha', 'split', 'accuracy', 'n', 'ci_lo', 'ci_hi']);
    assert.deepEqual([...new Set(rows.map((row) => row.split))], ['edit task (held-out)', 'original (clean)', 'corruptions', 'renditions', 'hard subset']);
    assert.deepEqual([...new Set(rows.map((row) => row.model))], ['vgg-small'], 'the embedded model, no training from scratch');
    const at = (method: string, alpha: number, split: string) => rows.filter((row) => row.method === method && row.alpha === alpha && row.split === split).map((row) => row.accuracy as number);
    // The edit works: held-out edit-task accuracy rises from the original to the edited model at every layer.
    const before = at('local-ft', 0, 'edit task (held-out)'), after = at('local-ft', 1, 'edit task (held-out)');
    assert.equal(after.length, 2, 'local-ft at the middle and late layers');
    after.forEach((a, i) => assert.ok(a > before[i] + 0.05, `local-ft edit accuracy ${before[i]} → ${a}`));
    assert.ok(at('local-ft', 0, 'original (clean)')[0] > 0.85, 'the embedded vgg-small is the original');
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    assert.deepEqual(printed, summary, '--json prints summary.json');
    assert.deepEqual(summary.findings.map((f: { id: number }) => f.id), [1, 2, 3, 4]);
    for (const f of summary.findings) assert.ok(['supported', 'contradicted', 'inconclusive'].includes(f.verdict));
    assert.deepEqual(conventionViolations(summary), [], 'summary.json follows docs/conventions.md');
    const md = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
    assert.equal(md.match(/\*\*Verdict: (supported|contradicted|inconclusive)\.\*\*/g)?.length, 4);
    assert.match(md, /pp \[[-+]\d/, 'penalties with their intervals');
    // One bar over the study's jobs on stderr.
    assert.match(r.stderr, /study .*\d+\/8 .*cells/);
  });

  test('the tests above walked every command whose usage offers --json', (t) => {
    if (!walked.has('train')) return t.skip('needs the walks above (filtered out)');
    const names = [...editlab(['--help']).stdout.matchAll(/^ {2}(\S+) {2,}/gm)].map((m) => m[1]);
    assert.ok(names.includes('eval') && names.includes('bench'), names.join(','));
    const offered: string[] = [];
    for (const name of names) {
      const usage = editlab([name, '--help']).stdout;
      // One entry per usage line that offers --json: `editlab cloud build … [--json]` → "cloud build".
      for (const line of usage.split('\n').filter((l) => /^(usage: )?\s*editlab \S+/.test(l))) {
        const block = usage.slice(usage.indexOf(line)).split(/\n(?=\s*editlab )/)[0];
        if (!block.includes('--json')) continue;
        const [, sub] = /editlab \S+ ([a-z]+)\b/.exec(line) ?? [];
        const flag = /editlab bench (--shifts|--edits)/.exec(line)?.[1];
        offered.push(flag ? `bench ${flag}` : sub && !sub.startsWith('-') && /^(list|archs|show|build|fit)$/.test(sub) ? `${name} ${sub}` : name);
      }
    }
    assert.deepEqual([...new Set(offered)].filter((c) => !walked.has(c)), [], `walked: ${[...walked].join(', ')}`);
  });
});
