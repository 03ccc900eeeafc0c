/**
 * `node:path` (POSIX) for the explorer page, enough for the library code the page bundles:
 * join, resolve, dirname, basename, relative, isAbsolute. The working directory is `/`.
 */

function normalizeParts(parts: string[]): string[] {
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

/** Resolves segments to an absolute path, right to left until one is absolute. */
export function resolve(...segments: string[]): string {
  let joined = '';
  for (let i = segments.length - 1; i >= 0 && !joined.startsWith('/'); i--) joined = segments[i] + (joined ? `/${joined}` : '');
  return '/' + normalizeParts(joined.split('/')).join('/');
}

/** Joins segments and normalises the result (relative stays relative). */
export function join(...segments: string[]): string {
  const joined = segments.filter((s) => s !== '').join('/');
  const parts = normalizeParts(joined.split('/'));
  return (joined.startsWith('/') ? '/' : '') + (parts.join('/') || (joined.startsWith('/') ? '' : '.'));
}

/** The folder part of a path. */
export function dirname(p: string): string {
  const parts = p.split('/');
  parts.pop();
  return parts.join('/') || (p.startsWith('/') ? '/' : '.');
}

/** The last segment of a path. */
export function basename(p: string): string {
  return p.split('/').filter(Boolean).pop() ?? '';
}

/** Whether a path starts at the root. */
export function isAbsolute(p: string): boolean {
  return p.startsWith('/');
}

/** The path from `from` to `to`. */
export function relative(from: string, to: string): string {
  const a = resolve(from).split('/').filter(Boolean);
  const b = resolve(to).split('/').filter(Boolean);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => '..'), ...b.slice(common)].join('/');
}

export const sep = '/';
export const posix = { resolve, join, dirname, basename, isAbsolute, relative, sep };
export default posix;
