/**
 * Notebook harness: executes every notebooks/*.ipynb headless on the editlab kernel and checks it.
 *
 * For each notebook (one test each):
 *   <python> -m nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=editlab
 *            --ExecutePreprocessor.timeout=900 --output-dir <tmp> notebooks/<name>.ipynb
 * with the kernel spec written by `scripts/kernel-install.js --dest` into a temporary Jupyter data dir
 * (JUPYTER_PATH, JUPYTER_DATA_DIR, JUPYTER_CONFIG_DIR, JUPYTER_RUNTIME_DIR, IPYTHONDIR all point into a
 * temporary folder: the user's Jupyter setup is never read or written). Rules:
 *   1. nbconvert exits with status 0 (a failing cell makes it exit 1; the failure text is in the
 *      assertion message, taken from nbconvert's stderr);
 *   2. no output has output_type "error";
 *   3. every code cell tagged `figure` (cell metadata "tags": ["figure"]) has an image/png or
 *      image/svg+xml output;
 *   4. every notebook has at least one image/png output (GitHub and nbconvert show PNGs; a Vega-Lite
 *      MIME bundle alone renders only in JupyterLab).
 * The "committed notebooks" tests read the files as committed, without Jupyter: every notebook is at
 * most 2 MB, and one marked `"editlab": {"outputs": "committed"}` in its metadata (what
 * `node scripts/refresh-notebooks.js NAME` writes after executing it in place) must carry its outputs:
 * every code cell executed, rules 2–4 on the stored outputs, no volatile metadata (execution timestamps).
 * Every notebook in notebooks/ must carry the mark (the project commits them all executed).
 * The "editlab kernel" tests check the kernel itself: its spec, notebooks outside the checkout, and that
 * a failing editlab call in a scratch notebook (written to the temporary folder) makes nbconvert fail with
 * the error's message, and is stored as one `error` output (ename, evalue, traceback) under --allow-errors.
 * <python> is the first of $EDITLAB_PYTHON, python3, /usr/bin/python3 that imports nbconvert, nbclient,
 * ipykernel and jupyter_client. Without one, the tests fail and say how to install Jupyter.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installKernelSpec, jupyterEnv, nbconvertArgs, NBCONVERT_MODULES, type NotebookOutput } from './support/jupyter';
import { applyShift } from '../src/shifts';

interface KernelInstall {
  findPython(modules: string[], options?: { explicit?: string }): { python: string | null; tried: string[] };
  INSTALL_JUPYTER_HELP: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findPython, INSTALL_JUPYTER_HELP } = require('../scripts/kernel-install.js') as KernelInstall;
interface RefreshNotebooks {
  MAX_NOTEBOOK_BYTES: number;
  hasCommittedOutputs(notebook: unknown): boolean;
  stripVolatile<T>(notebook: T): T;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { MAX_NOTEBOOK_BYTES, hasCommittedOutputs, stripVolatile } = require('../scripts/refresh-notebooks.js') as RefreshNotebooks;

const ROOT = path.resolve(__dirname, '..');
const NOTEBOOKS = path.join(ROOT, 'notebooks');
const INSTALL = path.join(ROOT, 'scripts', 'kernel-install.js');
const PY_MODULES = [...NBCONVERT_MODULES];

type Output = NotebookOutput;
interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: { tags?: string[]; execution?: unknown };
  outputs?: Output[];
  execution_count?: number | null;
}
interface Notebook {
  cells: Cell[];
  metadata: { kernelspec?: { name?: string; language?: string }; editlab?: { outputs?: string } };
}

const notebookFiles = fs.existsSync(NOTEBOOKS)
  ? fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort()
  : [];

let tmp = '';
let env: NodeJS.ProcessEnv = {};
let python: string | null = null;
let pythonProblem = '';

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-nb-'));
  env = jupyterEnv(tmp);
  const found = findPython(PY_MODULES);
  python = found.python;
  if (!python) {
    pythonProblem =
      `No Python with Jupyter (${PY_MODULES.join(', ')}) found; tried: ${found.tried.join('; ')}.\n` +
      INSTALL_JUPYTER_HELP;
  }
  installKernelSpec(env);
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function requireJupyter(): string {
  assert.ok(python, pythonProblem);
  return python as string;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  command: string;
  executed: Notebook | null;
}

/**
 * Executes `notebook` with nbconvert on the editlab kernel; never throws.
 * @param extraArgs more nbconvert options, e.g. ['--allow-errors']
 */
