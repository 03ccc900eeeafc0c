import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flipCounts, mcnemarExact, pairedBootstrap, pairedBootstrapMany } from '../src/metrics/paired';
import { mulberry32 } from '../src/engine/rng';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** Bitset of 0/1 flags, written independently of the code under test (bit i of byte i>>3). */
function pack(flags: readonly number[]): Uint8Array {
  const bits = new Uint8Array(Math.ceil(flags.length / 8));
  flags.forEach((f, i) => { if (f) bits[Math.floor(i / 8)] += 2 ** (i % 8); });
  return bits;
}

/** Exact two-sided McNemar p with BigInt binomial coefficients: 2·Σ_{j ≤ k} C(n, j) / 2^n. */
function mcnemarBrute(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  const k = Math.min(b, c);
  let coefficient = 1n, sum = 0n;
  for (let j = 0; j <= k; j++) {
    if (j > 0) coefficient = (coefficient * BigInt(n - j + 1)) / BigInt(j);
    sum += coefficient;
  }
  // 2·sum / 2^n as a float: keep the top 60 bits of sum, scale by the dropped bits.
  const dropped = Math.max(0, sum.toString(2).length - 60);
  const p = 2 * Number(sum >> BigInt(dropped)) * 2 ** (dropped - n);
  return Math.min(1, p);
}

test('flipCounts counts flips of hand-written bitsets', () => {
  //            example: 0  1  2  3  4  5  6  7  8  9 10
  const original = pack([1, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0]);
  const edited = pack([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1]);
  // fixed (0→1): 2, 5, 10 → 3; broken (1→0): 1, 6 → 2; both right: 0, 4, 7, 9 → 4; both wrong: 3, 8 → 2.
  assert.deepEqual(flipCounts(original, edited, 11), { fixed: 3, broken: 2, both_correct: 4, both_wrong: 2, n: 11 });
  // Padding bits past n in the last byte are not examples.
  const padded = original.slice();
  padded[1] |= 0b11111000;
  assert.deepEqual(flipCounts(padded, edited, 11), { fixed: 3, broken: 2, both_correct: 4, both_wrong: 2, n: 11 });
  assert.deepEqual(flipCounts(new Uint8Array(0), new Uint8Array(0), 0), { fixed: 0, broken: 0, both_correct: 0, both_wrong: 0, n: 0 });
});

test('flipCounts agrees with a per-example count on random bitsets, and rejects bad lengths', () => {
  const rand = mulberry32(7);
  for (const n of [1, 7, 8, 9, 64, 1001]) {
    const o = Array.from({ length: n }, () => (rand() < 0.6 ? 1 : 0));
    const e = Array.from({ length: n }, () => (rand() < 0.5 ? 1 : 0));
    const expected = { fixed: 0, broken: 0, both_correct: 0, both_wrong: 0, n };
    o.forEach((x, i) => {
      if (!x && e[i]) expected.fixed++;
      else if (x && !e[i]) expected.broken++;
      else if (x) expected.both_correct++;
      else expected.both_wrong++;
    });
    assert.deepEqual(flipCounts(pack(o), pack(e), n), expected, `n=${n}`);
  }
  assert.throws(() => flipCounts(new Uint8Array(2), new Uint8Array(2), 17), /17 examples has 3 bytes, got 2/);
  assert.throws(() => flipCounts(new Uint8Array(3), new Uint8Array(2), 17), /edited.*got 2/);
});

test('mcnemarExact: hand-computed values and a BigInt brute force', () => {
  // b=1, c=9: P(X ≤ 1) for Binomial(10, ½) = (1 + 10)/1024, two-sided ×2.
  close(mcnemarExact(1, 9), 0.021484375, 1e-15, 'b=1,c=9');
  close(mcnemarExact(9, 1), 0.021484375, 1e-15, 'symmetric');
  // b=0, c=5: 2·1/32 = 0.0625.
  close(mcnemarExact(0, 5), 0.0625, 1e-15, 'b=0,c=5');
  assert.equal(mcnemarExact(0, 0), 1);
  assert.equal(mcnemarExact(7, 7), 1);
  assert.equal(mcnemarExact(4, 5), 1); // 2·P(X ≤ 4) > 1 is capped
  for (const [b, c] of [[3, 17], [40, 60], [120, 180], [900, 1100], [2, 400]]) {
    const expected = mcnemarBrute(b, c);
    assert.ok(Math.abs(mcnemarExact(b, c) - expected) <= 1e-10 * expected, `b=${b},c=${c}: ${mcnemarExact(b, c)} vs ${expected}`);
  }
  assert.throws(() => mcnemarExact(-1, 3), /fixed must be a non-negative integer/);
  assert.throws(() => mcnemarExact(1, 2.5), /broken must be a non-negative integer/);
});

