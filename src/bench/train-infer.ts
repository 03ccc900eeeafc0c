import { tf, useBackend, type BackendRequest } from '../engine/backend';
import { tidyData } from '../engine/tidy-data';
import { setOnnxKernels } from '../engine/onnx/kernels';
import { setWinogradConv } from '../engine/wasm-kernels';
import { buildModel } from '../models';
import type { SweepBench, SweepBenchOptions } from './onnx';
import { progressFor, type Progress, type ProgressOption } from '../engine/progress';

/** Throughput of one backend on the reference CNN. */
export interface Throughput {
  backend: string;
  batch: number;
  train_img_per_s: number;
  infer_img_per_s: number;
  train_steps: number;
  infer_batches: number;
}

/** The `editlab bench --json` report. */
export interface BenchReport extends Throughput {
  model: string;
  threads: number;
  simd: boolean;
  gpu: boolean;
  /** The tfjs cpu backend, measured in the same run. */
  baseline: Throughput;
  /** The wasm backend's kernels run by ONNX Runtime (`onnxKernels` of `useBackend`); empty elsewhere. */
  onnx_kernels: string[];
  /** The same backend with those kernels on editlab's SIMD kernels (and tfjs's) instead, measured in the same run. */
  simd_only?: Throughput;
  /**
   * The wasm backend on its SIMD kernels with every convolution computed directly (no Winograd
   * F(4×4, 3×3) for 3×3 stride-1 layers), measured in the same run: the baseline of `simd_only`'s
   * (or, without ONNX Runtime, the main measurement's) Winograd convolutions.
   */
  simd_direct?: Throughput;
  /** Selected backend ÷ baseline. */
  train_speedup: number;
  infer_speedup: number;
  /** Data-parallel training over worker threads (with --workers N > 1). */
  workers?: { workers: number; train_img_per_s: number; train_speedup_vs_one_thread: number };
  /** Kernel time of one training step, per kernel, largest first (with --profile). */
  profile?: KernelTime[];
  /** ONNX Runtime inference of the same CNN and batch, one intra-op thread (src/bench/onnx.ts). */
  onnx_infer_img_per_s?: number;
  /** ONNX Runtime inference on every core (`onnx_threads_all` threads). */
  onnx_infer_img_per_s_all?: number;
  onnx_threads_all?: number;
  /** Why the ONNX Runtime numbers are missing. */
  onnx_error?: string;
  /** An interpolation sweep's evaluation, ONNX Runtime vs tfjs (with --sweep). */
  sweep?: SweepBench;
}

/** One kernel's time in a profiled training step. */
export interface KernelTime {
  /** The tfjs kernel name, e.g. Conv2DBackpropFilter. */
  kernel: string;
  /** Milliseconds in one step, summed over its calls. */
  ms: number;
}

const MODEL = 'reference-cnn';

function stepper(batch: number, seed: number) {
  const model = buildModel(MODEL, { seed });
  const optimizer = tf.train.sgd(0.01);
  const x = tf.randomUniform([batch, 28, 28, 1], 0, 1, 'float32', seed);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', seed + 1), 10);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const trainStep = () => {
    const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true, vars)!;
    loss.dataSync();
    loss.dispose();
  };
  const inferBatch = () => tidyData(() => model.predict(x, { batchSize: batch }) as tf.Tensor);
  const dispose = () => { model.dispose(); optimizer.dispose(); tf.dispose([x, y]); };
  return { trainStep, inferBatch, dispose };
}

function timeIt(f: () => void, reps: number, bar: Progress, perRep: number): number {
  const t = performance.now();
  for (let i = 0; i < reps; i++) {
    f();
    bar.tick(perRep);
  }
  bar.done();
  return (performance.now() - t) / 1000;
}

/**
 * Measures training (SGD steps) and inference throughput on the active backend; `progress`
 * shows a bar per loop (training steps, inference images).
 */
export function measure(backend: string, batch: number, trainSteps: number, inferBatches: number, warmup = 1, progress?: ProgressOption): Throughput {
  const s = stepper(batch, 1);
  try {
    for (let i = 0; i < warmup; i++) { s.trainStep(); s.inferBatch(); }
    const train = timeIt(s.trainStep, trainSteps, progressFor(progress, trainSteps, `${backend}: train, batch ${batch}`, 'steps'), 1);
    const infer = timeIt(s.inferBatch, inferBatches, progressFor(progress, inferBatches * batch, `${backend}: infer, batch ${batch}`, 'img'), batch);
    return { backend, batch, train_img_per_s: (batch * trainSteps) / train, infer_img_per_s: (batch * inferBatches) / infer, train_steps: trainSteps, infer_batches: inferBatches };
  } finally {
    s.dispose();
  }
}

/** Kernel time per kernel name of one training step, largest first. */
async function profileStep(batch: number): Promise<KernelTime[]> {
  const s = stepper(batch, 1);
  s.trainStep();
  const info = await tf.profile(() => { s.trainStep(); });
  s.dispose();
  const total: Record<string, number> = {};
  for (const k of info.kernels) total[k.name] = (total[k.name] ?? 0) + Number(k.kernelTimeMs);
  return Object.entries(total).sort((a, b) => b[1] - a[1]).map(([kernel, ms]) => ({ kernel, ms: Math.round(ms * 10) / 10 }));
}