function execute(notebook: string, outDir: string, extraArgs: string[] = []): Promise<Run> {
  const py = requireJupyter();
  const args = nbconvertArgs(notebook, { outDir, timeout: 900, extra: extraArgs });
  const command = `${py} ${args.join(' ')}`;
  return new Promise((resolve) => {
    const child = spawn(py, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const done = (code: number | null, extra = '') => {
      const out = path.join(outDir, path.basename(notebook));
      const executed = fs.existsSync(out) ? (JSON.parse(fs.readFileSync(out, 'utf8')) as Notebook) : null;
      resolve({ code, stdout, stderr: stderr + extra, command, executed });
    };
    child.on('error', (e) => done(null, `\nspawn failed: ${e.message}`));
    child.on('close', (code) => done(code));
  });
}

const tail = (s: string, n = 12000) => (s.length > n ? '…' + s.slice(-n) : s);
const text = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join('') : s ?? '');

/**
 * Human-readable failure report: the command, its exit status, the exception nbconvert ended with (for
 * a failed cell: the cell source and what it wrote to stderr) and then the tail of nbconvert's stderr.
 */
function report(run: Run, what: string): string {
  // The first unindented "pkg.SomethingError: …" line after Python's last traceback starts the part
  // worth reading first (nbclient's CellExecutionError: cell source, cell stderr, error name and value).
  const from = Math.max(0, run.stderr.lastIndexOf('Traceback (most recent call last):'));
  const rest = run.stderr.slice(from);
  const at = rest.search(/^[\w.]+(?:Error|Exception|Interrupt)\b[^\n]*:/m);
  const failure = at >= 0 ? `--- failure ---\n${tail(rest.slice(at), 8000)}\n` : '';
  return (
    `${what}\n$ ${run.command}\nexit status: ${run.code}\n${failure}` +
    `--- nbconvert stderr (tail) ---\n${tail(run.stderr, failure ? 4000 : 12000)}`
  );
}

/** Rules 2–4 on an executed notebook; returns the list of violations. */
function checkOutputs(nb: Notebook): string[] {
  const problems: string[] = [];
  let pngs = 0;
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== 'code') return;
    const outputs = cell.outputs ?? [];
    const head = text(cell.source).split('\n')[0].slice(0, 80);
    for (const o of outputs) {
      if (o.output_type === 'error') {
        problems.push(`cell ${i} (${head}): error output ${o.ename}: ${o.evalue}\n${(o.traceback ?? []).join('\n')}`);
      }
      if (o.data && 'image/png' in o.data) pngs++;
    }
    if (cell.metadata?.tags?.includes('figure')) {
      const hasImage = outputs.some((o) => o.data && ('image/png' in o.data || 'image/svg+xml' in o.data));
      if (!hasImage) problems.push(`cell ${i} (${head}) is tagged "figure" but has no image/png or image/svg+xml output`);
    }
  });
  if (pngs === 0) problems.push('the notebook has no image/png output (every notebook must show at least one PNG)');
  return problems;
}

describe('notebooks/*.ipynb on the editlab kernel', () => {
  test('there is at least one notebook', () => {
    assert.ok(notebookFiles.length > 0, `no .ipynb files in ${NOTEBOOKS}`);
  });

  for (const file of notebookFiles) {
    test(file, async () => {
      requireJupyter();
      const nbPath = path.join(NOTEBOOKS, file);
      const source = JSON.parse(fs.readFileSync(nbPath, 'utf8')) as Notebook;
      assert.equal(source.metadata.kernelspec?.name, 'editlab', `${file}: metadata.kernelspec.name must be "editlab"`);
      const outDir = fs.mkdtempSync(path.join(tmp, 'out-'));
      const run = await execute(nbPath, outDir);
      assert.equal(run.code, 0, report(run, `${file}: nbconvert failed`));
      assert.ok(run.executed, report(run, `${file}: nbconvert wrote no executed notebook`));
      const problems = checkOutputs(run.executed);
      assert.deepEqual(problems, [], report(run, `${file}:\n${problems.join('\n')}`));
    });
  }
});

/**
 * Checks a notebook as committed (no Jupyter): its size, and for one marked as committed with its
 * outputs, that they are there and clean. Returns the list of violations.
 */
