/**
 * Training a registry architecture on an image set into a folder: seeded, on worker threads
 * (one or more data-parallel replicas), checkpointed after every epoch and resumable from
 * the last one. The folder holds model.json + weights.bin (with the run's metadata),
 * optimizer.bin and state.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tf, backendInfo, type BackendRequest } from '../engine/backend';
import { DataParallelTrainer, type ReplicaState } from './data-parallel';
import { permutation } from '../engine/rng';
import { subset, type ImageSet } from '../data/image-set';
import { writeFileAtomic } from '../data/write-atomic';
import { buildModel, getArchitecture } from './registry';
import { loadLayersModel, saveLayersModel } from './io';
import { predict } from '../engine/predict';
import { recalibrateBatchNorm } from './batch-norm';
import { accuracy, type Accuracy } from '../metrics/accuracy';
import { progressFor, type ProgressOption } from '../engine/progress';

/** Options of {@link trainToFolder}. */
export interface TrainRunOptions {
  arch: string;
  /** Output folder (created; a previous run of the same config there is resumed). */
  out: string;
  train: ImageSet;
  /** Evaluated at the end; its accuracy is recorded in the model's metadata. */
  test?: ImageSet;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  /**
   * 'constant' (default) or 'cosine': the rate falls from `learningRate` to 0 over the run's
   * steps (half a cosine), which settles weights and batch-norm statistics by the last epoch.
   * A cosine run's length is part of its configuration.
   */
  schedule?: LearningRateSchedule;
  width?: number;
  seed?: number;
  /**
   * Training images over which batch-norm statistics are re-estimated with the final weights
   * (default 4096; 0 = keep the moving averages). See {@link recalibrateBatchNorm}.
   */
  calibrationImages?: number;
  /** Data-parallel worker threads (default 1). */
  workers?: number;
  backend?: BackendRequest;
  /** Called after every step. */
  onStep?: (step: number, totalSteps: number, loss: number) => void;
  /** Called after every epoch (and its checkpoint). */
  onEpoch?: (epoch: number, epochs: number, meanLoss: number) => void;
  /**
   * Progress bars (`true`, or the training bar's label; see {@link ProgressOption}): training
   * steps left, then the batch-norm re-estimation and the test evaluation in images. Default none.
   */
  progress?: ProgressOption;
}

/** How the learning rate moves over a run. */
export type LearningRateSchedule = 'constant' | 'cosine';

/** The learning rate of step `step` (0-based) of `steps` under a schedule. */
export function scheduledRate(schedule: LearningRateSchedule, base: number, step: number, steps: number): number {
  return schedule === 'cosine' ? base * 0.5 * (1 + Math.cos((Math.PI * step) / steps)) : base;
}

/** What a finished run reports (also stored as the model's metadata). */
export interface TrainRunResult {
  arch: string;
  width: number;
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  schedule: LearningRateSchedule;
  trainSize: number;
  /** Training images the batch-norm statistics were re-estimated on (0: none, or no batch norm). */
  batchNormCalibration: number;
  /** Epochs run by earlier, interrupted invocations. */
  resumedFrom: number;
  losses: number[];
  test?: Accuracy;
  params: number;
  seconds: number;
}

interface RunState {
  config: { arch: string; width: number; seed: number; batchSize: number; learningRate: number; trainSize: number; schedule?: 'cosine'; epochs?: number };
  epochsDone: number;
  losses: number[];
  seconds: number;
}

function saveOptimizer(folder: string, state: ReplicaState): void {
  const total = state.optimizer.reduce((n, t) => n + t.length, 0);
  const flat = new Float32Array(total);
  let o = 0;
  for (const t of state.optimizer) {
    flat.set(t, o);
    o += t.length;
  }
  writeFileAtomic(path.join(folder, 'optimizer.bin'), new Uint8Array(flat.buffer));
  writeFileAtomic(path.join(folder, 'optimizer.json'), JSON.stringify({ shapes: state.optimizerShapes }));
}

function loadOptimizer(folder: string): Pick<ReplicaState, 'optimizer' | 'optimizerShapes'> {
  const { shapes } = JSON.parse(fs.readFileSync(path.join(folder, 'optimizer.json'), 'utf8')) as { shapes: number[][] };
  const bytes = fs.readFileSync(path.join(folder, 'optimizer.bin'));
  const flat = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  let o = 0;
  const optimizer = shapes.map((s) => {
    const n = s.reduce((p, d) => p * d, 1);
    const part = flat.slice(o, o + n);
    o += n;
    return part;
  });
  if (o !== flat.length) throw new Error(`editlab: ${folder}/optimizer.bin holds ${flat.length} values, optimizer.json describes ${o}.`);
  return { optimizer, optimizerShapes: shapes };
}

/**
 * A run's result as editlab's JSON outputs spell it (snake_case keys; docs/conventions.md):
 * what `editlab train --json` prints.
 */
export function trainRunJson(result: TrainRunResult): Record<string, unknown> {
  return {
    arch: result.arch, width: result.width, seed: result.seed, epochs: result.epochs, batch_size: result.batchSize,
    learning_rate: result.learningRate, schedule: result.schedule, train_size: result.trainSize,
    batch_norm_calibration: result.batchNormCalibration, resumed_from: result.resumedFrom, losses: result.losses,
    test: result.test ?? null, params: result.params, seconds: result.seconds,
  };
}

/**
 * Trains `arch` and writes it to `out`, resuming from the last finished epoch when `out`
 * holds a checkpoint of the same configuration (and refusing one of another).
 */
