import { pathToFileURL } from 'node:url';

/** The arquero module namespace (arquero 8 is an ES module). */
export type ArqueroModule = typeof import('arquero');

let arquero: ArqueroModule | undefined;

// tsc (module: commonjs) rewrites `import()` into `require()`; a Function body keeps a real
// dynamic import, which can load ES modules on every Node version.
const dynamicImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<unknown>;

/**
 * Loads arquero synchronously, for CommonJS callers (our compiled library, tslab cells).
 * arquero 8 is ESM-only: `require()` of it works on Node ≥ 20.19 / ≥ 22.12, where
 * require(esm) is on by default (arquero has no top-level await). On older Node, or with
 * `--no-experimental-require-module`, call `await importArquero()` once first; after that
 * this returns the imported module.
 * @param req a require function to use instead of Node's (for tests; bypasses the cache)
 * @returns the arquero namespace
 * @throws Error naming `importArquero` when the runtime cannot require ES modules
 */
export function loadArquero(req?: (id: string) => unknown): ArqueroModule {
  if (arquero && !req) return arquero;
  try {
    const mod = (req ?? require)('arquero') as ArqueroModule;
    if (!req) arquero = mod;
    return mod;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ERR_REQUIRE_ESM' || code === 'ERR_REQUIRE_ASYNC_MODULE') {
      throw new Error(
        `editlab: this Node (${process.version}) cannot require() the ES module 'arquero' ` +
          `(require(esm) needs Node >= 20.19 or >= 22.12 and must not be turned off). Run \`await importArquero()\` once before toArquero().`,
        { cause: err },
      );
    }
    throw err;
  }
}

/**
 * Loads arquero with a real dynamic `import()` (works on every supported Node) and
 * caches it, so that later synchronous {@link loadArquero} / `toArquero` calls succeed.
 * @returns the arquero namespace
 */
export async function importArquero(): Promise<ArqueroModule> {
  if (!arquero) {
    arquero = (await dynamicImport(pathToFileURL(require.resolve('arquero')).href)) as ArqueroModule;
  }
  return arquero;
}
