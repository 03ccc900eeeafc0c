/**
 * Throughput of the corruptions: every corruption × severity over the Fashion-MNIST test
 * images (10 000 by default), single-threaded, as images per second. The issue's target is all
 * 19 corruptions × 5 severities over the 10 000 images in under 2 minutes.
 */
import { fashionMnistSet } from '../data/image-set';
import { applyShift, listShifts, type ShiftPreset } from '../shifts';
import { progressFor, type ProgressOption } from '../engine/progress';

/** One corruption at one severity. */
export interface ShiftBenchRow {
  shift: string;
  group: string;
  severity: number;
  seconds: number;
  img_per_s: number;
}

/** The `editlab bench --shifts` report. */
export interface ShiftBenchReport {
  images: number;
  preset: ShiftPreset;
  shape: [number, number, number];
  rows: ShiftBenchRow[];
  /** Per corruption over its severities: seconds and images per second. */
  per_shift: Array<{ shift: string; group: string; seconds: number; img_per_s: number }>;
  total_seconds: number;
  /** Images per second over everything (images × severities × corruptions / total seconds). */
  img_per_s: number;
  target_seconds: number;
  within_target: boolean;
}

/** Options of {@link benchShifts}. */
export interface ShiftBenchOptions {
  /** Test images (≤ 10 000). */
  images?: number;
  preset?: ShiftPreset;
  /** Corruptions (default: all 19). */
  shifts?: readonly string[];
  severities?: readonly number[];
  seed?: number;
  log?: (line: string) => void;
  /** A progress bar in images shifted (see {@link ProgressOption}). Default none. */
  progress?: ProgressOption;
}

/**
 * Times every corruption at every severity over the Fashion-MNIST test images. Each corruption
 * first runs once on 16 images (untimed) so one-time work (JIT, generated frost textures,
 * cached kernels) is not counted.
 */
export function benchShifts(options: ShiftBenchOptions = {}): ShiftBenchReport {
  const { preset = 'small', severities = [1, 2, 3, 4, 5], seed = 0, log = () => {} } = options;
  const set = fashionMnistSet('test', Math.min(10000, options.images ?? 10000));
  const names = options.shifts ?? listShifts('corruption').map((s) => s.name);
  const shifts = names.map((n) => listShifts().find((s) => s.name === n) ?? (() => { throw new Error(`editlab: unknown shift "${n}".`); })());
  const warm = { ...set, n: Math.min(16, set.n) };
  const size = set.height * set.width * set.channels;
  const rows: ShiftBenchRow[] = [];
  const bar = progressFor(options.progress, shifts.length * severities.length * set.n, 'corruptions × severities', 'img');
  for (const shift of shifts) {
    for (const severity of severities) applyShift(shift.name, set.images.subarray(0, warm.n * size), warm, { severity, preset, seed });
    for (const severity of severities) {
      const t = performance.now();
      applyShift(shift.name, set.images, set, { severity, preset, seed });
      const seconds = (performance.now() - t) / 1000;
      rows.push({ shift: shift.name, group: shift.heldOut ? 'held-out' : (shift.group ?? ''), severity, seconds, img_per_s: set.n / seconds });
      bar.tick(set.n);
    }
    const mine = rows.filter((r) => r.shift === shift.name);
    const s = mine.reduce((a, r) => a + r.seconds, 0);
    log(`${shift.name.padEnd(18)} ${s.toFixed(2).padStart(6)} s  ${Math.round((mine.length * set.n) / s).toString().padStart(7)} img/s`);
  }
  bar.done();
  const per_shift = shifts.map((shift) => {
    const mine = rows.filter((r) => r.shift === shift.name);
    const seconds = mine.reduce((a, r) => a + r.seconds, 0);
    return { shift: shift.name, group: mine[0]?.group ?? '', seconds, img_per_s: (mine.length * set.n) / seconds };
  });
  const total = rows.reduce((a, r) => a + r.seconds, 0);
  return {
    images: set.n, preset, shape: [set.height, set.width, set.channels], rows, per_shift,
    total_seconds: total, img_per_s: (rows.length * set.n) / total, target_seconds: 120, within_target: total < 120,
  };
}

/** The report as a text table: per corruption, seconds for its 5 severities and images/s per severity. */
export function formatShiftBench(report: ShiftBenchReport): string {
  const sev = [...new Set(report.rows.map((r) => r.severity))];
  const lines = [
    `corruptions on ${report.images} images ${report.shape.join('×')} (preset ${report.preset}), one thread`,
    `${'corruption'.padEnd(18)} ${'group'.padEnd(9)} ${sev.map((s) => `s${s} img/s`.padStart(10)).join('')}   seconds   img/s`,
  ];
  for (const p of report.per_shift) {
    const mine = report.rows.filter((r) => r.shift === p.shift);
    lines.push(`${p.shift.padEnd(18)} ${p.group.padEnd(9)} ${sev.map((s) => Math.round(mine.find((r) => r.severity === s)?.img_per_s ?? 0).toString().padStart(10)).join('')}   ${p.seconds.toFixed(2).padStart(7)} ${Math.round(p.img_per_s).toString().padStart(7)}`);
  }
  lines.push(`total ${report.total_seconds.toFixed(1)} s for ${report.rows.length} corruption × severity runs (${Math.round(report.img_per_s)} img/s overall); target < ${report.target_seconds} s: ${report.within_target ? 'met' : 'NOT met'}`);
  return lines.join('\n');
}
