#!/usr/bin/env node
/**
 * Entry point of the `editlab` Jupyter kernel (the `argv` of kernels/editlab/kernel.json once
 * scripts/kernel-install.js has filled it in):
 *
 *     <node> <root>/scripts/kernel-launch.js kernel --config-path {connection_file}
 *
 * It starts THIS checkout's tslab (node_modules/tslab) — never another tslab found above the notebook's
 * folder, which plain `tslab kernel` would prefer — after making `editlab` mean this checkout in cells:
 *
 * - at run time, `require('editlab')` / `require('editlab/…')` from a cell resolves against this checkout
 *   (package self-reference through package.json "exports", i.e. dist/index.js), wherever the notebook is;
 * - at type-check time (tslab checks each cell with its bundled TypeScript 5.0, `moduleResolution: node10`,
 *   starting from the notebook's folder), any `<dir>/node_modules/editlab/…` that TypeScript probes is
 *   served from this checkout, so `dist/index.d.ts` supplies the types wherever the notebook is.
 *   (In this checkout the self-link node_modules/editlab -> .. from scripts/link-self.js does the same
 *   for any tool, including the stock tslab kernel.)
 * - when editlab is not built yet (no dist/), the "Cannot find module 'editlab'" diagnostic of a cell is
 *   followed by a line saying what to run;
 * - the kernel follows the Jupyter messaging protocol where tslab does not (scripts/kernel/protocol.js):
 *   `execute_result` for a cell's last expression, one `error` message (ename, evalue, traceback) for a
 *   failing cell, the same fields in its execute_reply so `nbconvert --execute` failures say why,
 *   `status` in kernel_info_reply; checked with jupyter_kernel_test by test/kernel-conformance.test.ts.
 *
 * Exit status 1 with a message on stderr when this checkout has no node_modules/tslab (run `npm install`).
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { conformToProtocol } = require('./kernel/protocol');

const ROOT = path.resolve(__dirname, '..');
/** tslab's folder: this checkout's node_modules/tslab, or a hoisted one when editlab is itself a dependency. */
const TSLAB = (() => {
  try {
    return path.dirname(require.resolve('tslab/package.json', { paths: [ROOT] }));
  } catch {
    return path.join(ROOT, 'node_modules', 'tslab');
  }
})();
const DIST_JS = path.join(ROOT, 'dist', 'index.js');
const DIST_DTS = path.join(ROOT, 'dist', 'index.d.ts');
const NAME = 'editlab';

function buildHint() {
  return (
    `editlab kernel: editlab is not built (${fs.existsSync(DIST_DTS) ? DIST_JS : DIST_DTS} is missing). ` +
    `Run \`npm install\` (or \`npm run build\`) in ${ROOT}, then restart the kernel.`
  );
}

function isEditlabRequest(request) {
  return request === NAME || request.startsWith(NAME + '/');
}

function isInside(file, dir) {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Run time: resolve `editlab` and `editlab/…` from this checkout, for cells anywhere. */
function hookRequire() {
  const rootRequire = Module.createRequire(path.join(ROOT, 'package.json'));
  const original = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, isMain, options) {
    const fromHere = parent && typeof parent.filename === 'string' && isInside(parent.filename, ROOT);
    if (typeof request === 'string' && isEditlabRequest(request) && !fromHere) {
      try {
        return rootRequire.resolve(request);
      } catch (e) {
        if (e && e.code === 'MODULE_NOT_FOUND' && !fs.existsSync(DIST_JS)) {
          e.message += '\n' + buildHint();
        }
        throw e;
      }
    }
    return original.call(this, request, parent, isMain, options);
  };
}

/**
 * Type-check time: serve `<any dir>/node_modules/editlab/<rest>` from `<ROOT>/<rest>`. tslab's compiler
 * host delegates every file-system query to the bundled TypeScript's `ts.sys`, whose methods are plain
 * writable properties (unlike the compiler API itself), so wrapping them is enough.
 * Returns that TypeScript module.
 */
function hookTypeScript() {
  const tslabRequire = Module.createRequire(path.join(TSLAB, 'dist', 'converter.js'));
  const ts = tslabRequire('@tslab/typescript-for-tslab');
  const sys = ts.sys;
  const pattern = /^(.*)[\\/]node_modules[\\/]editlab(?=$|[\\/])(.*)$/;
  const map = (p) => {
    if (typeof p !== 'string') return p;
    const m = pattern.exec(p);
    return m ? path.join(ROOT, m[2]) : p;
  };
  for (const name of ['fileExists', 'directoryExists', 'readFile', 'realpath', 'getDirectories', 'readDirectory', 'getModifiedTime']) {
    const fn = sys[name];
    if (typeof fn !== 'function') continue;
    sys[name] = function (p, ...rest) {
      return fn.call(this, map(p), ...rest);
    };
  }
  return ts;
}

/**
 * The line to show after TypeScript diagnostics that cannot find `editlab` because dist/ is missing.
 * @param {string[]} diagnostics the cell's diagnostics, one line each
 * @returns {string[]}
 */
function buildHintFor(diagnostics) {
  const missing = diagnostics.some((line) => /Cannot find module 'editlab(\/[^']*)?'/.test(line));
  return missing && !fs.existsSync(DIST_DTS) ? [buildHint()] : [];
}

function main(argv) {
  if (argv[0] !== 'kernel') {
    console.error(
      'usage: node scripts/kernel-launch.js kernel --config-path <connection_file> [--js]\n' +
        '(started by Jupyter; install the kernel with `npm run kernel:install`)',
    );
    process.exit(2);
  }
  const at = argv.indexOf('--config-path');
  const configPath = at >= 0 ? argv[at + 1] || '' : '';
  if (!fs.existsSync(path.join(TSLAB, 'dist', 'main.js'))) {
    console.error(
      `editlab kernel: ${TSLAB} is missing — this checkout's dependencies are not installed. ` +
        `Run \`npm install\` in ${ROOT}, then restart the kernel.`,
    );
    process.exit(1);
  }
  hookRequire();
  const ts = hookTypeScript();
  conformToProtocol({
    jupyter: require(path.join(TSLAB, 'dist', 'jupyter.js')),
    executor: require(path.join(TSLAB, 'dist', 'executor.js')),
    typescriptVersion: ts.version,
    internalDirs: [TSLAB, __dirname],
    diagnosticHints: buildHintFor,
  });
  const { startKernel } = require(path.join(TSLAB, 'dist', 'main.js'));
  const { version } = require(path.join(TSLAB, 'package.json'));
  startKernel({ configPath, enableFindLocal: false, jsKernel: argv.includes('--js'), globalVersion: version });
}

main(process.argv.slice(2));
