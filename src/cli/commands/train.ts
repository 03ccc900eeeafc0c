import { QUIET_OPTION, imagesOptions, parseBackend, parseImages, parseInteger, parseNumber, printJson, stderrOf, type Command } from '../command';

function parseSchedule(value: unknown): 'constant' | 'cosine' {
  if (value === undefined) return 'constant';
  if (value !== 'constant' && value !== 'cosine') throw new Error(`--schedule must be constant or cosine, got "${String(value)}".`);
  return value;
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train a registry architecture on Fashion-MNIST into a folder (seeded, resumable)',
  usage: `editlab train --arch NAME --out DIR [--epochs N] [--width W] [--seed S] [--batch B] [--lr X]
                     [--schedule constant|cosine] [--workers N] [--images N] [--backend B] [--json] [--quiet]

  Trains with Adam on the embedded Fashion-MNIST train split (the first --images N images,
  default all 60 000; --train-size is an alias), shuffled per epoch from --seed, re-estimates
  batch-norm statistics over 4 096 training images with the final weights, and records the
  test-set accuracy.
  DIR receives model.json + weights.bin (metadata: arch, width, seed, losses, test accuracy),
  optimizer.bin/json and state.json after every epoch; running the same command again resumes
  after the last finished epoch (another configuration in DIR is refused).
  --schedule cosine lowers the rate from --lr to 0 over the run (the run length is then part of its
  configuration; constant, the default, can be extended by rerunning with more --epochs).
  --workers N trains N data-parallel replicas on N threads (default 1).
  Progress (steps, then images for the batch-norm statistics and the test accuracy) and one line
  per epoch go to stderr; --quiet: none. --json prints {arch, width, seed, epochs, batch_size,
  learning_rate, schedule, train_size, batch_norm_calibration, resumed_from, losses, test:
  {accuracy, n, correct, ci, ci_lo, ci_hi}, params, seconds}.
  Architectures: editlab models archs.`,
  options: {
    arch: { type: 'string' }, out: { type: 'string' }, epochs: { type: 'string' }, width: { type: 'string' }, seed: { type: 'string' },
    batch: { type: 'string' }, lr: { type: 'string' }, schedule: { type: 'string' }, workers: { type: 'string' }, ...imagesOptions('train-size'), backend: { type: 'string' }, json: { type: 'boolean' }, ...QUIET_OPTION,
  },
  async run(v) {
    if (typeof v.arch !== 'string') throw new Error('train: --arch NAME is required (see `editlab models archs`).');
    if (typeof v.out !== 'string') throw new Error('train: --out DIR is required.');
    const { trainToFolder, trainRunJson } = await import('../../models');
    const { fashionMnistSet } = await import('../../data');
    const stderr = stderrOf(v);
    const trainSize = parseImages(v, ['train-size'], 60000);
    const epochs = Math.max(1, parseInteger(v.epochs, 'epochs', 10));
    const train = fashionMnistSet('train', trainSize || undefined);
    const test = fashionMnistSet('test');
    const result = await trainToFolder({
      arch: v.arch, out: v.out, train, test, epochs,
      width: parseNumber(v.width, 'width', 1), seed: parseInteger(v.seed, 'seed', 0), batchSize: Math.max(1, parseInteger(v.batch, 'batch', 128)),
      learningRate: parseNumber(v.lr, 'lr', 1e-3), schedule: parseSchedule(v.schedule), workers: Math.max(1, parseInteger(v.workers, 'workers', 1)), backend: parseBackend(v.backend),
      progress: stderr.progress,
      onEpoch: (epoch, total, loss) => stderr.log(`epoch ${epoch}/${total}: mean loss ${loss.toFixed(4)}`),
    });
    if (v.json) printJson(trainRunJson(result));
    else console.log(`${result.arch}: ${result.params} parameters, ${result.epochs} epochs (${result.resumedFrom} resumed), test accuracy ${result.test ? (100 * result.test.accuracy).toFixed(2) + '%' : 'n/a'}, ${result.seconds.toFixed(0)} s of training; saved to ${v.out}`);
    return 0;
  },
};
