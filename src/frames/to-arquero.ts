import type { ColumnTable } from 'arquero';
import { columnsOf } from './columns';
import { loadArquero } from './load-arquero';
import type { Rows } from './types';

/**
 * Converts a tidy table to an arquero `ColumnTable` (via `aq.from`), for grouping,
 * rollups, joins and pivots. Missing keys become `undefined` cells in arquero.
 * arquero is loaded on first use (see {@link loadArquero}).
 * @param rows the table
 * @param columns column order; default: first appearance ({@link columnsOf})
 * @returns the arquero table
 * @example toArquero(rows).groupby('layer').rollup({ acc: op.mean('accuracy') })
 */
export function toArquero(rows: Rows, columns: readonly string[] = columnsOf(rows)): ColumnTable {
  return loadArquero().from(rows as object[], [...columns]);
}

/**
 * Converts an arquero table back to tidy rows (`table.objects()`), mapping `undefined`
 * cells to `null`.
 * @param table an arquero table
 * @returns the rows
 */
export function fromArquero(table: ColumnTable): Array<Record<string, string | number | boolean | null>> {
  return table.objects().map((o) => {
    const row: Record<string, string | number | boolean | null> = {};
    for (const [k, v] of Object.entries(o as Record<string, unknown>)) {
      row[k] = v === undefined ? null : (v as string | number | boolean | null);
    }
    return row;
  });
}
