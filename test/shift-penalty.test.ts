import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shiftPenalties, shiftPenaltyIntervals, type ModelCell, type ShiftPenaltyRow } from '../src/cloud/shift-penalty';
import { oodPenalties } from '../src/cloud/penalty';
import type { CloudRow } from '../src/cloud/table';
import { fitAccuracyLine, normalCdf, normalQuantile, baselineAccuracy } from '../src/metrics/effective-robustness';
import { mulberry32 } from '../src/engine/rng';

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

type CloudCell = Pick<CloudRow, 'model' | 'shift' | 'family' | 'group' | 'severity' | 'accuracy'>;
interface ShiftSpec { shift: string; family: 'corruption' | 'rendition' | 'hard'; severity: number; slope: number; intercept: number }

/** A cloud whose member i has clean accuracy Φ(x_i) and, on each shift, exactly Φ(slope·x_i + intercept). */
function exactCloud(xs: readonly number[], shifts: readonly ShiftSpec[]): CloudCell[] {
  return xs.flatMap((x, i) => [
    { model: `m${i}`, shift: 'clean', family: 'clean', group: 'clean', severity: 0, accuracy: normalCdf(x) },
    ...shifts.map((s) => ({ model: `m${i}`, shift: s.shift, family: s.family, group: s.family, severity: s.severity, accuracy: normalCdf(s.slope * x + s.intercept) })),
  ]);
}

const SHIFTS: ShiftSpec[] = [
  { shift: 'fog', family: 'corruption', severity: 3, slope: 0.8, intercept: -0.5 },
  { shift: 'contrast', family: 'corruption', severity: 1, slope: 1, intercept: 0 },
  { shift: 'sketch', family: 'rendition', severity: 0, slope: 0.5, intercept: -1 },
  { shift: 'hard', family: 'hard', severity: 0, slope: 1, intercept: -1 },
];
// Four members at probit clean accuracy 0, 0.5, 1, 1.5: Φ = 0.5, 0.6914625, 0.8413447, 0.9331928.
const CLOUD: CloudCell[] = [
  ...exactCloud([0, 0.5, 1, 1.5], SHIFTS),
  // A member that chose the hard subset: far off the hard line, left out of it with excludeFromLine.
  { model: 'picker', shift: 'clean', family: 'clean', group: 'clean', severity: 0, accuracy: 0.6 },
  { model: 'picker', shift: 'hard', family: 'hard', group: 'hard', severity: 0, accuracy: 0.05 },
];
const excludePicker = (model: string, shift: string) => model === 'picker' && shift === 'hard';

const cells = (clean: number, accuracies: Record<string, number>): ModelCell[] => [
  { set: 'clean', family: 'clean', severity: 0, accuracy: clean },
  ...SHIFTS.map((s) => ({ set: s.shift, family: s.family, severity: s.severity, accuracy: accuracies[s.shift] })),
];
// Original at probit 1 (clean 0.8413447), edited at probit 0.5 (clean 0.6914625).
const ORIGINAL = cells(normalCdf(1), { fog: 0.7, contrast: 0.8, sketch: 0.4, hard: 0.45 });
const EDITED = cells(normalCdf(0.5), { fog: 0.5, contrast: 0.7, sketch: 0.3, hard: 0.3 });

