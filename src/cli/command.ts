import type { ParseArgsConfig } from 'node:util';

/** One `editlab` subcommand: its help text, its flags, and a thin call into the library. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
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
