import { fontSetup, loadCanvas, resolveFamily, type FontSetup } from './fonts';

/** How vega measures text widths: real glyph widths (`'canvas'`) or 0.8 × font size per character (`'estimate'`). */
export type TextMeasure = 'canvas' | 'estimate';

interface TextItem {
  text?: unknown;
  font?: string;
  fontSize?: number | string;
  fontStyle?: string;
  fontVariant?: string;
  fontWeight?: string | number;
  limit?: number | string;
}

type WidthFn = (item: TextItem, text?: unknown) => number;

interface VegaTextMetrics {
  width: WidthFn;
  measureWidth: WidthFn;
  estimateWidth: WidthFn;
}

/**
 * The CSS font string used to measure a vega text item: vega's own `font(item)` format
 * (style, variant, weight, size, family) with the family resolved to an installed one.
 * @param item a vega text scene item
 * @param setup the font setup
 * @returns a CSS font shorthand, e.g. `bold 13px "DejaVu Sans"`
 */
export function measureFont(item: TextItem, setup: FontSetup): string {
  const size = item.fontSize != null ? +item.fontSize || 0 : 11;
  const family = resolveFamily(item.font, setup) ?? 'sans-serif';
  return [item.fontStyle, item.fontVariant, item.fontWeight, `${size}px`, `"${family}"`]
    .filter((s) => s !== undefined && s !== null && s !== '')
    .join(' ');
}

/**
 * Whether the current font setup lets us measure real glyph widths.
 * @returns `'canvas'` if @napi-rs/canvas loads and knows at least one font, else `'estimate'`
 */
export function currentTextMeasure(): TextMeasure {
  const setup = fontSetup();
  return loadCanvas() && setup.available && setup.families.length > 0 ? 'canvas' : 'estimate';
}

/**
 * Makes vega (vega-scenegraph's process-wide `textMetrics`) measure text with
 * @napi-rs/canvas and the same font families resvg rasterizes with (the current
 * `configureFonts` setup, read at each measurement). Without it vega in Node requires the
 * `canvas` package (absent here) or estimates every glyph as 0.8 × font size wide —
 * about 50 % too wide for DejaVu Sans, which pads legends and axis titles. Widths are capped
 * at an item's `limit`, which keeps vega's truncation with an ellipsis correct. When
 * @napi-rs/canvas or fonts are unavailable, vega's own choice is used (node-canvas if the
 * `canvas` package resolves, else the estimate).
 * @param vega the loaded vega module
 */
export function installTextMetrics(vega: { textMetrics: unknown }): void {
  const metrics = vega.textMetrics as VegaTextMetrics;
  const original = metrics.width;
  let ctx: { font: string; measureText(s: string): { width: number } } | undefined;
  const cache = new Map<string, number>();
  metrics.width = (item: TextItem, text?: unknown): number => {
    if (currentTextMeasure() === 'estimate') return original(item, text);
    const size = item.fontSize != null ? +item.fontSize || 0 : 11;
    const s = text == null ? '' : String(text).trim();
    if (size <= 0 || !s) return 0;
    const font = measureFont(item, fontSetup());
    const key = `${font}\u0000${s}`;
    let w = cache.get(key);
    if (w === undefined) {
      ctx ??= loadCanvas()!.createCanvas(1, 1).getContext('2d');
      ctx.font = font;
      w = ctx.measureText(s).width;
      if (cache.size > 10000) cache.clear();
      cache.set(key, w);
    }
    const limit = item.limit != null ? +item.limit : 0;
    return limit > 0 ? Math.min(w, limit) : w;
  };
}
