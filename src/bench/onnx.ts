/**
 * ONNX Runtime benchmarks: inference throughput of the reference CNN on one thread and on
 * every core, and an interpolation sweep's evaluation on ONNX Runtime against tfjs.
 */
import * as os from 'node:os';
import { tf, useBackend, backendInfo, type BackendRequest } from '../engine/backend';
import { mulberry32, normalSampler } from '../engine/rng';
import { buildModel } from '../models';
import type { ProgressOption } from '../engine/progress';
import { Edit } from '../edits/edit';
import { fashionMnistSet, withImages, type ImageSet } from '../data/image-set';
import { sweepAlpha } from '../sweep/interpolate';
import { exportOnnx } from '../engine/onnx/export';
import { createOnnxSession, onnxRuntime, onnxRuntimeAvailable, onnxRuntimeError, resolveThreads } from '../engine/onnx/session';
import { sweepAlphaOnnx } from '../evaluate/sweep';

const MODEL = 'reference-cnn';

/** ONNX Runtime inference throughput of the reference CNN (the `bench --json` fields). */
export interface OnnxThroughput {
  /** One intra-op thread. */
  onnx_infer_img_per_s: number;
  /** Every core (`onnx_threads_all` intra-op threads). */
  onnx_infer_img_per_s_all: number;
  onnx_threads_all: number;
}

/** Options of {@link measureOnnxInference}. */
export interface OnnxInferenceOptions {
  threads?: number | 'all';
  batch?: number;
  /** Timed batches (default 32), after two warm-up batches. */
  batches?: number;
  seed?: number;
}

/**
 * Inference img/s of the reference CNN on ONNX Runtime: the median of three timed rounds of
 * `batches / 3` runs each (robust to a busy machine).
 */
export async function measureOnnxInference(options: OnnxInferenceOptions = {}): Promise<number> {
  const { batch = 128, batches = 32, seed = 1 } = options;
  const ort = onnxRuntime();
  const model = buildModel(MODEL, { seed });
  const exported = exportOnnx(model, { operators: 'onnxruntime' });
  model.dispose();
  const session = await createOnnxSession(exported.bytes, { threads: options.threads ?? 'all' });
  try {
    const rand = mulberry32(seed);
    const x = new ort.Tensor('float32', Float32Array.from({ length: batch * 28 * 28 }, rand), [batch, 28, 28, 1]);
    const feeds = { [exported.inputs[0].name]: x };
    for (let i = 0; i < 2; i++) await session.run(feeds);
    const per = Math.max(1, Math.ceil(batches / 3));
    const rates: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      for (let i = 0; i < per; i++) await session.run(feeds);
      rates.push((batch * per) / ((performance.now() - t) / 1000));
    }
    return rates.sort((a, b) => a - b)[1];
  } finally {
    await session.release();
  }
}

/** The reference CNN on ONNX Runtime, one thread and every core; undefined (with the reason) when ONNX Runtime is absent. */
export async function benchOnnx(options: { batch?: number; batches?: number } = {}): Promise<OnnxThroughput | { onnx_error: string }> {
  if (!onnxRuntimeAvailable()) return { onnx_error: `ONNX Runtime is not available (${onnxRuntimeError()})` };
  const batch = options.batch ?? 128;
  const all = resolveThreads('all');
  const one = await measureOnnxInference({ threads: 1, batch, batches: options.batches });
  const many = all > 1 ? await measureOnnxInference({ threads: all, batch, batches: options.batches }) : one;
  return { onnx_infer_img_per_s: one, onnx_infer_img_per_s_all: many, onnx_threads_all: all };
}

/** Options of {@link benchSweep}. */
export interface SweepBenchOptions {
  /** Number of α values, evenly spaced in [0, 1] (default 11). */
  alphas?: number;
  /** Number of shifted sets (default 20). */
  sets?: number;
  /** Images per set (default 1000). */
  images?: number;
  /** The edited layer of the reference CNN (default 'conv4'). */
  layer?: string;
  /** ONNX Runtime threads (default 'all'). */
  threads?: number | 'all';
  /** tfjs backend of the baseline (default: the active one, else 'auto'). */
  backend?: BackendRequest;
  /** Skip the tfjs baseline (ONNX only). */
  skipTfjs?: boolean;
  log?: (line: string) => void;
  /** Progress bars of both sweeps, in images (see {@link ProgressOption}). Default none. */
  progress?: ProgressOption;
}

/** One engine's time for a whole sweep. */
export interface SweepTiming {
  seconds: number;
  /** Evaluated images per second (alphas × sets × images / seconds). */
  img_per_s: number;
}

