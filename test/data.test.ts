import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import {
  FASHION_MNIST_CLASSES,
  IdxFormatError,
  fashionMnistFile,
  loadFashionMnist,
  packageRoot,
  parseIdx,
  readIdx,
} from '../src/data';

/** Builds an IDX file by hand: two zero bytes, dtype, ndims, big-endian dims, data. */
function idx(dims: number[], data: number[] | Uint8Array, dtype = 0x08): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = dtype;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-data-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, bytes: Uint8Array): string {
  const p = path.join(tmp, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, bytes);
  return p;
}

/** Runs fn, asserts it throws an IdxFormatError whose message names `file` and contains `words`. */
function expectIdxError(fn: () => unknown, file: string, field: string, ...words: string[]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof IdxFormatError, `expected IdxFormatError, got ${e}`);
    assert.equal(e.field, field, e.message);
    assert.equal(e.file, file);
    assert.ok(e.message.startsWith(file + ': '), `message should name the file: ${e.message}`);
    for (const w of words) assert.ok(e.message.includes(w), `message should contain "${w}": ${e.message}`);
    return true;
  });
}

describe('readIdx', () => {
  test('parses a raw 1-D unsigned-byte file', () => {
    // 00 00 08 01 | 00 00 00 03 | 07 00 09
    const p = write('labels.idx', Buffer.from([0, 0, 8, 1, 0, 0, 0, 3, 7, 0, 9]));
    const f = readIdx(p);
    assert.deepEqual(f.dims, [3]);
    assert.deepEqual([...f.data], [7, 0, 9]);
    assert.equal(Object.getPrototypeOf(f.data), Uint8Array.prototype, 'plain Uint8Array, not Buffer');
  });

  test('parses a raw 3-D file with big-endian dims and row-major data', () => {
    const data = Array.from({ length: 2 * 2 * 3 }, (_, i) => i * 20);
    const p = write('img.idx', idx([2, 2, 3], data));
    const f = readIdx(p, { magic: 0x00000803, dims: [null, 2, 3] });
    assert.deepEqual(f.dims, [2, 2, 3]);
    assert.equal(f.data.length, 12);
    // element [1][0][2] = index 1*6 + 0*3 + 2 = 8 -> 160
    assert.equal(f.data[8], 160);
    assert.equal(f.data[11], 220);
  });

  test('a dimension above 255 is read as a 32-bit big-endian number', () => {
    const p = write('big.idx', Buffer.concat([Buffer.from([0, 0, 8, 1, 0, 0, 0x01, 0x2c]), Buffer.alloc(300, 5)]));
    assert.deepEqual(readIdx(p).dims, [300]);
  });

  test('gzipped and raw give the same result; gzip is detected by magic, not by name', () => {
    const raw = idx([4], [1, 2, 3, 250]);
    const gz = zlib.gzipSync(raw);
    assert.equal(gz[0], 0x1f);
    const a = readIdx(write('a.idx', raw));
    const b = readIdx(write('b.idx.gz', gz));
    const c = readIdx(write('c-no-suffix', gz));
    const d = readIdx(write('d.gz', raw)); // misnamed raw file
    for (const f of [a, b, c, d]) {
      assert.deepEqual(f.dims, [4]);
      assert.deepEqual([...f.data], [1, 2, 3, 250]);
    }
  });

  test('a missing file names the path', () => {
    const p = path.join(tmp, 'nope', 'missing.idx');
    assert.throws(() => readIdx(p), (e: Error) => e.message.includes(p) && /cannot read/.test(e.message));
  });
});

