import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { loadMnistDigits, mnistDigitSet, MNIST_DIGIT_CLASSES } from '../src/data/mnist-digits';
import { defaultMnistDigitsRoot } from '../src/data/paths';
import { fashionMnistSet, type ImageSet } from '../src/data/image-set';
import { buildTask, listTasks, digitPatchingTask, balancedSample } from '../src/edits';

const root = defaultMnistDigitsRoot();
const FILES = ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz', 'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz'];

/** Label counts 0..9 of a label array. */
const counts = (labels: ArrayLike<number>) => {
  const c = new Array<number>(10).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]]++;
  return c;
};
/** One key per image (its exact values), to compare images across sets. */
const imageKeys = (set: { images: Uint8Array | Float32Array; n: number }) => {
  const size = set.images.length / set.n;
  return Array.from({ length: set.n }, (_, i) => Buffer.from(set.images.buffer, set.images.byteOffset + i * size * set.images.BYTES_PER_ELEMENT, size * set.images.BYTES_PER_ELEMENT).toString('base64'));
};

test('the embedded digit files match SHA256SUMS', () => {
  assert.equal(root, path.resolve(__dirname, '..', 'datasets', 'mnist-digits'));
  const sums = fs.readFileSync(path.join(root, 'SHA256SUMS'), 'utf8').trim().split('\n').map((l) => l.split(/\s+\*?/));
  assert.deepEqual(sums.map(([, name]) => name), FILES);
  for (const [hash, name] of sums) {
    const digest = crypto.createHash('sha256').update(fs.readFileSync(path.join(root, name))).digest('hex');
    assert.equal(digest, hash, name);
  }
  // Independently recorded (datasets/README.md) digest of the uncompressed test images: survives a zlib change.
  const raw = zlib.gunzipSync(fs.readFileSync(path.join(root, 't10k-images-idx3-ubyte.gz')));
  assert.equal(crypto.createHash('sha256').update(raw).digest('hex'), '130d4c00b2f18fa33735024f669bd2c4d6b0ca9ba6d726409196fb0ab94e60ee');
  assert.match(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8'), /The MIT License \(MIT\)\s+Copyright \(c\) 2015 Juan Cazala/);
});

test('3 000 train and 2 000 test digits, balanced and interleaved by class, train and test disjoint', () => {
  const train = loadMnistDigits({ split: 'train' });
  const testSplit = loadMnistDigits({ split: 'test' });
  for (const [ds, n] of [[train, 3000], [testSplit, 2000]] as const) {
    assert.equal(ds.n, n);
    assert.equal(ds.images.length, n * 28 * 28);
    assert.deepEqual(counts(ds.labels), new Array(10).fill(n / 10));
    assert.ok(ds.labels.every((l, i) => l === i % 10), 'labels 0, 1, …, 9, 0, 1, …');
    assert.deepEqual(ds.classes, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.equal(ds.images[0], 0, 'corner pixel is background (0)');
  }
  assert.deepEqual([...MNIST_DIGIT_CLASSES], train.classes);
  const trainKeys = new Set(imageKeys(train));
  assert.equal(trainKeys.size, 3000, 'no repeated image within train');
  const testKeys = imageKeys(testSplit);
  assert.equal(new Set(testKeys).size, 2000, 'no repeated image within test');
  assert.equal(testKeys.filter((k) => trainKeys.has(k)).length, 0, 'no test image is also a train image');
  const limited = loadMnistDigits({ split: 'test', limit: 20 });
  assert.deepEqual(counts(limited.labels), new Array(10).fill(2));
  const set = mnistDigitSet('test', 20);
  assert.equal(set.channels, 1);
  assert.ok(set.images.every((v) => v >= 0 && v <= 1));
  assert.equal(set.images[200], limited.images[200] / 255);
});

test('missing or malformed digit files give errors naming the file and its expected form', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-digits-'));
  assert.throws(() => loadMnistDigits({ split: 'test', root: dir }), /^Error: editlab: MNIST digits test images: t10k-images-idx3-ubyte\.gz .*not found in .*expected .*magic 0x00000803 and dims \[n, 28, 28\]/);
  fs.copyFileSync(path.join(root, 't10k-images-idx3-ubyte.gz'), path.join(dir, 't10k-images-idx3-ubyte.gz'));
  assert.throws(() => loadMnistDigits({ split: 'test', root: dir }), /editlab: MNIST digits test labels: t10k-labels-idx1-ubyte\.gz .*expected .*magic 0x00000801 and dims \[n\]/);
  // Images where the labels should be: the IDX reader names the file and the expected magic.
  fs.copyFileSync(path.join(root, 't10k-images-idx3-ubyte.gz'), path.join(dir, 't10k-labels-idx1-ubyte.gz'));
  assert.throws(() => loadMnistDigits({ split: 'test', root: dir }), (e: Error & { field?: string }) =>
    e.name === 'IdxFormatError' && e.field === 'magic' && /^editlab: MNIST digits: .*t10k-labels-idx1-ubyte\.gz: IDX magic number must be 0x00000801/.test(e.message));
  assert.throws(() => loadMnistDigits({ split: 'val' as 'test' }), /editlab: loadMnistDigits: split must be 'train' or 'test', got "val"/);
  fs.rmSync(dir, { recursive: true });
});

test('the digit-patching task: balanced exemplars and held-out digits, the original task and noisy copies', () => {
  assert.ok(listTasks().some((t) => t.name === 'digit-patching' && /PAINT/.test(t.description)));
  const task = buildTask('digit-patching', { exemplars: 20, testSize: 50, seed: 1 });
  assert.equal(task.name, 'digit-patching');
  assert.match(task.description, /PAINT analog.*14\.05% \(vgg-small\), 11\.30% \(resnet-small\), 11\.35% \(vit-tiny\)/);
  assert.equal(task.editSet.n, 20);
  assert.deepEqual(counts(task.editSet.labels), new Array(10).fill(2));
  assert.equal(task.editSet.originals, undefined, 'digits have no originals');
  assert.deepEqual(Object.keys(task.splits!), ['target, digits', 'target, digits + gaussian_noise s3', 'original task, clean', 'original task + gaussian_noise s3']);
  assert.equal(task.splits!['target, digits'], task.heldOut);
  for (const [name, split] of Object.entries(task.splits!)) {
    assert.equal(split.n, 50, name);
    assert.equal(split.images.length, 50 * 28 * 28, name);
    assert.ok(split.labels.every((l) => l >= 0 && l <= 9), name);
    assert.equal(split.originals, undefined, name);
  }
  assert.deepEqual(counts(task.heldOut.labels), new Array(10).fill(5));
  // Held-out digits come from the test split, exemplars from the train split.
  const testKeys = new Set(imageKeys(mnistDigitSet('test')));
  const trainKeys = new Set(imageKeys(mnistDigitSet('train')));
  assert.ok(imageKeys(task.heldOut).every((k) => testKeys.has(k)));
  assert.ok(imageKeys(task.editSet).every((k) => trainKeys.has(k)));
  // The original task: Fashion-MNIST test images with their own labels.
  const fashionKeys = new Set(imageKeys(fashionMnistSet('test')));
  assert.ok(imageKeys(task.splits!['original task, clean']).every((k) => fashionKeys.has(k)));
  for (const [clean, noisy] of [['target, digits', 'target, digits + gaussian_noise s3'], ['original task, clean', 'original task + gaussian_noise s3']]) {
    assert.deepEqual(task.splits![noisy].labels, task.splits![clean].labels);
    assert.notDeepEqual(task.splits![noisy].images, task.splits![clean].images);
  }
  // 13 exemplars: digits 0–2 get two, the others one.
  assert.deepEqual(counts(balancedSample(mnistDigitSet('train'), 13, 4).labels), [2, 2, 2, 1, 1, 1, 1, 1, 1, 1]);
  assert.throws(() => digitPatchingTask({ testSize: 2001 }), /editlab: digit-patching: testSize must be an integer from 1 to 2000/);
});

test('the task is deterministic for a seed and differs across seeds', () => {
  const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  const same = (a: ImageSet, b: ImageSet) => a.n === b.n && bytes(a.images).equals(bytes(b.images)) && a.labels.every((l, i) => l === b.labels[i]);
  const a = digitPatchingTask({ exemplars: 30, testSize: 40, seed: 7 });
  const b = digitPatchingTask({ exemplars: 30, testSize: 40, seed: 7 });
  const c = digitPatchingTask({ exemplars: 30, testSize: 40, seed: 8 });
  assert.ok(same(a.editSet, b.editSet));
  for (const name of Object.keys(a.splits!)) assert.ok(same(a.splits![name], b.splits![name]), name);
  assert.ok(!same(a.editSet, c.editSet));
  assert.ok(!same(a.heldOut, c.heldOut));
  assert.ok(!same(a.splits!['original task + gaussian_noise s3'], c.splits!['original task + gaussian_noise s3']));
});

test('the embedded vgg-small reads the held-out digits near chance before any edit', async () => {
  const { useBackend } = await import('../src/engine/backend');
  const { resolveModel } = await import('../src/models');
  const { predict } = await import('../src/engine/predict');
  await useBackend('wasm');
  const task = digitPatchingTask({ testSize: 500, seed: 0 });
  const { model } = await resolveModel('vgg-small');
  const accuracy = (set: ImageSet) => {
    const { predicted } = predict(model, set);
    return predicted.filter((p, i) => p === set.labels[i]).length / set.n;
  };
  // The model never saw a digit: well under 30% (chance is 10%) …
  assert.ok(accuracy(task.heldOut) < 0.3, 'digits before the edit');
  // … while it does its own task, so the low digit score is not a broken model.
  assert.ok(accuracy(task.splits!['original task, clean']) > 0.8, 'Fashion-MNIST before the edit');
  model.dispose();
});
