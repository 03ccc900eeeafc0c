// Corruptions and renditions: registry, determinism, output range and dtype, and known answers
// computed by hand (or with scipy.ndimage, noted) on tiny arrays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  applyShift, listShifts, getShift, presetForSize, SHIFT_PRESETS, BENCHMARK_CORRUPTIONS, HELD_OUT_CORRUPTIONS,
  CONTRAST_FACTOR, BRIGHTNESS_DELTA, GAUSSIAN_BLUR_SIGMA, diskKernel, frostTexture, FROST_TEXTURE_SIZE, saturateGray,
} from '../src/shifts';
import { clippedZoomTaps } from '../src/shifts/ops/geometry';
import { fashionMnistSet } from '../src/data';

const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
};
const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** A synthetic RGB scene (sky, ground, a red disc, a blue square), height × width. */
function scene(height: number, width: number): Float32Array {
  const img = new Float32Array(height * width * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const p = (y * width + x) * 3;
    let rgb = [0.5 + (0.3 * y) / height, 0.7, 0.95];
    if (y > height * 0.65) rgb = [0.2, 0.55 + 0.1 * Math.sin(x / 2), 0.2];
    if ((x - width * 0.35) ** 2 + (y - height * 0.45) ** 2 < (height * 0.15) ** 2) rgb = [0.9, 0.15, 0.1];
    if (x > width * 0.6 && x < width * 0.85 && y > height * 0.3 && y < height * 0.6) rgb = [0.1, 0.2, 0.7];
    img.set(rgb, p);
  }
  return img;
}

const gray = fashionMnistSet('test', 3);
const grayShape = { n: 3, height: 28, width: 28, channels: 1 };
const rgbImages = new Float32Array(2 * 24 * 40 * 3);
rgbImages.set(scene(24, 40), 0);
rgbImages.set(scene(24, 40).map((v) => 1 - v), 24 * 40 * 3);
const rgbShape = { n: 2, height: 24, width: 40, channels: 3 };

test('the registry has the 15 + 4 ImageNet-C corruptions and at least five renditions', () => {
  const corruptions = listShifts('corruption').map((s) => s.name);
  assert.deepEqual(corruptions, [...BENCHMARK_CORRUPTIONS, ...HELD_OUT_CORRUPTIONS]);
  for (const name of HELD_OUT_CORRUPTIONS) assert.equal(getShift(name).heldOut, true, name);
  for (const name of corruptions) {
    const s = getShift(name);
    assert.ok(s.group, `${name} has an ImageNet-C group`);
    for (const p of SHIFT_PRESETS) assert.equal(s.constants?.[p].length, 5, `${name}: 5 severities of ${p} constants`);
  }
  const renditions = listShifts('rendition').map((s) => s.name);
  assert.ok(renditions.length >= 5, renditions.join(', '));
  for (const name of ['sketch', 'silhouette', 'inverted', 'texture_fill', 'thick_strokes']) assert.ok(renditions.includes(name), name);
  assert.equal(presetForSize(28, 28), 'small');
  assert.equal(presetForSize(32, 32), 'cifar');
  assert.equal(presetForSize(224, 300), 'imagenet');
});

test('every shift: Float32Array of the same shape, values in [0, 1], input untouched, gray and RGB, every preset', () => {
  const grayCopy = gray.images.slice();
  const rgbCopy = rgbImages.slice();
  for (const shift of listShifts()) {
    const severities = shift.family === 'corruption' ? [1, 3, 5] : [1];
    for (const preset of shift.family === 'corruption' ? SHIFT_PRESETS : (['small'] as const)) {
      for (const severity of severities) {
        for (const [images, shape] of [[gray.images, grayShape], [rgbImages, rgbShape]] as const) {
          const out = applyShift(shift.name, images, shape, { severity, preset, seed: 3 });
          const what = `${shift.name} s${severity} ${preset} ${shape.channels}ch`;
          assert.ok(out instanceof Float32Array, what);
          assert.equal(out.length, images.length, what);
          assert.ok(out.every((v) => v >= 0 && v <= 1), `${what}: values in [0, 1]`);
          assert.notEqual(out, images);
        }
      }
    }
  }
  assert.deepEqual(bytes(gray.images), bytes(grayCopy), 'gray input untouched');
  assert.deepEqual(bytes(rgbImages), bytes(rgbCopy), 'RGB input untouched');
});

