import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accuracy, accuracyFromCounts, clopperPearson, logGamma, regularizedBeta } from '../src/metrics/accuracy';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('Clopper–Pearson intervals match published values (R binom.test)', () => {
  const cases: Array<[number, number, number, number]> = [
    [5, 10, 0.187086, 0.812914],
    [0, 10, 0, 0.3084971],
    [10, 10, 0.6915029, 1],
    [1, 20, 0.001265, 0.248733],
    [95, 100, 0.8871651, 0.9835681],
  ];
  for (const [k, n, lo, hi] of cases) {
    const [l, h] = clopperPearson(k, n);
    close(l, lo, 2e-6, `lower ${k}/${n}`);
    close(h, hi, 2e-6, `upper ${k}/${n}`);
  }
});

test('special functions agree with closed forms', () => {
  close(logGamma(5), Math.log(24), 1e-12, 'lnΓ(5)');
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12, 'lnΓ(1/2)');
  // I_x(1, b) = 1 − (1 − x)^b and I_x(a, 1) = x^a.
  close(regularizedBeta(0.3, 1, 4), 1 - 0.7 ** 4, 1e-12, 'I(1,4)');
  close(regularizedBeta(0.6, 3, 1), 0.6 ** 3, 1e-12, 'I(3,1)');
});

test('accuracy counts matches and rejects bad input', () => {
  const a = accuracy([1, 2, 3, 4], [1, 2, 0, 4]);
  assert.equal(a.accuracy, 0.75);
  assert.equal(a.correct, 3);
  assert.equal(a.n, 4);
  assert.ok(a.ci[0] < 0.75 && a.ci[1] > 0.75);
  assert.throws(() => accuracy([1], [1, 2]), /1 predictions for 2 labels/);
  assert.throws(() => accuracyFromCounts(3, 0), /positive integer/);
  assert.throws(() => accuracyFromCounts(5, 4), /integer in \[0, 4\]/);
});
