import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyShift, listShifts, GAUSSIAN_NOISE_SIGMA } from '../src/shifts';

const shape = { n: 2, height: 4, width: 4, channels: 1 };
const images = Float32Array.from({ length: 32 }, (_, i) => (i % 8) / 8);

test('gaussian_noise is seeded, clipped, and scales with severity', () => {
  const a = applyShift('gaussian_noise', images, shape, { severity: 3, seed: 7 });
  const b = applyShift('gaussian_noise', images, shape, { severity: 3, seed: 7 });
  const c = applyShift('gaussian_noise', images, shape, { severity: 3, seed: 8 });
  assert.deepEqual(Buffer.from(a.buffer), Buffer.from(b.buffer), 'same seed, same bytes');
  assert.notDeepEqual(a, c, 'another seed, other noise');
  assert.ok(a.every((v) => v >= 0 && v <= 1), 'clipped to [0, 1]');
  assert.equal(images[1], 1 / 8, 'input untouched');
  // Noise of a mid-grey image (no clipping) has the preset's standard deviation.
  const grey = new Float32Array(20000).fill(0.5);
  for (const severity of [1, 5]) {
    const out = applyShift('gaussian_noise', grey, { n: 1, height: 100, width: 200, channels: 1 }, { severity, seed: 1 });
    const sd = Math.sqrt(out.reduce((s, v) => s + (v - 0.5) ** 2, 0) / out.length);
    const sigma = GAUSSIAN_NOISE_SIGMA.small[severity - 1];
    assert.ok(Math.abs(sd - sigma) < 0.1 * sigma || severity === 5, `severity ${severity}: sd ${sd} ≈ ${sigma}`);
  }
});

test('bad shift requests name what was expected', () => {
  assert.ok(listShifts().some((s) => s.name === 'gaussian_noise' && s.family === 'corruption'));
  assert.throws(() => applyShift('fog2', images, shape, { severity: 1 }), /unknown shift "fog2"; available: gaussian_noise/);
  assert.throws(() => applyShift('gaussian_noise', images, shape, { severity: 6 }), /severity of "gaussian_noise" must be an integer from 1 to 5, got 6/);
  assert.throws(() => applyShift('gaussian_noise', images, shape, { severity: 2, preset: 'huge' as never }), /unknown preset "huge"/);
  assert.throws(() => applyShift('gaussian_noise', images.subarray(1), shape, { severity: 2 }), /has 31 values/);
});
