#!/usr/bin/env node
/**
 * Executes notebooks in place on the editlab kernel, so they are committed WITH their outputs
 * (figures as PNG, which GitHub shows):
 *
 *   node scripts/refresh-notebooks.js [NAME…] [--timeout SECONDS]
 *
 * NAME is a notebook in notebooks/ (`06`, `06-study`, `06-study.ipynb`) or a path to one; without
 * NAMEs, every notebooks/*.ipynb. Each runs exactly as test/notebooks.test.ts runs it (nbconvert on
 * the editlab kernel, the kernel spec in a temporary Jupyter folder: scripts/jupyter-env.js), one
 * after the other. Then its volatile metadata is stripped (each cell's execution timestamps,
 * metadata.execution; anything a kernel session stamps: kernel ids, widget state), its code cells
 * are numbered 1, 2, … (the kernel leaves execution_count empty under nbconvert), it is marked
 * `"editlab": {"outputs": "committed"}` in its metadata (test/notebooks.test.ts then checks the
 * committed outputs), and it replaces the notebook only when it is at most MAX_NOTEBOOK_BYTES
 * (2 MB); a larger one is refused, naming its largest outputs, and the notebook is left as it was.
 * Written like nbformat writes (sorted keys, one-space indent, UTF-8), so diffs stay small.
 *
 * The kernel loads editlab from dist/: run `npm run build` first (a dist/ older than src/ is warned
 * about). Python: $EDITLAB_PYTHON, python3 or /usr/bin/python3, the first with nbconvert.
 *
 * Exit status: 0 all refreshed; 1 a notebook failed (a cell error or over the size limit; the others
 * are still run); 2 bad arguments; 3 no Python with Jupyter (the message says how to install it).
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { NBCONVERT_MODULES, jupyterEnv, installKernelSpec, nbconvertArgs } = require('./jupyter-env');
const { findPython, INSTALL_JUPYTER_HELP } = require('./kernel-install');

const ROOT = path.resolve(__dirname, '..');
const NOTEBOOKS = path.join(ROOT, 'notebooks');

/** The largest a committed notebook may be, in bytes (2 MB). */
const MAX_NOTEBOOK_BYTES = 2 * 1000 * 1000;

/** The metadata flag of a notebook committed with its outputs: `metadata.editlab.outputs`. */
const COMMITTED_OUTPUTS = 'committed';

/** Cell metadata keys a run stamps and that differ between runs. */
const VOLATILE_CELL_METADATA = ['execution', 'ExecuteTime', 'papermill'];
/** Notebook metadata keys a kernel session stamps. */
const VOLATILE_NOTEBOOK_METADATA = ['widgets', 'papermill', 'kernel_id', 'vscode'];

/**
 * Whether a notebook's metadata says it is committed with its outputs.
 * @param {{metadata?: {editlab?: {outputs?: string}}}} notebook
 */
function hasCommittedOutputs(notebook) {
  return notebook?.metadata?.editlab?.outputs === COMMITTED_OUTPUTS;
}

/**
 * Removes what differs between two runs of the same notebook besides its outputs: each cell's
 * execution timestamps and any session ids. Marks it as committed with outputs. In place.
 * @param {object} notebook a parsed .ipynb
 * @returns {object} the same notebook
 */
function stripVolatile(notebook) {
  for (const key of VOLATILE_NOTEBOOK_METADATA) delete notebook.metadata[key];
  notebook.metadata.editlab = { ...(notebook.metadata.editlab || {}), outputs: COMMITTED_OUTPUTS };
  for (const cell of notebook.cells) {
    if (cell.metadata) for (const key of VOLATILE_CELL_METADATA) delete cell.metadata[key];
    for (const output of cell.outputs || []) {
      // Display ids tie an output to a kernel session (progress bars update through them); nbformat
      // keeps them under `transient`, which is never saved, but older writers left them in metadata.
      if (output.metadata) delete output.metadata.display_id;
      delete output.transient;
    }
  }
  return notebook;
}

