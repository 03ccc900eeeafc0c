#!/usr/bin/env node
/**
 * Builds the `editlab explore` page into dist/explore-page/: app.js (the page) and worker.js
 * (tfjs, the model and the edit) bundled by esbuild from src/, study.js (the study view, --study),
 * plus index.html, study.html and style.css.
 * The library's `node:` imports, and the backend's ONNX Runtime kernels, resolve to small stand-ins (src/explore/page/shims),
 * so the page runs the library's own loaders; anything else from Node fails the build.
 * Prints the bundle sizes. Run by `npm run build`.
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const page = path.join(root, 'src', 'explore', 'page');
const out = path.join(root, 'dist', 'explore-page');
const shim = (name) => path.join(page, 'shims', `${name}.ts`);

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
const result = await esbuild.build({
  entryPoints: { app: path.join(page, 'main.ts'), worker: path.join(page, 'worker.ts'), study: path.join(page, 'study.ts') },
  outdir: out,
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'chrome110',
  minify: true,
  legalComments: 'linked',
  alias: { 'node:fs': shim('fs'), 'node:path': shim('path'), 'node:os': shim('os'), 'node:crypto': shim('crypto'), 'node:zlib': shim('zlib') },
  // The backend puts its convolutions on ONNX Runtime where onnxruntime-node loads; a browser has none.
  plugins: [{ name: 'no-onnx-kernels', setup: (b) => b.onResolve({ filter: /\/onnx\/kernels$/ }, () => ({ path: shim('onnx-kernels') })) }],
  // The wasm kernels' loader finds dist/kernels.wasm from its own folder; the page provides the
  // file at the path this folder implies (src/explore/page/worker.ts).
  define: { __dirname: JSON.stringify('/editlab/src/engine') },
  logLevel: 'warning',
  metafile: true,
});
for (const file of ['index.html', 'study.html', 'style.css']) fs.copyFileSync(path.join(page, file), path.join(out, file));
const sizes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith('.js'))
  .map(([file, info]) => `${path.basename(file)} ${(info.bytes / 2 ** 20).toFixed(2)} MiB`);
console.log(`explorer page: ${path.relative(root, out)} (${sizes.join(', ')})`);
