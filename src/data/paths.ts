import * as fs from 'node:fs';
import * as path from 'node:path';

const PACKAGE_NAME = 'editlab';
const cache = new Map<string, string>();

/**
 * The root folder of the editlab package (the folder holding its `package.json`, `datasets/`,
 * `kernels/` …), found by walking up from `from` (default: this module's folder) to the first
 * folder whose `package.json` has `"name": "editlab"`. Works from `src/` (tsx), from `dist/`, and
 * when editlab is installed under another project's `node_modules`.
 *
 * @param from folder to start from; defaults to the folder of this module.
 * @throws Error naming the start folder when no such `package.json` exists above it.
 */
export function packageRoot(from: string = __dirname): string {
  const start = path.resolve(from);
  const hit = cache.get(start);
  if (hit !== undefined) return hit;
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if (JSON.parse(fs.readFileSync(manifest, 'utf8')).name === PACKAGE_NAME) {
          cache.set(start, dir);
          return dir;
        }
      } catch {
        // An unreadable or invalid package.json is not ours; keep walking up.
      }
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(
    `packageRoot: no package.json with "name": "${PACKAGE_NAME}" in ${start} or any folder above it`,
  );
}

/**
 * Folder of the embedded Fashion-MNIST files: `<packageRoot()>/datasets/fashion-mnist`.
 */
export function defaultFashionMnistRoot(): string {
  return path.join(packageRoot(), 'datasets', 'fashion-mnist');
}

/**
 * Folder of the embedded MNIST digit subset: `<packageRoot()>/datasets/mnist-digits`
 * (built by `scripts/make-mnist-digits.js`).
 */
export function defaultMnistDigitsRoot(): string {
  return path.join(packageRoot(), 'datasets', 'mnist-digits');
}
