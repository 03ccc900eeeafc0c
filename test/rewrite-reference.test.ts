/**
 * Rewriting checked point by point against independent float64 computations written here
 * (plain loops on Float64Array; none of the module's linear-algebra helpers), with soft masks.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf, useBackend } from '../src/engine/backend';
import { buildModel, resolveModel, blockTail, activations } from '../src/models';
import { fashionMnistSet, sample } from '../src/data/image-set';
import {
  edit, buildTask, areaAverageMasks, rewriteDirections, rewriteSolve, layerInputMoment, secondMoment, singularValues, numericalRank,
  type EditSet,
} from '../src/edits';

let resnet: tf.LayersModel;
let vgg: tf.LayersModel;
let vit: tf.LayersModel;
/** 8 snow exemplars whose masks are made soft: 1 → 1 or 0.6, 0 → 0.25. */
let soft: EditSet;
/** A small clean reference set for rewriting's second moment (the default is 2000 images). */
let reference: ReturnType<typeof fashionMnistSet>;

/** A seeded uniform generator (an LCG, independent of the package's rng). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const normalise = (a: ArrayLike<number>) => {
  const n = Math.sqrt(dot(a, a));
  return Float64Array.from(a, (v) => v / n);
};
/** y = A x for a row-major n × n A. */
const mulVec = (a: Float64Array, x: ArrayLike<number>, n: number) => {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) y[i] += a[i * n + j] * x[j];
  return y;
};

before(async () => {
  await useBackend('wasm');
  resnet = (await resolveModel('resnet-small')).model;
  vgg = (await resolveModel('vgg-small')).model;
  vit = (await resolveModel('vit-tiny')).model;
  const task = buildTask('snow-background', { exemplars: 8, testSize: 10, seed: 4 });
  const masks = task.editSet.masks!.map((m, i) => (m === 1 ? (i % 3 === 0 ? 0.6 : 1) : 0.25));
  soft = { ...task.editSet, masks };
  reference = sample(fashionMnistSet('train', 1000), 40, 2);
});

// 1. areaAverageMasks ------------------------------------------------------------------------

/** Area averaging by supersampling: each input pixel split into ho × wo cells, each output cell the mean of its h × w cells. */
function areaReference(masks: ArrayLike<number>, n: number, h: number, w: number, ho: number, wo: number): Float64Array {
  const out = new Float64Array(n * ho * wo);
  for (let k = 0; k < n; k++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        let sum = 0;
        for (let sy = oy * h; sy < (oy + 1) * h; sy++) {
          for (let sx = ox * w; sx < (ox + 1) * w; sx++) sum += masks[(k * h + Math.floor(sy / ho)) * w + Math.floor(sx / wo)];
        }
        out[(k * ho + oy) * wo + ox] = sum / (h * w);
      }
    }
  }
  return out;
}

/** Average pooling with an integer factor f. */
function poolReference(masks: ArrayLike<number>, n: number, size: number, f: number): Float64Array {
  const o = size / f;
  const out = new Float64Array(n * o * o);
  for (let k = 0; k < n; k++) {
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out[(k * o + Math.floor(y / f)) * o + Math.floor(x / f)] += masks[(k * size + y) * size + x] / (f * f);
  }
  return out;
}

const softValues = [0, 0.25, 0.6, 1];
const randomSoftMask = (length: number, seed: number) => {
  const r = lcg(seed);
  return Float32Array.from({ length }, () => softValues[Math.floor(r() * 4)]);
};

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `${what}[${i}] = ${actual[i]}, expected ${expected[i]}`);
  }
}

test('areaAverageMasks: integer factors are average pooling (28→14, 28→7)', () => {
  const masks = randomSoftMask(2 * 28 * 28, 1);
  for (const [o, f] of [[14, 2], [7, 4]]) {
    const got = areaAverageMasks(masks, 2, 28, 28, o, o);
    assertClose(got, poolReference(masks, 2, 28, f), 1e-6, `28→${o}`);
    assertClose(got, areaReference(masks, 2, 28, 28, o, o), 1e-6, `28→${o} (supersampled)`);
  }
});