test('mcnemarExact works at n = 100 000', () => {
  // b = 49 500, c = 50 500: normal approximation z = (|b − c| − 1)/√n = 999/316.23 ≈ 3.159, p ≈ 0.00158.
  const p = mcnemarExact(49_500, 50_500);
  const exact = mcnemarBrute(49_500, 50_500);
  assert.ok(Math.abs(p - exact) <= 1e-9 * exact, `p=${p} vs ${exact}`);
  assert.ok(p > 0.0013 && p < 0.0019, `p=${p}`);
  assert.ok(mcnemarExact(50_000, 50_000) === 1);
  const tiny = mcnemarExact(10, 99_990);
  assert.ok(tiny >= 0 && tiny < 1e-300, `p=${tiny}`);
});

test('pairedBootstrap: identical models give exactly [0, 0]; seeds reproduce', () => {
  const rand = mulberry32(3);
  const flags = Array.from({ length: 500 }, () => (rand() < 0.7 ? 1 : 0));
  const set = { original: pack(flags), edited: pack(flags), n: 500 };
  const diff = pairedBootstrap([set], (o, e) => e[0] - o[0], { samples: 200 });
  assert.deepEqual(diff, { estimate: 0, ci_lo: 0, ci_hi: 0, samples: 200 });
  const edited = pack(flags.map((f) => (rand() < 0.1 ? 1 - f : f)));
  const sets = [{ original: set.original, edited, n: 500 }];
  const a = pairedBootstrap(sets, (o, e) => e[0] - o[0], { samples: 300, seed: 11 });
  const b = pairedBootstrap(sets, (o, e) => e[0] - o[0], { samples: 300, seed: 11 });
  const c = pairedBootstrap(sets, (o, e) => e[0] - o[0], { samples: 300, seed: 12 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(a.estimate, c.estimate);
});

test('pairedBootstrap: the accuracy change interval matches the paired analytic standard error', () => {
  // 2000 images: 150 fixed, 90 broken. Paired difference d_i ∈ {−1, 0, 1};
  // Var(mean d) = (p_f + p_b − (p_f − p_b)²)/n = (0.075 + 0.045 − 0.03²)/2000.
  const n = 2000, fixed = 150, broken = 90;
  const o = Array.from({ length: n }, (_, i) => (i < fixed ? 0 : i < fixed + broken ? 1 : i % 3 ? 1 : 0));
  const e = o.map((x, i) => (i < fixed ? 1 : i < fixed + broken ? 0 : x));
  const result = pairedBootstrap([{ original: pack(o), edited: pack(e), n }], (a, b) => b[0] - a[0], { samples: 2000, seed: 5 });
  const estimate = (fixed - broken) / n;
  const se = Math.sqrt((0.075 + 0.045 - 0.03 ** 2) / n);
  close(result.estimate, estimate, 1e-15, 'estimate');
  close(result.ci_lo, estimate - 1.96 * se, 0.25 * se, 'ci_lo');
  close(result.ci_hi, estimate + 1.96 * se, 0.25 * se, 'ci_hi');
  // An unpaired interval would be far wider: √(2·0.7·0.3/2000) ≈ 0.0145 vs ≈ 0.0077 paired.
  assert.ok(result.ci_hi - result.ci_lo < 2 * 1.96 * 0.01);
});

test('pairedBootstrapMany resamples each set within itself and shares the draws across statistics', () => {
  // Set 0: every image right for both; set 1: every image wrong for the original, right for the edited.
  const sets = [
    { original: pack(Array(10).fill(1)), edited: pack(Array(10).fill(1)), n: 10 },
    { original: pack(Array(3).fill(0)), edited: pack(Array(3).fill(1)), n: 3 },
  ];
  const [first, second, both] = pairedBootstrapMany(sets, (o, e) => [o[0] + e[0], e[1] - o[1], e[0] + e[1]], { samples: 50 });
  // Constant within each set, so every resample gives the same values: sets stay apart.
  assert.deepEqual([first.ci_lo, first.ci_hi, second.ci_lo, second.ci_hi, both.estimate], [2, 2, 1, 1, 2]);
  assert.throws(() => pairedBootstrapMany([], () => [0]), /at least one set/);
  assert.throws(() => pairedBootstrap([{ original: new Uint8Array(1), edited: new Uint8Array(2), n: 8 }], () => 0), /set 0 \(edited\).*got 2/);
  assert.throws(() => pairedBootstrap(sets, () => 0, { level: 1 }), /level must be in \(0, 1\)/);
});

test('pairedBootstrap is fast: 30 sets × 1000 images × 1000 resamples', () => {
  const rand = mulberry32(1);
  const sets = Array.from({ length: 30 }, () => {
    const o = Array.from({ length: 1000 }, () => (rand() < 0.8 ? 1 : 0));
    return { original: pack(o), edited: pack(o.map((x) => (rand() < 0.05 ? 1 - x : x))), n: 1000 };
  });
  const start = performance.now();
  const result = pairedBootstrap(sets, (o, e) => {
    let s = 0;
    for (let i = 0; i < o.length; i++) s += e[i] - o[i];
    return s / o.length;
  }, { samples: 1000 });
  const seconds = (performance.now() - start) / 1000;
  console.log(`pairedBootstrap 30 sets × 1000 images × 1000 samples: ${seconds.toFixed(3)} s`);
  assert.ok(result.ci_lo <= result.estimate && result.estimate <= result.ci_hi);
  assert.ok(seconds < 5, `${seconds} s`);
});
