import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { alexNetImageNetC, alexNetImageNetCFile, corruptionErrors, type CorruptionAccuracyRow } from '../src/metrics/corruption-error';
import { BENCHMARK_CORRUPTIONS } from '../src/shifts/registry';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

/** Tidy rows of one model: clean accuracy and accuracies[corruption][severity − 1]. */
function modelRows(model: string, clean: number, accuracies: Record<string, number[]>): CorruptionAccuracyRow[] {
  return [
    { model, shift: 'clean', family: 'clean', severity: 0, accuracy: clean },
    ...Object.entries(accuracies).flatMap(([shift, byseverity]) => byseverity.map((accuracy, i) => ({ model, shift, family: 'corruption', severity: i + 1, accuracy }))),
  ];
}

// 2 corruptions × 2 severities, errors chosen to divide evenly.
//   model f: clean error 0.10; noise errors 0.20, 0.40; blur errors 0.30, 0.50
//   base:    clean error 0.20; noise errors 0.40, 0.60; blur errors 0.30, 0.70
const rows = [
  ...modelRows('f', 0.9, { noise: [0.8, 0.6], blur: [0.7, 0.5] }),
  ...modelRows('base', 0.8, { noise: [0.6, 0.4], blur: [0.7, 0.3] }),
  { model: 'f', shift: 'cartoon', family: 'rendition', severity: 0, accuracy: 0.1 }, // ignored: not a corruption
];

test('mCE and relative mCE on a 2-corruption × 2-severity example computed by hand', () => {
  const { rows: ce, summary } = corruptionErrors(rows, 'base');
  // CE_noise = (0.2 + 0.4)/(0.4 + 0.6) = 0.6;  CE_blur = (0.3 + 0.5)/(0.3 + 0.7) = 0.8;  mCE = 0.7.
  // rel CE_noise = (0.6 − 2·0.1)/(1.0 − 2·0.2) = 0.4/0.6 = 2/3;  rel CE_blur = (0.8 − 0.2)/(1.0 − 0.4) = 1;  rel mCE = 5/6.
  assert.deepEqual(ce.map((r) => [r.model, r.corruption, r.severities]), [['f', 'blur', 2], ['f', 'noise', 2]]);
  const blur = ce[0], noise = ce[1];
  close(noise.error_sum, 0.6, 1e-12, 'noise error sum');
  close(noise.base_error_sum, 1.0, 1e-12, 'noise base sum');
  close(noise.ce, 0.6, 1e-12, 'CE noise');
  close(blur.ce, 0.8, 1e-12, 'CE blur');
  close(noise.relative_ce as number, 2 / 3, 1e-12, 'relative CE noise');
  close(blur.relative_ce as number, 1, 1e-12, 'relative CE blur');
  assert.equal(summary.length, 1);
  assert.equal(summary[0].model, 'f');
  assert.equal(summary[0].base, 'base');
  close(summary[0].mce, 0.7, 1e-12, 'mCE');
  close(summary[0].relative_mce as number, 5 / 6, 1e-12, 'relative mCE');
  close(summary[0].clean_error, 0.1, 1e-12, 'clean error');
  // The base against itself is 1 everywhere.
  const self = corruptionErrors(rows, 'base', { models: ['base'] }).summary[0];
  close(self.mce, 1, 1e-12, 'base mCE');
  close(self.relative_mce as number, 1, 1e-12, 'base relative mCE');
  // A subset of corruptions.
  close(corruptionErrors(rows, 'base', { corruptions: ['noise'] }).summary[0].mce, 0.6, 1e-12, 'noise only');
});

test('a base missing a severity or a corruption is named', () => {
  const gappy = rows.filter((r) => !(r.model === 'base' && r.shift === 'blur' && r.severity === 2));
  assert.throws(() => corruptionErrors(gappy, 'base'), /base "base" lacks severity 2 of corruption "blur"/);
  const noBlur = rows.filter((r) => !(r.model === 'base' && r.shift === 'blur'));
  assert.throws(() => corruptionErrors(noBlur, 'base'), /base "base" has no errors for corruption "blur"/);
  assert.throws(() => corruptionErrors(rows, 'nobody'), /base model "nobody" has no rows/);
  assert.throws(() => corruptionErrors(rows, 'base', { corruptions: ['fog'] }), /model "f" has no rows of corruption "fog"/);
  assert.throws(() => corruptionErrors(rows.filter((r) => !(r.model === 'f' && r.shift === 'clean')), 'base'), /model "f" has no clean row/);
});

