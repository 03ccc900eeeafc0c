/** Messages between the explorer page and its compute worker. */
import type { ExploreManifest } from '../format';

/** Page → worker. */
export type ToWorker =
  | { type: 'init'; base: string }
  | { type: 'predict'; alpha: number };

/** Worker → page. */
export type FromWorker =
  | { type: 'ready'; manifest: ExploreManifest; images: Float32Array; labels: Int32Array; cut: string | null; loadMs: number; backend: string }
  | { type: 'predictions'; alpha: number; predicted: Int32Array[]; ms: number }
  | { type: 'error'; message: string };
