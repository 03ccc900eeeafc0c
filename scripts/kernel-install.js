#!/usr/bin/env node
/**
 * Installs the `editlab` Jupyter kernel ("TypeScript (editlab)"): this checkout's tslab, started by the
 * node that runs this script, through scripts/kernel-launch.js (which makes `import … from 'editlab'`
 * resolve to this checkout in every cell, at run time and at type-check time).
 *
 * Usage:
 *   node scripts/kernel-install.js [--user]         register with Jupyter, per user (default)
 *   node scripts/kernel-install.js --sys-prefix     … in the Python environment's prefix
 *   node scripts/kernel-install.js --prefix DIR     … in DIR/share/jupyter/kernels/editlab
 *   node scripts/kernel-install.js --dest DIR       only write the spec folder DIR (kernel.json, logos);
 *                                                   no Jupyter needed (tests put it on a temporary
 *                                                   JUPYTER_PATH)
 *   options: --python PY   the Python whose Jupyter to use (default: $EDITLAB_PYTHON, python3,
 *                          /usr/bin/python3 — the first that can import jupyter_client)
 *
 * Registering runs `<python> -m jupyter kernelspec install <spec> --name editlab [--user|--sys-prefix|
 * --prefix DIR]`, which replaces an older `editlab` spec, so re-running is safe. It also (re)creates the
 * self-link node_modules/editlab -> .. (scripts/link-self.js).
 *
 * Exit status: 0 installed; 1 this checkout is not installed (no node_modules/tslab) or jupyter failed;
 * 2 bad arguments; 3 no Python with Jupyter found (the message says how to install it).
 */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const TEMPLATE_DIR = path.join(ROOT, 'kernels', 'editlab');
const KERNEL_NAME = 'editlab';
/** Whether this copy of editlab was installed by npm into another project (…/node_modules/editlab). */
const INSTALLED_AS_DEPENDENCY = path.basename(path.dirname(ROOT)) === 'node_modules';

const INSTALL_JUPYTER_HELP =
  'Install Jupyter, then re-run:\n' +
  '  Debian/Ubuntu: sudo apt-get install jupyter-client python3-nbconvert python3-nbclient python3-ipykernel\n' +
  '  pip:           pip install jupyter\n' +
  'or point EDITLAB_PYTHON (or --python) at a Python that has it.';

/**
 * Finds a Python that can import all of `modules`: $EDITLAB_PYTHON first (if set), then `python3`, then
 * `/usr/bin/python3` (`python` first on Windows). Note that `python3` on PATH may be another Python
 * (pyenv, conda) without Jupyter, hence the fall-back to the system one.
 * @param {string[]} modules Python modules that must import, e.g. ['jupyter_client'].
 * @param {{explicit?: string}} [options] explicit: a Python to use instead of the search.
 * @returns {{python: string | null, tried: string[]}} the Python found (null if none) and what was tried.
 */
function findPython(modules, options = {}) {
  const candidates = options.explicit
    ? [options.explicit]
    : [
        process.env.EDITLAB_PYTHON,
        ...(process.platform === 'win32' ? ['python', 'py'] : []),
        'python3',
        '/usr/bin/python3',
      ].filter((p, i, all) => p && all.indexOf(p) === i);
  const code = modules.map((m) => `import ${m}`).join('; ') || 'pass';
  const tried = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (!r.error && r.status === 0) return { python, tried };
    const why = r.error ? r.error.code || r.error.message : (r.stderr.trim().split('\n').pop() || `exit ${r.status}`);
    tried.push(`${python} (${why})`);
  }
  return { python: null, tried };
}

/**
 * The kernel spec for this checkout: kernels/editlab/kernel.json with @NODE@ replaced by `node` and
 * @EDITLAB_ROOT@ by `root`.
 * @param {{node?: string, root?: string}} [options]
 * @returns {object} the kernel.json contents.
 */
function kernelSpec(options = {}) {
  const node = options.node || process.execPath;
  const root = options.root || ROOT;
  const template = JSON.parse(fs.readFileSync(path.join(TEMPLATE_DIR, 'kernel.json'), 'utf8'));
  const argv = template.argv.map((a) => {
    if (a === '@NODE@') return node;
    if (a.startsWith('@EDITLAB_ROOT@')) return path.join(root, a.slice('@EDITLAB_ROOT@'.length));
    return a;
  });
  const { metadata, ...rest } = template;
  return {
    ...rest,
    argv,
    metadata: { ...metadata, editlab: { root, node } },
  };
}