test('per-shift penalty on an exact 4-member cloud, computed by hand in probit space', () => {
  const rows = shiftPenalties(CLOUD, ORIGINAL, EDITED, { excludeFromLine: excludePicker });
  const byShift = (s: string) => rows.find((r) => r.shift === s) as ShiftPenaltyRow;
  // fog: β(x) = Φ(0.8x − 0.5). β(orig) = Φ(0.3) = 0.6179114, β(edit) = Φ(−0.1) = 0.4601722.
  //   ρ_o = 0.70 − 0.6179114 = 0.0820886, ρ_e = 0.50 − 0.4601722 = 0.0398278 → penalty −0.0422608, drop −0.2.
  // contrast: β = identity. ρ_o = 0.80 − 0.8413447 = −0.0413447, ρ_e = 0.70 − 0.6914625 = 0.0085375 → penalty 0.0498822, drop −0.1.
  // sketch: β(x) = Φ(0.5x − 1). β(orig) = Φ(−0.5) = 0.3085375, β(edit) = Φ(−0.75) = 0.2266274.
  //   ρ_o = 0.0914625, ρ_e = 0.0733726 → penalty −0.0180899, drop −0.1.
  // hard: β(x) = Φ(x − 1). β(orig) = Φ(0) = 0.5, β(edit) = Φ(−0.5) = 0.3085375.
  //   ρ_o = −0.05, ρ_e = −0.0085375 → penalty 0.0414625, drop −0.15.
  const expected: Record<string, [number, number, number, number]> = {
    fog: [-0.0422608, -0.2, 0.8, -0.5], contrast: [0.0498822, -0.1, 1, 0], sketch: [-0.0180899, -0.1, 0.5, -1], hard: [0.0414625, -0.15, 1, -1],
  };
  for (const [shift, [penalty, drop, slope, intercept]] of Object.entries(expected)) {
    const r = byShift(shift);
    close(r.penalty, penalty, 2e-6, `${shift} penalty`);
    close(r.drop, drop, 1e-12, `${shift} drop`);
    close(r.slope as number, slope, 1e-5, `${shift} slope`);
    close(r.intercept as number, intercept, 1e-5, `${shift} intercept`);
    assert.ok(r.r2 > 0.999999 && r.reliable, `${shift} r2 ${r.r2}`);
    assert.equal(r.ci_lo, null);
  }
  // Families: corruption = mean(−0.0422608, 0.0498822) = 0.0038107 (drop −0.15); rendition −0.0180899; hard 0.0414625.
  // Overall = mean of the family means = (0.0038107 − 0.0180899 + 0.0414625)/3 = 0.0090611; drop (−0.15 − 0.1 − 0.15)/3.
  const family = rows.filter((r) => r.scope === 'family');
  assert.deepEqual(family.map((r) => [r.family, r.shifts]), [['corruption', 2], ['rendition', 1], ['hard', 1]]);
  close(family[0].penalty, 0.0038107, 2e-6, 'corruption family');
  close(family[0].drop, -0.15, 1e-12, 'corruption family drop');
  close(family[1].penalty, -0.0180899, 2e-6, 'rendition family');
  close(family[2].penalty, 0.0414625, 2e-6, 'hard family');
  const overall = rows[rows.length - 1];
  assert.equal(overall.scope, 'overall');
  assert.equal(overall.family, null);
  assert.equal(overall.shifts, 4);
  close(overall.penalty, 0.0090611, 2e-6, 'overall');
  close(overall.drop, -0.4 / 3, 1e-12, 'overall drop');
  // Without the exclusion the picker pulls the hard line off the exact one.
  const withPicker = shiftPenalties(CLOUD, ORIGINAL, EDITED).find((r) => r.shift === 'hard') as ShiftPenaltyRow;
  assert.ok(withPicker.r2 < 0.99 && Math.abs(withPicker.penalty - 0.0414625) > 1e-3, `r2 ${withPicker.r2}, penalty ${withPicker.penalty}`);
});

test('lines with r² < 0.5 are unreliable; a family needs half of its shifts reliable', () => {
  // snow and frost: cloud accuracies that do not follow clean accuracy at all.
  const scatter = (shift: string, accuracies: number[]): CloudCell[] => accuracies.map((accuracy, i) => ({ model: `m${i}`, shift, family: 'corruption', group: 'weather', severity: 2, accuracy }));
  const cloud = [...CLOUD, ...scatter('snow', [0.5, 0.2, 0.6, 0.3]), ...scatter('frost', [0.4, 0.1, 0.45, 0.15])];
  const extra = (acc: number): ModelCell[] => [{ set: 'snow', family: 'corruption', severity: 2, accuracy: acc }, { set: 'frost', family: 'corruption', severity: 2, accuracy: acc }];
  const rows = shiftPenalties(cloud, [...ORIGINAL, ...extra(0.5)], [...EDITED, ...extra(0.4)], { excludeFromLine: excludePicker });
  const snow = rows.find((r) => r.shift === 'snow') as ShiftPenaltyRow;
  // probit y = (0, −0.8416, 0.2533, −0.5244) on x = (0, 0.5, 1, 1.5): r² = sxy²/(sxx·syy) ≈ 0.1196²/(1.25·0.7379) ≈ 0.0155.
  close(snow.r2, 0.0155, 1e-3, 'snow r2');
  assert.equal(snow.reliable, false);
  const corruption = rows.find((r) => r.scope === 'family' && r.family === 'corruption') as ShiftPenaltyRow;
  // fog and contrast reliable, snow and frost not: 2 of 4 is half → reliable; min r² is the worst line's.
  assert.equal(corruption.shifts, 4);
  assert.equal(corruption.reliable, true);
  assert.equal(corruption.r2, Math.min(...rows.filter((r) => r.scope === 'shift' && r.family === 'corruption').map((r) => r.r2)));
  // With a stricter threshold only the exact lines pass; with minR2 above 1 none does.
  const strict = shiftPenalties(cloud, [...ORIGINAL, ...extra(0.5)], [...EDITED, ...extra(0.4)], { excludeFromLine: excludePicker, minR2: 1.1 });
  assert.ok(strict.every((r) => !r.reliable));
});

