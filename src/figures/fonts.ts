import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Font settings for headless rendering (see {@link configureFonts}). */
export interface FontOptions {
  /**
   * Concrete family that generic `sans-serif` (vega's default) and unknown families map to,
   * both when measuring text and when rasterizing. Default: `$EDITLAB_FONT_FAMILY`, else the
   * first installed of DejaVu Sans, Liberation Sans, Arial, Helvetica, Noto Sans, FreeSans, Roboto.
   */
  family?: string;
  /** Extra font files (.ttf/.otf/.ttc) to load. */
  fontFiles?: string[];
  /** Extra font folders to load. */
  fontDirs?: string[];
  /** Load the system's fonts. Default true. */
  systemFonts?: boolean;
  /**
   * What to do when a PNG with text is rendered and no font is available (text would
   * silently vanish): `'warn'` (default: a process warning, code EDITLAB_NO_FONTS, once),
   * `'error'` (throw), `'ignore'`.
   */
  missing?: 'warn' | 'error' | 'ignore';
}

/** The resolved font set: what measuring and rasterizing both use. */
export interface FontSetup {
  /** Family for `sans-serif` and unknown families; `null` when no font is available. */
  sans: string | null;
  /** Family for `serif`. */
  serif: string | null;
  /** Family for `monospace`. */
  mono: string | null;
  /** Installed families that text measurement knows (from @napi-rs/canvas); empty if unknown. */
  families: string[];
  /** Whether the rasterizer will have at least one font. */
  available: boolean;
  /** The options the setup was made from. */
  options: Required<Omit<FontOptions, 'family'>> & { family?: string };
}

const SANS = ['DejaVu Sans', 'Liberation Sans', 'Arial', 'Helvetica', 'Noto Sans', 'FreeSans', 'Roboto', 'Cantarell'];
const SERIF = ['DejaVu Serif', 'Liberation Serif', 'Times New Roman', 'Noto Serif', 'FreeSerif'];
const MONO = ['DejaVu Sans Mono', 'Liberation Mono', 'Courier New', 'Noto Sans Mono', 'FreeMono'];

/** Standard font folders per platform (what resvg's system-font loader also scans). */
export function systemFontDirs(): string[] {
  const home = homedir();
  if (process.platform === 'darwin') return ['/System/Library/Fonts', '/Library/Fonts', join(home, 'Library/Fonts')];
  if (process.platform === 'win32') return [join(process.env.WINDIR ?? 'C:\\Windows', 'Fonts')];
  return ['/usr/share/fonts', '/usr/local/share/fonts', join(home, '.local/share/fonts'), join(home, '.fonts')];
}

/**
 * Whether any font file (.ttf, .otf, .ttc) exists under the given folders (searched a few
 * levels deep). Used when @napi-rs/canvas is unavailable to list families.
 * @param dirs folders to search
 * @returns true if a font file was found
 */
export function hasFontFiles(dirs: readonly string[]): boolean {
  const visit = (dir: string, depth: number): boolean => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    for (const e of entries) {
      if (e.isFile() && /\.(ttf|otf|ttc)$/i.test(e.name)) return true;
    }
    return depth > 0 && entries.some((e) => e.isDirectory() && visit(join(dir, e.name), depth - 1));
  };
  return dirs.some((d) => visit(d, 4));
}

type CanvasModule = typeof import('@napi-rs/canvas');
let canvasModule: CanvasModule | null | undefined;

/**
 * Loads @napi-rs/canvas (used only to measure text), or `null` if it cannot load on this platform.
 * @returns the module or null
 */
export function loadCanvas(): CanvasModule | null {
  if (canvasModule === undefined) {
    try {
      canvasModule = require('@napi-rs/canvas') as CanvasModule;
    } catch {
      canvasModule = null;
    }
  }
  return canvasModule;
}

let current: FontSetup | undefined;

