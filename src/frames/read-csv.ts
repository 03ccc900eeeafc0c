import { readFile } from 'node:fs/promises';
import { parseCsv, type ParseCsvOptions } from './parse-csv';
import type { Row } from './types';

/**
 * Reads a UTF-8 CSV file with a header line into typed tidy rows (see {@link parseCsv}):
 * numbers and booleans come back typed, empty fields as `null`.
 * @param path the file to read
 * @param options typing of quoted fields
 * @returns the rows
 */
export async function readCsv(path: string, options?: ParseCsvOptions): Promise<Row[]> {
  return parseCsv(await readFile(path, 'utf8'), options);
}
