import type { ParseArgsConfig } from 'node:util';

/** One `editlab` subcommand: its help text, its flags, and a thin call into the library. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | string[] | undefined>, positionals: string[]): Promise<number>;
}

const BACKENDS = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;

/** Validates a --backend value. */
export function parseBackend(value: unknown): (typeof BACKENDS)[number] {
  if (value === undefined) return 'auto';
  if (typeof value !== 'string' || !(BACKENDS as readonly string[]).includes(value)) {
    throw new Error(`--backend must be one of ${BACKENDS.join(', ')}, got "${String(value)}".`);
  }
  return value as (typeof BACKENDS)[number];
}

/** Validates a non-negative integer flag. */
export function parseInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isInteger(n) || n < 0) {
    throw new Error(`--${name} must be a non-negative integer, got "${String(value)}".`);
  }
  return n;
}

/** Validates a positive finite number flag. */
export function parseNumber(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new Error(`--${name} must be a positive number, got "${String(value)}".`);
  }
  return n;
}

/** The flag of every command that shows progress: `--quiet` turns bars and log lines off. */
export const QUIET_OPTION = { quiet: { type: 'boolean' } } as const;

/** What a command writes on stderr besides errors: progress bars and log lines, none with --quiet. */
export interface Stderr {
  /** The library's `progress` option: bars on, unless --quiet. */
  progress: boolean;
  /** Writes one log line, unless --quiet. */
  log(line: string): void;
}

/** stderr of a command run with these flags. */
export function stderrOf(values: Record<string, unknown>): Stderr {
  const quiet = values.quiet === true;
  return { progress: !quiet, log: quiet ? () => {} : (line) => console.error(line) };
}

/** Prints a command's result as its one JSON document on stdout, pretty-printed (docs/conventions.md). */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/**
 * The options of the one "how many images" flag, `--images N`, and a command's older names
 * for it (kept as aliases).
 */
export function imagesOptions(...aliases: string[]): Record<string, { type: 'string' }> {
  return Object.fromEntries(['images', ...aliases].map((name) => [name, { type: 'string' as const }]));
}

/**
 * Reads `--images N` or one of its aliases (a non-negative integer); giving two that disagree
 * is an error.
 * @param values the parsed flags
 * @param aliases the command's older names for --images
 * @param fallback the value when none is given
 */
export function parseImages(values: Record<string, unknown>, aliases: readonly string[], fallback: number): number {
  const given = ['images', ...aliases].filter((name) => values[name] !== undefined).map((name) => ({ name, value: parseInteger(values[name], name, fallback) }));
  if (given.some((g) => g.value !== given[0].value)) {
    throw new Error(`--${given[0].name} and --${given.find((g) => g.value !== given[0].value)!.name} are the same flag (--images; ${aliases.map((a) => `--${a}`).join(', ')} ${aliases.length > 1 ? 'are aliases' : 'is an alias'}), given ${given[0].value} and ${given.find((g) => g.value !== given[0].value)!.value}.`);
  }
  return given.length ? given[0].value : fallback;
}

/**
 * Parses an α flag: a comma-separated list (`0,0.25,1`) or an inclusive range
 * `START:END:STEP` (`0:1:0.1` gives 11 values; the count is robust to float steps and the
 * values are rounded to 12 decimals, so 0.30000000000000004 reads 0.3). Every α is ≥ 0
 * (0 = original, 1 = edited, above 1 extrapolates).
 */
export function parseAlphas(value: unknown, flag = 'alpha'): number[] {
  const form = `--${flag} takes a comma-separated list of numbers ≥ 0 (0,0.5,1) or a range START:END:STEP (0:1:0.1)`;
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`${form}, got "${String(value ?? '')}".`);
  const number = (s: string) => {
    const x = s.trim() === '' ? NaN : Number(s);
    if (!Number.isFinite(x) || x < 0) throw new Error(`${form}, got "${value}" ("${s.trim()}" is not a number ≥ 0).`);
    return x;
  };
  const round = (x: number) => Math.round(x * 1e12) / 1e12;
  if (value.includes(':')) {
    const parts = value.split(':');
    if (parts.length !== 3) throw new Error(`${form}, got "${value}".`);
    const [start, end, step] = parts.map(number);
    if (step <= 0 || end < start) throw new Error(`${form}, got "${value}" (need STEP > 0 and END ≥ START).`);
    const count = Math.floor((end - start) / step + 1e-9) + 1;
    if (count > 10000) throw new Error(`${form}, got "${value}" (${count} values; at most 10000).`);
    return Array.from({ length: count }, (_, i) => round(start + i * step));
  }
  return value.split(',').map((s) => round(number(s)));
}

/**
 * Parses a --shift value: one shift name, a comma-separated list, `all` or `corruptions` (the
 * 19 corruptions), `benchmark` (ImageNet-C's 15) or `renditions` (the 6).
 * @param value the flag's value
 * @param shifts the registry: every shift's name and family
 * @param benchmark the 15 benchmark corruptions
 * @param flag the flag's name in errors
 */
export function parseShiftNames(value: unknown, shifts: ReadonlyArray<{ name: string; family: string }>, benchmark: readonly string[], flag = 'shift'): string[] {
  const names = shifts.map((s) => s.name);
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`--${flag} NAME is required (see \`editlab shifts list\`).`);
  const groups: Record<string, string[]> = {
    all: shifts.filter((s) => s.family === 'corruption').map((s) => s.name),
    benchmark: [...benchmark],
    renditions: shifts.filter((s) => s.family === 'rendition').map((s) => s.name),
  };
  groups.corruptions = groups.all;
  const out: string[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const picked = groups[part] ?? [part];
    for (const n of picked) {
      if (!names.includes(n)) throw new Error(`--${flag}: unknown shift "${n}"; available: ${names.join(', ')} (or all, benchmark, renditions).`);
      if (!out.includes(n)) out.push(n);
    }
  }
  return out;
}

/**
 * Parses a --severity value for the chosen shifts: 1–5, a list (1,3), a range (1-5) or `all`.
 * Corruptions need one; renditions take none, so with renditions only it must be absent.
 * @returns the severities (empty when only renditions were chosen)
 */
export function parseSeverities(value: unknown, shifts: readonly string[], isRendition: (name: string) => boolean): number[] {
  const renditions = shifts.filter(isRendition);
  if (renditions.length === shifts.length) {
    if (value !== undefined) throw new Error(`--severity: ${renditions.join(', ')} ${renditions.length > 1 ? 'are renditions' : 'is a rendition'} and take${renditions.length > 1 ? '' : 's'} no severity; leave --severity out.`);
    return [];
  }
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`--severity S (1 to 5) is required for ${shifts.filter((s) => !isRendition(s)).join(', ')}.`);
  if (value === 'all') return [1, 2, 3, 4, 5];
  const out: number[] = [];
  for (const part of value.split(',')) {
    const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
    const [lo, hi] = range ? [Number(range[1]), Number(range[2])] : [Number(part), Number(part)];
    for (const s of [lo, hi]) {
      if (!Number.isInteger(s) || s < 1 || s > 5 || part.trim() === '') throw new Error(`--severity must be an integer from 1 to 5 (or a list, a range like 1-5, or all), got "${part.trim()}".`);
    }
    for (let s = lo; s <= hi; s++) if (!out.includes(s)) out.push(s);
  }
  return out;
}
