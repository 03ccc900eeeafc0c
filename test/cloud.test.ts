// The reference cloud (build, resume, table) and the accuracy-on-the-line metrics built on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  buildCloud, loadCloud, accuracyPairs, CLOUD_MEMBERS, listShifts, fashionMnistSet, loadLayersModel, predict, accuracy, readHardSubsetFile, hardSubsetPath,
  normalCdf, normalQuantile, transformAccuracy, untransformAccuracy, fitAccuracyLine, baselineAccuracy, effectiveRobustness, oodPenalty,
  type CloudMember,
} from '../src';

const ROOT = path.resolve(__dirname, '..');

test('probit and logit transforms match tabulated values and invert each other', () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963985) < 1e-8);
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-12);
  assert.ok(Math.abs(normalQuantile(0.001) + 3.090232306) < 1e-8);
  assert.ok(Math.abs(normalCdf(1) - 0.8413447461) < 2e-7);
  assert.ok(Math.abs(normalCdf(-2) - 0.0227501319) < 2e-7);
  for (const p of [0.01, 0.3, 0.77, 0.999]) {
    assert.ok(Math.abs(untransformAccuracy(transformAccuracy(p)) - p) < 1e-6);
    assert.ok(Math.abs(untransformAccuracy(transformAccuracy(p, 'logit'), 'logit') - p) < 1e-12);
  }
  assert.ok(Math.abs(transformAccuracy(0.75, 'logit') - Math.log(3)) < 1e-12);
  // 0 and 1 are clipped to finite values.
  assert.ok(Number.isFinite(transformAccuracy(0)) && Number.isFinite(transformAccuracy(1, 'logit')));
});

test('the accuracy line is the least-squares fit on probit axes (hand-computed)', () => {
  // Transformed points (0, 0), (1, 1), (2, 1): slope 1/2, intercept 1/6, r² = 1² / (2 · 2/3) = 3/4.
  const points = [[0, 0], [1, 1], [2, 1]].map(([x, y]) => ({ id: normalCdf(x), ood: normalCdf(y) }));
  const line = fitAccuracyLine(points);
  assert.ok(Math.abs(line.slope - 0.5) < 1e-5, String(line.slope));
  assert.ok(Math.abs(line.intercept - 1 / 6) < 1e-5, String(line.intercept));
  assert.ok(Math.abs(line.r2 - 0.75) < 1e-5);
  assert.equal(line.n, 3);
  // β(Φ(1)) = Φ(0.5 + 1/6); a model on the line has ρ = 0, one 2 points above has ρ = 0.02.
  assert.ok(Math.abs(baselineAccuracy(line, normalCdf(1)) - normalCdf(2 / 3)) < 1e-6);
  const onLine = { id: normalCdf(1), ood: normalCdf(2 / 3) };
  assert.ok(Math.abs(effectiveRobustness(line, onLine)) < 1e-6);
  const original = { id: onLine.id, ood: onLine.ood + 0.02 };
  const edited = { id: normalCdf(0), ood: normalCdf(1 / 6) - 0.03 };
  assert.ok(Math.abs(oodPenalty(line, original, edited) - -0.05) < 1e-6);
  assert.throws(() => fitAccuracyLine(points.slice(0, 1)), /at least 2 models/);
  assert.throws(() => fitAccuracyLine([{ id: 0.5, ood: 0.4 }, { id: 0.5, ood: 0.3 }]), /same ID accuracy/);
  assert.throws(() => fitAccuracyLine(points, 'tanh' as never), /unknown transform "tanh"/);
});

test('accuracyPairs averages the selected cells per model against its clean accuracy', () => {
  const row = (model: string, shift: string, family: string, severity: number, acc: number) => ({ model, shift, family, group: family, severity, accuracy: acc });
  const rows = [
    row('a', 'clean', 'clean', 0, 0.9), row('a', 'fog', 'corruption', 1, 0.8), row('a', 'fog', 'corruption', 2, 0.6), row('a', 'sketch', 'rendition', 0, 0.3),
    row('b', 'clean', 'clean', 0, 0.7), row('b', 'fog', 'corruption', 1, 0.5), row('b', 'fog', 'corruption', 2, 0.4),
  ];
  assert.deepEqual(accuracyPairs(rows, { shift: 'fog' }).map((p) => [p.model, p.id, +p.ood.toFixed(10)]), [['a', 0.9, 0.7], ['b', 0.7, 0.45]]);
  assert.deepEqual(accuracyPairs(rows, { family: 'rendition' }), [{ model: 'a', id: 0.9, ood: 0.3 }]);
  assert.deepEqual(accuracyPairs(rows, { shift: 'fog', severity: 2 }).map((p) => p.ood), [0.6, 0.4]);
  assert.throws(() => accuracyPairs(rows, { shift: 'frost' }), /no model has .* shifts in the table: fog, sketch/);
});

