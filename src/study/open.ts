/**
 * A study folder opened for reading, in a notebook or a script: its spec, status, tables as
 * Arquero tables (or plain rows for Danfo), SQL, and export. Reads never change what is stored.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ColumnTable } from 'arquero';
import { toArquero } from '../frames/to-arquero';
import { planStudy } from './jobs';
import { readStudySpec } from './run';
import type { StudySpec } from './spec';
import { studyComparisons, studyCorruptionErrors, studyPaths, studyPenalties, type StudyPenaltyOptions } from './stats';
import type { Rows } from '../frames/types';
import { exportStudyCells, queryStudy, readStudyStatus, studyTableRows, STUDY_TABLES, type StudyExportFormat, type StudyStatus } from './store';

/** An opened study folder (see {@link openStudy}). */
export interface Study {
  /** The folder's absolute path. */
  dir: string;
  /** Its spec (DIR/study.json, validated). */
  spec: StudySpec;
  /** The tables of its database. */
  tables: readonly string[];
  /** Jobs planned and done, cells stored. Before the first run, the planned jobs and zeros. */
  status(): Promise<StudyStatus>;
  /** A table as an Arquero table (`cells` sorted by its keys, `jobs` in run order). */
  table(name: string): Promise<ColumnTable>;
  /** A table as plain rows (for `toDanfo`, `toCsv`, …). */
  rows(name: string): Promise<Rows>;
  /** Read-only SQL on the database, as an Arquero table. */
  sql(query: string): Promise<ColumnTable>;
  /** Writes the cells table as CSV (default DIR/cells.csv) or Parquet; returns the file. */
  export(options?: { format?: StudyExportFormat; out?: string }): Promise<string>;
  /** Every edited cell against the original on the same images: flips and McNemar's exact p ({@link studyComparisons}). */
  comparisons(options?: { alphas?: number[] }): Promise<ColumnTable>;
  /** OOD penalty per shift, family and overall with bootstrap intervals and r² ({@link studyPenalties}). */
  penalties(options?: StudyPenaltyOptions): Promise<ColumnTable>;
  /** mCE and relative mCE against a cloud member ({@link studyCorruptionErrors}). */
  corruptionErrors(options?: { base?: string }): Promise<ColumnTable>;
  /** Every job's edit-task, clean and OOD accuracy along α ({@link studyPaths}): the trade-off's table. */
  paths(): Promise<ColumnTable>;
}

/** An Arquero table of plain rows. */
function arquero(rows: Array<Record<string, unknown>>): ColumnTable {
  return toArquero(rows as Array<Record<string, string | number | boolean | null>>);
}

/**
 * Opens a study folder for reading.
 * @param dir a folder with study.json (and, once run, study.duckdb)
 * @example const study = await openStudy('studies/quick'); (await study.table('cells')).groupby('method').rollup({ acc: 'd => op.mean(d.accuracy)' }).print();
 */
export async function openStudy(dir: string): Promise<Study> {
  const root = path.resolve(dir);
  if (!fs.existsSync(root)) throw new Error(`editlab study: ${root} does not exist.`);
  const spec = readStudySpec(root);
  return {
    dir: root,
    spec,
    tables: STUDY_TABLES,
    async status() {
      return (await readStudyStatus(root)) ?? { jobs_total: (await planStudy(spec)).jobs.length, jobs_done: 0, cells_done: 0 };
    },
    table: async (name) => arquero(await studyTableRows(root, name)),
    rows: async (name) => (await studyTableRows(root, name)) as Rows,
    sql: async (query) => arquero(await queryStudy(root, query)),
    export: (options = {}) => exportStudyCells(root, options),
    comparisons: async (options) => arquero(await studyComparisons(root, options)),
    penalties: async (options) => arquero(await studyPenalties(root, options)),
    corruptionErrors: async (options) => arquero(await studyCorruptionErrors(root, options)),
    paths: async () => arquero(await studyPaths(root)),
  };
}