function checkCommitted(nb: Notebook, bytes: number): string[] {
  const problems: string[] = [];
  if (bytes > MAX_NOTEBOOK_BYTES) {
    problems.push(`${(bytes / 1e6).toFixed(2)} MB: over the ${MAX_NOTEBOOK_BYTES / 1e6} MB limit for a committed notebook (show less, or commit it without outputs)`);
  }
  if (!hasCommittedOutputs(nb)) return problems;
  const code = nb.cells.filter((c) => c.cell_type === 'code');
  const unrun = nb.cells.map((c, i) => ({ c, i })).filter(({ c }) => c.cell_type === 'code' && text(c.source).trim() && c.execution_count == null).map(({ i }) => i);
  if (unrun.length) problems.push(`marked "outputs": "committed" but code cell(s) ${unrun.join(', ')} were not executed: run \`node scripts/refresh-notebooks.js\` on it`);
  if (!code.some((c) => (c.outputs ?? []).length)) problems.push('marked "outputs": "committed" but it has no outputs');
  const stamped = nb.cells.map((c, i) => ({ c, i })).filter(({ c }) => c.metadata?.execution !== undefined).map(({ i }) => i);
  if (stamped.length) problems.push(`cell(s) ${stamped.join(', ')} keep execution timestamps (metadata.execution): refresh it with scripts/refresh-notebooks.js`);
  problems.push(...checkOutputs(nb));
  return problems;
}

describe('committed notebooks (as stored: size, and outputs where marked committed)', () => {
  for (const file of notebookFiles) {
    test(file, () => {
      const raw = fs.readFileSync(path.join(NOTEBOOKS, file), 'utf8');
      const nb = JSON.parse(raw) as Notebook;
      const problems = checkCommitted(nb, Buffer.byteLength(raw));
      // Every notebook of the project reads on GitHub: it is committed with the outputs of a run.
      if (!hasCommittedOutputs(nb)) problems.push(`not committed with its outputs: run \`npm run build && node scripts/refresh-notebooks.js ${file}\``);
      assert.deepEqual(problems, [], `${file}:\n${problems.join('\n')}`);
    });
  }

  test('checkCommitted: size limit, and outputs required only where marked', () => {
    const png = { output_type: 'display_data', data: { 'image/png': 'iVBOR' } };
    const ran = (outputs: Output[], n = 1): Cell => ({ cell_type: 'code', source: 'x', outputs, execution_count: n, metadata: {} });
    const marked = (...cells: Cell[]): Notebook => ({ cells, metadata: { editlab: { outputs: 'committed' } } });
    const plain: Notebook = { cells: [{ cell_type: 'code', source: 'x', outputs: [], execution_count: null }], metadata: {} };
    assert.deepEqual(checkCommitted(plain, 1000), []);
    assert.equal(checkCommitted(plain, MAX_NOTEBOOK_BYTES + 1).length, 1);
    assert.deepEqual(checkCommitted(marked(ran([png])), 1000), []);
    assert.match(checkCommitted(marked({ ...ran([png]), execution_count: null }), 1000).join('\n'), /were not executed/);
    assert.match(checkCommitted(marked(ran([])), 1000).join('\n'), /no outputs/);
    assert.match(checkCommitted(marked({ ...ran([png]), metadata: { execution: { 'iopub.status.idle': 't' } } }), 1000).join('\n'), /timestamps/);
    assert.match(checkCommitted(marked(ran([png, { output_type: 'error', ename: 'E', evalue: 'v', traceback: [] }])), 1000).join('\n'), /error output E/);
  });

  test('stripVolatile (scripts/refresh-notebooks.js) drops timestamps and marks the outputs committed', () => {
    const nb = { cells: [{ cell_type: 'code', source: 'x', execution_count: 1, outputs: [], metadata: { tags: ['figure'], execution: { 'iopub.execute_input': '2026-01-01T00:00:00Z' } } }], metadata: { widgets: {} } as Record<string, unknown> };
    const stripped = stripVolatile(nb);
    assert.deepEqual(stripped.cells[0].metadata, { tags: ['figure'] });
    assert.deepEqual(stripped.metadata, { editlab: { outputs: 'committed' } });
    assert.ok(hasCommittedOutputs(stripped));
  });
});