/**
 * Writes the spec folder `dir` (kernel.json and the logos), creating it if needed and overwriting
 * what an earlier run wrote.
 * @param {string} dir
 * @returns {string} the path of the kernel.json written.
 */
function writeSpec(dir) {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(TEMPLATE_DIR)) {
    if (/^logo-.*\.(png|svg)$/.test(f)) fs.copyFileSync(path.join(TEMPLATE_DIR, f), path.join(dir, f));
  }
  const file = path.join(dir, 'kernel.json');
  fs.writeFileSync(file, JSON.stringify(kernelSpec(), null, 2) + '\n');
  return file;
}

function parseArgs(argv) {
  const opts = { mode: 'user', prefix: null, dest: null, python: null };
  let modes = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v) throw new Error(`${a.split('=')[0]} needs a value`);
      return v;
    };
    if (a === '--user') (opts.mode = 'user'), modes++;
    else if (a === '--sys-prefix') (opts.mode = 'sys-prefix'), modes++;
    else if (a === '--prefix' || a.startsWith('--prefix=')) (opts.mode = 'prefix'), (opts.prefix = path.resolve(value())), modes++;
    else if (a === '--dest' || a.startsWith('--dest=')) (opts.mode = 'dest'), (opts.dest = path.resolve(value())), modes++;
    else if (a === '--python' || a.startsWith('--python=')) opts.python = value();
    else if (a === '-h' || a === '--help') opts.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (modes > 1) throw new Error('give only one of --user, --sys-prefix, --prefix DIR, --dest DIR');
  return opts;
}

function main(argv) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    console.error(`kernel-install: ${e.message}\nusage: node scripts/kernel-install.js [--user | --sys-prefix | --prefix DIR | --dest DIR] [--python PY]`);
    return 2;
  }
  if (opts.help) {
    console.log(fs.readFileSync(__filename, 'utf8').split('*/')[0].replace(/^#!.*\n\/\*\*\n/, '').replace(/^ \* ?/gm, ''));
    return 0;
  }
  try {
    require.resolve('tslab/dist/main.js', { paths: [ROOT] });
  } catch {
    console.error(`kernel-install: tslab is not installed (looked from ${ROOT}); run \`npm install\` in ${INSTALLED_AS_DEPENDENCY ? 'your project' : ROOT} first.`);
    return 1;
  }
  // A checkout links itself so that tools resolving `editlab` from inside it find it; an installed
  // copy (…/node_modules/editlab) is found by the ordinary lookup and is left as npm wrote it.
  if (!INSTALLED_AS_DEPENDENCY) {
    try {
      require('./link-self').linkSelf({ root: ROOT, quiet: true });
    } catch (e) {
      console.warn(`kernel-install: warning: could not create node_modules/editlab -> .. (${e.message})`);
    }
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    console.warn(`kernel-install: warning: editlab is not built yet (no dist/); run \`npm run build\` before importing it in a notebook.`);
  }

  if (opts.mode === 'dest') {
    const file = writeSpec(opts.dest);
    console.log(`kernel-install: wrote kernel spec '${KERNEL_NAME}' to ${file}`);
    return 0;
  }

  const { python, tried } = findPython(['jupyter_client', 'jupyter_core'], { explicit: opts.python });
  if (!python) {
    console.error(`kernel-install: no Jupyter found (tried: ${tried.join('; ')}).\n${INSTALL_JUPYTER_HELP}`);
    return 3;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-kernel-'));
  try {
    const specDir = path.join(tmp, KERNEL_NAME);
    writeSpec(specDir);
    const args = ['-m', 'jupyter', 'kernelspec', 'install', specDir, '--name', KERNEL_NAME];
    if (opts.mode === 'user') args.push('--user');
    else if (opts.mode === 'sys-prefix') args.push('--sys-prefix');
    else args.push('--prefix', opts.prefix);
    console.log(`kernel-install: ${python} ${args.join(' ')}`);
    const r = spawnSync(python, args, { stdio: 'inherit' });
    if (r.error || r.status !== 0) {
      console.error(`kernel-install: \`jupyter kernelspec install\` failed (${r.error ? r.error.message : `exit ${r.status}`}).`);
      return 1;
    }
    console.log(`kernel-install: kernel "TypeScript (editlab)" installed; pick it in Jupyter, or run ` +
      `\`jupyter nbconvert --execute --ExecutePreprocessor.kernel_name=${KERNEL_NAME} …\`.`);
    return 0;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

module.exports = { main, findPython, kernelSpec, writeSpec, INSTALL_JUPYTER_HELP, KERNEL_NAME };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
