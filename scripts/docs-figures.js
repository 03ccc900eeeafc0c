#!/usr/bin/env node
'use strict';
// Regenerates the README's figures under docs/:
//
//   node scripts/docs-figures.js                      # the quick study (≈ 1–2 min)
//   node scripts/docs-figures.js --full [--out DIR] [--workers N]
//
// Runs `editlab reproduce` (--quick, or the default spec with --full) into .cache/docs-quick or
// .cache/docs-full (or --out DIR: e.g. the folder of an earlier `reproduce --out`, whose finished
// study is resumed, so only the tables and figures are redrawn), then copies figures 2 and 4 as
// PNG: docs/penalty-by-method-layer.png and docs/trade-off.png, or docs/full-….png with --full.
// The full study takes about an hour on 2 cores with --workers 2.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const full = args.includes('--full');
const valueOf = (flag) => {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  if (!args[i + 1] || args[i + 1].startsWith('--')) {
    console.error(`docs-figures: ${flag} needs a value`);
    process.exit(2);
  }
  return args[i + 1];
};
const unknown = args.filter((a, i) => a.startsWith('--') && !['--full', '--out', '--workers'].includes(a) && !['--out', '--workers'].includes(args[i - 1]));
if (unknown.length) {
  console.error(`docs-figures: unknown option ${unknown[0]} (usage: node scripts/docs-figures.js [--full] [--out DIR] [--workers N])`);
  process.exit(2);
}
const out = path.resolve(valueOf('--out') ?? path.join(root, '.cache', full ? 'docs-full' : 'docs-quick'));
const workers = valueOf('--workers');
const command = [path.join(root, 'bin', 'editlab.js'), 'reproduce', ...(full ? [] : ['--quick']), '--out', out, ...(workers ? ['--workers', workers] : [])];
const run = spawnSync(process.execPath, command, { stdio: 'inherit' });
if (run.status !== 0) process.exit(run.status ?? 1);
fs.mkdirSync(path.join(root, 'docs'), { recursive: true });
for (const figure of ['penalty-by-method-layer', 'trade-off']) {
  const target = path.join(root, 'docs', `${full ? 'full-' : ''}${figure}.png`);
  fs.copyFileSync(path.join(out, `${figure}.png`), target);
  console.log(path.relative(root, target));
}
