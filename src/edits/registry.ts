import type { tf } from '../engine/backend';
import type { ImageSet } from '../data/image-set';
import type { Edit } from './edit';
import { progressFor, type Progress, type ProgressOption } from '../engine/progress';

/** Options every edit method understands. */
export interface EditOptions {
  /** The layer to edit. */
  layer: string;
  /** Optimisation steps. */
  steps?: number;
  /** Learning rate. */
  learningRate?: number;
  /** Seed of any randomness. */
  seed?: number;
  /** Called after every step. */
  onStep?: (step: number, totalSteps: number, loss: number) => void;
  /** A progress bar in optimisation steps (`true`, or its label); see {@link ProgressOption}. Default none. */
  progress?: ProgressOption;
  /** Rank r of rewrite and lowrank (default 1). */
  rank?: number;
  /** rewrite: whiten with the covariance instead of the raw second moment. */
  center?: boolean;
  /** rewrite: images whose layer-ℓ inputs give the second moment (default: the exemplars' originals). */
  reference?: ImageSet;
  /** one-layer-interp: held-out edit images to choose α on (default: a quarter of the exemplars). */
  validation?: ImageSet;
}

/** An edit method: maps a model and an edit set to an {@link Edit}, never mutating the model. */
export interface EditMethod {
  name: string;
  description: string;
  run(model: tf.LayersModel, editSet: ImageSet, options: EditOptions): Promise<Edit>;
}

const registry = new Map<string, EditMethod>();

/** Adds an edit method to the registry. */
export function registerEditMethod(method: EditMethod): void {
  registry.set(method.name, method);
}

/** Every registered edit method. */
export function listEditMethods(): EditMethod[] {
  return [...registry.values()];
}

/** Looks an edit method up by name, with an error listing the valid names. */
export function getEditMethod(name: string): EditMethod {
  const method = registry.get(name);
  if (!method) throw new Error(`editlab: unknown edit method "${name}"; available: ${[...registry.keys()].join(', ')}.`);
  return method;
}

/** Runs a named edit method. */
export async function edit(model: tf.LayersModel, editSet: ImageSet, method: string, options: EditOptions): Promise<Edit> {
  if (editSet.n === 0) throw new Error('editlab: the edit set is empty.');
  const classes = model.outputs[0].shape[model.outputs[0].shape.length - 1] as number;
  const bad = editSet.labels.findIndex((l) => !Number.isInteger(l) || l < 0 || l >= classes);
  if (bad >= 0) throw new Error(`editlab: edit-set label ${editSet.labels[bad]} (example ${bad}) is outside the model's classes 0..${classes - 1}.`);
  const run = getEditMethod(method);
  if (!options.progress) return run.run(model, editSet, options);
  // The method knows its step count: the bar starts at its first step.
  let bar: Progress | undefined;
  const onStep: EditOptions['onStep'] = (step, total, loss) => {
    bar ??= progressFor(options.progress, total, `edit: ${method} ${options.layer}`, 'steps');
    bar.tick();
    options.onStep?.(step, total, loss);
  };
  try {
    // progress: undefined, so a method built on another (1-LI on local-ft) draws one bar, not two.
    return await run.run(model, editSet, { ...options, onStep, progress: undefined });
  } finally {
    bar?.done();
  }
}