describe('readIdx rejects corrupt headers, naming the file and the field', () => {
  test('fewer than 4 bytes', () => {
    const p = write('short.idx', Buffer.from([0, 0, 8]));
    expectIdxError(() => readIdx(p), p, 'magic', 'truncated', '4-byte');
  });
  test('magic not starting with two zero bytes', () => {
    const p = write('badmagic.idx', Buffer.from([0x50, 0x4b, 8, 1, 0, 0, 0, 0]));
    expectIdxError(() => readIdx(p), p, 'magic', 'two zero bytes', '0x50');
  });
  test('dtype byte other than 0x08', () => {
    const p = write('float.idx', idx([1], [0, 0, 0, 0], 0x0d));
    expectIdxError(() => readIdx(p), p, 'dtype', 'dtype', '0x08', '0x0d');
  });
  test('labels file where images are expected (magic 0x00000801 vs 0x00000803)', () => {
    const p = write('labels-not-images.idx', idx([2], [1, 2]));
    expectIdxError(() => readIdx(p, { magic: 0x803 }), p, 'magic', '0x00000803', '0x00000801');
  });
  test('zero dimensions', () => {
    const p = write('nodims.idx', Buffer.from([0, 0, 8, 0]));
    expectIdxError(() => readIdx(p), p, 'ndims', 'dimensions', '0');
  });
  test('header cut inside the dims', () => {
    // 3 dims need 16 header bytes; give 10.
    const p = write('cuthead.idx', Buffer.from([0, 0, 8, 3, 0, 0, 0, 1, 0, 0]));
    expectIdxError(() => readIdx(p), p, 'dims', 'truncated header', '16-byte', '10 bytes');
  });
  test('wrong image size', () => {
    const p = write('27.idx', idx([1, 28, 27], new Uint8Array(28 * 27)));
    expectIdxError(() => readIdx(p, { dims: [null, 28, 28] }), p, 'dims', '[n, 28, 28]', '[1, 28, 27]');
  });
  test('data shorter than the product of dims (truncated file)', () => {
    const p = write('trunc.idx', idx([2, 2, 2], [1, 2, 3, 4, 5])); // needs 8
    expectIdxError(() => readIdx(p), p, 'length', 'truncated', '16 + 8 = 24', 'got 21');
  });
  test('trailing bytes after the data', () => {
    const p = write('long.idx', idx([2], [1, 2, 3]));
    expectIdxError(() => readIdx(p), p, 'length', '8 + 2 = 10', 'got 11', '1 trailing');
  });
  test('gzip stream cut short', () => {
    const gz = zlib.gzipSync(idx([100], new Uint8Array(100).map((_, i) => (i * 37) % 256)));
    const p = write('cut.idx.gz', gz.subarray(0, gz.length - 12));
    expectIdxError(() => readIdx(p), p, 'gzip', 'truncated');
  });
  test('parseIdx uses the given name in messages', () => {
    expectIdxError(() => parseIdx(Buffer.from([0, 0, 9, 1]), 'in-memory'), 'in-memory', 'dtype');
  });
});

describe('loadFashionMnist on hand-made files', () => {
  /** Three 28×28 images: image k has every pixel = 10*k + 1, except pixel (r, c) = (k, 2k) = 255. */
  function tinySet(dir: string, labels: number[], opts: { gzip?: boolean; images?: number } = {}) {
    const n = opts.images ?? labels.length;
    const px = new Uint8Array(n * 784);
    for (let k = 0; k < n; k++) {
      px.fill(10 * k + 1, k * 784, (k + 1) * 784);
      px[k * 784 + k * 28 + 2 * k] = 255;
    }
    const enc = (b: Buffer) => (opts.gzip ? zlib.gzipSync(b) : b);
    const sfx = opts.gzip ? '.gz' : '';
    write(`${dir}/t10k-images-idx3-ubyte${sfx}`, enc(idx([n, 28, 28], px)));
    write(`${dir}/t10k-labels-idx1-ubyte${sfx}`, enc(idx([labels.length], labels)));
    return path.join(tmp, dir);
  }

  for (const gzip of [false, true]) {
    test(`reads images and labels (${gzip ? 'gzip' : 'raw'})`, () => {
      const root = tinySet(gzip ? 'tiny-gz' : 'tiny-raw', [9, 0, 3], { gzip });
      const ds = loadFashionMnist({ split: 'test', root });
      assert.equal(ds.n, 3);
      assert.equal(ds.height, 28);
      assert.equal(ds.width, 28);
      assert.equal(ds.images.length, 3 * 784);
      assert.deepEqual([...ds.labels], [9, 0, 3]);
      assert.equal(ds.classes[ds.labels[0]], 'Ankle boot');
      assert.equal(ds.images[0], 255); // image 0: pixel (0, 0) is the marked one
      assert.equal(ds.images[1], 1);
      assert.equal(ds.images[784 + 5], 11);
      assert.equal(ds.images[2 * 784 + 2 * 28 + 4], 255); // image 2, row 2, col 4
      assert.equal(ds.images[2 * 784 + 2 * 28 + 3], 21);
    });
  }

  test('limit keeps the first examples', () => {
    const root = tinySet('tiny-limit', [4, 5, 6]);
    const ds = loadFashionMnist({ split: 'test', root, limit: 2 });
    assert.equal(ds.n, 2);
    assert.deepEqual([...ds.labels], [4, 5]);
    assert.equal(ds.images.length, 2 * 784);
    assert.equal(ds.images[784 + 28 + 2], 255);
    assert.equal(loadFashionMnist({ split: 'test', root, limit: 0 }).n, 0);
    assert.equal(loadFashionMnist({ split: 'test', root, limit: 99 }).n, 3);
    assert.throws(() => loadFashionMnist({ split: 'test', root, limit: -1 }), /limit must be a non-negative integer/);
    assert.throws(() => loadFashionMnist({ split: 'test', root, limit: 1.5 }), /limit/);
  });

  test('label count differing from image count names the labels file and both counts', () => {
    const root = tinySet('tiny-count', [1, 2], { images: 3 });
    const labels = path.join(root, 't10k-labels-idx1-ubyte');
    expectIdxError(() => loadFashionMnist({ split: 'test', root }), labels, 'count', 'image count 3', 'got 2');
  });

  test('a label ≥ 10 names the file, the value and its index', () => {
    const root = tinySet('tiny-label', [1, 10, 2]);
    const labels = path.join(root, 't10k-labels-idx1-ubyte');
    expectIdxError(() => loadFashionMnist({ split: 'test', root }), labels, 'labels', '0 … 9', 'got 10 at index 1');
  });

  test('an images file with labels magic is rejected', () => {
    const root = path.join(tmp, 'tiny-swapped');
    const img = write('tiny-swapped/t10k-images-idx3-ubyte', idx([2], [0, 1]));
    write('tiny-swapped/t10k-labels-idx1-ubyte', idx([2], [0, 1]));
    expectIdxError(() => loadFashionMnist({ split: 'test', root }), img, 'magic', '0x00000803', '0x00000801');
  });

  test('a missing file says which file and where it looked', () => {
    const root = path.join(tmp, 'empty');
    fs.mkdirSync(root, { recursive: true });
    assert.throws(
      () => loadFashionMnist({ split: 'test', root }),
      (e: Error) =>
        e.message.includes('t10k-images-idx3-ubyte.gz') &&
        e.message.includes(path.join(root, 't10k-images-idx3-ubyte.gz')) &&
        e.message.includes(path.join(root, 't10k-images-idx3-ubyte')) &&
        e.message.includes('not found'),
    );
    write('only-images/t10k-images-idx3-ubyte.gz', zlib.gzipSync(idx([0, 28, 28], [])));
    assert.throws(
      () => loadFashionMnist({ split: 'test', root: path.join(tmp, 'only-images') }),
      /test labels file t10k-labels-idx1-ubyte\.gz not found/,
    );
  });

  test('an unknown split is rejected', () => {
    assert.throws(() => loadFashionMnist({ split: 'val' as 'test' }), /split must be 'train' or 'test'/);
  });
});