export async function trainToFolder(options: TrainRunOptions): Promise<TrainRunResult> {
  const { arch, out, train, test, epochs = 10, batchSize = 128, learningRate = 1e-3, schedule = 'constant', width = 1, seed = 0, workers = 1, calibrationImages = 4096, backend = 'auto', onStep, onEpoch } = options;
  getArchitecture(arch);
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`editlab: epochs must be a positive integer, got ${epochs}.`);
  if (train.n === 0) throw new Error('editlab: the training set is empty.');
  const folder = path.resolve(out);
  fs.mkdirSync(folder, { recursive: true });
  if (schedule !== 'constant' && schedule !== 'cosine') throw new Error(`editlab: unknown learning-rate schedule "${schedule}"; expected constant or cosine.`);
  // A constant-rate run can be extended with more epochs; a cosine run's length is fixed.
  const config: RunState['config'] = { arch, width, seed, batchSize, learningRate, trainSize: train.n, ...(schedule === 'cosine' ? { schedule, epochs } : {}) };
  const statePath = path.join(folder, 'state.json');
  let state: RunState = { config, epochsDone: 0, losses: [], seconds: 0 };
  if (fs.existsSync(statePath)) {
    const previous = JSON.parse(fs.readFileSync(statePath, 'utf8')) as RunState;
    if (JSON.stringify(previous.config) !== JSON.stringify(config)) {
      throw new Error(`editlab: ${folder} holds a run of another configuration (${JSON.stringify(previous.config)}); use another --out or delete it.`);
    }
    state = previous;
  }
  const resumedFrom = state.epochsDone;
  await backendInfo();
  const probe = buildModel(arch, { seed, width, inputShape: [train.height, train.width, train.channels], classes: train.classes.length });
  const params = probe.trainableWeights.reduce((n, w) => n + (w.shape as number[]).reduce((p, d) => p * d, 1), 0);
  const trainer = await DataParallelTrainer.start(workers, {
    arch, seed, inputShape: [train.height, train.width, train.channels], classes: train.classes.length,
    optimizer: { name: 'adam', learningRate }, backend, width,
  });
  try {
    if (resumedFrom > 0) {
      const saved = await loadLayersModel(folder);
      const weights = saved.getWeights().map((t) => t.dataSync().slice() as Float32Array);
      const shapes = saved.getWeights().map((t) => t.shape);
      saved.dispose();
      await trainer.restore({ weights, shapes, ...loadOptimizer(folder) });
    }
    const steps = Math.ceil(train.n / batchSize);
    const bar = progressFor(options.progress, (epochs - resumedFrom) * steps, `train ${arch}`, 'steps');
    for (let epoch = resumedFrom; epoch < epochs; epoch++) {
      const started = performance.now();
      const order = permutation(train.n, seed * 7919 + epoch);
      let sum = 0;
      for (let s = 0; s < steps; s++) {
        const batch = subset(train, order.subarray(s * batchSize, (s + 1) * batchSize));
        const loss = await trainer.step(batch.images, batch.labels, scheduledRate(schedule, learningRate, epoch * steps + s, epochs * steps));
        sum += loss;
        bar.tick();
        onStep?.(epoch * steps + s + 1, epochs * steps, loss);
      }
      const snapshot = await trainer.state();
      probe.setWeights(snapshot.weights.map((w, i) => tf.tensor(w, snapshot.shapes[i])));
      state = { config, epochsDone: epoch + 1, losses: [...state.losses, sum / steps], seconds: state.seconds + (performance.now() - started) / 1000 };
      await saveLayersModel(probe, folder, { editlab: { arch, width, seed, epochs: epoch + 1, losses: state.losses } });
      saveOptimizer(folder, snapshot);
      writeFileAtomic(statePath, JSON.stringify(state, null, 2));
      onEpoch?.(epoch + 1, epochs, sum / steps);
    }
    bar.done();
  } finally {
    await trainer.stop();
  }
  if (resumedFrom === epochs) {
    const saved = await loadLayersModel(folder);
    probe.setWeights(saved.getWeights());
    saved.dispose();
  }
  // Deterministic in the final weights, so a rerun of a finished run gives the same model.
  const hasBatchNorm = probe.layers.some((l) => l.getClassName() === 'BatchNormalization');
  const calibrationBatch = Math.min(batchSize, train.n);
  const calibrationTotal = Math.max(1, Math.floor(Math.min(calibrationImages, train.n) / calibrationBatch)) * calibrationBatch;
  const calibrationBar = progressFor(hasBatchNorm && calibrationImages > 0 && options.progress, calibrationTotal, 'batch-norm statistics', 'img');
  const calibrated = calibrationImages > 0 ? recalibrateBatchNorm(probe, train, { images: calibrationImages, batchSize, seed, onBatch: (n) => calibrationBar.tick(n) }) * batchSize : 0;
  calibrationBar.done();
  let testAccuracy: Accuracy | undefined;
  if (test) {
    const testBar = progressFor(options.progress, test.n, 'test accuracy', 'img');
    testAccuracy = accuracy(predict(probe, test, { onBatch: (n) => testBar.tick(n) }).predicted, test.labels);
    testBar.done();
  }
  const result: TrainRunResult = {
    arch, width, seed, epochs, batchSize, learningRate, schedule, trainSize: train.n, resumedFrom, batchNormCalibration: calibrated, losses: state.losses, params, seconds: state.seconds,
    test: testAccuracy,
  };
  await saveLayersModel(probe, folder, { editlab: result });
  probe.dispose();
  return result;
}