test('areaAverageMasks: sizes that do not divide weigh fractional overlaps (5→3, 5×4→3×2)', () => {
  // By hand: one pixel (0, 1) of 0.6. Output cell (0, 0) covers rows [0, 5/3), cols [0, 5/3): that
  // pixel overlaps it by 1 × 2/3 of its area; cell (0, 1) (cols [5/3, 10/3)) by 1 × 1/3. Cell area 25/9.
  const one = new Float32Array(25);
  one[1] = 0.6;
  const got = areaAverageMasks(one, 1, 5, 5, 3, 3);
  assertClose(got, [0.6 * (2 / 3) * (9 / 25), 0.6 * (1 / 3) * (9 / 25), 0, 0, 0, 0, 0, 0, 0], 1e-7, '5→3 one pixel');
  const masks = randomSoftMask(3 * 5 * 5, 2);
  assertClose(areaAverageMasks(masks, 3, 5, 5, 3, 3), areaReference(masks, 3, 5, 5, 3, 3), 1e-6, '5→3');
  const rect = randomSoftMask(2 * 5 * 4, 3);
  assertClose(areaAverageMasks(rect, 2, 5, 4, 3, 2), areaReference(rect, 2, 5, 4, 3, 2), 1e-6, '5×4→3×2');
});

// 2. rewriteDirections -----------------------------------------------------------------------

const CIN = 4;
/** C = Q diag(λ) Qᵀ with Q a Householder reflection, so C^(±1/2) = Q diag(λ^(±1/2)) Qᵀ exactly. */
function knownMoment(): { c: Float64Array; z: Float64Array; root: Float64Array } {
  const v = normalise([1, 2, -1, 1]);
  const lambda = [4, 2, 1, 0.5];
  const q = new Float64Array(CIN * CIN);
  for (let i = 0; i < CIN; i++) for (let j = 0; j < CIN; j++) q[i * CIN + j] = (i === j ? 1 : 0) - 2 * v[i] * v[j];
  const compose = (f: (l: number) => number) => {
    const out = new Float64Array(CIN * CIN);
    for (let i = 0; i < CIN; i++) for (let j = 0; j < CIN; j++) for (let k = 0; k < CIN; k++) out[i * CIN + j] += q[i * CIN + k] * f(lambda[k]) * q[j * CIN + k];
    return out;
  };
  return { c: compose((l) => l), z: compose((l) => 1 / Math.sqrt(l)), root: compose((l) => Math.sqrt(l)) };
}

/**
 * Keys [2, 3, 3, 4] and a soft mask [2, 3, 3], built in whitened space: 4 positions of weight 1
 * along a (length 1), 4 of weight 0.25 along b (length √8), 6 of weight 0.6 with small noise, 4
 * of weight 0 with huge keys along c. Weighing the Gram by m² puts a on top (4 vs 4·0.0625·8 = 2);
 * by m, b (4 vs 4·0.25·8 = 8); ignoring the mask, c.
 */
function constructedKeys(root: Float64Array): { keys: Float32Array; mask: Float32Array } {
  const r = lcg(7);
  const noise = () => (r() - 0.5) * 0.1;
  const a = normalise([1, 1, 0, 0]), b = normalise([0, 0, 1, -1]), c = normalise([1, -1, 1, 1]);
  const rows: number[][] = [];
  const mask: number[] = [];
  for (let p = 0; p < 18; p++) {
    const group = [0, 1, 2, 3, 2, 0, 1, 3, 2, 0, 1, 2, 3, 0, 1, 2, 3, 2][p];
    const [m, dir, len] = ([[1, a, 1], [0.25, b, Math.sqrt(8)], [0.6, a, 0], [0, c, 30]] as const)[group];
    rows.push(Array.from({ length: CIN }, (_, i) => len * dir[i] + noise()));
    mask.push(m);
  }
  // Raw keys k = w C^(1/2) (C^(1/2) symmetric), so that k Z = w.
  const keys = new Float32Array(18 * CIN);
  rows.forEach((w, p) => keys.set(mulVec(root, w, CIN), p * CIN));
  return { keys, mask: Float32Array.from(mask) };
}

