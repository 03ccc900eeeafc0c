import { isVegaSpec, renderSvg, svgToPng } from '../figures/render';
import type { VegaLiteSpec } from '../figures/types';
import type { MimeBundle } from '../engine/display-target';

/** The MIME type JupyterLab (≥ 3) renders interactively with its built-in Vega extension. */
export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

/** The MIME type for a (compiled) Vega v5 spec, used when `show` is given one. */
export const VEGA_MIME = 'application/vnd.vega.v5+json';

/** Options of {@link figureBundle} and `show`. */
export interface FigureBundleOptions {
  /** Include a static `image/png` (base64) for nbconvert, GitHub, classic Notebook. Default true. */
  png?: boolean;
  /** Include `image/svg+xml` too (nbconvert's HTML export prefers SVG over PNG). Default false. */
  svg?: boolean;
  /** PNG pixels per CSS px. Default 2 (sharp on high-DPI screens; shown at CSS size). */
  scale?: number;
}

/**
 * Builds the MIME bundle for one figure output: the Vega-Lite spec as JSON (interactive in
 * JupyterLab, which prefers it over images, so the figure shows once), a PNG rendered
 * headlessly (with `metadata['image/png']` = its CSS width/height, so a 2× PNG is not shown
 * twice as large), optionally the SVG, and a `text/plain` line.
 * @param spec a Vega-Lite v5 spec with inline data (a Vega v5 spec goes under {@link VEGA_MIME})
 * @param options which static images to include
 * @returns the bundle
 */
export async function figureBundle(spec: VegaLiteSpec, options: FigureBundleOptions = {}): Promise<MimeBundle> {
  const wantPng = options.png ?? true;
  const wantSvg = options.svg ?? false;
  const title = typeof spec.title === 'string' ? spec.title : ((spec.title as { text?: string } | undefined)?.text ?? '');
  const data: Record<string, unknown> = { [isVegaSpec(spec) ? VEGA_MIME : VEGALITE_MIME]: spec };
  const metadata: Record<string, unknown> = {};
  if (wantPng || wantSvg) {
    const svg = await renderSvg(spec);
    const size = svgSize(svg);
    if (wantPng) {
      data['image/png'] = (await svgToPng(svg, { scale: options.scale ?? 2 })).toString('base64');
      if (size) metadata['image/png'] = size;
    }
    if (wantSvg) data['image/svg+xml'] = svg;
  }
  data['text/plain'] = `<Vega-Lite figure${title ? `: ${title}` : ''}>`;
  return { data, metadata };
}

/**
 * Reads the `width`/`height` attributes of an SVG document's root element.
 * @param svg the SVG text
 * @returns the size in px, or null if absent
 */
export function svgSize(svg: string): { width: number; height: number } | null {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0] ?? '';
  const w = /\swidth="([\d.]+)"/.exec(root);
  const h = /\sheight="([\d.]+)"/.exec(root);
  return w && h ? { width: Number(w[1]), height: Number(h[1]) } : null;
}
