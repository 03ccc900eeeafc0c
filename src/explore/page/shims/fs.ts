/**
 * `node:fs` for the explorer page: an in-memory table of files the page fetched from the server.
 * The library's loaders (`loadEdit`, the wasm kernels' module) read through `node:fs`; the bundle
 * maps that import here, so the page runs them unchanged on the files it provided.
 */
import { posix } from './path';

const files = new Map<string, Uint8Array>();

/** Makes `bytes` readable at `file` (an absolute path). */
export function provideFile(file: string, bytes: Uint8Array): void {
  files.set(posix.resolve(file), bytes);
}

/** Whether a provided file exists at `file`. */
export function existsSync(file: string): boolean {
  return files.has(posix.resolve(file));
}

/** A provided file's bytes (as a Uint8Array standing in for Buffer), or its text when an encoding is given. */
export function readFileSync(file: string, encoding?: string | { encoding?: string }): Uint8Array | string {
  const bytes = files.get(posix.resolve(file));
  if (!bytes) throw new Error(`ENOENT: no such file in the explorer page, '${file}'`);
  const text = typeof encoding === 'string' ? encoding : encoding?.encoding;
  return text ? new TextDecoder().decode(bytes) : bytes;
}

/** The page writes no files: the library's writers (e.g. saveEdit) are bundled but must not run here. */
function readOnly(name: string): never {
  throw new Error(`editlab explore: ${name} is not available in the page (its files are read-only).`);
}
export const writeFileSync = () => readOnly('writeFileSync');
export const mkdirSync = () => readOnly('mkdirSync');

export default { provideFile, existsSync, readFileSync, writeFileSync, mkdirSync };