/** Top eigenvector of a symmetric PSD n × n matrix by power iteration. */
function topEigenvector(g: Float64Array, n: number): { vector: Float64Array; value: number } {
  let x = normalise(Array.from({ length: n }, (_, i) => 1 + 0.1 * i));
  for (let it = 0; it < 2000; it++) x = normalise(mulVec(g, x, n));
  return { vector: x, value: dot(x, mulVec(g, x, n)) };
}

/**
 * The reference D (rank × Cin): whitened keys w = k Z, rows times `rowWeight(m)`, top right singular
 * vectors u by power iteration (with deflation) on the Gram, D = Gram–Schmidt(Z u), each row's sign
 * agreeing with Σ m·w.
 */
function referenceDirections(keys: ArrayLike<number>, mask: ArrayLike<number>, z: Float64Array, rank: number, rowWeight: (m: number) => number): Float64Array[] {
  const n = mask.length;
  const whitened = Array.from({ length: n }, (_, p) => mulVec(z, Array.from({ length: CIN }, (_, i) => keys[p * CIN + i]), CIN));
  const g = new Float64Array(CIN * CIN);
  const total = new Float64Array(CIN);
  for (let p = 0; p < n; p++) {
    const s = rowWeight(mask[p]);
    for (let i = 0; i < CIN; i++) {
      total[i] += mask[p] * whitened[p][i];
      for (let j = 0; j < CIN; j++) g[i * CIN + j] += s * whitened[p][i] * s * whitened[p][j];
    }
  }
  const rows: Float64Array[] = [];
  for (let k = 0; k < rank; k++) {
    const { vector, value } = topEigenvector(g, CIN);
    for (let i = 0; i < CIN; i++) for (let j = 0; j < CIN; j++) g[i * CIN + j] -= value * vector[i] * vector[j];
    let d = mulVec(z, vector, CIN);
    for (const prev of rows) {
      const t = dot(prev, d);
      d = d.map((v, i) => v - t * prev[i]);
    }
    d = normalise(d);
    if (dot(d, total) < 0) d = d.map((v) => -v);
    rows.push(d);
  }
  return rows;
}

test('rewriteDirections: top right singular vectors of the whitened keys each multiplied by m (Gram weighs m²), as a float64 reference computes them', () => {
  const { c, z, root } = knownMoment();
  const { keys, mask } = constructedKeys(root);
  const expected = referenceDirections(keys, mask, z, 2, (m) => m);
  const byM = referenceDirections(keys, mask, z, 1, (m) => Math.sqrt(m))[0];
  const unmasked = referenceDirections(keys, mask, z, 1, () => 1)[0];
  // The constructed case tells the weightings apart.
  assert.ok(Math.abs(dot(expected[0], byM)) < 0.5, `m² and m weightings give different directions (|cos| ${Math.abs(dot(expected[0], byM))})`);
  assert.ok(Math.abs(dot(expected[0], unmasked)) < 0.5, `the mask matters (|cos| ${Math.abs(dot(expected[0], unmasked))})`);

  const run = (rank: number) => tf.tidy(() => Array.from(rewriteDirections({
    secondMoment: tf.tensor2d(Float32Array.from(c), [CIN, CIN]), keys: tf.tensor4d(keys, [2, 3, 3, CIN]), mask: tf.tensor3d(mask, [2, 3, 3]), rank,
  }).dataSync()));
  const d1 = run(1);
  assert.ok(Math.abs(dot(d1, d1) - 1) < 1e-5, 'a unit row');
  assert.ok(dot(d1, expected[0]) > 1 - 1e-5, `rank 1: cos with the reference ${dot(d1, expected[0])} (same sign, same direction); D = ${d1}, reference ${Array.from(expected[0])}`);
  assert.ok(Math.abs(dot(d1, byM)) < 0.5, 'not the m-weighted direction');
  // The sign follows the keys: negated keys give the negated direction.
  const negated = tf.tidy(() => Array.from(rewriteDirections({
    secondMoment: tf.tensor2d(Float32Array.from(c), [CIN, CIN]), keys: tf.tensor4d(keys.map((v) => -v), [2, 3, 3, CIN]), mask: tf.tensor3d(mask, [2, 3, 3]),
  }).dataSync()));
  assert.ok(dot(negated, expected[0]) < -(1 - 1e-5), `negated keys: cos with the reference ${dot(negated, expected[0])}`);
  const d2 = run(2);
  for (let k = 0; k < 2; k++) {
    const row = d2.slice(k * CIN, (k + 1) * CIN);
    assert.ok(dot(row, expected[k]) > 1 - 1e-4, `rank 2, row ${k}: cos with the reference ${dot(row, expected[k])}`);
  }
});

