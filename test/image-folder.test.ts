// ImageFolder data sets and image files, on a fixture tree generated here: nested folders inside
// a class, a truncated JPEG, an empty class folder, non-image files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  decodeImage, encodeImage, loadImageFolder, openImageFolder, readImage, resampleWeights, resizeShorterAndCrop, scanImageFolder,
  PREPROCESS_PRESETS, type RasterImage,
} from '../src/data';

let root = '';

/** A w × h image with a horizontal ramp (and a colour tint for RGB). */
function ramp(width: number, height: number, channels: 1 | 3): RasterImage {
  const data = new Float32Array(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) {
    data[(y * width + x) * channels + c] = Math.min(1, x / (width - 1) * (c === 2 ? 0.5 : 1));
  }
  return { width, height, channels, data };
}

function write(rel: string, content: Buffer | string): void {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
}

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-folder-'));
  write('cat/a.png', encodeImage(ramp(40, 30, 3), 'png'));
  write('cat/b.jpg', encodeImage(ramp(50, 60, 3), 'jpeg', { quality: 90 }));
  write('cat/nested/deep/c.png', encodeImage(ramp(20, 20, 1), 'png'));
  write('dog/d.JPEG', encodeImage(ramp(64, 48, 3), 'jpeg'));
  const jpeg = encodeImage(ramp(64, 64, 3), 'jpeg');
  write('dog/broken.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 3)));
  write('dog/notes.txt', 'not an image');
  fs.mkdirSync(path.join(root, 'empty'));
  write('readme.md', '# fixture');
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

test('scan: sorted classes (empty ones included), nested images, non-image files ignored', () => {
  const scan = scanImageFolder(root);
  assert.deepEqual(scan.classes, ['cat', 'dog', 'empty']);
  assert.deepEqual(scan.files.map((f) => [f.relativePath, f.label]), [
    ['cat/a.png', 0], ['cat/b.jpg', 0], ['cat/nested/deep/c.png', 0], ['dog/broken.jpg', 1], ['dog/d.JPEG', 1],
  ]);
  assert.deepEqual(scan.emptyClasses, ['empty']);
  assert.deepEqual(scan.ignoredFiles.sort(), ['dog/notes.txt', 'readme.md']);
});

test('batches: preprocessed to the preset, the truncated JPEG reported by path and left out', async () => {
  const folder = openImageFolder(root, { preprocess: 'small' });
  assert.deepEqual([folder.height, folder.width, folder.channels], [28, 28, 1]);
  const seen: string[] = [];
  const errors: string[] = [];
  for await (const batch of folder.batches({ batchSize: 2 })) {
    assert.ok(batch.n <= 2);
    assert.equal(batch.images.length, batch.n * 28 * 28);
    assert.ok(batch.images.every((v) => v >= 0 && v <= 1));
    assert.equal(batch.labels.length, batch.n);
    seen.push(...batch.relativePaths);
    errors.push(...batch.errors.map((e) => `${path.basename(e.path)}: ${e.message}`));
  }
  assert.deepEqual(seen, ['cat/a.png', 'cat/b.jpg', 'cat/nested/deep/c.png', 'dog/d.JPEG']);
  assert.equal(errors.length, 1);
  assert.match(errors[0], /^broken\.jpg: editlab: cannot decode .*broken\.jpg: truncated or corrupt JPEG/);
  await assert.rejects(async () => {
    for await (const _ of folder.batches({ batchSize: 8, onError: 'throw' })) void _;
  }, /cannot decode .*broken\.jpg/);
});

test('batches stream: files are read only when their batch is reached', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-stream-'));
  for (let i = 0; i < 6; i++) {
    fs.mkdirSync(path.join(dir, `c${i % 2}`), { recursive: true });
    fs.writeFileSync(path.join(dir, `c${i % 2}`, `${i}.png`), encodeImage(ramp(8, 8, 1), 'png'));
  }
  const folder = openImageFolder(dir, { preprocess: { size: [8, 8], channels: 1 } });
  const it = folder.batches({ batchSize: 2 });
  const first = await it.next();
  assert.equal(first.value?.n, 2);
  fs.rmSync(folder.files[5].path); // deleted after the first batch was read
  const rest: string[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) rest.push(...r.value.errors.map((e) => e.message));
  assert.equal(rest.length, 1);
  assert.match(rest[0], /cannot read .*5\.png: ENOENT/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('ImageNet preset: shorter side 256, centre crop 224, RGB; optional mean/std normalisation', async () => {
  const plain = await loadImageFolder(root, { preprocess: 'imagenet' });
  assert.deepEqual([plain.n, plain.height, plain.width, plain.channels], [4, 224, 224, 3]);
  assert.equal(plain.errors.length, 1);
  const norm = await loadImageFolder(root, { preprocess: 'imagenet', normalize: true });
  const { mean, std } = PREPROCESS_PRESETS.imagenet;
  for (const i of [0, 1, 2, 1000, 150527]) {
    const c = i % 3;
    assert.ok(Math.abs(norm.images[i] - (plain.images[i] - mean![c]) / std![c]) < 1e-5);
  }
  // A grayscale file becomes 3 equal channels.
  const gray = plain.images.subarray(2 * 224 * 224 * 3, 3 * 224 * 224 * 3);
  assert.ok(gray[3 * 5000] === gray[3 * 5000 + 1] && gray[3 * 5000 + 1] === gray[3 * 5000 + 2]);
  // torchvision's sizes: 300 wide × 400 high → 256 × 341, crop at (58, 16) — a ramp stays a ramp.
  const out = resizeShorterAndCrop(ramp(300, 400, 1), 256, 224);
  assert.deepEqual([out.width, out.height], [224, 224]);
  assert.ok(out.data[0] < out.data[223] && Math.abs(out.data[0] - out.data[224]) < 1e-6);
});

test('Pillow resampling weights (known answers): antialiased bilinear and box', () => {
  // Bilinear 4 → 2: output 0 centred at 1, triangle stretched ×2: inputs 0, 1, 2 weighted .75, .75, .25 → /1.75.
  const w = resampleWeights(4, 2, 'bilinear');
  assert.deepEqual([w.start[0], w.count[0]], [0, 3]);
  for (const [k, v] of [0.75, 0.75, 0.25].entries()) assert.ok(Math.abs(w.weights[k] - v / 1.75) < 1e-12);
  // Box 6 → 3: pairs; box 2 → 4: nearest.
  const b = resampleWeights(6, 3, 'box');
  assert.deepEqual([...b.start], [0, 2, 4]);
  assert.deepEqual([...b.count], [2, 2, 2]);
  const up = resampleWeights(2, 4, 'box');
  assert.deepEqual([...up.start], [0, 0, 1, 1]);
  assert.deepEqual([...up.count], [1, 1, 1, 1]);
});

test('image files: PNG gray/RGB and JPEG round trips; bad bytes name the file', async () => {
  const g = decodeImage(encodeImage(ramp(9, 7, 1), 'png'), 'g.png');
  assert.deepEqual([g.width, g.height, g.channels], [9, 7, 1]);
  assert.ok(Math.abs(g.data[8] - 1) < 1e-6 && g.data[0] === 0);
  const rgb = decodeImage(encodeImage(ramp(9, 7, 3), 'png'), 'rgb.png');
  assert.equal(rgb.channels, 3);
  assert.ok(Math.abs(rgb.data[8 * 3 + 2] - 0.5) < 1 / 255);
  const j = decodeImage(encodeImage(ramp(16, 16, 3), 'jpeg', { quality: 95 }), 'j.jpg');
  assert.deepEqual([j.width, j.height, j.channels], [16, 16, 3]);
  assert.ok(Math.abs(j.data[15 * 3] - 1) < 0.05);
  const png = encodeImage(ramp(32, 32, 3), 'png');
  assert.throws(() => decodeImage(png.subarray(0, 60), 'cut.png'), /cannot decode cut\.png: truncated or corrupt PNG/);
  assert.throws(() => decodeImage(Buffer.from('GIF89a...'), 'x.gif'), /cannot decode x\.gif: not a PNG or JPEG file/);
  await assert.rejects(readImage(path.join(root, 'nope.png')), /cannot read .*nope\.png: ENOENT/);
});

test('folders without images, or missing, fail with a message naming them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-empty-'));
  fs.mkdirSync(path.join(dir, 'a'));
  fs.writeFileSync(path.join(dir, 'a', 'x.txt'), 'x');
  assert.throws(() => openImageFolder(dir), new RegExp(`no images \\(\\.jpg, \\.jpeg, \\.png\\) in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.throws(() => openImageFolder(path.join(dir, 'missing')), /cannot read folder .*missing: it does not exist/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('fixed class lists: labels by position, unknown folders skipped', () => {
  const folder = openImageFolder(root, { preprocess: 'small', classes: ['dog', 'bird', 'cat'] });
  assert.deepEqual(folder.classes, ['dog', 'bird', 'cat']);
  assert.deepEqual(folder.skippedFolders, ['empty']);
  assert.deepEqual([...new Set(folder.files.map((f) => f.label))].sort(), [0, 2]);
});