/** The `bench --sweep` report. */
export interface SweepBench {
  model: string;
  layer: string;
  alphas: number;
  sets: number;
  images: number;
  /** The tfjs sweep (`sweepAlpha`) on its backend. */
  tfjs?: SweepTiming & { backend: string };
  /** `sweepAlphaOnnx`: export, sessions, cached prefix activations, W(α) fed per α. */
  onnx: SweepTiming & { threads: number; cache: boolean };
  /** tfjs seconds ÷ ONNX seconds. */
  speedup?: number;
  /**
   * Cells whose accuracy differs between the engines, and the largest difference: logits
   * agree to ~1e-6, so only near-ties can flip (0.001 = one image of 1000).
   */
  cells_differing?: number;
  max_accuracy_diff?: number;
  cpus: number;
}

/** `sets` shifted copies of the first `images` test images: Gaussian noise of growing σ, seeded. */
export function noisySets(sets: number, images: number, seed = 0): Record<string, ImageSet> {
  const base = fashionMnistSet('test', images);
  const out: Record<string, ImageSet> = {};
  for (let s = 0; s < sets; s++) {
    const normal = normalSampler(mulberry32(seed * 1000 + s));
    const sigma = (0.4 * s) / Math.max(1, sets - 1);
    out[`noise_${s}`] = withImages(base, base.images.map((v) => Math.min(1, Math.max(0, v + sigma * normal()))));
  }
  return out;
}

/**
 * Times an interpolation sweep's evaluation (alphas × sets × images) of a synthetic edit of
 * one reference-CNN layer: `sweepAlpha` on tfjs and `sweepAlphaOnnx` on ONNX Runtime.
 */
export async function benchSweep(options: SweepBenchOptions = {}): Promise<SweepBench> {
  const { alphas: na = 11, sets = 20, images = 1000, layer = 'conv4', log = () => {} } = options;
  const alphas = Array.from({ length: na }, (_, i) => (na === 1 ? 1 : i / (na - 1)));
  const info = options.backend ? await useBackend(options.backend) : await backendInfo();
  const model = buildModel(MODEL, { seed: 1 });
  const weights = model.getWeights();
  const changes = model.weights.flatMap((w, index) => {
    if (!model.getLayer(layer).weights.includes(w)) return [];
    const original = weights[index];
    return [{ layer, index, original: original.clone(), edited: tf.tidy(() => original.add(tf.randomNormal(original.shape, 0, 0.02, 'float32', index))) }];
  });
  if (!changes.length) throw new Error(`editlab: layer "${layer}" of ${MODEL} has no weights to edit.`);
  const edit = new Edit('synthetic', model, changes);
  const splits = noisySets(sets, images);
  const cells = na * sets * images;
  try {
    const threads = resolveThreads(options.threads ?? 'all');
    log(`sweep on ONNX Runtime (${threads} threads): ${na} α × ${sets} sets × ${images} images`);
    let t = performance.now();
    const onnxRows = await sweepAlphaOnnx(edit, splits, { alphas, threads, progress: options.progress && 'sweep on ONNX Runtime' });
    const onnxSeconds = (performance.now() - t) / 1000;
    const report: SweepBench = {
      model: MODEL, layer, alphas: na, sets, images,
      onnx: { seconds: onnxSeconds, img_per_s: cells / onnxSeconds, threads, cache: true },
      cpus: os.cpus().length,
    };
    if (!options.skipTfjs) {
      log(`sweep on tfjs ${info.backend}: the same cells`);
      t = performance.now();
      const tfjsRows = await sweepAlpha(edit, splits, { alphas, engine: 'tfjs', progress: options.progress && `sweep on tfjs ${info.backend}` });
      const tfjsSeconds = (performance.now() - t) / 1000;
      report.tfjs = { backend: info.backend, seconds: tfjsSeconds, img_per_s: cells / tfjsSeconds };
      report.speedup = tfjsSeconds / onnxSeconds;
      if (tfjsRows.length !== onnxRows.length || tfjsRows.some((r, i) => r.split !== onnxRows[i].split || r.alpha !== onnxRows[i].alpha)) {
        throw new Error('editlab: the tfjs and ONNX Runtime sweeps gave different cells.');
      }
      const diffs = tfjsRows.map((r, i) => Math.abs(r.accuracy - onnxRows[i].accuracy));
      report.cells_differing = diffs.filter((d) => d > 0).length;
      report.max_accuracy_diff = Math.max(0, ...diffs);
    }
    return report;
  } finally {
    edit.dispose();
    model.dispose();
  }
}