test('bad cells are named', () => {
  assert.throws(() => shiftPenalties(CLOUD, ORIGINAL, EDITED.filter((c) => c.set !== 'fog')), /edited model has no cell for fog at severity 3/);
  assert.throws(() => shiftPenalties(CLOUD, ORIGINAL.filter((c) => c.set !== 'sketch'), EDITED), /original model has no cell for sketch/);
  assert.throws(() => shiftPenalties(CLOUD, ORIGINAL.filter((c) => c.set !== 'clean'), EDITED), /original model needs exactly one clean cell/);
  const wrongSeverity = ORIGINAL.map((c) => (c.set === 'fog' ? { ...c, severity: 5 } : c));
  assert.throws(() => shiftPenalties(CLOUD, wrongSeverity, EDITED.map((c) => (c.set === 'fog' ? { ...c, severity: 5 } : c))), /cloud has 0 model\(s\) with a clean row and a row for fog at severity 5/);
});

/** Bitset of 0/1 flags (bit i of byte i>>3). */
function pack(flags: readonly number[]): Uint8Array {
  const bits = new Uint8Array(Math.ceil(flags.length / 8));
  flags.forEach((f, i) => { if (f) bits[i >> 3] |= 1 << (i & 7); });
  return bits;
}

/** n images, a fraction `original` right for the original; each flips with probability `flip`. */
function pairedFlags(n: number, original: number, flip: number, rand: () => number): { o: number[]; e: number[] } {
  const o = Array.from({ length: n }, () => (rand() < original ? 1 : 0));
  return { o, e: o.map((x) => (rand() < flip ? 1 - x : x)) };
}

test('paired-bootstrap intervals: estimates match the point function, identical models give [0, 0]', () => {
  const rand = mulberry32(9);
  const spec = [{ set: 'clean', family: 'clean', severity: 0, p: 0.85 }, ...SHIFTS.map((s) => ({ set: s.shift, family: s.family, severity: s.severity, p: 0.5 }))];
  const flags = spec.map((s) => ({ ...s, ...pairedFlags(400, s.p, 0.15, rand) }));
  const sets = flags.map((f) => ({ set: f.set, family: f.family, severity: f.severity, n: 400, original: pack(f.o), edited: pack(f.e) }));
  const rows = shiftPenaltyIntervals(CLOUD, sets, { excludeFromLine: excludePicker, samples: 300, seed: 4 });
  const accuracy = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const point = shiftPenalties(CLOUD,
    flags.map((f) => ({ set: f.set, family: f.family, severity: f.severity, accuracy: accuracy(f.o) })),
    flags.map((f) => ({ set: f.set, family: f.family, severity: f.severity, accuracy: accuracy(f.e) })), { excludeFromLine: excludePicker });
  assert.equal(rows.length, point.length);
  rows.forEach((r, k) => {
    assert.deepEqual({ ...r, ci_lo: null, ci_hi: null, drop_ci_lo: null, drop_ci_hi: null }, point[k]);
    assert.ok((r.ci_lo as number) <= r.penalty && r.penalty <= (r.ci_hi as number), `${r.scope} ${r.shift}: ${r.ci_lo} ≤ ${r.penalty} ≤ ${r.ci_hi}`);
    assert.ok((r.drop_ci_lo as number) <= r.drop && r.drop <= (r.drop_ci_hi as number));
  });
  const same = sets.map((s) => ({ ...s, edited: s.original }));
  for (const r of shiftPenaltyIntervals(CLOUD, same, { excludeFromLine: excludePicker, samples: 100 })) {
    assert.deepEqual([r.penalty, r.ci_lo, r.ci_hi, r.drop, r.drop_ci_lo, r.drop_ci_hi], [0, 0, 0, 0, 0, 0], `${r.scope} ${r.shift}`);
  }
});

