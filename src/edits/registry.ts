import type { tf } from '../engine/backend';
import type { ImageSet } from '../data/image-set';
import type { Edit } from './edit';
import { progressFor, type Progress, type ProgressOption } from '../engine/progress';
import { editableLayers } from '../models/surgery';

/** Options every edit method understands. */
export interface EditOptions {
  /** The layer to edit. */
  layer: string;
  /** Optimiser steps, for every method one update each (fine-tuning and lowrank: on a batch of up to 64 exemplars; rewrite: on all of them). */
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
  /** rewrite: clean images whose layer-ℓ inputs give the second moment (default: {@link REWRITE_REFERENCE_IMAGES} seeded Fashion-MNIST training images). */
  reference?: ImageSet;
  /** rewrite: project onto the rank-r subspace every this many steps (default 10). */
  projectEvery?: number;
  /** one-layer-interp: held-out edit images to choose α on (default: a quarter of the exemplars). */
  validation?: ImageSet;
}

/**
 * How a method is run by default: the settings that make it edit the embedded models (searched
 * on the snow task, then frozen; datasets/edit-protocols/). Snake case, as in JSON and specs.
 */
export interface MethodProtocol {
  /** Default layer: `early`, `middle`, `late` (resolved per model) or a layer name. */
  layer: string;
  /** Optimiser steps (every method: one step = one update of one batch). */
  steps: number;
  learning_rate: number;
  /** Edit exemplars. */
  exemplars: number;
  /** Rank r (rewrite, lowrank); on a layer with fewer input channels, all of them. */
  rank?: number;
  /** rewrite: whiten with the covariance instead of the raw second moment. */
  center?: boolean;
  /** rewrite: projection interval in steps. */
  project_every?: number;
}

/** An edit method: maps a model and an edit set to an {@link Edit}, never mutating the model. */
export interface EditMethod {
  name: string;
  description: string;
  /** Its default protocol (data). */
  protocol: MethodProtocol;
  /** The method edits every layer: one edit per model and task, not per layer. */
  layerIndependent?: boolean;
  /** The method interpolates the edit of this method on the same layer (a study reuses that edit). */
  reuses?: string;
  /**
   * Where its training loss is taken: `output` (default; the task loss, so a step runs the model
   * from ℓ to the output and back) or `layer` (ℓ's block output, as rewriting matches stored
   * values: a step runs ℓ alone). Used to estimate a study job's work.
   */
  lossAt?: 'output' | 'layer';
  /** The layers it can edit on a model (default: every layer with trainable weights). */
  editableLayers?(model: tf.LayersModel): string[];
  /** For a method with a rank: the largest rank the layer allows (a study caps its protocol's rank there). */
  maxRank?(model: tf.LayersModel, layer: string): number;
  /** Called by {@link edit} only, with every option the caller left out filled from `protocol`. */
  run(model: tf.LayersModel, editSet: ImageSet, options: EditOptions): Promise<Edit>;
}

/** The options `edit()` gets from a protocol (the layer resolved separately). */
export function protocolOptions(protocol: Partial<MethodProtocol>): Omit<EditOptions, 'layer'> {
  return { steps: protocol.steps, learningRate: protocol.learning_rate, rank: protocol.rank, center: protocol.center, projectEvery: protocol.project_every };
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

/**
 * Runs a named edit method. Options not given (undefined) take the method's protocol, so a
 * method's defaults are its protocol everywhere: `edit()`, `editlab edit`, studies.
 */
export async function edit(model: tf.LayersModel, editSet: ImageSet, method: string, given: EditOptions): Promise<Edit> {
  if (editSet.n === 0) throw new Error('editlab: the edit set is empty.');
  const classes = model.outputs[0].shape[model.outputs[0].shape.length - 1] as number;
  const bad = editSet.labels.findIndex((l) => !Number.isInteger(l) || l < 0 || l >= classes);
  if (bad >= 0) throw new Error(`editlab: edit-set label ${editSet.labels[bad]} (example ${bad}) is outside the model's classes 0..${classes - 1}.`);
  const run = getEditMethod(method);
  const options: EditOptions = { ...given };
  for (const [key, value] of Object.entries(protocolOptions(run.protocol)) as Array<[keyof EditOptions, never]>) if (options[key] === undefined) options[key] = value;
  if (given.rank === undefined && options.rank !== undefined) {
    // A protocol's rank is at most what the layer allows (a small layer has fewer input channels); a rank given is checked as given.
    const kernel = model.weights.find((w) => w.originalName === `${options.layer}/kernel`);
    if (kernel) {
      const cin = kernel.shape[kernel.shape.length - 2] as number;
      options.rank = Math.min(options.rank, cin, kernel.shape.reduce<number>((p, d) => p * (d ?? 1), 1) / cin);
    }
  }
  checkMasks(editSet);
  if (!run.layerIndependent) {
    const editable = run.editableLayers?.(model) ?? editableLayers(model).map((l) => l.name);
    if (!editable.includes(options.layer)) {
      const kind = model.layers.find((l) => l.name === options.layer)?.getClassName();
      const what = kind ? `"${options.layer}" is a ${kind} it cannot edit` : `the model has no layer "${options.layer}"`;
      throw new Error(`editlab: ${method} cannot edit layer "${options.layer}" of "${model.name}": ${what}; layers ${method} can edit: ${editable.join(', ')}.`);
    }
  }
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

/** A soft concept mask must be one value in [0, 1] per pixel of every exemplar. */
function checkMasks(editSet: ImageSet & { masks?: Float32Array }): void {
  const { masks } = editSet;
  if (!masks) return;
  const expected = [editSet.n, editSet.height, editSet.width];
  if (masks.length !== editSet.n * editSet.height * editSet.width) {
    throw new Error(`editlab: the edit set's masks have ${masks.length} values; expected shape ${JSON.stringify(expected)} (one weight per pixel of each exemplar, ${expected.reduce((a, b) => a * b)} values) for images of shape ${JSON.stringify([editSet.n, editSet.height, editSet.width, editSet.channels])}.`);
  }
  const bad = masks.findIndex((m) => !(m >= 0 && m <= 1));
  if (bad >= 0) {
    const [i, p] = [Math.floor(bad / (editSet.height * editSet.width)), bad % (editSet.height * editSet.width)];
    throw new Error(`editlab: mask value ${masks[bad]} at exemplar ${i}, pixel (${Math.floor(p / editSet.width)}, ${p % editSet.width}) is outside [0, 1]; masks have shape ${JSON.stringify(expected)} with weights in [0, 1].`);
  }
}