/**
 * Numbers the executed code cells 1, 2, … in order where the kernel left their execution_count
 * empty, as nbclient's own NotebookClient does: the tslab kernel publishes no `execute_input`,
 * so nbconvert's ExecutePreprocessor stores null for every cell without an execute_result.
 * Cells with no source are not executed and keep null. In place.
 * @param {object} notebook an executed .ipynb
 * @returns {object} the same notebook
 */
function numberCells(notebook) {
  let count = 0;
  for (const cell of notebook.cells) {
    if (cell.cell_type !== 'code') continue;
    const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source || '';
    if (!source.trim()) continue;
    count++;
    if (cell.execution_count == null) cell.execution_count = count;
    for (const output of cell.outputs || []) if (output.output_type === 'execute_result' && output.execution_count == null) output.execution_count = cell.execution_count;
  }
  return notebook;
}

/** JSON as nbformat writes it: keys sorted, one-space indent, non-ASCII kept, a final newline. */
function nbformatJson(value) {
  const sort = (v) => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])]));
    return v;
  };
  return JSON.stringify(sort(value), null, 1) + '\n';
}

/**
 * The largest outputs of a notebook, for the message when it is too large.
 * @returns {Array<{cell: number, mime: string, bytes: number}>}
 */
function largestOutputs(notebook, count = 5) {
  const sizes = [];
  notebook.cells.forEach((cell, i) => {
    for (const output of cell.outputs || []) {
      for (const [mime, data] of Object.entries(output.data || {})) sizes.push({ cell: i, mime, bytes: Buffer.byteLength(typeof data === 'string' ? data : JSON.stringify(data)) });
      if (output.text) sizes.push({ cell: i, mime: `${output.name || 'stream'} text`, bytes: Buffer.byteLength([].concat(output.text).join('')) });
    }
  });
  return sizes.sort((a, b) => b.bytes - a.bytes).slice(0, count);
}

/** Resolves a NAME argument to a notebook file. */
function resolveNotebook(name) {
  const direct = path.resolve(name);
  if (name.endsWith('.ipynb') && fs.existsSync(direct)) return direct;
  const all = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb'));
  const base = name.replace(/\.ipynb$/, '');
  const matches = all.filter((f) => f === `${base}.ipynb` || f.startsWith(`${base}-`));
  if (matches.length === 1) return path.join(NOTEBOOKS, matches[0]);
  throw new Error(matches.length
    ? `"${name}" matches several notebooks: ${matches.join(', ')}`
    : `no notebook "${name}" in ${path.relative(process.cwd(), NOTEBOOKS) || '.'} (there: ${all.join(', ')})`);
}

