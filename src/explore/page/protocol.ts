/** Messages between the explorer page and its compute workers. */
import type { ExploreManifest } from '../format';
import type { EvaluatorPart } from '../parts';

/** What a worker says when it can evaluate an edit: where the model was cut and how many batches the images form. */
export interface EvaluatorInfo {
  cut: string | null;
  linear: boolean;
  batches: number;
}

/** An edit the user picked (without `--edit`): indices into the manifest's pick lists, and the settings. */
export interface EditRequest {
  task: number;
  method: string;
  layer: string;
  steps: number;
  learningRate: number;
}

/** Page → worker. */
export type ToWorker =
  | { type: 'init'; base: string; share: EvaluatorPart }
  | { type: 'edit'; request: EditRequest }
  | { type: 'use-edit'; task: number; json: string; deltas: Uint8Array }
  | { type: 'predict'; alpha: number; part: EvaluatorPart };

/** Worker → page. */
export type FromWorker =
  | { type: 'ready'; manifest: ExploreManifest; images: Float32Array; labels: Int32Array; evaluator: EvaluatorInfo | null; loadMs: number; backend: string }
  | { type: 'progress'; step: number; total: number; loss: number }
  | { type: 'edited'; json: string; deltas: Uint8Array; ms: number }
  | { type: 'evaluating'; evaluator: EvaluatorInfo }
  | { type: 'predictions'; alpha: number; part: EvaluatorPart; predicted: Int32Array[]; ms: number }
  | { type: 'error'; message: string };
