import { columnsOf } from './columns';
import type { Cell, Rows } from './types';

/** Options of {@link toCsv}. */
export interface ToCsvOptions {
  /** Line terminator; RFC 4180 prescribes `'\r\n'`. Default `'\n'`. */
  eol?: '\n' | '\r\n';
}

const TYPED_LITERAL = /^(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?Infinity|NaN|true|false)$/;

/**
 * Formats one cell for CSV. Numbers are written with JavaScript's shortest
 * round-trip representation (`String(x)`; `-0` as `-0`, plus `NaN`, `Infinity`,
 * `-Infinity`), booleans as `true`/`false`, `null`/`undefined` as an empty field.
 * Strings are quoted (RFC 4180: wrapped in `"`, inner `"` doubled) when they contain a
 * comma, quote, CR or LF, and also when they are empty, have surrounding whitespace,
 * or would otherwise read back as a number or boolean: {@link parseCsv} types only
 * unquoted fields, so `toCsv` → `parseCsv` restores every cell with its type.
 * @param value the cell
 * @param column the column name (for error messages)
 * @returns the CSV field text
 */
export function formatCsvField(value: Cell | undefined, column = '?'): string {
  if (value === null || value === undefined) return '';
  switch (typeof value) {
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string': {
      const needsQuotes =
        value === '' ||
        /[",\r\n]/.test(value) ||
        value.trim() !== value ||
        TYPED_LITERAL.test(value);
      return needsQuotes ? `"${value.replace(/"/g, '""')}"` : value;
    }
    default:
      throw new TypeError(
        `toCsv: column ${JSON.stringify(column)} holds a ${typeof value}; cells must be string, number, boolean or null`,
      );
  }
}

/**
 * Serializes a tidy table to CSV text (RFC 4180 quoting): a header line, then one
 * line per row, ending with a line terminator. Missing keys are written as empty fields.
 * @param rows the table
 * @param columns column order; default {@link columnsOf}(rows). Columns not listed are left out.
 * @param options line terminator
 * @returns the CSV text
 * @example toCsv([{ name: 'a,b', n: 1 }]) // 'name,n\n"a,b",1\n'
 */
export function toCsv(rows: Rows, columns: readonly string[] = columnsOf(rows), options: ToCsvOptions = {}): string {
  const eol = options.eol ?? '\n';
  const header = columns.map((c) => {
    // Header names are always strings: quote only where RFC 4180 requires it.
    return /[",\r\n]/.test(c) || c.trim() !== c || c === '' ? `"${c.replace(/"/g, '""')}"` : c;
  });
  const lines = [header.join(',')];
  for (const row of rows) {
    lines.push(columns.map((c) => formatCsvField(row[c], c)).join(','));
  }
  return lines.join(eol) + eol;
}
