// jpeg_compression against PIL, the reference's encoder: golden round trips made once by
// test/golden/jpeg/make_goldens.py with Debian 12's Pillow 9.4.0 on libjpeg-turbo 2.1.5
// (`im.save(f, 'JPEG', quality=q)` then `Image.open(f)`, each image alone, gray in mode 'L',
// colour in 'RGB' with PIL's default 4:2:0), compared byte for byte. Also: the gray mosaic
// decodes to the bytes of each image encoded alone, and the synchronous bridge to sharp's worker
// neither keeps a process alive nor fails obscurely without sharp.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { applyShift, getShift, JPEG_QUALITY, jpegRoundTrip, SHIFT_PRESETS, type ShiftPreset } from '../src/shifts';
import { jpegRoundTripSync } from '../src/shifts/ops/jpeg';
import { decodeImage } from '../src/data/image-io';
import { fashionMnistSet } from '../src/data';

const GOLDEN = path.join(__dirname, 'golden', 'jpeg');
const ROOT = path.join(__dirname, '..');
interface GoldenCase { name: string; n: number; height: number; width: number; channels: 1 | 3; sha256: Record<string, string> }
const manifest = JSON.parse(readFileSync(path.join(GOLDEN, 'manifest.json'), 'utf8')) as { cases: GoldenCase[] };

