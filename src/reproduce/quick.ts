import { tf, backendInfo, type BackendInfo } from '../engine/backend';
import { fashionMnistSet, sample, withImages, type ImageSet } from '../data/image-set';
import { applyShift } from '../shifts';
import { buildModel } from '../models';
import { train } from '../models/train';
import { predict } from '../engine/predict';
import { accuracy } from '../metrics/accuracy';
import { edit, snowBackgroundTask, type Edit } from '../edits';
import { sweepAlpha, type SweepRow } from '../sweep/interpolate';
import { accuracyVsAlpha, type VegaLiteSpec } from '../figures';
import { progressFor } from '../engine/progress';

/** Options of {@link quickStudy}; the defaults run in about two minutes on a 2-core CPU. */
export interface QuickStudyOptions {
  /** Training images (first n of the train split, shuffled per epoch). */
  trainSize?: number;
  epochs?: number;
  /** The layer to fine-tune and interpolate. */
  layer?: string;
  /** Edit exemplars. */
  exemplars?: number;
  /** Images per evaluation split. */
  testSize?: number;
  /** Fine-tuning passes over the exemplars. */
  editSteps?: number;
  alphas?: number[];
  /** The corruption evaluated next to clean data, and its severity. */
  corruption?: string;
  severity?: number;
  seed?: number;
  /** Show progress bars (stderr, or in place in a notebook): training steps, edit steps, sweep images. Default true. */
  progress?: boolean;
}

/** What {@link quickStudy} returns. */
export interface QuickStudy {
  /** Tidy rows: method, layer, alpha, split, accuracy, n, ci_lo, ci_hi. */
  rows: SweepRow[];
  /** Accuracy vs α as a Vega-Lite spec. */
  figure: VegaLiteSpec;
  /** The trained original model (caller disposes). */
  model: tf.LayersModel;
  /** The edit (caller disposes). */
  edit: Edit;
  /** Clean test accuracy of the trained model. */
  testAccuracy: number;
  backend: BackendInfo;
  seconds: { train: number; edit: number; sweep: number };
}

/**
 * The thin end-to-end path: train the reference CNN briefly on Fashion-MNIST, fine-tune one
 * layer on a few snow-background exemplars, interpolate that layer over α, and evaluate the
 * edit task, clean data and one corruption at every α.
 */
export async function quickStudy(options: QuickStudyOptions = {}): Promise<QuickStudy> {
  const {
    trainSize = 12000, epochs = 1, layer = 'conv4', exemplars = 64, testSize = 1000, editSteps = 40,
    alphas = [0, 0.25, 0.5, 0.75, 1], corruption = 'gaussian_noise', severity = 3, seed = 0,
  } = options;
  const showProgress = options.progress ?? true;
  const backend = await backendInfo();
  const clock = () => performance.now() / 1000;

  const trainSet = fashionMnistSet('train', trainSize);
  const testSet = sample(fashionMnistSet('test'), testSize, seed + 11);
  const model = buildModel('reference-cnn', { seed });
  let t = clock();
  const bar = progressFor(showProgress, Math.ceil(trainSize / 128) * epochs, `train reference-cnn (${backend.backend})`, 'steps');
  train(model, trainSet, { epochs, seed, onStep: () => bar.tick() });
  bar.done();
  const trainSeconds = clock() - t;
  const testAccuracy = accuracy(predict(model, testSet).predicted, testSet.labels).accuracy;

  const task = snowBackgroundTask({ exemplars, testSize, seed });
  t = clock();
  const result = await edit(model, task.editSet, 'local-ft', { layer, steps: editSteps, learningRate: 1e-3, seed, progress: showProgress });
  const editSeconds = clock() - t;

  const shifted: ImageSet = withImages(testSet, applyShift(corruption, testSet.images, testSet, { severity, seed }));
  const splits: Record<string, ImageSet> = {
    'edit task (held-out)': task.heldOut,
    'original (clean)': testSet,
    [`${corruption} s${severity}`]: shifted,
  };
  t = clock();
  const rows = await sweepAlpha(result, splits, { alphas, progress: showProgress });
  const sweepSeconds = clock() - t;

  const figure = accuracyVsAlpha(rows, {
    color: 'layer',
    title: `Local fine-tuning of ${layer}, interpolated: accuracy vs α`,
  });
  return { rows, figure, model, edit: result, testAccuracy, backend, seconds: { train: trainSeconds, edit: editSeconds, sweep: sweepSeconds } };
}