test('determinism: twice → same bytes; another seed → other bytes exactly for the random shifts', () => {
  for (const shift of listShifts()) {
    for (const [images, shape] of [[gray.images, grayShape], [rgbImages, rgbShape]] as const) {
      const a = applyShift(shift.name, images, shape, { severity: 4, seed: 7 });
      const b = applyShift(shift.name, images, shape, { severity: 4, seed: 7 });
      const c = applyShift(shift.name, images, shape, { severity: 4, seed: 8 });
      assert.deepEqual(bytes(a), bytes(b), `${shift.name}: same seed, same bytes`);
      if (shift.random === false) assert.deepEqual(bytes(a), bytes(c), `${shift.name} is deterministic: the seed does not matter`);
      else assert.notDeepEqual(bytes(a), bytes(c), `${shift.name}: another seed, other bytes`);
    }
  }
});

test('each image draws from its own stream: a batch\'s first image equals that image shifted alone', () => {
  const first = { ...grayShape, n: 1 };
  for (const shift of listShifts()) {
    const batch = applyShift(shift.name, gray.images, grayShape, { severity: 3, seed: 11 });
    const alone = applyShift(shift.name, gray.images.subarray(0, 784), first, { severity: 3, seed: 11 });
    assert.deepEqual(bytes(batch.subarray(0, 784)), bytes(alone), shift.name);
  }
});

test('golden fingerprints: the same bytes on every machine (update deliberately when constants change)', () => {
  // SHA-256 (first 12 hex digits) of every corruption at severity 3, seed 5, on 3 Fashion-MNIST images.
  const digest = (a: Float32Array) => createHash('sha256').update(bytes(a)).digest('hex').slice(0, 12);
  const got: Record<string, string> = {};
  for (const shift of listShifts('corruption')) got[shift.name] = digest(applyShift(shift.name, gray.images, grayShape, { severity: 3, seed: 5 }));
  assert.deepEqual(got, GOLDEN);
});

test('contrast (known answer): (x − mean)·c + mean per image and channel', () => {
  const img = Float32Array.of(0, 0.2, 0.4, 0.6);
  const c = CONTRAST_FACTOR.small[0];
  assert.equal(c, 0.75);
  // mean 0.3: 0.3 + (x − 0.3)·0.75
  close(applyShift('contrast', img, { n: 1, height: 2, width: 2, channels: 1 }, { severity: 1 }), [0.075, 0.225, 0.375, 0.525], 1e-6, 'contrast');
  // RGB: each channel around its own mean. R: 0, 1 (mean 0.5); G: 0.5, 0.5; B: 1, 0 — imagenet severity 5, c = 0.05.
  const rgb = Float32Array.of(0, 0.5, 1, 1, 0.5, 0);
  close(applyShift('contrast', rgb, { n: 1, height: 1, width: 2, channels: 3 }, { severity: 5, preset: 'imagenet' }), [0.475, 0.5, 0.525, 0.525, 0.5, 0.475], 1e-6, 'contrast RGB');
});

test('brightness (known answer): HSV value + c with hue and saturation kept; gray: x + c', () => {
  assert.deepEqual(BRIGHTNESS_DELTA.imagenet, [0.1, 0.2, 0.3, 0.4, 0.5]);
  close(applyShift('brightness', Float32Array.of(0, 0.5, 0.95), { n: 1, height: 1, width: 3, channels: 1 }, { severity: 1 }), [0.1, 0.6, 1], 1e-6, 'gray');
  // (0.2, 0.4, 0.8): V 0.8 → 1.0, every channel × 1.25. Black: V 0 → 0.2 gray. (0.9, 0.9, 0.9) → V clipped at 1.
  const rgb = Float32Array.of(0.2, 0.4, 0.8, 0, 0, 0, 0.9, 0.9, 0.9);
  close(applyShift('brightness', rgb, { n: 1, height: 1, width: 3, channels: 3 }, { severity: 2, preset: 'imagenet' }), [0.25, 0.5, 1, 0.2, 0.2, 0.2, 1, 1, 1], 1e-6, 'RGB');
});

test('saturate (known answer): S·a + b in HSV; gray images scale the distance from mid-gray', () => {
  // imagenet severity 3 = (2, 0): (0.2, 0.4, 0.8) has V 0.8, S 0.75 → S 1: min → 0, G keeps its place between min and max.
  // imagenet severity 4 = (5, 0.1): gray (0.5, 0.5, 0.5) has S 0, hue 0 → S 0.1: (0.5, 0.45, 0.45).
  const rgb = Float32Array.of(0.2, 0.4, 0.8, 0.5, 0.5, 0.5);
  close(applyShift('saturate', rgb, { n: 1, height: 1, width: 2, channels: 3 }, { severity: 3, preset: 'imagenet' }).subarray(0, 3), [0, 0.8 / 3, 0.8], 1e-6, 'saturate');
  close(applyShift('saturate', rgb, { n: 1, height: 1, width: 2, channels: 3 }, { severity: 4, preset: 'imagenet' }).subarray(3), [0.5, 0.45, 0.45], 1e-6, 'gray pixel');
  // imagenet severity 1 = (0.3, 0): S 0.75 → 0.225: channels 0.8 − (0.8 − c)·0.3.
  close(applyShift('saturate', rgb, { n: 1, height: 1, width: 2, channels: 3 }, { severity: 1, preset: 'imagenet' }).subarray(0, 3), [0.62, 0.68, 0.8], 1e-6, 'desaturate');
  // small severity 3 = (3, 0): 0.5 + (x − 0.5)·3; severity 4 = (5, 0.1): plus sign(x − 0.5)·0.05.
  close(applyShift('saturate', Float32Array.of(0.6, 0.2, 0.5), { n: 1, height: 1, width: 3, channels: 1 }, { severity: 3 }), [0.8, 0, 0.5], 1e-6, 'gray image');
  assert.ok(Math.abs(saturateGray(0.55, 5, 0.1) - 0.8) < 1e-12);
});

