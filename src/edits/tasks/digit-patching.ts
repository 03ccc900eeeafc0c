import { fashionMnistSet, sample, withImages, type ImageSet } from '../../data/image-set';
import { mnistDigitSet } from '../../data/mnist-digits';
import { applyShift } from '../../shifts';
import { registerTask, type EditSet, type EditTask, type TaskOptions } from './task';

/**
 * Accuracy of the embedded models on all 2 000 test digits before any edit (digit d counted right
 * when the model outputs Fashion-MNIST class d), measured with `predict` on the wasm backend; the
 * default held-out sample (1 000 digits, seed 0) gives 14.0%, 11.6% and 11.6%. Near chance (10%):
 * the models never saw a digit and call most of them Sandal (5) or Bag (8).
 */
export const DIGIT_PATCHING_BEFORE_ACCURACY: Readonly<Record<string, number>> = Object.freeze({
  'vgg-small': 281 / 2000,
  'resnet-small': 226 / 2000,
  'vit-tiny': 227 / 2000,
});

const percent = (x: number) => `${(100 * x).toFixed(2)}%`;

/** What the task is, with the measured before-edit accuracies. */
export const DIGIT_PATCHING_DESCRIPTION =
  'new-task patching (the PAINT analog of CLIP patched to MNIST): a Fashion-MNIST classifier patched to read handwritten ' +
  'digits (digit d → class d) while keeping the original task; before any edit the embedded models read the 2 000 test digits at ' +
  Object.entries(DIGIT_PATCHING_BEFORE_ACCURACY).map(([model, acc]) => `${percent(acc)} (${model})`).join(', ') +
  ' (chance: 10%)';

/**
 * A seeded sample of `count` examples balanced over the classes (the first `count mod classes`
 * classes get one more), through `sample`'s seeded order.
 */
export function balancedSample(set: ImageSet, count: number, seed: number): ImageSet {
  const classes = set.classes.length;
  const quota = (label: number) => Math.floor(count / classes) + (label < count % classes ? 1 : 0);
  const taken = new Array<number>(classes).fill(0);
  return sample(set, count, seed, (label) => {
    if (taken[label] >= quota(label)) return false;
    taken[label]++;
    return true;
  });
}

/** Checks a size option against what the split holds. */
function checkSize(field: 'exemplars' | 'testSize', value: number, max: number, split: string): void {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new Error(`editlab: digit-patching: ${field} must be an integer from 1 to ${max} (the ${split}), got ${value}.`);
  }
}

/**
 * The digit-patching task: exemplars are `exemplars` handwritten digits from the embedded digits
 * train split, balanced over 0 … 9 and labelled with the digit; held out are `testSize` balanced
 * digits from the digits test split. Further splits measure the original task (seeded
 * Fashion-MNIST test images) and both under gaussian_noise s3. The digits have no `originals`:
 * nothing was transformed, the whole image is the new task.
 */
export function digitPatchingTask(options: TaskOptions = {}): EditTask {
  const { exemplars = 64, testSize = 1000, seed = 0 } = options;
  const train = mnistDigitSet('train');
  const test = mnistDigitSet('test');
  checkSize('exemplars', exemplars, train.n, 'digits train split');
  checkSize('testSize', testSize, test.n, 'digits test split');
  const heldOut = balancedSample(test, testSize, seed + 3);
  const original = sample(fashionMnistSet('test'), testSize, seed + 6);
  const corrupted = (set: ImageSet, noiseSeed: number): EditSet => withImages(set, applyShift('gaussian_noise', set.images, set, { severity: 3, seed: noiseSeed }));
  return {
    name: 'digit-patching',
    description: DIGIT_PATCHING_DESCRIPTION,
    editSet: balancedSample(train, exemplars, seed + 1),
    heldOut,
    splits: {
      'target, digits': heldOut,
      'target, digits + gaussian_noise s3': corrupted(heldOut, seed + 5),
      'original task, clean': original,
      'original task + gaussian_noise s3': corrupted(original, seed + 7),
    },
  };
}

registerTask({ name: 'digit-patching', heldOutSplit: 'target, digits', description: DIGIT_PATCHING_DESCRIPTION, build: digitPatchingTask });
