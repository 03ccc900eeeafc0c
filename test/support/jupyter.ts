/**
 * A private Jupyter for tests: every Jupyter and IPython folder inside a temporary one, so the
 * user's setup is never read or written, and the editlab kernel spec written there.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** The environment of a Jupyter whose folders all live in `dir`, on top of `base`. */
export function jupyterEnv(dir: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
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

/** Where the kernel spec named `editlab` goes in a {@link jupyterEnv}. */
export function kernelSpecDir(env: NodeJS.ProcessEnv): string {
  return path.join(env.JUPYTER_DATA_DIR as string, 'kernels', 'editlab');
}

/**
 * Writes the editlab kernel spec into a {@link jupyterEnv} with `kernel-install.js --dest`
 * (this checkout's by default); throws with its output when it fails.
 */
export function installKernelSpec(env: NodeJS.ProcessEnv, command: string[] = [process.execPath, path.join(ROOT, 'scripts', 'kernel-install.js')], cwd = ROOT): void {
  const r = spawnSync(command[0], [...command.slice(1), '--dest', kernelSpecDir(env)], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kernel spec install (${command.join(' ')} --dest) failed:\n${r.stdout}\n${r.stderr}`);
}

/** An executed notebook's cell outputs, as nbformat stores them. */
export interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

/**
 * Runs code cells as a new notebook on the editlab kernel with `nbconvert --execute`, in `dir`
 * (the cells' working folder). Returns nbconvert's exit status and stderr, and each cell's outputs
 * (empty when nbconvert failed before writing).
 */
export function executeCells(python: string, cells: readonly string[], dir: string, env: NodeJS.ProcessEnv, timeoutSeconds = 900): { status: number | null; stderr: string; outputs: NotebookOutput[][] } {
  const notebook = {
    cells: cells.map((source, i) => ({ id: `cell-${i}`, cell_type: 'code', metadata: {}, outputs: [], execution_count: null, source })),
    metadata: { kernelspec: { name: 'editlab', display_name: 'TypeScript (editlab)', language: 'typescript' } },
    nbformat: 4, nbformat_minor: 5,
  };
  const file = path.join(dir, 'cells.ipynb');
  const executed = path.join(dir, 'cells.executed.ipynb');
  fs.writeFileSync(file, JSON.stringify(notebook));
  const r = spawnSync(python, ['-m', 'nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.kernel_name=editlab',
    `--ExecutePreprocessor.timeout=${timeoutSeconds}`, '--output', path.basename(executed), file], { cwd: dir, env, encoding: 'utf8', timeout: (timeoutSeconds + 60) * 1000 });
  const outputs = fs.existsSync(executed) ? (JSON.parse(fs.readFileSync(executed, 'utf8')).cells as { outputs: NotebookOutput[] }[]).map((c) => c.outputs) : [];
  return { status: r.status, stderr: r.stderr ?? String(r.error ?? ''), outputs };
}