test('paired-bootstrap intervals agree with an independent resampling written out here', () => {
  // Two sets: clean and fog. Same stream as the library (mulberry32(seed), set by set, images in
  // order), penalties recomputed from probit formulas with the fog line refitted here.
  const rand = mulberry32(21);
  const clean = pairedFlags(300, 0.8, 0.1, rand), fog = pairedFlags(200, 0.5, 0.2, rand);
  const fogSpec = SHIFTS[0];
  const sets = [
    { set: 'clean', family: 'clean', severity: 0, n: 300, original: pack(clean.o), edited: pack(clean.e) },
    { set: 'fog', family: 'corruption', severity: 3, n: 200, original: pack(fog.o), edited: pack(fog.e) },
  ];
  const samples = 400, seed = 13;
  const rows = shiftPenaltyIntervals(CLOUD, sets, { samples, seed });
  const line = fitAccuracyLine([0, 0.5, 1, 1.5].map((x) => ({ id: normalCdf(x), ood: normalCdf(fogSpec.slope * x + fogSpec.intercept) })));
  const expected = (id: number) => normalCdf(line.slope * normalQuantile(id) + line.intercept);
  const draw = mulberry32(seed);
  const penalties: number[] = [], drops: number[] = [];
  for (let b = 0; b < samples; b++) {
    const means = [clean, fog].map(({ o, e }) => {
      let so = 0, se = 0;
      for (let i = 0; i < o.length; i++) {
        const j = Math.floor(draw() * o.length);
        so += o[j];
        se += e[j];
      }
      return { o: so / o.length, e: se / o.length };
    });
    const drop = means[1].e - means[1].o;
    drops.push(drop);
    penalties.push(drop - (expected(means[0].e) - expected(means[0].o)));
  }
  const quantile = (xs: number[], p: number) => [...xs].sort((a, c) => a - c)[Math.round(p * (xs.length - 1))];
  const fogRow = rows.find((r) => r.shift === 'fog') as ShiftPenaltyRow;
  close(fogRow.ci_lo as number, quantile(penalties, 0.025), 1e-6, 'penalty ci_lo');
  close(fogRow.ci_hi as number, quantile(penalties, 0.975), 1e-6, 'penalty ci_hi');
  assert.equal(fogRow.drop_ci_lo, quantile(drops, 0.025));
  assert.equal(fogRow.drop_ci_hi, quantile(drops, 0.975));
  // One shift: the family and overall rows are that shift.
  for (const r of rows.filter((x) => x.scope !== 'shift')) assert.deepEqual([r.ci_lo, r.ci_hi], [fogRow.ci_lo, fogRow.ci_hi]);
  // Same data under baselineAccuracy (the library's own β) gives the same point estimate.
  const acc = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  close(fogRow.penalty, acc(fog.e) - acc(fog.o) - (baselineAccuracy(line, acc(clean.e)) - baselineAccuracy(line, acc(clean.o))), 1e-12, 'point');
});

test('per shift first vs average first (oodPenalties) can disagree in sign', () => {
  // Two corruptions with very different lines: A = identity, B steep (slope 2, intercept −3).
  const specs: ShiftSpec[] = [
    { shift: 'a', family: 'corruption', severity: 1, slope: 1, intercept: 0 },
    { shift: 'b', family: 'corruption', severity: 1, slope: 2, intercept: -3 },
  ];
  const xs = [0.5, 1, 1.5, 2, 2.5];
  const cloud = exactCloud(xs, specs).map((r) => ({ ...r, arch: 'x', width: 1, epochs: 1, seed: 0, train_size: 1, params: 1, n: 1, ci_lo: 0, ci_hi: 1 })) as CloudRow[];
  const xOriginal = 2, xEdited = 1;
  const beta = (s: ShiftSpec, x: number) => normalCdf(s.slope * x + s.intercept);
  // The original sits on both lines (ρ = 0 per shift); the edited sits t above both lines, so
  // the per-shift penalty is t. The averaged line's prediction differs from the mean of the
  // per-shift ones by `gap`; averaging first gives t + gap.
  const averagedLine = fitAccuracyLine(xs.map((x) => ({ id: normalCdf(x), ood: (beta(specs[0], x) + beta(specs[1], x)) / 2 })));
  const meanDelta = (beta(specs[0], xEdited) - beta(specs[0], xOriginal) + beta(specs[1], xEdited) - beta(specs[1], xOriginal)) / 2;
  const gap = meanDelta - (baselineAccuracy(averagedLine, normalCdf(xEdited)) - baselineAccuracy(averagedLine, normalCdf(xOriginal)));
  assert.ok(Math.abs(gap) > 0.005, `gap ${gap}`);
  const t = -gap / 2;
  const model = (name: string, x: number, offset: number) => [
    { model: name, shift: 'clean', family: 'clean' as const, group: 'clean', severity: 0, accuracy: normalCdf(x) },
    ...specs.map((s) => ({ model: name, shift: s.shift, family: s.family, group: 'noise', severity: 1, accuracy: beta(s, x) + offset })),
  ];
  const original = model('original', xOriginal, 0), edited = model('edited', xEdited, t);
  const toCells = (rows: typeof original): ModelCell[] => rows.map((r) => ({ set: r.shift, family: r.family, severity: r.severity, accuracy: r.accuracy }));
  const perShift = shiftPenalties(cloud, toCells(original), toCells(edited)).find((r) => r.scope === 'family') as ShiftPenaltyRow;
  const averaged = oodPenalties([...original, ...edited], cloud, { original: 'original' }).rows.find((r) => r.model === 'edited');
  close(perShift.penalty, t, 1e-5, 'per-shift penalty');
  close(averaged?.penalty as number, t + gap, 1e-5, 'averaged penalty');
  assert.ok(Math.sign(perShift.penalty) === -Math.sign(averaged?.penalty as number), `per shift ${perShift.penalty} vs averaged ${averaged?.penalty}`);
});