/** Options of {@link bench}. */
export interface BenchOptions {
  backend?: BackendRequest;
  batch?: number;
  trainSteps?: number;
  inferBatches?: number;
  /** Batch of the cpu baseline (its one step is slow; throughput barely depends on batch). */
  baselineBatch?: number;
  profile?: boolean;
  /** Also measure data-parallel training on this many worker threads. */
  workers?: number;
  /** Measure ONNX Runtime inference too (default true). */
  onnx?: boolean;
  /** Also time an interpolation sweep's evaluation on ONNX Runtime and on tfjs. */
  sweep?: boolean | SweepBenchOptions;
  log?: (line: string) => void;
  /** Progress bars of the timed loops (see {@link ProgressOption}). Default none. */
  progress?: ProgressOption;
}

/** Data-parallel training throughput: each worker thread has its own backend instance. */
async function measureWorkers(workers: number, backend: BackendRequest, batch: number, steps: number, progress?: ProgressOption): Promise<number> {
  const { DataParallelTrainer } = await import('../models/data-parallel');
  const trainer = await DataParallelTrainer.start(workers, { arch: MODEL, seed: 1, inputShape: [28, 28, 1], classes: 10, optimizer: { name: 'sgd', learningRate: 0.01 }, backend });
  try {
    const x = new Float32Array(batch * 28 * 28).map((_, i) => (i % 251) / 251);
    const y = Int32Array.from({ length: batch }, (_, i) => i % 10);
    for (let i = 0; i < 2; i++) await trainer.step(x, y);
    const bar = progressFor(progress, steps, `${workers} workers: train, batch ${batch}`, 'steps');
    const t = performance.now();
    for (let i = 0; i < steps; i++) {
      await trainer.step(x, y);
      bar.tick();
    }
    bar.done();
    return (batch * steps) / ((performance.now() - t) / 1000);
  } finally {
    await trainer.stop();
  }
}

/**
 * The reference CNN's training and inference throughput on the selected backend, with the
 * tfjs cpu backend measured in the same run as the baseline.
 */
export async function bench(options: BenchOptions = {}): Promise<BenchReport> {
  const { batch = 128, trainSteps = 8, inferBatches = 16, baselineBatch = 8, log = () => {} } = options;
  const info = await useBackend(options.backend ?? 'auto');
  log(`measuring ${info.backend}: ${trainSteps} training steps and ${inferBatches} inference batches of ${batch}`);
  const main = measure(info.backend, batch, trainSteps, inferBatches, 2, options.progress);
  let simdOnly: Throughput | undefined;
  let simdDirect: Throughput | undefined;
  if (info.backend === 'wasm') {
    const wasOnnx = setOnnxKernels(false);
    try {
      if (info.onnxKernels.length) {
        log(`measuring ${info.backend} with its kernels on the SIMD kernels instead of ONNX Runtime`);
        simdOnly = measure(`${info.backend} (SIMD)`, batch, trainSteps, inferBatches, 2, options.progress);
      }
      log(`measuring ${info.backend} on the SIMD kernels with every convolution computed directly (no Winograd)`);
      const wasWinograd = setWinogradConv(false);
      try {
        simdDirect = measure(`${info.backend} (SIMD, direct)`, batch, trainSteps, inferBatches, 2, options.progress);
      } finally {
        setWinogradConv(wasWinograd);
      }
    } finally {
      setOnnxKernels(wasOnnx);
    }
  }
  const profile = options.profile ? await profileStep(batch) : undefined;
  let workers: BenchReport['workers'];
  if (options.workers && options.workers > 1) {
    log(`measuring data-parallel training on ${options.workers} worker threads`);
    const rate = await measureWorkers(options.workers, info.backend, batch, trainSteps, options.progress);
    workers = { workers: options.workers, train_img_per_s: rate, train_speedup_vs_one_thread: rate / main.train_img_per_s };
  }
  let onnx: Partial<BenchReport> = {};
  let sweep: SweepBench | undefined;
  if (options.onnx !== false || options.sweep) {
    const { benchOnnx, benchSweep } = await import('./onnx');
    if (options.onnx !== false) {
      log(`measuring ONNX Runtime inference: ${inferBatches} batches of ${batch}, one thread and every core`);
      onnx = await benchOnnx({ batch, batches: inferBatches });
    }
    if (options.sweep) sweep = await benchSweep({ progress: options.progress, ...(options.sweep === true ? {} : options.sweep), log });
  }
  log(`measuring the cpu baseline: one training step and one inference batch of ${baselineBatch}`);
  await useBackend('cpu');
  const baseline = measure('cpu', baselineBatch, 1, 1, 0, options.progress);
  await useBackend(info.backend);
  return {
    ...main,
    model: MODEL,
    threads: info.threads,
    simd: info.simd,
    gpu: info.gpu,
    onnx_kernels: info.onnxKernels,
    simd_only: simdOnly,
    simd_direct: simdDirect,
    baseline,
    train_speedup: main.train_img_per_s / baseline.train_img_per_s,
    infer_speedup: main.infer_img_per_s / baseline.infer_img_per_s,
    workers,
    profile,
    ...onnx,
    sweep,
  };
}