describe('embedded Fashion-MNIST', () => {
  const root = path.join(__dirname, '..', 'datasets', 'fashion-mnist');

  test('packageRoot() finds this checkout and rejects folders outside any editlab package', () => {
    assert.equal(packageRoot(), path.resolve(__dirname, '..'));
    assert.equal(packageRoot(path.join(__dirname, '..', 'datasets', 'fashion-mnist')), path.resolve(__dirname, '..'));
    assert.throws(() => packageRoot(tmp), /no package\.json with "name": "editlab"/);
  });

  test('the .gz files match SHA256SUMS', () => {
    const sums = fs
      .readFileSync(path.join(root, 'SHA256SUMS'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+\*?/));
    assert.equal(sums.length, 4);
    for (const [hash, name] of sums) {
      const digest = crypto.createHash('sha256').update(fs.readFileSync(path.join(root, name))).digest('hex');
      assert.equal(digest, hash, name);
    }
    // Independently recorded (datasets/README.md) digest of the test images.
    const t10k = sums.find(([, n]) => n === 't10k-images-idx3-ubyte.gz');
    assert.equal(t10k?.[0], 'cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa');
  });

  test('the default root is the embedded folder', () => {
    assert.equal(fashionMnistFile('test', 'images'), path.join(path.resolve(root), 't10k-images-idx3-ubyte.gz'));
  });

  test('test split: 10 000 images of 28×28, 1 000 per class', () => {
    const ds = loadFashionMnist({ split: 'test' });
    assert.equal(ds.n, 10000);
    assert.equal(ds.images.length, 10000 * 28 * 28);
    assert.equal(ds.labels.length, 10000);
    assert.deepEqual(ds.classes, [
      'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
      'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
    ]);
    assert.deepEqual(ds.classes, [...FASHION_MNIST_CLASSES]);
    const hist = new Array(10).fill(0);
    for (const l of ds.labels) hist[l]++;
    assert.deepEqual(hist, new Array(10).fill(1000));
    // First labels as read from the file with `zcat … | xxd`: 09 02 01 01 06 01 04 06.
    assert.deepEqual([...ds.labels.subarray(0, 8)], [9, 2, 1, 1, 6, 1, 4, 6]);
    // Pixels span the full byte range and the background (0) dominates.
    let zeros = 0;
    let max = 0;
    for (const v of ds.images) {
      if (v === 0) zeros++;
      if (v > max) max = v;
    }
    assert.equal(max, 255);
    assert.ok(zeros / ds.images.length > 0.4 && zeros / ds.images.length < 0.6, `zero fraction ${zeros / ds.images.length}`);
    const first100 = loadFashionMnist({ split: 'test', limit: 100 });
    assert.deepEqual(first100.images, ds.images.subarray(0, 100 * 784));
  });

  test('train split: 60 000 images, 6 000 per class', () => {
    const ds = loadFashionMnist({ split: 'train' });
    assert.equal(ds.n, 60000);
    assert.equal(ds.images.length, 60000 * 784);
    const hist = new Array(10).fill(0);
    for (const l of ds.labels) hist[l]++;
    assert.deepEqual(hist, new Array(10).fill(6000));
  });
});
