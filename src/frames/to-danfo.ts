import type { DataFrame } from 'danfojs-node';
import { columnsOf } from './columns';
import type { Rows } from './types';

/** The danfojs-node module. */
export type DanfoModule = typeof import('danfojs-node');

let danfo: DanfoModule | undefined;

/**
 * Loads danfojs-node on first use. It is slow (≈ 1 s: it loads TensorFlow.js) and
 * heavy, so nothing else in editlab requires it.
 * @returns the danfojs-node module
 */
export function loadDanfo(): DanfoModule {
  if (!danfo) danfo = require('danfojs-node') as DanfoModule;
  return danfo;
}

/**
 * Converts a tidy table to a danfojs-node `DataFrame`, column by column so that rows with
 * missing keys line up (`null` marks a missing value; danfo reports it in `isNa()`).
 * danfojs-node is required lazily, on the first call.
 * @param rows the table
 * @param columns column order; default: first appearance ({@link columnsOf})
 * @returns the data frame (`rows.length` × `columns.length`)
 */
export function toDanfo(rows: Rows, columns: readonly string[] = columnsOf(rows)): DataFrame {
  const dfd = loadDanfo();
  if (rows.length === 0) return new dfd.DataFrame([], { columns: [...columns] });
  const data: Record<string, Array<string | number | boolean | null>> = {};
  for (const c of columns) data[c] = rows.map((r) => (r[c] === undefined ? null : r[c]));
  return new dfd.DataFrame(data, { columns: [...columns] });
}
