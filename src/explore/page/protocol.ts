/** Messages between the explorer page and its compute worker. */
import type { ExploreManifest } from '../format';
import type { EvaluatorPart } from '../parts';

/** Page → worker. */
export type ToWorker =
  | { type: 'init'; base: string; share: EvaluatorPart }
  | { type: 'predict'; alpha: number; part: EvaluatorPart };

/** Worker → page. */
export type FromWorker =
  | { type: 'ready'; manifest: ExploreManifest; images: Float32Array; labels: Int32Array; cut: string | null; linear: boolean; batches: number; loadMs: number; backend: string }
  | { type: 'predictions'; alpha: number; part: EvaluatorPart; predicted: Int32Array[]; ms: number }
  | { type: 'error'; message: string };
