/**
 * A private Jupyter for running notebooks headless on the editlab kernel: every Jupyter and IPython
 * folder inside one temporary folder (the user's Jupyter setup is never read or written), the kernel
 * spec written there by scripts/kernel-install.js --dest, and the nbconvert command that executes a
 * notebook on it. Shared by the tests (test/support/jupyter.ts, test/notebooks.test.ts) and
 * scripts/refresh-notebooks.js, so they run notebooks exactly the same way.
 */
'use strict';

const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');

/** The Python modules that executing a notebook with nbconvert needs. */
const NBCONVERT_MODULES = ['nbconvert', 'nbclient', 'ipykernel', 'jupyter_client'];

/**
 * The environment of a Jupyter whose folders all live in `dir`, on top of `base`.
 * @param {string} dir
 * @param {NodeJS.ProcessEnv} [base]
 * @returns {NodeJS.ProcessEnv}
 */
function jupyterEnv(dir, base = process.env) {
  const data = path.join(dir, 'jupyter-data');
  return {
    ...base,
    JUPYTER_PATH: data,
    JUPYTER_DATA_DIR: data,
    JUPYTER_CONFIG_DIR: path.join(dir, 'jupyter-config'),
    JUPYTER_RUNTIME_DIR: path.join(dir, 'jupyter-runtime'),
    IPYTHONDIR: path.join(dir, 'ipython'),
    // Silence debugpy's "frozen modules" warning so stderr shows only what matters.
    PYDEVD_DISABLE_FILE_VALIDATION: '1',
  };
}

/**
 * Where the kernel spec named `editlab` goes in a {@link jupyterEnv}.
 * @param {NodeJS.ProcessEnv} env
 * @returns {string}
 */
function kernelSpecDir(env) {
  return path.join(env.JUPYTER_DATA_DIR, 'kernels', 'editlab');
}

/**
 * Writes the editlab kernel spec into a {@link jupyterEnv} with `kernel-install.js --dest` (this
 * checkout's by default); throws with its output when it fails.
 * @param {NodeJS.ProcessEnv} env
 * @param {string[]} [command] the installer to run (argv), default this checkout's
 * @param {string} [cwd]
 */
function installKernelSpec(env, command = [process.execPath, path.join(ROOT, 'scripts', 'kernel-install.js')], cwd = ROOT) {
  const r = spawnSync(command[0], [...command.slice(1), '--dest', kernelSpecDir(env)], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kernel spec install (${command.join(' ')} --dest) failed:\n${r.stdout}\n${r.stderr}`);
}

/**
 * The arguments of `<python> …` that execute `notebook` with nbconvert on the editlab kernel and
 * write the executed copy (never the notebook itself):
 * `-m nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=editlab
 *  --ExecutePreprocessor.timeout=<timeout> (--output-dir DIR | --output NAME) [extra…] notebook`.
 * @param {string} notebook the .ipynb to execute
 * @param {{outDir?: string, output?: string, timeout?: number, extra?: string[]}} [options]
 *   outDir: folder of the executed copy (same file name); output: its file name instead (beside the
 *   notebook, or in outDir); timeout: seconds per cell (default 900); extra: more nbconvert options
 * @returns {string[]}
 */
function nbconvertArgs(notebook, options = {}) {
  const { outDir, output, timeout = 900, extra = [] } = options;
  return [
    // Python 3.11's debugger warns about frozen modules on every kernel start unless told this.
    '-Xfrozen_modules=off',
    '-m', 'nbconvert',
    '--to', 'notebook',
    '--execute',
    '--ExecutePreprocessor.kernel_name=editlab',
    `--ExecutePreprocessor.timeout=${timeout}`,
    ...(outDir ? ['--output-dir', outDir] : []),
    ...(output ? ['--output', output] : []),
    ...extra,
    notebook,
  ];
}

module.exports = { NBCONVERT_MODULES, jupyterEnv, kernelSpecDir, installKernelSpec, nbconvertArgs };