test('pixelate (known answer): Pillow box down to floor(c·size), box (nearest) back up', () => {
  // 4×4 ramp 0…15 (/16), imagenet severity 2: c = 0.5 → 2×2 means of 2×2 blocks, repeated.
  const img = Float32Array.from({ length: 16 }, (_, i) => i / 16);
  const m = (a: number, b: number, c: number, d: number) => (a + b + c + d) / 64;
  const b00 = m(0, 1, 4, 5), b01 = m(2, 3, 6, 7), b10 = m(8, 9, 12, 13), b11 = m(10, 11, 14, 15);
  close(applyShift('pixelate', img, { n: 1, height: 4, width: 4, channels: 1 }, { severity: 2, preset: 'imagenet' }),
    [b00, b00, b01, b01, b00, b00, b01, b01, b10, b10, b11, b11, b10, b10, b11, b11], 1e-6, 'pixelate');
  // 6 wide, c = 0.5 → 3: Pillow's box downscale with scale 2 averages pixel pairs.
  const row = Float32Array.of(0, 0.2, 0.4, 0.6, 0.8, 1);
  close(applyShift('pixelate', row, { n: 1, height: 1, width: 6, channels: 1 }, { severity: 2, preset: 'imagenet' }), [0.1, 0.1, 0.5, 0.5, 0.9, 0.9], 1e-6, 'row');
});

test('gaussian blur (known answer): separable kernel of radius ⌊4σ + ½⌋, edges repeated (= scipy.ndimage.gaussian_filter, mode nearest)', () => {
  assert.equal(GAUSSIAN_BLUR_SIGMA.small[0], 0.5);
  // A unit impulse at the centre of 5×5, σ = 0.5: weights ∝ exp(−2 i²), i = −2…2 (sum 1.27134…).
  const w = [Math.exp(-8), Math.exp(-2), 1, Math.exp(-2), Math.exp(-8)];
  const s = w.reduce((a, b) => a + b);
  const k = w.map((v) => v / s);
  const impulse = new Float32Array(25);
  impulse[12] = 1;
  const out = applyShift('gaussian_blur', impulse, { n: 1, height: 5, width: 5, channels: 1 }, { severity: 1 });
  close(out.subarray(10, 15), k.map((v) => v * k[2]), 1e-7, 'centre row');
  close(out.subarray(10, 15), [2.0754854967e-4, 8.3731060983e-2, 6.1869350682e-1, 8.3731060983e-2, 2.0754854967e-4], 1e-7, 'scipy centre row');
  close(out.subarray(0, 5), [6.9624781888e-8, 2.8088641754e-5, 2.0754854967e-4, 2.8088641754e-5, 6.9624781888e-8], 1e-9, 'scipy top row');
  // Edges repeated: a step near the border, σ = 1 (small severity 3); scipy.ndimage.gaussian_filter(mode='nearest').
  const step = Float32Array.of(0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1);
  close(applyShift('gaussian_blur', step, { n: 1, height: 3, width: 6, channels: 1 }, { severity: 3 }), [
    0.0349606304, 0.1546369393, 0.4345911324, 0.7753525422, 0.9579285559, 0.9967740441,
    0.1150502186, 0.3477027953, 0.6522972047, 0.8849497814, 0.9805403476, 0.9985744896,
    0.2246474578, 0.5654088676, 0.8453630607, 0.9650393696, 0.995372721, 0.9997002644,
  ], 1e-6, 'scipy step');
});

