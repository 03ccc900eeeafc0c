/**
 * tslab notebook helpers: `show` a figure (Vega-Lite + PNG in one output) and `progress`
 * bars that update in place. tslab itself is never required: the kernel's output channel
 * is found among loaded modules, so this works (and does nothing) in plain Node.
 * @module notebook
 */
export { show, type ShowOptions, type ShowResult } from './show';
export { figureBundle, svgSize, VEGALITE_MIME, VEGA_MIME, type FigureBundleOptions } from './bundle';
export { progress, progressFor, progressLine, formatRate, formatDuration, type Progress, type ProgressOptions, type ProgressOption } from '../engine/progress';
export {
  displayTarget,
  setDisplayTarget,
  findKernelWriter,
  writerTarget,
  tslabTarget,
  pickMime,
  newDisplayId,
  SINGLE_MIME_PREFERENCE,
  type DisplayTarget,
  type MimeBundle,
  type PublishOptions,
  type KernelWriter,
  type TslabLike,
  type TslabDisplayLike,
} from '../engine/display-target';