test('the standard cloud has ≥ 20 uniquely named members over several architectures, depths and widths', () => {
  assert.ok(CLOUD_MEMBERS.length >= 20);
  assert.equal(new Set(CLOUD_MEMBERS.map((m) => m.name)).size, CLOUD_MEMBERS.length);
  assert.ok(new Set(CLOUD_MEMBERS.map((m) => m.arch)).size >= 6);
  assert.ok(new Set(CLOUD_MEMBERS.map((m) => m.width)).size >= 3);
  assert.ok(new Set(CLOUD_MEMBERS.map((m) => m.epochs)).size >= 3);
  assert.ok(new Set(CLOUD_MEMBERS.map((m) => m.seed)).size >= 3);
});

test('buildCloud trains, evaluates every shift and resumes without redoing finished members', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-cloud-'));
  const csv = path.join(dir, 'cloud.csv');
  const member = (seed: number): CloudMember => ({ name: `linear-s${seed}`, arch: 'linear', width: 1, epochs: 1, seed, trainSize: 2000 });
  const settings = { csv, work: path.join(dir, 'work'), shiftSize: 30, hardEnsemble: ['linear-s0'], workers: 1 };
  const events: string[] = [];
  const first = await buildCloud({ ...settings, members: [member(0)], onProgress: (e) => events.push(e.type) });
  const cells = 1 + listShifts('corruption').length * 5 + listShifts('rendition').length + 1;
  assert.equal(first.rows.length, cells);
  assert.deepEqual(first.built, ['linear-s0']);
  assert.ok(events.includes('step') && events.at(-1) === 'done');
  const clean = first.rows.find((r) => r.shift === 'clean')!;
  assert.equal(clean.n, 10000);
  // The table's clean accuracy (ONNX Runtime) equals tfjs's on the saved model.
  const test = fashionMnistSet('test');
  const model = await loadLayersModel(path.join(dir, 'work', 'linear-s0'));
  assert.equal(clean.accuracy, accuracy(predict(model, test).predicted, test.labels).accuracy);
  model.dispose();
  assert.ok(first.rows.filter((r) => r.family === 'corruption').every((r) => r.n === 30 && r.severity >= 1 && r.severity <= 5));
  // Hard = the test images the one-member ensemble (a cloud member, trained first) gets wrong,
  // written beside the table as indices: exactly the images it misclassifies.
  const hard = readHardSubsetFile(hardSubsetPath(csv))!;
  assert.deepEqual(hard.ensemble, ['linear-s0']);
  const wrong = predict(await loadLayersModel(path.join(dir, 'work', 'linear-s0')), test).predicted.reduce((list: number[], p, i) => (p === test.labels[i] ? list : [...list, i]), []);
  assert.deepEqual(hard.indices, wrong);
  assert.equal(first.rows.find((r) => r.shift === 'hard')!.n, Math.round(10000 * (1 - clean.accuracy)));
  assert.equal(first.rows.find((r) => r.shift === 'hard')!.accuracy, 0, 'the member that chose it gets none of it right');

  // Scoring the saved member on cloudCells (settings from the table's sidecar) reproduces its rows.
  const { cloudCells, evaluateCells } = await import('../src');
  const saved = await loadLayersModel(path.join(dir, 'work', 'linear-s0'));
  const again = await evaluateCells(saved, await cloudCells({ csv }));
  saved.dispose();
  assert.deepEqual(again, first.rows.map(({ shift, family, group, severity, accuracy, n, ci_lo, ci_hi }) => ({ shift, family, group, severity, accuracy, n, ci_lo, ci_hi })));

  // A rerun takes the table's settings when none are given.
  const second = await buildCloud({ csv, work: settings.work, members: [member(0), member(1)] });
  assert.deepEqual(second.cached, ['linear-s0']);
  assert.deepEqual(second.built, ['linear-s1']);
  const table = loadCloud(csv);
  assert.equal(table.length, 2 * cells);
  assert.deepEqual(table.filter((r) => r.model === 'linear-s0'), first.rows.map((r) => ({ ...r })));
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'cloud.json'), 'utf8'));
  assert.deepEqual(Object.keys(meta.members), ['linear-s0', 'linear-s1']);

  await assert.rejects(buildCloud({ ...settings, shiftSize: 31, members: [member(2)] }), /cloud\.csv was built with .*"shiftSize":30/);
  await assert.rejects(buildCloud({ ...settings, members: [member(0), member(0)] }), /"linear-s0" appears twice/);
  await assert.rejects(buildCloud({ ...settings, members: [{ ...member(3), arch: 'lenet' }] }), /unknown architecture "lenet"/);
  await assert.rejects(buildCloud({ ...settings, members: [{ ...member(3), name: '../x' }] }), /must be letters, digits/);
  assert.equal(loadCloud(csv).length, 2 * cells, 'refused builds leave the table alone');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('editlab cloud fit and list read the table; bad selections fail clearly', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-cloud-cli-'));
  const csv = path.join(dir, 'c.csv');
  const header = 'model,arch,width,epochs,seed,train_size,params,shift,family,group,severity,accuracy,n,ci_lo,ci_hi\n';
  const line = (m: string, shift: string, family: string, sev: number, acc: number) => `${m},linear,1,1,0,100,7850,${shift},${family},${family},${sev},${acc},100,0,1\n`;
  // probit pairs (0, 0), (1, 1), (2, 1) as in the hand-computed fit above.
  fs.writeFileSync(csv, header + [[0, 0], [1, 1], [2, 1]].map(([x, y], i) => line(`m${i}`, 'clean', 'clean', 0, normalCdf(x)) + line(`m${i}`, 'fog', 'corruption', 3, normalCdf(y))).join(''));
  const bin = path.join(ROOT, 'bin', 'editlab.js');
  const run = (args: string[]) => spawnSync(process.execPath, [bin, 'cloud', ...args], { encoding: 'utf8' });
  const fit = run(['fit', '--shift', 'fog', '--csv', csv, '--json']);
  assert.equal(fit.status, 0, fit.stderr);
  const result = JSON.parse(fit.stdout);
  assert.ok(Math.abs(result.slope - 0.5) < 1e-5 && Math.abs(result.intercept - 1 / 6) < 1e-5 && result.n === 3);
  assert.match(run(['fit', '--shift', 'snow', '--csv', csv]).stderr, /no model has both a clean row and a row matching \{"shift":"snow"\}; shifts in the table: fog/);
  assert.match(run(['fit', '--csv', csv]).stderr, /select cells with --shift NAME/);
  assert.match(run(['build', '--members', 'nope']).stderr, /unknown member\(s\) nope/);
  // The command on its own (a fresh process registers every shift and architecture it needs).
  const built = run(['build', '--members', 'linear-w1-e1-n10k-s0', '--shift-size', '20', '--csv', path.join(dir, 'b.csv'), '--work', path.join(dir, 'work'), '--json']);
  assert.equal(built.status, 0, built.stderr);
  assert.deepEqual(JSON.parse(built.stdout).built, ['linear-w1-e1-n10k-s0']);
  const table = loadCloud(path.join(dir, 'b.csv'));
  assert.equal(table.length, 1 + listShifts('corruption').length * 5 + listShifts('rendition').length + 1, 'the hard row: the committed subset serves a new table (no ensemble retrained)');
  assert.match(run(['frob']).stderr, /expected a subcommand: build, list or fit, got "frob"/);
  fs.writeFileSync(csv, 'model,shift\nx,clean\n');
  assert.match(run(['fit', '--shift', 'fog', '--csv', csv]).stderr, /c\.csv lacks the column\(s\) arch, width/);
  const list = run(['list', '--json', '--csv', path.join(dir, 'absent.csv')]);
  assert.equal(list.status, 0, list.stderr);
  assert.ok(JSON.parse(list.stdout).every((m: { accuracy: unknown }) => m.accuracy === null));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('accuracyOnTheLine draws the cloud, its fitted line with a band, and overlaid paths on probit axes', async () => {
  const { accuracyOnTheLine, renderSvg } = await import('../src/figures');
  const cloud = [[0, 0], [1, 1], [2, 1], [1.5, 0.5]].map(([x, y], i) => ({ model: `m${i}`, arch: 'mlp', id: normalCdf(x), ood: normalCdf(y) }));
  const overlay = [{ label: 'edit', alpha: 0, id: normalCdf(1.5), ood: normalCdf(0.9) }, { label: 'edit', alpha: 1, id: normalCdf(1), ood: normalCdf(0.2) }];
  const spec = accuracyOnTheLine(cloud, { overlay, bootstrap: 200 }) as any;
  const values = spec.data.values as any[];
  const line = fitAccuracyLine(cloud);
  const grid = values.filter((v) => v.__part === 'line');
  assert.equal(grid.length, 31);
  for (const g of grid) {
    assert.ok(Math.abs(g.y - (line.slope * g.x + line.intercept)) < 1e-9);
    assert.ok(g.ci_lo <= g.y + 1e-9 && g.y <= g.ci_hi + 1e-9, 'the band contains the line');
  }
  const cloudRows = values.filter((v) => v.__part === 'cloud');
  assert.ok(Math.abs(cloudRows[1].x - 1) < 1e-6 && Math.abs(cloudRows[1].y - 1) < 1e-6, 'points sit at their probits');
  // Axis ticks are probits of round accuracies and are labelled back as accuracies.
  const xAxis = spec.layer.find((l: any) => l.mark.type === 'point').encoding.x.axis;
  assert.ok(xAxis.values.some((v: number) => Math.abs(v - transformAccuracy(0.9)) < 1e-12));
  assert.match(xAxis.labelExpr, /cumulativeNormal/);
  assert.equal(values.filter((v) => v.__part === 'overlay').length, 2);
  const svg = await renderSvg(spec);
  assert.match(svg, />90%</, 'the 90% tick is labelled');
  assert.throws(() => accuracyOnTheLine([{ id: 0.5 }]), /numeric id and ood/);
});

test('oodPenalties places models on the cloud line and compares them with the original (hand-computed)', async () => {
  const { oodPenalties } = await import('../src/cloud');
  const cloudRow = (model: string, shift: string, acc: number) => ({ model, arch: 'x', width: 1, epochs: 1, seed: 0, train_size: 1, params: 1, shift, family: shift === 'clean' ? 'clean' : 'corruption', group: 'noise', severity: shift === 'clean' ? 0 : 3, accuracy: acc, n: 1, ci_lo: 0, ci_hi: 1 });
  // Cloud on the probit line y = x/2 + 1/6 (see the fit test).
  const cloud = [[0, 0], [1, 1], [2, 1]].flatMap(([x, y], i) => [cloudRow(`c${i}`, 'clean', normalCdf(x)), cloudRow(`c${i}`, 'fog', normalCdf(y))]) as any;
  const expected = (x: number) => normalCdf(x / 2 + 1 / 6);
  const rows = [cloudRow('orig', 'clean', normalCdf(1)), cloudRow('orig', 'fog', expected(1) + 0.01), cloudRow('edit', 'clean', normalCdf(0.5)), cloudRow('edit', 'fog', expected(0.5) - 0.04)];
  const { line, rows: out } = oodPenalties(rows, cloud, { original: 'orig' });
  assert.ok(Math.abs(line.slope - 0.5) < 1e-5);
  const [orig, edit] = out;
  assert.ok(Math.abs(orig.rho - 0.01) < 1e-6 && Math.abs(orig.penalty) < 1e-12);
  assert.ok(Math.abs(edit.rho + 0.04) < 1e-6 && Math.abs(edit.penalty + 0.05) < 1e-6);
  assert.ok(Math.abs(edit.drop - (expected(0.5) - 0.04 - expected(1) - 0.01)) < 1e-12);
  assert.throws(() => oodPenalties(rows, cloud, { original: 'nope' }), /original "nope" is not among the models \(orig, edit\)/);
});
