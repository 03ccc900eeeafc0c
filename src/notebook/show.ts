import { inspect } from 'node:util';
import type { VegaLiteSpec } from '../figures/types';
import { figureBundle, type FigureBundleOptions } from './bundle';
import { displayTarget, pickMime, type DisplayTarget } from '../engine/display-target';

/** Options of {@link show}. */
export interface ShowOptions extends FigureBundleOptions {
  /** Where to send the output; default: the running tslab kernel ({@link displayTarget}). */
  target?: DisplayTarget | null;
}

/** What `show` resolves to: nothing, so that `await show(spec)` as a cell's last line prints nothing. */
export type ShowResult = Promise<void>;

let notedOutside = false;

/**
 * Shows a Vega-Lite figure in a tslab notebook as ONE output carrying the Vega-Lite spec
 * (interactive in JupyterLab) and a PNG (what nbconvert, GitHub and classic Notebook show),
 * so JupyterLab does not show it twice. Write `await show(spec)`: rendering the PNG is
 * asynchronous and the output must reach the kernel before the cell ends.
 *
 * Where tslab's kernel writer cannot be found and only tslab's one-MIME `display.raw` is
 * available, the PNG alone is sent. Outside a notebook nothing is displayed: a one-time note
 * goes to stderr (use `saveFigure` to write files) and the promise resolves.
 * @param spec a Vega-Lite v5 spec with inline data
 * @param options static images to include, target
 * @returns a promise that settles once the output is sent
 * @example await show(accuracyVsAlpha(rows, { title: 'Local fine-tuning' }))
 */
export function show(spec: VegaLiteSpec, options: ShowOptions = {}): ShowResult {
  // Capture the target now: the kernel writer belongs to the cell that is running now.
  const target = options.target !== undefined ? options.target : displayTarget();
  const run = async (): Promise<void> => {
    if (!target) {
      if (!notedOutside) {
        notedOutside = true;
        process.stderr.write('editlab.show: not in a tslab notebook, nothing displayed (saveFigure(spec, path) writes SVG/PNG/JSON).\n');
      }
      return;
    }
    const bundle = await figureBundle(spec, target.multiMime ? options : { ...options, png: true });
    if (!target.multiMime) {
      const mime = pickMime(bundle);
      if (!mime) return;
      target.publish({ data: { [mime]: bundle.data[mime] }, metadata: bundle.metadata });
      return;
    }
    target.publish(bundle);
  };
  const promise = run();
  // A cell ending in `show(spec)` without `await` makes tslab print the pending promise;
  // print a hint instead (the figure may then be lost, as the cell has already finished).
  Object.defineProperty(promise, inspect.custom, {
    value: () => 'editlab.show: rendering… write `await show(spec)` so the figure is sent before the cell ends',
  });
  return promise;
}
