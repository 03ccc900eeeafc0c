#!/usr/bin/env node
/**
 * Creates the self-link `node_modules/editlab -> ..` so that `import … from 'editlab'` resolves to this
 * checkout for every tool that walks up `node_modules` folders — Node's `require` and, above all,
 * TypeScript's module resolution (tslab type-checks notebook cells with `moduleResolution: node10`, which
 * knows nothing about package self-references). Run by `npm install` / `npm ci` through the `prepare`
 * script and by `scripts/kernel-install.js`.
 *
 * Idempotent: a correct link is left alone, a wrong link is replaced, and a real folder named
 * `node_modules/editlab` (e.g. an installed copy) is never deleted (a warning is printed instead).
 *
 * Usage: node scripts/link-self.js [--quiet]
 * Exit status: 0 on success or when left alone with a warning; 1 on an unexpected error.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');

/** Root of this package: the folder above scripts/. */
const ROOT = path.resolve(__dirname, '..');

/**
 * Ensures `<root>/node_modules/editlab` is a link to `<root>`.
 * @param {{root?: string, quiet?: boolean}} [options]
 * @returns {{link: string, status: 'created' | 'replaced' | 'ok' | 'skipped'}}
 */
function linkSelf(options = {}) {
  const root = path.resolve(options.root || ROOT);
  const log = options.quiet ? () => {} : (msg) => console.log(msg);
  const nodeModules = path.join(root, 'node_modules');
  const link = path.join(nodeModules, 'editlab');
  fs.mkdirSync(nodeModules, { recursive: true });

  let status = 'created';
  let st = null;
  try {
    st = fs.lstatSync(link);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  if (st) {
    if (st.isSymbolicLink()) {
      let target = null;
      try {
        target = fs.realpathSync(link);
      } catch {
        // dangling link: replace it
      }
      if (target === fs.realpathSync(root)) {
        log(`link-self: ${link} -> ${root} (already there)`);
        return { link, status: 'ok' };
      }
      fs.unlinkSync(link);
      status = 'replaced';
    } else {
      console.warn(
        `link-self: ${link} exists and is not a link; leaving it alone ` +
          `(imports of 'editlab' from this checkout will use that copy).`,
      );
      return { link, status: 'skipped' };
    }
  }
  // A relative link survives moving the checkout; Windows needs a junction (absolute) instead.
  if (process.platform === 'win32') fs.symlinkSync(root, link, 'junction');
  else fs.symlinkSync('..', link, 'dir');
  log(`link-self: ${link} -> .. (${status})`);
  return { link, status };
}

module.exports = { linkSelf };

if (require.main === module) {
  try {
    linkSelf({ quiet: process.argv.includes('--quiet') });
  } catch (e) {
    console.error(`link-self: could not create node_modules/editlab -> ..: ${e.message}`);
    process.exit(1);
  }
}