describe('editlab kernel', () => {
  /** Writes a notebook of `cells` (code sources) to `dir/name` for the editlab kernel. */
  function notebook(dir: string, name: string, cells: string[]): string {
    fs.mkdirSync(dir, { recursive: true });
    const nb = {
      cells: cells.map((source, i) => ({ cell_type: 'code', id: `c${i}`, metadata: {}, execution_count: null, outputs: [], source })),
      metadata: { kernelspec: { name: 'editlab', display_name: 'TypeScript (editlab)', language: 'typescript' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const p = path.join(dir, name);
    fs.writeFileSync(p, JSON.stringify(nb));
    return p;
  }
  /** The text/plain of cell i's execute_result outputs (a cell's last expression). */
  const results = (nb: Notebook, i: number) =>
    (nb.cells[i].outputs ?? [])
      .filter((o) => o.output_type === 'execute_result')
      .map((o) => text(o.data?.['text/plain'] as string | string[] | undefined))
      .join('');

  test('kernel spec: this node, this checkout, display name; re-running replaces it', () => {
    const dest = path.join(tmp, 'spec-check');
    for (let k = 0; k < 2; k++) {
      const r = spawnSync(process.execPath, [INSTALL, '--dest', dest], { encoding: 'utf8', env });
      assert.equal(r.status, 0, r.stderr);
    }
    const spec = JSON.parse(fs.readFileSync(path.join(dest, 'kernel.json'), 'utf8'));
    assert.deepEqual(spec.argv, [
      process.execPath,
      path.join(ROOT, 'scripts', 'kernel-launch.js'),
      'kernel',
      '--config-path',
      '{connection_file}',
    ]);
    assert.equal(spec.display_name, 'TypeScript (editlab)');
    assert.equal(spec.language, 'typescript');
    assert.ok(fs.existsSync(path.join(dest, 'logo-64x64.png')));
  });

  test('link-self creates node_modules/editlab -> .., keeps a correct link, replaces a wrong one, spares a folder', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { linkSelf } = require('../scripts/link-self.js') as {
      linkSelf(o: { root: string; quiet: boolean }): { link: string; status: string };
    };
    const root = path.join(tmp, 'selflink');
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, 'package.json'), '{"name":"editlab"}');
    const link = path.join(root, 'node_modules', 'editlab');
    assert.equal(linkSelf({ root, quiet: true }).status, 'created');
    assert.equal(fs.realpathSync(path.join(link, 'package.json')), fs.realpathSync(path.join(root, 'package.json')));
    assert.equal(fs.readlinkSync(link), '..', 'relative, so the checkout can move');
    assert.equal(linkSelf({ root, quiet: true }).status, 'ok');
    fs.unlinkSync(link);
    fs.symlinkSync(tmp, link);
    assert.equal(linkSelf({ root, quiet: true }).status, 'replaced');
    assert.equal(fs.realpathSync(link), fs.realpathSync(root));
    fs.unlinkSync(link);
    fs.mkdirSync(link);
    fs.writeFileSync(path.join(link, 'keep.txt'), 'x');
    assert.equal(linkSelf({ root, quiet: true }).status, 'skipped');
    assert.ok(fs.existsSync(path.join(link, 'keep.txt')));
  });

  test('kernel-install without Jupyter exits 3 and says how to install it', () => {
    const r = spawnSync(process.execPath, [INSTALL, '--python', path.join(tmp, 'no-such-python')], {
      encoding: 'utf8',
      env,
    });
    assert.equal(r.status, 3);
    assert.match(r.stderr, /no Jupyter found/);
    assert.match(r.stderr, /apt-get install jupyter-client python3-nbconvert python3-nbclient python3-ipykernel/);
    assert.match(r.stderr, /pip install jupyter/);
  });

  test('kernel-install --user and --prefix register the spec with Jupyter (temporary dirs only)', () => {
    const py = requireJupyter();
    const prefix = path.join(tmp, 'prefix');
    for (const args of [['--user'], ['--user'], ['--prefix', prefix]]) {
      const r = spawnSync(process.execPath, [INSTALL, ...args, '--python', py], { encoding: 'utf8', env });
      assert.equal(r.status, 0, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
    }
    // --user writes to JUPYTER_DATA_DIR/kernels (here: the temporary data dir).
    const user = JSON.parse(fs.readFileSync(path.join(env.JUPYTER_DATA_DIR!, 'kernels', 'editlab', 'kernel.json'), 'utf8'));
    assert.equal(user.display_name, 'TypeScript (editlab)');
    const pre = path.join(prefix, 'share', 'jupyter', 'kernels', 'editlab', 'kernel.json');
    assert.equal(JSON.parse(fs.readFileSync(pre, 'utf8')).argv[1], path.join(ROOT, 'scripts', 'kernel-launch.js'));
  });

  test("a notebook outside the project imports 'editlab' and is type-checked against dist/index.d.ts", async () => {
    requireJupyter();
    assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'index.d.ts')), 'dist/ is missing: run `npm run build`');
    const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version;
    const dir = path.join(tmp, 'elsewhere', 'deep');
    const ok = notebook(dir, 'ok.ipynb', [
      "import { version } from 'editlab';\nconst v: string = version;\nv",
      "require.resolve('editlab')",
    ]);
    const run = await execute(ok, path.join(tmp, 'out-elsewhere'));
    assert.equal(run.code, 0, report(run, 'outside notebook failed'));
    assert.equal(results(run.executed!, 0), expected);
    assert.equal(fs.realpathSync(results(run.executed!, 1)), fs.realpathSync(path.join(ROOT, 'dist', 'index.js')));

    // `version` is a string in dist/index.d.ts, so assigning it to a number must not compile; the
    // diagnostic reaches nbconvert's stderr and its closing "ename: evalue" line (tslab alone leaves
    // the error reply empty).
    const bad = notebook(dir, 'bad.ipynb', ["import { version } from 'editlab';\nconst n: number = version;"]);
    const failed = await execute(bad, path.join(tmp, 'out-bad'));
    assert.equal(failed.code, 1, report(failed, 'a type error should fail the run'));
    assert.match(failed.stderr, /Type 'string' is not assignable to type 'number'/);
    assert.match(failed.stderr, /^TypeScriptError: 2:7 - Type 'string' is not assignable to type 'number'\.$/m);
  });

  test("a failing editlab call: nbconvert fails with its message; --allow-errors stores one error output", async () => {
    requireJupyter();
    // The message editlab itself throws for an unknown shift name, computed here without the kernel.
    const shape = { n: 1, height: 2, width: 2, channels: 1 };
    const message = (() => {
      try {
        applyShift('fogg', new Float32Array(4), shape);
      } catch (e) {
        return (e as Error).message;
      }
      assert.fail('applyShift should reject an unknown shift name');
    })();
    assert.match(message, /^editlab: unknown shift "fogg"; available: .*\bfog\b/);
    const p = notebook(path.join(tmp, 'fails'), 'fails.ipynb', [
      `import { applyShift } from 'editlab';\napplyShift('fogg', new Float32Array(4), ${JSON.stringify(shape)});`,
      '6 * 7',
    ]);
    const [stopped, allowed] = await Promise.all([
      execute(p, path.join(tmp, 'out-fails')),
      execute(p, path.join(tmp, 'out-fails-allowed'), ['--allow-errors']),
    ]);

    // Without --allow-errors: the run fails and nbclient's report ends with "ename: evalue" after the
    // traceback (it printed "<Error>: " and nothing else when the reply had no error fields).
    assert.equal(stopped.code, 1, report(stopped, 'a failing editlab call should fail the run'));
    const failure = stopped.stderr.slice(stopped.stderr.lastIndexOf('An error occurred while executing the following cell'));
    assert.ok(failure.includes(`\nError: ${message}\n`), report(stopped, 'nbconvert should end with "Error: <message>"'));
    assert.match(failure, /^\s+at applyShift \(/m, report(stopped, 'nbconvert should show the traceback'));
    assert.doesNotMatch(stopped.stderr, /<Error>/);

    // With --allow-errors: one `error` output with ename, the message as evalue and a traceback that
    // shows it; no stderr stream repeating it; and the next cell still runs.
    assert.equal(allowed.code, 0, report(allowed, 'nbconvert --allow-errors should succeed'));
    const outputs = allowed.executed!.cells[0].outputs ?? [];
    assert.deepEqual(outputs.map((o) => o.output_type), ['error'], JSON.stringify(outputs, null, 1));
    const [error] = outputs;
    assert.equal(error.ename, 'Error');
    assert.equal(error.evalue, message);
    const traceback = (error.traceback ?? []).join('\n');
    assert.ok(traceback.startsWith(`Error: ${message}\n`), traceback);
    assert.match(traceback, /^\s+at applyShift \(/m);
    assert.equal(results(allowed.executed!, 1), '42', 'the cell after the failing one should run');
  });

  test('checkOutputs enforces the PNG and figure-tag rules', () => {
    const png = { output_type: 'display_data', data: { 'image/png': 'iVBOR' } };
    const svg = { output_type: 'display_data', data: { 'image/svg+xml': '<svg/>' } };
    const code = (outputs: Output[], tags?: string[]): Cell => ({ cell_type: 'code', source: 'x', outputs, metadata: { tags } });
    const nb = (...cells: Cell[]): Notebook => ({ cells, metadata: {} });
    assert.deepEqual(checkOutputs(nb(code([png]))), []);
    assert.deepEqual(checkOutputs(nb(code([png]), code([svg], ['figure']))), []);
    assert.equal(checkOutputs(nb(code([svg]))).length, 1); // SVG alone: no PNG in the notebook
    assert.equal(checkOutputs(nb(code([png]), code([], ['figure']))).length, 1);
    const err = checkOutputs(nb(code([png, { output_type: 'error', ename: 'E', evalue: 'v', traceback: [] }])));
    assert.equal(err.length, 1);
    assert.match(err[0], /error output E: v/);
  });
});
