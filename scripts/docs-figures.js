#!/usr/bin/env node
'use strict';
// Regenerates the README's figures under docs/: runs `editlab reproduce --quick` into
// .cache/docs-quick (resuming the study when it is there) and copies figures 2 and 4 as PNG.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const out = path.join(root, '.cache', 'docs-quick');
const run = spawnSync(process.execPath, [path.join(root, 'bin', 'editlab.js'), 'reproduce', '--quick', '--out', out], { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);
fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
for (const figure of ['penalty-by-method-layer', 'trade-off']) {
  fs.copyFileSync(path.join(out, `${figure}.png`), path.join(root, 'docs', `${figure}.png`));
  console.log(`docs/${figure}.png`);
}