test('AlexNet ImageNet-C constants: per-severity errors agree with the published means', () => {
  const file = JSON.parse(fs.readFileSync(alexNetImageNetCFile(), 'utf8'));
  assert.match(file.source, /hendrycks\/robustness/);
  assert.match(file.source, /issues\/10/);
  assert.deepEqual(Object.keys(file.corruptions).sort(), [...BENCHMARK_CORRUPTIONS].sort());
  for (const [name, c] of Object.entries(file.corruptions) as [string, { mean_error: number; severity_errors: number[] | null }][]) {
    if (!c.severity_errors) continue;
    assert.equal(c.severity_errors.length, 5, name);
    const mean = c.severity_errors.reduce((s, e) => s + e, 0) / 5;
    close(mean, c.mean_error, 1e-6, `${name} mean of severities`);
  }
});

test('mCE against AlexNet: CE from the stored means, relative CE only with a clean error', () => {
  const alexnet = alexNetImageNetC();
  assert.equal(alexnet.clean_error, null);
  // A model with AlexNet's own error at every severity scores CE = 1 on every corruption; jpeg uses the mean (0.6065).
  const accuracies = Object.fromEntries(BENCHMARK_CORRUPTIONS.map((c) => {
    const stored = alexnet.corruptions[c];
    const errors = stored.severity_errors ? [1, 2, 3, 4, 5].map((s) => (stored.severity_errors as Record<number, number>)[s]) : Array(5).fill(stored.mean_error);
    return [c, errors.map((e: number) => 1 - e)];
  }));
  const alexLike = modelRows('alex-like', 0.5, accuracies);
  const result = corruptionErrors(alexLike, alexnet, { corruptions: BENCHMARK_CORRUPTIONS });
  for (const r of result.rows) close(r.ce, 1, 1e-12, r.corruption);
  close(result.summary[0].mce, 1, 1e-12, 'mCE');
  assert.equal(result.summary[0].relative_mce, null);
  // Halving every error halves CE; with a stated AlexNet clean error, relative CE is defined:
  // gaussian_noise: (Σ E/2 − 5·0.25)/(Σ E − 5·0.5) with Σ E = 5·0.886428.
  const halved = modelRows('half', 0.75, Object.fromEntries(Object.entries(accuracies).map(([c, acc]) => [c, acc.map((a) => 1 - (1 - a) / 2)])));
  const withClean = corruptionErrors(halved, alexNetImageNetC({ cleanError: 0.5 }), { corruptions: BENCHMARK_CORRUPTIONS });
  close(withClean.summary[0].mce, 0.5, 1e-12, 'halved mCE');
  const gaussian = withClean.rows.find((r) => r.corruption === 'gaussian_noise');
  close(gaussian?.relative_ce as number, (5 * 0.886428 / 2 - 1.25) / (5 * 0.886428 - 2.5), 1e-9, 'relative CE gaussian');
  // jpeg_compression has only a mean: a model with fewer severities cannot use it.
  const jpegTwo = modelRows('m', 0.9, { jpeg_compression: [0.7, 0.6] });
  assert.throws(() => corruptionErrors(jpegTwo, alexnet), /lacks severity 1, 2 of corruption "jpeg_compression" \(its mean error spans severities 1, 2, 3, 4, 5, the model has 1, 2\)/);
  // …whereas corruptions with per-severity errors can be scored on a subset of severities.
  const gaussTwo = modelRows('m', 0.9, { gaussian_noise: [0.5, 0.4] });
  close(corruptionErrors(gaussTwo, alexnet).rows[0].ce, (0.5 + 0.6) / (0.69528 + 0.82542), 1e-12, 'two severities');
  // A corruption AlexNet has no errors for.
  assert.throws(() => corruptionErrors(modelRows('m', 0.9, { saturate: [0.5] }), alexnet), /no errors for corruption "saturate"/);
});
