import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { renderSvg, svgToPng, type PngOptions } from './render';
import type { VegaLiteSpec } from './types';

/** Paths written by {@link saveFigure}. */
export interface SavedFigure {
  /** `<base>.svg` */
  svg: string;
  /** `<base>.png` */
  png: string;
  /** `<base>.vl.json`: the Vega-Lite spec, data inlined, pretty-printed. */
  vl: string;
}

/**
 * Writes a figure three ways, creating folders: `<base>.svg` and `<base>.png` (rendered
 * headlessly, PNG at `scale`× the SVG size) and `<base>.vl.json` (the spec itself — our
 * figure functions inline their data, so the file is self-contained and opens in the
 * Vega editor). The SVG is rendered once and the PNG rasterized from it.
 * @param spec a Vega-Lite v5 spec
 * @param basePath path without extension, e.g. `out/fig1/local-ft`
 * @param options PNG scale (default 2) and background
 * @returns the three paths
 */
export async function saveFigure(spec: VegaLiteSpec, basePath: string, options: PngOptions = {}): Promise<SavedFigure> {
  const paths: SavedFigure = { svg: `${basePath}.svg`, png: `${basePath}.png`, vl: `${basePath}.vl.json` };
  await mkdir(dirname(basePath), { recursive: true });
  const svg = await renderSvg(spec);
  const png = await svgToPng(svg, options);
  await Promise.all([
    writeFile(paths.svg, svg, 'utf8'),
    writeFile(paths.png, png),
    writeFile(paths.vl, JSON.stringify(spec, null, 2) + '\n', 'utf8'),
  ]);
  return paths;
}