// 3. The second moment of a reference set ------------------------------------------------------

test('layerInputMoment: mean(a aᵀ) and mean(a) of the layer inputs over all positions, independent of the batch size', () => {
  const layer = 'conv2_block1_1_conv';
  const images = sample(fashionMnistSet('test', 1000), 300, 3);
  const size = 28 * 28;
  let cin = 0, count = 0;
  let sum = new Float64Array(0), mean = new Float64Array(0);
  for (let s = 0; s < images.n; s += 50) {
    const data = tf.tidy(() => {
      const a = activations(resnet, layer, tf.tensor4d(images.images.subarray(s * size, (s + 50) * size), [50, 28, 28, 1]), 'input');
      cin = a.shape[a.rank - 1];
      return a.dataSync();
    });
    if (!sum.length) [sum, mean] = [new Float64Array(cin * cin), new Float64Array(cin)];
    for (let p = 0; p < data.length / cin; p++, count++) {
      for (let i = 0; i < cin; i++) {
        const ai = data[p * cin + i];
        mean[i] += ai;
        for (let j = 0; j < cin; j++) sum[i * cin + j] += ai * data[p * cin + j];
      }
    }
  }
  assert.equal(count, 300 * 28 * 28);
  const expected = sum.map((v) => v / count), expectedMean = mean.map((v) => v / count);
  const scale = Math.max(...expected.map(Math.abs));
  assert.ok(scale > 0);
  // Tolerance: tf.matMul sums batch × 784 products in float32 (measured: 1e-5 of the largest entry at
  // batch 7, 3e-4 at 250). Dropping the last 6 images would be off by 8e-3; the layer's output (same
  // [16, 16] shape here) by 1.2.
  const moments: Float32Array[] = [];
  for (const batch of [7, 250]) {
    const { moment, mean: mu } = layerInputMoment(resnet, layer, images, batch);
    assert.deepEqual(moment.shape, [cin, cin]);
    moments.push(moment.dataSync() as Float32Array);
    assertClose(moments.at(-1)!, expected, 1e-3 * scale, `moment (batch ${batch})`);
    assertClose(mu.dataSync(), expectedMean, 1e-3 * Math.max(...expectedMean.map(Math.abs)), `mean (batch ${batch})`);
    tf.dispose([moment, mu]);
  }
  assertClose(moments[0], moments[1], 1e-3 * scale, 'batch 7 vs batch 250');
  // secondMoment of one batch of inputs: the same formula on a tensor.
  tf.tidy(() => {
    const a = activations(resnet, layer, tf.tensor4d(images.images.subarray(0, 2 * size), [2, 28, 28, 1]), 'input');
    const data = a.dataSync();
    const n = data.length / cin;
    const ref = new Float64Array(cin * cin);
    for (let p = 0; p < n; p++) for (let i = 0; i < cin; i++) for (let j = 0; j < cin; j++) ref[i * cin + j] += (data[p * cin + i] * data[p * cin + j]) / n;
    assertClose(secondMoment(a).moment.dataSync(), ref, 1e-5 * Math.max(...ref.map(Math.abs)), 'secondMoment');
  });
});

