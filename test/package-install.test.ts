/**
 * editlab as a dependency of another project, as a course or a research repository would use it:
 * `npm pack`, then `npm install <tarball>` into a new project that holds only what the README tells
 * consumers (one `.npmrc` line), with every `npm_config_*` and `ONNXRUNTIME_NODE_INSTALL` removed from
 * the environment (`npm test` itself exports npm_config_* to its children). Then, from that project:
 * the package's contents, `npx editlab …`, `require('editlab')`, the optional danfojs-node peer's
 * error, and the Jupyter kernel installed from there running a cell that imports editlab.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { executeCells, installKernelSpec, jupyterEnv, kernelSpecDir } from './support/jupyter';

interface KernelInstall {
  findPython(modules: string[]): { python: string | null; tried: string[] };
  INSTALL_JUPYTER_HELP: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findPython, INSTALL_JUPYTER_HELP } = require('../scripts/kernel-install.js') as KernelInstall;

const ROOT = path.resolve(__dirname, '..');
/** What the README's "As a dependency" section tells consumers to put in their project's .npmrc. */
const CONSUMER_NPMRC = 'onnxruntime-node-install=skip\n';

/** The environment of a user who followed the README: no npm settings, no onnxruntime-node flag. */
function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || /^ONNXRUNTIME_NODE_INSTALL/.test(k) || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function run(command: string, args: string[], cwd: string, env = cleanEnv()): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}):\n${r.stderr.slice(-4000)}\n${r.stdout.slice(-2000)}`);
  return r.stdout;
}

let tmp = '';
let tarball = '';
let consumer = '';
let packed: { size: number; unpackedSize: number; entryCount: number; files: Array<{ path: string }> };

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-pack-'));
  // --ignore-scripts: `npm test` has just built dist/ (pretest), so `prepare` need not build it again.
  const out = ok(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], ROOT), 'npm pack');
  packed = JSON.parse(out.slice(out.indexOf('[')))[0];
  tarball = path.join(tmp, (packed as unknown as { filename: string }).filename);
  consumer = path.join(tmp, 'course');
  fs.mkdirSync(consumer);
  fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'course', version: '1.0.0', private: true }, null, 2));
  fs.writeFileSync(path.join(consumer, '.npmrc'), CONSUMER_NPMRC);
  ok(run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], consumer), `npm install ${tarball}`);
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the tarball holds what users need and nothing else', () => {
  const files = packed.files.map((f) => f.path);
  console.log(`# npm pack: ${(packed.size / 1e6).toFixed(1)} MB packed, ${(packed.unpackedSize / 1e6).toFixed(1)} MB unpacked, ${packed.entryCount} files`);
  for (const needed of ['dist/index.js', 'dist/index.d.ts', 'dist/kernels.wasm', 'dist/cli/main.js', 'bin/editlab.js', 'scripts/kernel-launch.js',
    'scripts/kernel-install.js', 'kernels/editlab/kernel.json', 'datasets/models/vgg-small/model.json', 'datasets/fashion-mnist/t10k-images-idx3-ubyte.gz',
    'datasets/fashion-mnist/LICENSE', 'datasets/cloud/reference-cloud.csv', 'README.md', 'package.json']) {
    assert.ok(files.includes(needed), `${needed} is in the tarball`);
  }
  const unwanted = files.filter((f) => /\.map$|^(src|test|asm|notebooks|\.ci|out)\//.test(f) || /(^|\/)\.npmrc$/.test(f));
  assert.deepEqual(unwanted, [], 'no sources, tests, source maps or project settings in the tarball');
});

test('installs with neither a second TensorFlow, nor danfojs-node, nor packages from outside the registry', () => {
  const nm = path.join(consumer, 'node_modules');
  for (const absent of ['danfojs-node', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', '@uwdata/wk-geojson', 'xlsx']) {
    assert.ok(!fs.existsSync(path.join(nm, absent)), `${absent} is not installed`);
  }
  const fromArquero = require.resolve('@uwdata/flechette/package.json', { paths: [path.join(nm, 'arquero')] });
  assert.equal(JSON.parse(fs.readFileSync(fromArquero, 'utf8')).version, '2.6.0', "arquero's flechette is the pinned 2.6.0");
  const ort = path.join(nm, 'onnxruntime-node', 'bin');
  assert.ok(fs.existsSync(ort), "onnxruntime-node's CPU binaries came with the package");
});

test('npx editlab runs in the consuming project', () => {
  const models = JSON.parse(ok(run('npx', ['--no', 'editlab', 'models', 'list', '--json'], consumer), 'npx editlab models list'));
  assert.deepEqual(models.map((m: { name: string }) => m.name).sort(), ['resnet-small', 'vgg-small', 'vit-tiny']);
});

test("require('editlab') works there: arquero, a libjpeg corruption, and a clear error for the optional danfojs-node", () => {
  const script = `
    const { toArquero, toDanfo, fashionMnistSet, applyShift } = require('editlab');
    const total = toArquero([{ a: 1 }, { a: 2 }, { a: 4 }]).rollup({ s: 'd => op.sum(d.a)' }).get('s', 0);
    const set = fashionMnistSet('test', 4);
    const jpeg = applyShift('jpeg_compression', set.images, set, { severity: 3 });
    let danfo = 'loaded';
    try { toDanfo([{ a: 1 }]); } catch (e) { danfo = e.message; }
    console.log(JSON.stringify({ total, n: set.n, jpeg: jpeg.length, changed: jpeg.some((v, i) => v !== set.images[i]), danfo }));`;
  const r = JSON.parse(ok(run(process.execPath, ['-e', script], consumer), 'node -e require(editlab)'));
  assert.equal(r.total, 7);
  assert.equal(r.jpeg, 4 * 28 * 28);
  assert.equal(r.changed, true);
  assert.match(r.danfo, /toDanfo needs the optional package danfojs-node\. Install it with `npm install danfojs-node@1\.2\.0`/);
});

test('the kernel installed from the consuming project runs a cell that imports editlab', (t) => {
  const env = jupyterEnv(path.join(tmp, 'jupyter'), cleanEnv());
  installKernelSpec(env, ['npx', '--no', 'editlab', 'kernel', 'install'], consumer);
  const kernel = JSON.parse(fs.readFileSync(path.join(kernelSpecDir(env), 'kernel.json'), 'utf8'));
  assert.equal(fs.realpathSync(kernel.argv[1]), fs.realpathSync(path.join(consumer, 'node_modules', 'editlab', 'scripts', 'kernel-launch.js')));
  assert.ok(!fs.existsSync(path.join(consumer, 'node_modules', 'editlab', 'node_modules')), 'the installed copy is left as npm wrote it');

  const { python } = findPython(['nbconvert', 'nbclient', 'ipykernel', 'jupyter_client']);
  assert.ok(python, `Jupyter is needed to run the kernel. ${INSTALL_JUPYTER_HELP}`);
  const cell = "import { toArquero } from 'editlab';\nconst rows: { a: number }[] = [{ a: 20 }, { a: 22 }];\nconsole.log('sum', toArquero(rows).rollup({ s: 'd => op.sum(d.a)' }).get('s', 0));";
  const r = executeCells(python!, [cell], consumer, env, 300);
  assert.equal(r.status, 0, `nbconvert --execute in the consuming project failed:\n${r.stderr.slice(-4000)}`);
  assert.match(r.outputs[0].map((o) => [o.text ?? ''].flat().join('')).join(''), /sum 42/);
  t.diagnostic(`kernel: ${kernel.argv.join(' ')}`);
});
