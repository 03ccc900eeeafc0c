/** The editing-task interface and the registry of tasks by name. */
import { subset, type ImageSet } from '../../data/image-set';

/** Sizes and seed of an editing task's splits. */
export interface TaskOptions {
  /** Exemplars in the edit set. */
  exemplars?: number;
  /** Held-out images per test split. */
  testSize?: number;
  seed?: number;
}

/**
 * Edit exemplars: the transformed images (the concept in its new context) with their labels,
 * plus, where known, the original images and the concept mask (1 where the image changed),
 * which rewriting needs.
 */
export interface EditSet extends ImageSet {
  /** The untransformed images, same shape as `images`. */
  originals?: Float32Array;
  /** n × height × width weights in [0, 1]. */
  masks?: Float32Array;
}

/** An editing task: exemplars to edit with, and held-out splits to measure generalisation. */
export interface EditTask {
  name: string;
  description: string;
  /** The exemplars (train split). */
  editSet: EditSet;
  /** Held-out images of the edited concept (test split). */
  heldOut: EditSet;
  /** Further named held-out splits (e.g. held-out styles, other classes). */
  splits?: Record<string, EditSet>;
}

/** A registered editing task: builds its exemplars and held-out sets. */
export interface TaskDefinition {
  name: string;
  description: string;
  /** The split holding `heldOut`, the edit's own held-out images: what "edit-task accuracy" means in a study. */
  heldOutSplit: string;
  build(options?: TaskOptions): EditTask;
}

const tasks = new Map<string, TaskDefinition>();

/** Adds a task to the registry. */
export function registerTask(task: TaskDefinition): void {
  tasks.set(task.name, task);
}

/** Every registered task. */
export function listTasks(): TaskDefinition[] {
  return [...tasks.values()];
}

/** A registered task by name, with an error listing the valid ones. */
export function getTask(name: string): TaskDefinition {
  const task = tasks.get(name);
  if (!task) throw new Error(`editlab: unknown task "${name}"; available: ${[...tasks.keys()].join(', ')}.`);
  return task;
}

/** Builds a task by name, with an error listing the valid ones. */
export function buildTask(name: string, options?: TaskOptions): EditTask {
  return getTask(name).build(options);
}


/** An exemplar's underlying image (its original where the task transformed it), as a key. */
function imageKey(set: EditSet, i: number): string {
  const size = set.height * set.width * set.channels;
  const pixels = (set.originals ?? set.images).subarray(i * size, (i + 1) * size);
  return Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).toString('base64');
}

/** The exemplars at `indices`, in that order, with their originals and masks (`subset` keeps images and labels only). */
export function subsetExemplars(set: EditSet, indices: ArrayLike<number>): EditSet {
  const pick = (data: Float32Array, per: number) => {
    const out = new Float32Array(indices.length * per);
    for (let k = 0; k < indices.length; k++) out.set(data.subarray(indices[k] * per, (indices[k] + 1) * per), k * per);
    return out;
  };
  const { originals: _o, masks: _m, ...plain } = set;
  return {
    ...subset(plain, indices),
    ...(set.originals ? { originals: pick(set.originals, set.height * set.width * set.channels) } : {}),
    ...(set.masks ? { masks: pick(set.masks, set.height * set.width) } : {}),
  };
}

/**
 * `set` without the examples whose underlying image (the original, where there is one) is also
 * in `other`: held-out edit data that shares no image with the exemplars, whatever context the
 * task pasted around it.
 */
export function withoutOverlap(set: EditSet, other: EditSet): EditSet {
  const taken = new Set(Array.from({ length: other.n }, (_, i) => imageKey(other, i)));
  return subsetExemplars(set, Array.from({ length: set.n }, (_, i) => i).filter((i) => !taken.has(imageKey(set, i))));
}