// 4. Values are block outputs -----------------------------------------------------------------

test('blockTail: a conv block ends after its batch norm and activation; a ResNet branch’s last conv ends at its batch norm', () => {
  const mini = buildModel('vgg-mini', { seed: 1 });
  const names = (m: tf.LayersModel, layer: string) => blockTail(m, layer).map((l) => l.name);
  assert.deepEqual(names(mini, 'block1_conv1'), ['block1_bn1', 'block1_relu1']);
  assert.deepEqual(names(mini, 'fc1'), [], 'a dense layer with its own ReLU, followed by a dense layer: no tail');
  assert.deepEqual(names(vgg, 'block2_conv2'), ['block2_bn2', 'block2_relu2']);
  assert.deepEqual(names(resnet, 'conv2_block1_2_conv'), ['conv2_block1_2_bn'], 'the add mixes in the shortcut: not part of the block');
  assert.deepEqual(names(resnet, 'conv3_block2_2_conv'), ['conv3_block2_2_bn']);
  assert.deepEqual(names(resnet, 'conv2_block1_1_conv'), ['conv2_block1_1_bn', 'conv2_block1_1_relu']);
  assert.deepEqual(names(resnet, 'conv3_block1_0_conv'), ['conv3_block1_0_bn']);
  assert.deepEqual(names(vit, 'block1_mlp1'), ['block1_act']);
  assert.deepEqual(names(vit, 'block1_mlp2'), [], 'mlp2 feeds the residual add');
  mini.dispose();
});

/** The layer's kernel and bias, its block as a function (inference mode), and a solve's first-step loss. */
function firstLoss(model: tf.LayersModel, layer: string, keyImages: Float32Array, valueImages: Float32Array, n: number, valuesAt?: string): number {
  return tf.tidy(() => {
    const l = model.layers.find((x) => x.name === layer)!;
    const [kernel, bias] = l.getWeights();
    const tail = blockTail(model, layer);
    const after = (y: tf.Tensor) => tail.reduce((x, t) => t.apply(x, { training: false }) as tf.Tensor, y);
    const x = (images: Float32Array) => tf.tensor4d(images, [n, 28, 28, 1]);
    const keys = activations(model, layer, x(keyImages), 'input');
    const values = activations(model, valuesAt ?? tail.at(-1)!.name, x(valueImages), 'output');
    const cin = keys.shape[keys.rank - 1];
    const directions = tf.oneHot(tf.tensor1d([0], 'int32'), cin).toFloat();
    let loss = NaN;
    rewriteSolve({ kernel, bias, keys, values, after, directions, steps: 1, lr: 1e-12, onStep: (step, _, value) => { if (step === 1) loss = value; } });
    return loss / tf.mean(tf.abs(values)).dataSync()[0];
  });
}

test('rewriteSolve with the block: keys = the original inputs reproduce values = the block outputs (loss 0 before any step)', () => {
  const originals = soft.originals!;
  for (const layer of ['conv2_block1_1_conv', 'conv2_block1_2_conv']) {
    const own = firstLoss(resnet, layer, originals, originals, soft.n);
    assert.ok(own < 1e-5, `${layer}: relative loss on its own block outputs ${own}`);
    // Controls: the transformed keys, or values taken before the block's tail, do not reproduce them.
    const shifted = firstLoss(resnet, layer, soft.images, originals, soft.n);
    assert.ok(shifted > 1e-2, `${layer}: relative loss on the snow keys ${shifted}`);
    const raw = firstLoss(resnet, layer, originals, originals, soft.n, layer);
    assert.ok(raw > 1e-2, `${layer}: relative loss against the conv's own output ${raw}`);
  }
});