/** A golden PNG's pixels as 8-bit values (gray or RGB, as stored). */
const png = (file: string) => Uint8Array.from(decodeImage(readFileSync(path.join(GOLDEN, file)), file).data, (v) => Math.round(v * 255));
const toBytes = (a: Float32Array) => {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.round(a[i] * 255);
  return out;
};
const maxDiff = (a: Uint8Array, b: Uint8Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const sha256 = (a: Uint8Array) => createHash('sha256').update(a).digest('hex');

test('equals PIL byte for byte: gray 28×28 and 13×21, RGB 32×32, 37×29 and 224×224, every quality of every preset', () => {
  let compared = 0;
  for (const c of manifest.cases) {
    const input = png(`${c.name}.input.png`);
    assert.equal(input.length, c.n * c.height * c.width * c.channels, c.name);
    const floats = Float32Array.from(input, (v) => v / 255);
    for (const [q, digest] of Object.entries(c.sha256)) {
      const want = png(`${c.name}.q${q}.png`);
      assert.equal(sha256(want), digest, `${c.name} q${q}: golden PNG matches the manifest`);
      const got = toBytes(jpegRoundTrip(floats, c.n, c.height, c.width, c.channels, Number(q)));
      assert.equal(got.length, want.length);
      assert.equal(maxDiff(got, want), 0, `${c.name} quality ${q}: max difference from PIL`);
      assert.equal(sha256(got), digest, `${c.name} quality ${q}`);
      compared++;
    }
  }
  assert.equal(compared, 43);
});

test('the registry path: each preset\'s severities are its qualities, and equal PIL on the matching golden', () => {
  const goldenFor: Record<ShiftPreset, string> = { small: 'gray28', cifar: 'rgb32', imagenet: 'rgb224' };
  for (const preset of SHIFT_PRESETS) {
    const c = manifest.cases.find((k) => k.name === goldenFor[preset])!;
    const images = Float32Array.from(png(`${c.name}.input.png`), (v) => v / 255);
    for (let severity = 1; severity <= 5; severity++) {
      const q = JPEG_QUALITY[preset][severity - 1];
      const got = toBytes(applyShift('jpeg_compression', images, c, { severity, preset }));
      assert.equal(sha256(got), c.sha256[q], `${preset} severity ${severity} (quality ${q})`);
    }
  }
  assert.match(getShift('jpeg_compression').description, /libjpeg-turbo via sharp/);
});

test('gray mosaic = each image encoded alone (tile rows, several mosaics, odd sizes)', () => {
  // 5000 Fashion-MNIST images: 32×32 tiles, 128 per mosaic row, 4096 per mosaic, so two mosaics.
  const fm = fashionMnistSet('test', 5000);
  const picks = [0, 1, 127, 128, 129, 2500, 4095, 4096, 4097, 4999];
  // 200 synthetic 13×21 images: 16×24 tiles padded on both axes, 170 per mosaic row.
  const odd = new Float32Array(200 * 13 * 21).map((_, i) => ((i * 2654435761) % 1000003) % 256 / 255 * ((i % 273) / 273));
  for (const [images, n, height, width, indices] of [
    [fm.images, fm.n, 28, 28, picks], [odd, 200, 13, 21, Array.from({ length: 200 }, (_, i) => i)],
  ] as const) {
    const size = height * width;
    for (const quality of [1, 10, 80]) {
      const mosaic = toBytes(jpegRoundTrip(images, n, height, width, 1, quality));
      const alone = jpegRoundTripSync(indices.map((i) => ({ data: toBytes(images.subarray(i * size, (i + 1) * size)), width, height, channels: 1 })), quality);
      indices.forEach((i, k) => assert.deepEqual(mosaic.subarray(i * size, (i + 1) * size), alone[k], `${width}×${height} image ${i}, quality ${quality}`));
    }
  }
});

test('deterministic, input untouched, empty batch, bad quality', () => {
  const fm = fashionMnistSet('test', 20);
  const copy = fm.images.slice();
  const a = applyShift('jpeg_compression', fm.images, fm, { severity: 4 });
  assert.deepEqual(applyShift('jpeg_compression', fm.images, fm, { severity: 4 }), a);
  assert.deepEqual(fm.images, copy);
  assert.equal(jpegRoundTrip(new Float32Array(0), 0, 28, 28, 1, 5).length, 0);
  assert.throws(() => jpegRoundTripSync([], 0), /quality must be an integer from 1 to 100, got 0/);
  // sharp's errors come back from the worker, which keeps serving.
  assert.throws(() => jpegRoundTripSync([{ data: new Uint8Array(70000), width: 70000, height: 1, channels: 1 }], 50), /JPEG round trip \(sharp\) failed: .*too large for the JPEG format/);
  assert.deepEqual(applyShift('jpeg_compression', fm.images, fm, { severity: 4 }), a);
});

/** Runs a script in a fresh Node process with tsx, from the repository root. */
function node(script: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
  return { status: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

test('the same bytes without SIMD: libjpeg-turbo\'s plain C code (JSIMD_FORCENONE=1) equals PIL too', () => {
  // Machines differ in SIMD (SSE2, AVX2, NEON); libjpeg-turbo's SIMD kernels are bit-exact with its C code.
  const r = node(`
    const { readFileSync } = require('node:fs');
    const { createHash } = require('node:crypto');
    const { jpegRoundTrip } = require('./src/shifts');
    const { decodeImage } = require('./src/data/image-io');
    const dir = 'test/golden/jpeg/';
    const manifest = JSON.parse(readFileSync(dir + 'manifest.json', 'utf8'));
    for (const [name, q] of [['gray28', 1], ['rgb37x29', 7], ['rgb224', 25]]) {
      const c = manifest.cases.find((k) => k.name === name);
      const input = decodeImage(readFileSync(dir + name + '.input.png')).data;
      const out = jpegRoundTrip(input, c.n, c.height, c.width, c.channels, q);
      const sha = createHash('sha256').update(Uint8Array.from(out, (v) => Math.round(v * 255))).digest('hex');
      console.log(name, q, sha === c.sha256[q] ? 'same' : 'differs');
    }`, { JSIMD_FORCENONE: '1' });
  assert.equal(r.status, 0, r.err);
  assert.equal(r.out, 'gray28 1 same\nrgb37x29 7 same\nrgb224 25 same\n');
});

test('the worker does not keep the process alive', () => {
  const r = node(`
    const { applyShift } = require('./src/shifts');
    const out = applyShift('jpeg_compression', new Float32Array(2 * 32 * 32 * 3).fill(0.5), { n: 2, height: 32, width: 32, channels: 3 }, { severity: 5, preset: 'cifar' });
    console.log('done', out.length);`);
  assert.equal(r.signal, null, `the process exits by itself (stderr: ${r.err})`);
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /done 6144/);
});

test('without sharp: a clear error naming the package', () => {
  const r = node(`
    const Module = require('node:module');
    const load = Module._load;
    Module._load = function (request, ...rest) {
      if (request === 'sharp') throw new Error("Cannot find module 'sharp'");
      return load.call(this, request, ...rest);
    };
    const { applyShift } = require('./src/shifts');
    try { applyShift('jpeg_compression', new Float32Array(784), { n: 1, height: 28, width: 28, channels: 1 }, { severity: 1 }); }
    catch (e) { console.log(e.message); }`);
  assert.equal(r.status, 0, r.err);
  assert.match(r.out, /editlab: jpeg_compression needs the "sharp" package .*could not be loaded: Cannot find module 'sharp'/);
});
