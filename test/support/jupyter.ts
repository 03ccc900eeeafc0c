/**
 * A private Jupyter for tests: every Jupyter and IPython folder inside a temporary one, so the
 * user's setup is never read or written, and the editlab kernel spec written there.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** scripts/jupyter-env.js: the same private Jupyter for the tests and scripts/refresh-notebooks.js. */
interface JupyterEnvModule {
  NBCONVERT_MODULES: string[];
  jupyterEnv(dir: string, base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  kernelSpecDir(env: NodeJS.ProcessEnv): string;
  installKernelSpec(env: NodeJS.ProcessEnv, command?: string[], cwd?: string): void;
  nbconvertArgs(notebook: string, options?: { outDir?: string; output?: string; timeout?: number; extra?: string[] }): string[];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const shared = require('../../scripts/jupyter-env.js') as JupyterEnvModule;

/** The Python modules that executing a notebook with nbconvert needs. */
export const NBCONVERT_MODULES: readonly string[] = shared.NBCONVERT_MODULES;
/** The environment of a Jupyter whose folders all live in `dir`, on top of `base`. */
export const jupyterEnv: JupyterEnvModule['jupyterEnv'] = shared.jupyterEnv;
/** Where the kernel spec named `editlab` goes in a {@link jupyterEnv}. */
export const kernelSpecDir: JupyterEnvModule['kernelSpecDir'] = shared.kernelSpecDir;
/**
 * Writes the editlab kernel spec into a {@link jupyterEnv} with `kernel-install.js --dest`
 * (this checkout's by default); throws with its output when it fails.
 */
export const installKernelSpec: JupyterEnvModule['installKernelSpec'] = shared.installKernelSpec;
/** The arguments of `<python> …` that execute a notebook with nbconvert on the editlab kernel. */
export const nbconvertArgs: JupyterEnvModule['nbconvertArgs'] = shared.nbconvertArgs;

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
  const r = spawnSync(python, nbconvertArgs(file, { output: path.basename(executed), timeout: timeoutSeconds }), { cwd: dir, env, encoding: 'utf8', timeout: (timeoutSeconds + 60) * 1000 });
  const outputs = fs.existsSync(executed) ? (JSON.parse(fs.readFileSync(executed, 'utf8')).cells as { outputs: NotebookOutput[] }[]).map((c) => c.outputs) : [];
  return { status: r.status, stderr: r.stderr ?? String(r.error ?? ''), outputs };
}