/**
 * Sets the process-wide fonts for headless rendering (text measurement in vega and PNG
 * rasterization in resvg share them, so that label widths fit the rendered glyphs).
 * Call before rendering; later renders use the new setup.
 * @param options font family, extra files/folders, behaviour when no font exists
 * @returns the resolved setup
 */
export function configureFonts(options: FontOptions = {}): FontSetup {
  const opts = {
    family: options.family ?? process.env.EDITLAB_FONT_FAMILY ?? undefined,
    fontFiles: options.fontFiles ?? [],
    fontDirs: options.fontDirs ?? [],
    systemFonts: options.systemFonts ?? true,
    missing: options.missing ?? 'warn',
  } as FontSetup['options'];
  const canvas = loadCanvas();
  let families: string[] = [];
  if (canvas) {
    for (const f of opts.fontFiles) canvas.GlobalFonts.registerFromPath(f);
    for (const d of opts.fontDirs) canvas.GlobalFonts.loadFontsFromDir(d);
    families = [...new Set(canvas.GlobalFonts.families.map((f) => f.family))];
  }
  const extra = opts.fontFiles.some((f) => existsSync(f)) || hasFontFiles(opts.fontDirs);
  const system = opts.systemFonts && (canvas ? families.length > 0 : hasFontFiles(systemFontDirs()));
  const available = extra || system;
  const pick = (prefs: string[], fallback: string | null): string | null =>
    prefs.find((p) => families.includes(p)) ?? fallback;
  const sans = available ? (opts.family ?? pick(SANS, families[0] ?? null)) : null;
  if (opts.family && canvas && !families.includes(opts.family)) {
    process.emitWarning(`editlab: font family ${JSON.stringify(opts.family)} is not installed; text falls back to another font`, {
      code: 'EDITLAB_FONT_FAMILY',
    });
  }
  current = {
    sans,
    serif: available ? pick(SERIF, sans) : null,
    mono: available ? pick(MONO, sans) : null,
    families,
    available,
    options: opts,
  };
  return current;
}

/**
 * The current font setup, resolving the defaults on first use.
 * @returns the setup
 */
export function fontSetup(): FontSetup {
  return current ?? configureFonts();
}

/**
 * The concrete family a CSS font-family list resolves to under a setup: the first listed
 * family that is installed, with generic `sans-serif`/`serif`/`monospace` mapped to the
 * setup's families, else the setup's sans family. Mirrors what resvg does with the options
 * of {@link resvgFontOptions}, so measured and rendered widths agree.
 * @param list a CSS font-family list, e.g. `'"Helvetica Neue", Arial, sans-serif'`
 * @param setup the font setup
 * @returns the family name, or null if no font is available
 */
export function resolveFamily(list: string | undefined, setup: FontSetup): string | null {
  const names = (list ?? 'sans-serif').split(',').map((s) => s.trim().replace(/^["']|["']$/g, ''));
  for (const n of names) {
    const lower = n.toLowerCase();
    if (lower === 'sans-serif' || lower === 'system-ui') return setup.sans;
    if (lower === 'serif') return setup.serif;
    if (lower === 'monospace') return setup.mono;
    if (setup.families.includes(n)) return n;
  }
  return setup.sans;
}

/**
 * The `font` options for @resvg/resvg-js under a setup.
 * @param setup the font setup
 * @returns resvg font options
 */
export function resvgFontOptions(setup: FontSetup): NonNullable<import('@resvg/resvg-js').ResvgRenderOptions['font']> {
  const o = setup.options;
  return {
    loadSystemFonts: o.systemFonts,
    fontFiles: o.fontFiles,
    fontDirs: o.fontDirs,
    ...(setup.sans
      ? {
          defaultFontFamily: setup.sans,
          sansSerifFamily: setup.sans,
          serifFamily: setup.serif ?? setup.sans,
          monospaceFamily: setup.mono ?? setup.sans,
        }
      : {}),
  };
}
