import type { Rows } from './types';

/**
 * The column names of a tidy table: the union of every row's own keys, in order of
 * first appearance (first row's keys in their order, then new keys of later rows).
 * This is the stable column order used by {@link toCsv}, {@link toArquero} and
 * {@link toDanfo} when no explicit order is given.
 * @param rows the table
 * @returns the column names
 * @example columnsOf([{ a: 1 }, { b: 2, a: 3 }]) // ['a', 'b']
 */
export function columnsOf(rows: Rows): string[] {
  const seen = new Set<string>();
  for (const row of rows) {
    for (const key of Object.keys(row)) seen.add(key);
  }
  return [...seen];
}
