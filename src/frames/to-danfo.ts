import type { DataFrame } from 'danfojs-node';
import { columnsOf } from './columns';
import type { Rows } from './types';

/** The danfojs-node module. */
export type DanfoModule = typeof import('danfojs-node');

let danfo: DanfoModule | undefined;

/** How to install danfojs-node without its native TensorFlow and its off-registry xlsx tarball. */
export const DANFO_INSTALL_HELP =
  'toDanfo needs the optional package danfojs-node. Install it with `npm install danfojs-node@1.2.0`, after adding to ' +
  'your package.json `"overrides": {"danfojs-node": {"@tensorflow/tfjs-node": "npm:@tensorflow/tfjs@4.22.0", "xlsx": "0.18.5"}}` ' +
  '(without them npm downloads libtensorflow and an xlsx tarball from outside the registry). ' +
  'toArquero(rows) needs nothing extra.';

/**
 * Loads danfojs-node on first use. It is an optional peer dependency: slow (≈ 1 s: it loads
 * TensorFlow.js) and heavy, so nothing else in editlab requires it.
 * @returns the danfojs-node module
 * @throws when danfojs-node is not installed, saying how to install it ({@link DANFO_INSTALL_HELP})
 */
export function loadDanfo(): DanfoModule {
  if (!danfo) {
    try {
      danfo = require('danfojs-node') as DanfoModule;
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'MODULE_NOT_FOUND' && /'danfojs-node'/.test(err.message)) throw new Error(`editlab: ${DANFO_INSTALL_HELP}`);
      throw e;
    }
  }
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