test('rewrite (the method): values are the block outputs on the originals — zero loss when the exemplars are the originals', async () => {
  const cases: Array<[tf.LayersModel, string, string]> = [[vgg, 'block1_conv2', 'block1_relu2'], [resnet, 'conv2_block1_2_conv', 'conv2_block1_2_bn'], [vit, 'block1_mlp1', 'block1_act']];
  for (const [model, layer, block] of cases) {
    const losses: number[] = [];
    const unchanged: EditSet = { ...soft, images: soft.originals! };
    const result = await edit(model, unchanged, 'rewrite', { layer, steps: 1, learningRate: 1e-12, reference, onStep: (_, __, loss) => losses.push(loss) });
    assert.equal(result.info.block, block, `${layer}: the block ends at ${block}`);
    assert.equal(losses.length, 1);
    const values = tf.tidy(() => tf.mean(tf.abs(activations(model, block, tf.tensor4d(soft.originals!, [soft.n, 28, 28, 1])))).dataSync()[0]);
    assert.ok(losses[0] / values < 1e-5, `${layer}: relative first loss ${losses[0] / values}`);
    result.dispose();
  }
  // The real exemplars (snow) start away from the values.
  const losses: number[] = [];
  const result = await edit(vgg, soft, 'rewrite', { layer: 'block1_conv2', steps: 1, reference, onStep: (_, __, loss) => losses.push(loss) });
  assert.ok(losses[0] > 1e-3, `snow keys: first loss ${losses[0]}`);
  result.dispose();
});

// 5. ΔW in the rank-r subspace --------------------------------------------------------------------

/** ΔW as a float64 [Cin, rest] matrix (input channels as rows), and its transpose (for singular values over a Cin × Cin Gram). */
function deltaRows(original: tf.Tensor, edited: tf.Tensor): { m: Float64Array; t: Float64Array; cin: number; rest: number } {
  const cin = original.shape[original.rank - 2];
  const rest = original.size / cin;
  const a = original.dataSync(), b = edited.dataSync();
  const m = new Float64Array(cin * rest);
  // HWIO (or IO): flat index = (outer · Cin + i) · Cout + o.
  const cout = original.shape[original.rank - 1];
  for (let f = 0; f < a.length; f++) {
    const o = f % cout, i = Math.floor(f / cout) % cin, outer = Math.floor(f / (cout * cin));
    m[i * rest + outer * cout + o] = b[f] - a[f];
  }
  const t = new Float64Array(cin * rest);
  for (let i = 0; i < cin; i++) for (let c = 0; c < rest; c++) t[c * cin + i] = m[i * rest + c];
  return { m, t, cin, rest };
}

test('rewriteSolve keeps ΔW in the span of D over input channels (nothing in the orthogonal complement; rank ≤ r)', () => {
  const cin = 6;
  const r = lcg(11);
  const normal = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  for (const rank of [1, 2]) {
    // D: Gram–Schmidt of random rows, in float64.
    const rows: Float64Array[] = [];
    for (let k = 0; k < rank; k++) {
      let v = Float64Array.from({ length: cin }, normal);
      for (const p of rows) {
        const t = dot(p, v);
        v = v.map((x, i) => x - t * p[i]);
      }
      rows.push(normalise(v));
    }
    const { original, solved } = tf.tidy(() => {
      const kernel = tf.tensor4d(Float32Array.from({ length: 3 * 3 * cin * 5 }, () => 0.3 * normal()), [3, 3, cin, 5]);
      const keys = tf.tensor4d(Float32Array.from({ length: 2 * 5 * 5 * cin }, normal), [2, 5, 5, cin]);
      const values = tf.tensor4d(Float32Array.from({ length: 2 * 5 * 5 * 5 }, () => Math.abs(normal())), [2, 5, 5, 5]);
      const mask = tf.tensor3d(randomSoftMask(50, 12 + rank).map((m) => m || 0.25), [2, 5, 5]);
      const directions = tf.tensor2d(Float32Array.from(rows.flatMap((v) => Array.from(v))), [rank, cin]);
      const solved = rewriteSolve({ kernel, keys, values, mask, directions, after: (y) => tf.relu(y), steps: 12, projectEvery: 5, lr: 5e-2 });
      return { original: tf.keep(kernel), solved: tf.keep(solved) };
    });
    const { m, t, rest } = deltaRows(original, solved);
    let norm = 0, outside = 0;
    for (let c = 0; c < rest; c++) {
      const col = Float64Array.from({ length: cin }, (_, i) => m[i * rest + c]);
      const residual = rows.reduce((v, d) => { const t = dot(d, col); return v.map((x, i) => x - t * d[i]); }, col);
      norm += dot(col, col);
      outside += dot(residual, residual);
    }
    assert.ok(Math.sqrt(norm) > 1e-2, `rank ${rank}: the kernel changed (‖ΔW‖ ${Math.sqrt(norm)})`);
    assert.ok(Math.sqrt(outside) <= 1e-5 * Math.sqrt(norm), `rank ${rank}: ‖(I − DᵀD)ΔW‖ ${Math.sqrt(outside)} vs ‖ΔW‖ ${Math.sqrt(norm)}`);
    const s = singularValues(t, rest, cin);
    assert.ok(s[rank] <= 1e-4 * s[0], `rank ${rank}: singular values ${Array.from(s)}`);
    assert.ok(numericalRank(t, rest, cin, 1e-4) <= rank);
    tf.dispose([original, solved]);
  }
});

