/**
 * The evaluation sets of a study's jobs: the clean test sample, each corruption × severity and
 * rendition of that same sample, the hard subset, and each task's own sets (its exemplars and
 * held-out splits). Every job of a task sees the same images, so cells pair across methods,
 * layers and α. Shifted sets are made on demand, one at a time, and not kept (a full study has
 * ≈ 100 sets of 1 000 images).
 */
import { createHash } from 'node:crypto';
import { fashionMnistSet, firstImages, sample, subset, type ImageSet } from '../data/image-set';
import { buildTask, withoutOverlap, type EditTask } from '../edits/tasks';
import { hardSubset, shiftCells } from '../shifts';
import { resolveModel } from '../models';
import { hardSubsetImages, hardSubsetPath, readHardSubsetFile, sameEnsemble } from '../cloud/hard-subset';
import { defaultCloudCsv } from '../cloud/table';
import { predictSets } from '../evaluate/shift-cells';
import type { StudySpec, StudyTask } from './spec';

/** What kind of images a set holds. */
export type StudySetFamily = 'clean' | 'corruption' | 'rendition' | 'hard' | 'task';

/** One evaluation set of a job: its name, family and severity, and its images. */
export interface StudySet {
  /** 'clean', the shift's name, 'hard', or the task's split name ('exemplars', 'target, snow', …). */
  set: string;
  family: StudySetFamily;
  /** 1–5 for corruptions, 0 otherwise. */
  severity: number;
  images: ImageSet;
}

/** SHA-256 of a set's images and labels: equal digests mean two cells saw the same examples. */
export function imageSetDigest(set: ImageSet): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([set.n, set.height, set.width, set.channels]));
  hash.update(new Uint8Array(set.images.buffer, set.images.byteOffset, set.images.byteLength));
  hash.update(new Uint8Array(set.labels.buffer, set.labels.byteOffset, set.labels.byteLength));
  return hash.digest('hex');
}

/**
 * The `index`-th slice of `size` images of `set`, wrapping round: slices 0, 1, 2, … of a family
 * tile the sample, so a family of many small sets still covers every test image.
 */
export function rotatingSlice(set: ImageSet, index: number, size: number): ImageSet {
  if (size >= set.n) return set;
  const start = (index * size) % set.n;
  return subset(set, Array.from({ length: size }, (_, i) => (start + i) % set.n));
}

/** Options of {@link EvaluationSets}. */
export interface EvaluationSetsOptions {
  /** ONNX Runtime threads for the hard subset's ensemble. */
  threads?: number;
}

/**
 * Makes a study's evaluation sets, deterministically from the spec: the test sample is
 * `sample(test, images, sample_seed)`, shifts are seeded with `sample_seed`, and a task's sets
 * are `buildTask(name, {exemplars, testSize: sets.task_images, seed})` for the job's seed.
 */
export class EvaluationSets {
  private test?: ImageSet;
  private hard?: ImageSet;
  private readonly tasks = new Map<string, EditTask>();

  constructor(private readonly spec: StudySpec, private readonly options: EvaluationSetsOptions = {}) {}

  /** The task's exemplars and held-out splits for a seed (built once per run). */
  task(task: StudyTask, seed: number): EditTask {
    const key = JSON.stringify([task.name, task.exemplars, seed]);
    let built = this.tasks.get(key);
    if (!built) {
      built = buildTask(task.name, { exemplars: task.exemplars, testSize: this.spec.sets.task_images, seed });
      this.tasks.set(key, built);
    }
    return built;
  }

  /**
   * Held-out edit data for 1-layer interpolation's choice of α: the task's exemplars drawn with
   * seed + 1 (other training images, other backgrounds), without any image the seed's own
   * exemplars use, so the local fine-tuning edit can use every exemplar and be shared with the
   * local-ft job while α is chosen on images it never saw.
   */
  validation(task: StudyTask, seed: number): ImageSet {
    return withoutOverlap(buildTask(task.name, { exemplars: task.exemplars, testSize: 1, seed: seed + 1 }).editSet, this.task(task, seed).editSet);
  }

  /** How many images {@link forJob} yields for `task` and `seed` (what a sweep's progress bar counts per α). */
  async imageCount(task: StudyTask, seed: number): Promise<number> {
    const { sets, images } = this.spec;
    const shifted = sets.corruptions.length * sets.severities.length * sets.shift_images.corruption + sets.renditions.length * sets.shift_images.rendition;
    const hard = sets.hard.length ? (await this.hardSet()).n : 0;
    const built = sets.task_splits ? this.task(task, seed) : undefined;
    const own = built ? [built.editSet, ...Object.values(built.splits ?? { 'held-out': built.heldOut })].reduce((n, s) => n + s.n, 0) : 0;
    return (sets.clean ? images : 0) + shifted + hard + own;
  }

  /** The sets every job of `task` with `seed` is evaluated on, in a fixed order, made one at a time. */
  async *forJob(task: StudyTask, seed: number): AsyncGenerator<StudySet> {
    const { sets } = this.spec;
    if (sets.clean) yield { set: 'clean', family: 'clean', severity: 0, images: this.testSample() };
    for (const [family, names, severities] of [['corruption', sets.corruptions, sets.severities], ['rendition', sets.renditions, [0]]] as const) {
      const size = sets.shift_images[family];
      let slice = 0;
      for (const shift of names) {
        for (const severity of severities) {
          const images = rotatingSlice(this.testSample(), slice++, size);
          const [cell] = shiftCells(images, { shifts: [shift], severities: [severity || 1], seed: this.spec.sample_seed, clean: false });
          yield { set: cell.shift, family, severity: cell.severity, images: cell.set };
        }
      }
    }
    if (sets.hard.length) yield { set: 'hard', family: 'hard', severity: 0, images: await this.hardSet() };
    if (sets.task_splits) {
      const built = this.task(task, seed);
      yield { set: 'exemplars', family: 'task', severity: 0, images: built.editSet };
      for (const [name, images] of Object.entries(built.splits ?? { 'held-out': built.heldOut })) yield { set: name, family: 'task', severity: 0, images };
    }
  }

  private testSample(): ImageSet {
    this.test ??= sample(fashionMnistSet('test'), this.spec.images, this.spec.sample_seed);
    return this.test;
  }

  /** The first `images` test images a strict majority of the ensemble misclassifies (the cloud's committed subset for its ensemble). */
  private async hardSet(): Promise<ImageSet> {
    if (this.hard) return this.hard;
    const test = fashionMnistSet('test');
    const cloud = readHardSubsetFile(hardSubsetPath(defaultCloudCsv()));
    if (cloud && sameEnsemble(this.spec.sets.hard, cloud.ensemble)) {
      this.hard = firstImages(hardSubsetImages(test, cloud), this.spec.images);
    } else {
      const predictions: Int32Array[] = [];
      for (const name of this.spec.sets.hard) {
        const { model } = await resolveModel(name);
        try {
          predictions.push((await predictSets(model, [test], { threads: this.options.threads ?? 1 }))[0]);
        } finally {
          model.dispose();
        }
      }
      this.hard = firstImages(hardSubset(test, predictions.map((p) => () => p)).set, this.spec.images);
    }
    return this.hard;
  }
}
