/**
 * The value of one cell of a tidy table: a string, a finite or non-finite number,
 * a boolean, or `null` for a missing value.
 */
export type Cell = string | number | boolean | null;

/**
 * One row of a tidy table: column name → cell. Rows of one table may omit keys;
 * a missing key reads as `null`.
 */
export type Row = Record<string, Cell>;

/** A tidy table: one object per observation, one key per variable. */
export type Rows = ReadonlyArray<Readonly<Row>>;
