import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { conceptStyleTask, renderStyle, loadEditManifest, listTasks, buildTask } from '../src/edits';
import { fashionMnistSet, sample } from '../src/data/image-set';
import { writeImage } from '../src/data/image-io';

test('the concept–style task re-renders only the concept region, with held-out styles and classes', () => {
  const task = conceptStyleTask({ exemplars: 8, testSize: 40, seed: 1 });
  assert.equal(task.editSet.n, 8);
  assert.ok([...task.editSet.labels].every((l) => l === 2), 'exemplars are Pullovers');
  assert.deepEqual(Object.keys(task.splits!), ['target, train style', 'target, held-out styles', 'other classes, train style', 'other classes, held-out styles']);
  assert.ok([...task.splits!['other classes, held-out styles'].labels].every((l) => l !== 2));
  const set = sample(fashionMnistSet('test', 300), 3, 2);
  const styled = renderStyle(set, 'stripes');
  for (let i = 0; i < set.images.length; i++) {
    if (set.images[i] < 0.15) assert.equal(styled.images[i], set.images[i], 'background untouched');
    assert.equal(styled.masks![i], set.images[i] >= 0.15 ? 1 : 0);
  }
  assert.throws(() => renderStyle(set, 'plaid'), /unknown style "plaid"; available: stripes, checker, dots, waves/);
  assert.deepEqual(listTasks().map((t) => t.name).sort(), ['concept-style', 'digit-patching', 'snow-background']);
  assert.throws(() => buildTask('volcano'), /unknown task "volcano"/);
});

test('an edit manifest loads images, labels by name or index, masks and originals, confined to its folder', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-manifest-'));
  const square = (v: number, size = 32) => ({ width: size, height: size, channels: 3 as const, data: new Float32Array(size * size * 3).fill(v) });
  await writeImage(path.join(dir, 'img', 'a.png'), square(0.8));
  await writeImage(path.join(dir, 'img', 'b.png'), square(0.4, 28));
  await writeImage(path.join(dir, 'mask', 'a.png'), square(1));
  await writeImage(path.join(dir, 'orig', 'a.png'), square(0.2));
  const write = (m: unknown) => { const f = path.join(dir, 'edit.json'); fs.writeFileSync(f, JSON.stringify(m)); return f; };
  const set = await loadEditManifest(write({
    classes: ['cat', 'dog', 'car'],
    items: [{ image: 'img/a.png', label: 'car', mask: 'mask/a.png', original: 'orig/a.png' }, { image: 'img/b.png', label: 1 }],
  }));
  assert.equal(set.n, 2);
  assert.deepEqual([...set.labels], [2, 1]);
  assert.equal(set.images.length, 2 * 28 * 28);
  // RGB (0.8, 0.8, 0.8) → luma 0.8, resized from 32×32 (PNG stores 8 bits: within 1/255).
  assert.ok(Math.abs(set.images[0] - 0.8) < 3e-3 && Math.abs(set.images[28 * 28] - 0.4) < 3e-3);
  assert.ok(Math.abs(set.originals![0] - 0.2) < 3e-3 && Math.abs(set.originals![28 * 28] - 0.4) < 3e-3, 'no original: the image itself');
  assert.ok(Math.abs(set.masks![0] - 1) < 3e-3 && set.masks![28 * 28] === 1, 'no mask: all ones');
  await assert.rejects(loadEditManifest(write({ items: [{ image: '../outside.png', label: 0 }] })), /items\[0\]\.image "\.\.\/outside\.png" points outside the manifest's folder/);
  await assert.rejects(loadEditManifest(write({ classes: ['a', 'b'], items: [{ image: 'img/a.png', label: 'zebra' }] })), /items\[0\]\.label must be a class index or one of a, b, got "zebra"/);
  await assert.rejects(loadEditManifest(write({ classes: ['a', 'b'], items: [{ image: 'img/a.png', label: 5 }] })), /items\[0\]\.label 5 is outside the model's classes 0\.\.1/);
  await assert.rejects(loadEditManifest(write({ items: [] })), /"items" must be a non-empty array/);
  await assert.rejects(loadEditManifest(write({ items: [{ image: 'img/missing.png', label: 0 }] })), /cannot read .*img\/missing\.png/);
});

test('the snow task holds out other classes and noisy copies; bad edit sets are refused', async () => {
  const task = buildTask('snow-background', { exemplars: 12, testSize: 30, seed: 2 });
  assert.ok([...task.editSet.labels].every((l) => [5, 7, 9].includes(l)), 'exemplars are footwear');
  assert.deepEqual(Object.keys(task.splits!), ['target, snow', 'target, snow + gaussian_noise s3', 'other classes, snow', 'other classes, snow + gaussian_noise s3']);
  assert.ok([...task.splits!['other classes, snow'].labels].every((l) => ![5, 7, 9].includes(l)));
  assert.notDeepEqual(task.splits!['target, snow + gaussian_noise s3'].images, task.heldOut.images);
  const { edit } = await import('../src/edits');
  const { buildModel } = await import('../src/models');
  const { useBackend } = await import('../src/engine/backend');
  await useBackend('wasm');
  const model = buildModel('reference-cnn', { classes: 5 });
  await assert.rejects(edit(model, task.editSet, 'local-ft', { layer: 'conv3' }), /edit-set label \d+ \(example \d+\) is outside the model's classes 0\.\.4/);
  await assert.rejects(edit(model, { ...task.editSet, n: 0, labels: new Int32Array(0), images: new Float32Array(0) }, 'local-ft', { layer: 'conv3' }), /the edit set is empty/);
  model.dispose();
});
