import type { Cell, Row } from './types';

/** Options of {@link parseCsv}. */
export interface ParseCsvOptions {
  /**
   * When true (default), quoted fields are always strings and only unquoted fields are
   * typed; this makes {@link toCsv} → `parseCsv` an exact round trip. Set false to type
   * quoted fields too (for files from tools that quote every field).
   */
  quotedAreStrings?: boolean;
}

/**
 * Types one CSV field: empty → `null`; `true`/`false` → boolean; a decimal or
 * exponent number literal, `NaN`, `Infinity`, `-Infinity` → number; anything else stays a string.
 * @param text the raw field text
 * @returns the typed cell
 */
export function typeCsvField(text: string): Cell {
  if (text === '') return null;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) return Number(text);
  if (text === 'NaN') return NaN;
  if (text === 'Infinity' || text === '+Infinity') return Infinity;
  if (text === '-Infinity') return -Infinity;
  return text;
}

/**
 * Splits CSV text into records of raw fields (RFC 4180): fields separated by commas,
 * records by LF or CRLF, fields optionally wrapped in double quotes with `""` for a quote;
 * quoted fields may contain commas and line breaks. A leading byte-order mark and a final
 * line terminator are ignored.
 * @param text the CSV text
 * @returns one array per record of `{ text, quoted }` fields
 */
export function splitCsv(text: string): Array<Array<{ text: string; quoted: boolean }>> {
  const records: Array<Array<{ text: string; quoted: boolean }>> = [];
  let record: Array<{ text: string; quoted: boolean }> = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  if (i >= n) return records;
  for (;;) {
    // Parse one field starting at i.
    let field = '';
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) throw new SyntaxError(`parseCsv: unterminated quoted field in record ${records.length + 1}`);
        field += text.slice(i, q);
        if (text[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
        throw new SyntaxError(`parseCsv: unexpected character after a closing quote in record ${records.length + 1}`);
      }
    } else {
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
      field = text.slice(i, j);
      if (field.includes('"')) {
        throw new SyntaxError(`parseCsv: stray quote in unquoted field in record ${records.length + 1}`);
      }
      i = j;
    }
    record.push({ text: field, quoted });
    if (i >= n) {
      records.push(record);
      return records;
    }
    const c = text[i];
    if (c === ',') {
      i++;
      continue;
    }
    // Line break: CRLF or LF (a lone CR is accepted too).
    i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    records.push(record);
    record = [];
    if (i >= n) return records;
  }
}

/**
 * Parses CSV text with a header line into typed tidy rows. Unquoted fields are typed
 * with {@link typeCsvField} (numbers, booleans, empty → `null`); quoted fields stay strings
 * unless `quotedAreStrings` is false. Short records are padded with `null`; a record with
 * more fields than the header is an error.
 * @param text the CSV text
 * @param options typing of quoted fields
 * @returns the rows, each with every header column as a key, in header order
 */
export function parseCsv(text: string, options: ParseCsvOptions = {}): Row[] {
  const quotedAreStrings = options.quotedAreStrings ?? true;
  const records = splitCsv(text);
  if (records.length === 0) return [];
  const header = records[0].map((f) => f.text);
  const rows: Row[] = [];
  for (let r = 1; r < records.length; r++) {
    const rec = records[r];
    if (rec.length > header.length) {
      throw new SyntaxError(`parseCsv: record ${r + 1} has ${rec.length} fields, the header has ${header.length}`);
    }
    const row: Row = {};
    header.forEach((name, k) => {
      const f = rec[k];
      row[name] = f === undefined ? null : f.quoted && quotedAreStrings ? f.text : typeCsvField(f.text);
    });
    rows.push(row);
  }
  return rows;
}
