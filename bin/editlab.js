#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI lives in the compiled library (dist/cli/main.js).
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(entry)) {
  console.error(`editlab: ${entry} is missing; build the package first with \`npm run build\` (npm ci runs it).`);
  process.exit(1);
}
require(entry).main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code ?? 0; },
  (err) => {
    const message = String(err && err.message ? err.message : err);
    console.error(message.startsWith('editlab') ? message : `editlab: ${message}`);
    process.exitCode = 1;
  },
);