test('clipped zoom matches scipy.ndimage.zoom (order 1) on a 28×28 ramp', () => {
  const at = (z: number, y: number, x: number) => {
    const t = clippedZoomTaps(28, z);
    const v = (yy: number, xx: number) => yy * 28 + xx;
    const [y0, y1, fy, x0, x1, fx] = [t.i0[y], t.i1[y], t.f[y], t.i0[x], t.i1[x], t.f[x]];
    return (1 - fy) * ((1 - fx) * v(y0, x0) + fx * v(y0, x1)) + fy * ((1 - fx) * v(y1, x0) + fx * v(y1, x1));
  };
  const expected: Record<number, number[]> = {
    1.06: [0, 12.0714285714, 25.0714285714, 130, 142.0714285714, 155.0714285714, 702, 714.0714285714, 727.0714285714],
    1.25: [58, 68.2142857143, 79.2142857143, 168, 178.2142857143, 189.2142857143, 652, 662.2142857143, 673.2142857143],
    4.5: [301.2258064516, 303.7419354839, 306.4516129032, 328.3225806452, 330.8387096774, 333.5483870968, 447.5483870968, 450.064516129, 452.7741935484],
  };
  for (const [z, values] of Object.entries(expected)) {
    close([0, 5, 27].flatMap((y) => [0, 13, 27].map((x) => at(Number(z), y, x))), values, 1e-8, `zoom ${z}`);
  }
});

test('defocus disk kernel sums to 1 and grows with the radius; frost textures are generated, not shipped', () => {
  for (const [r, a] of [[3, 0.1], [10, 0.5], [1, 0.5]] as const) {
    const taps = diskKernel(r, a);
    // OpenCV's reflect-101 border in the antialiasing blur adds 1.1% to the radius-10 disk (as in ImageNet-C).
    assert.ok(Math.abs(taps.reduce((s, t) => s + t.w, 0) - 1) < (r === 10 ? 0.012 : 1e-9), `disk ${r} sums to 1`);
    assert.ok(Math.max(...taps.map((t) => Math.abs(t.dx))) <= r + 2);
  }
  assert.ok(diskKernel(6, 0.5).length > diskKernel(3, 0.5).length);
  const t = frostTexture(0);
  assert.equal(t.length, FROST_TEXTURE_SIZE * FROST_TEXTURE_SIZE * 3);
  assert.ok(t.every((v) => v >= 0 && v <= 1));
  assert.notDeepEqual(bytes(frostTexture(1)), bytes(t));
});

test('renditions: inverted is 1 − x, silhouette is black on white, severity is ignored', () => {
  const one = { ...grayShape, n: 1 };
  const img = gray.images.subarray(0, 784);
  close(applyShift('inverted', img, one), Array.from(img, (v) => 1 - v), 1e-7, 'inverted');
  const sil = applyShift('silhouette', img, one);
  assert.ok(sil.every((v) => v === 0 || v === 1));
  assert.equal(sil[0], 1, 'the corner is background (white)');
  assert.equal(sil[14 * 28 + 14], 0, 'the centre is the object (black)');
  assert.deepEqual(bytes(applyShift('sketch', img, one, { severity: 5 })), bytes(applyShift('sketch', img, one)));
});

test('bad requests name the item and what was expected', () => {
  assert.throws(() => applyShift('fogg', gray.images, grayShape, { severity: 1 }), /unknown shift "fogg"; available: gaussian_noise, shot_noise/);
  assert.throws(() => applyShift('fog', gray.images, grayShape, { severity: 0 }), /severity of "fog" must be an integer from 1 to 5, got 0/);
  assert.throws(() => applyShift('fog', gray.images, grayShape, { severity: 2.5 }), /got 2\.5/);
  assert.throws(() => applyShift('fog', gray.images, grayShape, {}), /severity of "fog" must be an integer from 1 to 5, got undefined/);
  assert.throws(() => applyShift('fog', gray.images, grayShape, { severity: 1, preset: 'tiny' as never }), /unknown preset "tiny"; expected imagenet, cifar or small/);
  assert.throws(() => applyShift('fog', gray.images, { ...grayShape, channels: 2 }, { severity: 1 }), /1 \(grayscale\) or 3 \(RGB\) channels, got 2/);
  assert.throws(() => applyShift('fog', gray.images, grayShape, { severity: 1, seed: -1 }), /seed of "fog" must be an integer/);
});

/** Golden fingerprints (see the test above). */
const GOLDEN: Record<string, string> = {
  gaussian_noise: '8a163ccc057a',
  shot_noise: '1f8de198dceb',
  impulse_noise: 'ac6881040d4d',
  defocus_blur: 'b3caf26eb535',
  glass_blur: '9d6356034d06',
  motion_blur: '952092e32687',
  zoom_blur: '4ccd6b1c8be2',
  snow: 'bca498300e76',
  frost: 'd6c11af66029',
  fog: '5df2a8b80c4a',
  brightness: '57e2ee13bc6f',
  contrast: '369521ea3efc',
  elastic_transform: 'd5e0dd7cd9a6',
  pixelate: '18c0f67a8092',
  jpeg_compression: '9314fe13e55c',
  speckle_noise: '99b7bcd6e939',
  gaussian_blur: '000e0ff31e77',
  spatter: '64c858bd39db',
  saturate: 'd9b456507267',
};
