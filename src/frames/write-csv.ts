import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { toCsv, type ToCsvOptions } from './to-csv';
import type { Rows } from './types';

/**
 * Writes a tidy table as a UTF-8 CSV file (see {@link toCsv}), creating parent folders.
 * @param path the file to write
 * @param rows the table
 * @param columns column order; default: first appearance
 * @param options line terminator
 * @returns the path written
 */
export async function writeCsv(
  path: string,
  rows: Rows,
  columns?: readonly string[],
  options?: ToCsvOptions,
): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, toCsv(rows, columns, options), 'utf8');
  return path;
}
