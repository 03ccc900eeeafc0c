/**
 * The reference-cloud table: one tidy row per model × evaluation cell (clean, every corruption
 * and severity, every rendition, the hard subset), read from the committed CSV, and the
 * (in-distribution, shifted) accuracy pairs that the accuracy-on-the-line fit needs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../data/paths';
import { parseCsv } from '../frames/parse-csv';
import type { ShiftAccuracyRow } from '../shifts/evaluate';

/** One row of the cloud table. */
export interface CloudRow extends ShiftAccuracyRow {
  model: string;
  arch: string;
  width: number;
  epochs: number;
  seed: number;
  train_size: number;
  params: number;
}

/** Column order of the CSV. */
export const CLOUD_COLUMNS = ['model', 'arch', 'width', 'epochs', 'seed', 'train_size', 'params', 'shift', 'family', 'group', 'severity', 'accuracy', 'n', 'ci_lo', 'ci_hi'] as const;

/** The committed table of the standard cloud. */
export function defaultCloudCsv(): string {
  return path.join(packageRoot(), 'datasets', 'cloud', 'reference-cloud.csv');
}

/** Parses cloud CSV text, checking its columns (`file` names it in errors). */
export function parseCloudCsv(text: string, file = 'cloud CSV'): CloudRow[] {
  const rows = parseCsv(text);
  const header = text.slice(0, text.indexOf('\n')).trim().split(',');
  const missing = CLOUD_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length) throw new Error(`editlab: ${file} lacks the column(s) ${missing.join(', ')}; expected ${CLOUD_COLUMNS.join(',')}.`);
  rows.forEach((r, i) => {
    if (typeof r.accuracy !== 'number' || !(r.accuracy >= 0 && r.accuracy <= 1)) {
      throw new Error(`editlab: ${file} line ${i + 2}: accuracy must be a number in [0, 1], got ${JSON.stringify(r.accuracy)}.`);
    }
    r.model = String(r.model);
    r.shift = String(r.shift);
  });
  return rows as unknown as CloudRow[];
}

/**
 * Reads the cloud table (default: the committed standard cloud).
 * @example const cloud = loadCloud(); toArquero(cloud).groupby('shift').rollup(...)
 */
export function loadCloud(csv: string = defaultCloudCsv()): CloudRow[] {
  if (!fs.existsSync(csv)) throw new Error(`editlab: no cloud table at ${csv}; build it with \`editlab cloud build\`.`);
  return parseCloudCsv(fs.readFileSync(csv, 'utf8'), csv);
}

/** Which cells make up a shift's accuracy: one shift, a family or a group, optionally one severity. */
export interface CellSelection {
  shift?: string;
  family?: string;
  group?: string;
  severity?: number;
}

/** A model's in-distribution (clean) accuracy and its mean accuracy over the selected cells. */
export interface AccuracyPair {
  // A tidy row, so a list of pairs is a table (figures, frames) as it is.
  [key: string]: string | number;
  model: string;
  id: number;
  ood: number;
}

/** Whether a row belongs to a selection (never a clean row). */
export function selects(row: Pick<ShiftAccuracyRow, 'shift' | 'family' | 'group' | 'severity'>, s: CellSelection): boolean {
  return row.shift !== 'clean' && (s.shift === undefined || row.shift === s.shift) && (s.family === undefined || row.family === s.family)
    && (s.group === undefined || row.group === s.group) && (s.severity === undefined || row.severity === s.severity);
}

/**
 * Per model: clean accuracy and the mean accuracy over the selected cells (e.g. every
 * corruption at every severity: `{ family: 'corruption' }`).
 */
export function accuracyPairs(rows: readonly (Pick<CloudRow, 'model' | 'shift' | 'family' | 'group' | 'severity' | 'accuracy'>)[], selection: CellSelection): AccuracyPair[] {
  const byModel = new Map<string, { id?: number; sum: number; count: number }>();
  for (const r of rows) {
    const m = byModel.get(r.model) ?? { sum: 0, count: 0 };
    byModel.set(r.model, m);
    if (r.shift === 'clean') m.id = r.accuracy;
    else if (selects(r, selection)) { m.sum += r.accuracy; m.count++; }
  }
  const pairs = [...byModel].filter(([, m]) => m.count > 0 && m.id !== undefined).map(([model, m]) => ({ model, id: m.id as number, ood: m.sum / m.count }));
  if (!pairs.length) {
    const shifts = [...new Set(rows.filter((r) => r.shift !== 'clean').map((r) => r.shift))];
    throw new Error(`editlab: no model has both a clean row and a row matching ${JSON.stringify(selection)}; shifts in the table: ${shifts.join(', ') || 'none'}.`);
  }
  return pairs;
}