test('rewrite (the method): the edit of a conv kernel has rank ≤ r over input channels', async () => {
  const result = await edit(vgg, soft, 'rewrite', { layer: 'block2_conv1', steps: 4, rank: 2, learningRate: 1e-2, reference });
  const { original, edited } = result.changes[0];
  const { t, cin, rest } = deltaRows(original, edited);
  assert.equal(cin, 32);
  const s = singularValues(t, rest, cin);
  assert.ok(s[0] > 0, 'the kernel changed');
  assert.ok(s[2] <= 1e-4 * s[0], `singular values of ΔW over input channels: ${Array.from(s.slice(0, 4))}`);
  assert.ok(numericalRank(t, rest, cin, 1e-4) <= 2);
  result.dispose();
});

// 6. Bad input ----------------------------------------------------------------------------------

test('edit refuses a soft mask outside [0, 1] or of the wrong length, and a layer rewriting cannot edit', async () => {
  const n = soft.n;
  for (const bad of [1.5, -0.25, Number.NaN]) {
    const masks = Float32Array.from(soft.masks!);
    masks[(1 * 28 + 2) * 28 + 3] = bad;
    const badSet: EditSet = { ...soft, masks };
    await assert.rejects(edit(vgg, badSet, 'rewrite', { layer: 'block1_conv2', steps: 1, reference }), (e: Error) => {
      assert.ok(e.message.includes(`mask value ${bad} `), e.message);
      assert.ok(e.message.includes('exemplar 1, pixel (2, 3)'), e.message);
      assert.ok(e.message.includes(`[${n},28,28]`), e.message);
      return true;
    });
  }
  const short = soft.masks!.subarray(0, (n - 1) * 28 * 28);
  const shortSet: EditSet = { ...soft, masks: short };
  await assert.rejects(edit(vgg, shortSet, 'rewrite', { layer: 'block1_conv2', steps: 1, reference }), (e: Error) => {
    assert.ok(e.message.includes(`${(n - 1) * 28 * 28} values`), e.message);
    assert.ok(e.message.includes(`[${n},28,28]`) && e.message.includes(`[${n},28,28,1]`), `both shapes: ${e.message}`);
    return true;
  });
  const editable = vgg.layers.filter((l) => ['Conv2D', 'Dense'].includes(l.getClassName())).map((l) => l.name);
  assert.ok(editable.length === 8);
  await assert.rejects(edit(vgg, soft, 'rewrite', { layer: 'block1_bn1', steps: 1, reference }), (e: Error) => {
    assert.ok(e.message.includes('"block1_bn1"') && e.message.includes('BatchNormalization'), e.message);
    assert.ok(e.message.includes('rewrite cannot edit'), e.message);
    assert.ok(e.message.includes(`layers rewrite can edit: ${editable.join(', ')}.`), e.message);
    return true;
  });
});
