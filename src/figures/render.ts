import { fontSetup, resvgFontOptions } from './fonts';
import { loadVega, loadVegaLite } from './load';
import type { VegaLiteSpec, VegaSpec } from './types';

/** Options of {@link renderPng} and {@link svgToPng}. */
export interface PngOptions {
  /** Pixels per SVG px (device pixel ratio). Default 2. */
  scale?: number;
  /** Background color painted under the figure (CSS color); default: the spec's own. */
  background?: string;
}

/**
 * Whether a spec is a Vega (not Vega-Lite) spec, judged by its `$schema`.
 * @param spec a spec
 * @returns true for Vega
 */
export function isVegaSpec(spec: { $schema?: string }): boolean {
  return typeof spec.$schema === 'string' && /\/schema\/vega\/v\d/.test(spec.$schema);
}

/**
 * Compiles a Vega-Lite spec to Vega with vega-lite (a Vega spec is returned as a copy).
 * Throws on invalid specs, so it doubles as validation. The input is deep-copied first:
 * vega tags inline data objects with a symbol id when it ingests them, and a spec shown or
 * saved later must stay plain JSON.
 * @param spec a Vega-Lite v5 (or Vega v5) spec
 * @returns the Vega spec
 */
export function compileSpec(spec: VegaLiteSpec | VegaSpec): VegaSpec {
  const copy = structuredClone(spec);
  if (isVegaSpec(copy)) return copy;
  return loadVegaLite().compile(copy as never).spec as unknown as VegaSpec;
}

/**
 * Renders a spec to an SVG string headlessly: vega-lite → vega, then
 * `new vega.View(vega.parse(spec), { renderer: 'none' }).toSVG()`. vega and vega-lite load
 * on first use. Text is measured with the same fonts the PNG rasterizer uses.
 * @param spec a Vega-Lite v5 (or Vega v5) spec
 * @returns the SVG document text
 */
export async function renderSvg(spec: VegaLiteSpec | VegaSpec): Promise<string> {
  const vega = loadVega();
  const view = new vega.View(vega.parse(compileSpec(spec) as never), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const warned = new WeakSet<object>();

/**
 * Rasterizes SVG text to PNG with @resvg/resvg-js (off the main thread), using the fonts of
 * the current setup (`configureFonts`). If the SVG has text and no font is available, the
 * text would vanish silently: depending on `FontOptions.missing` this warns once
 * (process warning EDITLAB_NO_FONTS), throws, or stays quiet.
 * @param svg the SVG document
 * @param options scale and background
 * @returns the PNG bytes (width and height = the SVG's × scale, rounded up)
 */
export async function svgToPng(svg: string, options: PngOptions = {}): Promise<Buffer> {
  const { renderAsync } = require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const setup = fontSetup();
  if (!setup.available && /<text[\s>]/.test(svg)) {
    const msg =
      'editlab: no font found for PNG rendering, so the text of this figure will be missing. ' +
      'Install one (Debian: apt-get install fonts-dejavu-core) or call configureFonts({ fontFiles: [...] }).';
    if (setup.options.missing === 'error') throw new Error(msg);
    if (setup.options.missing === 'warn' && !warned.has(setup)) {
      warned.add(setup); // once per font setup
      process.emitWarning(msg, { code: 'EDITLAB_NO_FONTS' });
    }
  }
  const image = await renderAsync(svg, {
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    font: resvgFontOptions(setup),
    ...(options.background ? { background: options.background } : {}),
    logLevel: 'error',
  });
  return image.asPng();
}

/**
 * Renders a spec to PNG headlessly: {@link renderSvg}, then {@link svgToPng}.
 * @param spec a Vega-Lite v5 (or Vega v5) spec
 * @param options scale (default 2) and background
 * @returns the PNG bytes
 */
export async function renderPng(spec: VegaLiteSpec | VegaSpec, options: PngOptions = {}): Promise<Buffer> {
  return svgToPng(await renderSvg(spec), options);
}