/** The newest modification time of the .ts files under `dir`. */
function newestTs(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestTs(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Runs nbconvert; resolves with its exit status and stderr (streamed lines are not echoed). */
function run(python, args, env) {
  return new Promise((resolve) => {
    const child = spawn(python, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => resolve({ code: null, stderr: `${stderr}\nspawn failed: ${e.message}` }));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** The part of nbconvert's stderr worth reading: from nbclient's report of the failing cell. */
function failureOf(stderr) {
  const at = stderr.lastIndexOf('An error occurred while executing the following cell');
  const text = at >= 0 ? stderr.slice(at) : stderr;
  return text.length > 6000 ? '…' + text.slice(-6000) : text;
}

/**
 * Executes one notebook and, when it passes, writes it back in place.
 * @returns {Promise<boolean>} whether it was refreshed
 */
async function refresh(file, { python, env, tmp, timeout, log }) {
  const name = path.relative(ROOT, file);
  const outDir = fs.mkdtempSync(path.join(tmp, 'out-'));
  const started = Date.now();
  log(`${name}: executing…`);
  const r = await run(python, nbconvertArgs(file, { outDir, timeout }), env);
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const executed = path.join(outDir, path.basename(file));
  if (r.code !== 0 || !fs.existsSync(executed)) {
    log(`${name}: FAILED after ${seconds} s (nbconvert exit status ${r.code}); the notebook is unchanged.\n${failureOf(r.stderr)}`);
    return false;
  }
  const notebook = numberCells(stripVolatile(JSON.parse(fs.readFileSync(executed, 'utf8'))));
  const errors = notebook.cells.flatMap((c, i) => (c.outputs || []).filter((o) => o.output_type === 'error').map((o) => `cell ${i}: ${o.ename}: ${o.evalue}`));
  if (errors.length) {
    log(`${name}: FAILED: error outputs (${errors.join('; ')}); the notebook is unchanged.`);
    return false;
  }
  const text = nbformatJson(notebook);
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_NOTEBOOK_BYTES) {
    const largest = largestOutputs(notebook).map((o) => `  cell ${o.cell}, ${o.mime}: ${(o.bytes / 1e3).toFixed(0)} kB`).join('\n');
    log(`${name}: FAILED: ${(bytes / 1e6).toFixed(2)} MB with its outputs, over the ${MAX_NOTEBOOK_BYTES / 1e6} MB limit; the notebook is unchanged. ` +
      `Largest outputs:\n${largest}\nShow less (fewer rows, smaller figures: show(spec, { scale: 1 })) and run again.`);
    return false;
  }
  fs.writeFileSync(file, text);
  log(`${name}: refreshed in ${seconds} s, ${(bytes / 1e3).toFixed(0)} kB`);
  return true;
}

async function main(argv) {
  const names = [];
  let timeout = 900;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      console.log(fs.readFileSync(__filename, 'utf8').split('*/')[0].replace(/^#!.*\n\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
      return 0;
    }
    if (a === '--timeout' || a.startsWith('--timeout=')) {
      const v = Number(a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
      if (!Number.isInteger(v) || v < 1) return usage(`--timeout takes a whole number of seconds per cell`);
      timeout = v;
    } else if (a.startsWith('-')) return usage(`unknown option ${a}`);
    else names.push(a);
  }
  let files;
  try {
    files = names.length ? names.map(resolveNotebook) : fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort().map((f) => path.join(NOTEBOOKS, f));
  } catch (e) {
    return usage(e.message);
  }
  const { python, tried } = findPython(NBCONVERT_MODULES);
  if (!python) {
    console.error(`refresh-notebooks: no Python with Jupyter (${NBCONVERT_MODULES.join(', ')}) found; tried: ${tried.join('; ')}.\n${INSTALL_JUPYTER_HELP}`);
    return 3;
  }
  const dist = path.join(ROOT, 'dist', 'index.js');
  if (!fs.existsSync(dist)) {
    console.error(`refresh-notebooks: ${dist} is missing: run \`npm run build\` first (the kernel loads editlab from dist/).`);
    return 1;
  }
  if (fs.existsSync(path.join(ROOT, 'src')) && newestTs(path.join(ROOT, 'src')) > fs.statSync(dist).mtimeMs) {
    console.error('refresh-notebooks: warning: src/ has changed since the last build; run `npm run build` so the notebooks show the current code.');
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-refresh-'));
  const log = (line) => console.error(line);
  let failed = 0;
  try {
    const env = jupyterEnv(tmp);
    installKernelSpec(env);
    for (const file of files) if (!(await refresh(file, { python, env, tmp, timeout, log }))) failed++;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (failed) console.error(`refresh-notebooks: ${failed} of ${files.length} notebook(s) failed.`);
  return failed ? 1 : 0;
}

function usage(message) {
  console.error(`refresh-notebooks: ${message}\nusage: node scripts/refresh-notebooks.js [NAME…] [--timeout SECONDS]`);
  return 2;
}

module.exports = { MAX_NOTEBOOK_BYTES, COMMITTED_OUTPUTS, hasCommittedOutputs, stripVolatile, numberCells, nbformatJson, largestOutputs };

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
    console.error(`refresh-notebooks: ${e.stack || e.message}`);
    process.exit(1);
  });
}
