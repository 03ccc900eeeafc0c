/**
 * ONNX Runtime (onnxruntime-node) sessions: loaded lazily, so the rest of editlab works
 * where the package is absent; threads and execution providers in one place.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import type * as OrtModule from 'onnxruntime-node';

/** The onnxruntime-node module. */
export type Ort = typeof OrtModule;
/** An ONNX Runtime inference session. */
export type OrtSession = OrtModule.InferenceSession;

let ort: Ort | undefined;
let loadError: string | undefined;

/** Loads onnxruntime-node once; undefined (with the reason in {@link onnxRuntimeError}) if it cannot. */
function tryLoad(): Ort | undefined {
  if (ort || loadError !== undefined) return ort;
  try {
    ort = require('onnxruntime-node') as Ort;
  } catch (e) {
    loadError = (e as Error).message.split('\n')[0];
  }
  return ort;
}

/** Whether ONNX Runtime can be used here. */
export function onnxRuntimeAvailable(): boolean {
  return tryLoad() !== undefined;
}

/** Why ONNX Runtime cannot be used (undefined when it can). */
export function onnxRuntimeError(): string | undefined {
  tryLoad();
  return loadError;
}

/** The onnxruntime-node module; throws a clear error when it is not installed. */
export function onnxRuntime(): Ort {
  const m = tryLoad();
  if (!m) {
    throw new Error(`editlab: ONNX Runtime is not available (${loadError}). Install it with \`npm install onnxruntime-node\` ` +
      '(its CPU binaries ship in the package; ONNXRUNTIME_NODE_INSTALL=skip keeps its install script from downloading CUDA parts), or use engine: "tfjs".');
  }
  return m;
}

/** Options of an ONNX Runtime session. */
export interface OnnxSessionOptions {
  /**
   * Intra-op threads: a number, or 'all' (default) for every core
   * (`os.availableParallelism()`). 1 runs on the calling thread, without a thread pool.
   */
  threads?: number | 'all';
  /** Execution providers, in order of preference; default ['cpu']. With an NVIDIA GPU and the CUDA build of onnxruntime-node: ['cuda', 'cpu']. */
  executionProviders?: OrtModule.InferenceSession.SessionOptions['executionProviders'];
  /**
   * Whether idle intra-op threads spin-wait (ONNX Runtime's default, true). false lets them
   * sleep: better when other processes compete for the cores (measured here: 2 threads
   * ≈ 2 400 instead of ≈ 2 000 img/s beside a busy trainer).
   */
  spinning?: boolean;
  /**
   * ONNX Runtime's CPU memory arena (default true): each session keeps the peak of its
   * activations allocated for reuse. The α sweeps open one session per α and turn it off
   * ({@link ALPHA_SESSION_OPTIONS}): ten arenas held ≈ 1.5 GB for vgg-small's early layer.
   */
  memoryArena?: boolean;
  /** Graph optimisations; default 'all' (constant folding, fusions, NCHWc layouts). */
  graphOptimizationLevel?: OrtModule.InferenceSession.SessionOptions['graphOptimizationLevel'];
  /** Passed to ONNX Runtime as is, after editlab's settings (overrides them). */
  sessionOptions?: OrtModule.InferenceSession.SessionOptions;
}

/**
 * Defaults for the sessions of an α sweep (one per α, alive together): no memory arena, so
 * activations are freed after each run instead of kept per session (measured, vgg-small's early
 * layer, 10 α, 1 000 images: 1.46 → 0.6 GB resident, at the same images/s within noise).
 */
export const ALPHA_SESSION_OPTIONS: Readonly<OnnxSessionOptions> = { memoryArena: false };

/** The number of threads `threads` stands for. */
export function resolveThreads(threads: number | 'all' | undefined): number {
  if (threads === undefined || threads === 'all') return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`editlab: threads must be a positive integer or 'all', got ${threads}.`);
  return threads;
}

/** The session options editlab uses (single inference stream, intra-op parallelism only). */
export function sessionOptions(options: OnnxSessionOptions = {}): OrtModule.InferenceSession.SessionOptions {
  const spin = options.spinning === undefined ? {} : { extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } } };
  return {
    ...spin,
    executionProviders: options.executionProviders ?? ['cpu'],
    graphOptimizationLevel: options.graphOptimizationLevel ?? 'all',
    intraOpNumThreads: resolveThreads(options.threads),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
    ...(options.memoryArena === false ? { enableCpuMemArena: false } : {}),
    ...options.sessionOptions,
  };
}

/**
 * Creates an inference session from ONNX bytes or a .onnx file, with a clear error when the
 * file is missing or is not a model ONNX Runtime can load.
 */
export async function createOnnxSession(model: Uint8Array | string, options: OnnxSessionOptions = {}): Promise<OrtSession> {
  const rt = onnxRuntime();
  const what = typeof model === 'string' ? `"${model}"` : `(${model.byteLength} bytes)`;
  if (typeof model === 'string' && !fs.existsSync(model)) throw new Error(`editlab: ONNX model file ${what} does not exist.`);
  try {
    return await rt.InferenceSession.create(model as never, sessionOptions(options));
  } catch (e) {
    throw new Error(`editlab: could not load the ONNX model ${what}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** A session whose `run` returns synchronously (see {@link createSyncOnnxSession}). */
export interface SyncOnnxSession {
  /** Runs the graph on float32 inputs (data with its dims, by input name); returns the named outputs' data. */
  run(feeds: Record<string, { data: Float32Array; dims: readonly number[] }>, outputs: readonly string[]): Record<string, Float32Array>;
  release(): void;
}

interface NativeBinding {
  binding: { InferenceSession: new () => { loadModel(buffer: ArrayBuffer, offset: number, length: number, options: unknown): void; run(feeds: unknown, fetches: unknown, options: unknown): Record<string, { data: Float32Array }>; dispose(): void } };
  initOrt(): void;
}
let nativeBinding: NativeBinding | null | undefined;

/**
 * ONNX Runtime's native session, run synchronously, or undefined where it cannot be reached. A
 * tfjs kernel must return its result synchronously, and onnxruntime-node's public `run` is a
 * promise around this very call (its backend defers it with setImmediate): the kernels reach the
 * package's binding (dist/binding, present in 1.30) directly.
 */
export function createSyncOnnxSession(bytes: Uint8Array, options: OnnxSessionOptions = {}): SyncOnnxSession | undefined {
  const rt = tryLoad();
  if (!rt) return undefined;
  if (nativeBinding === undefined) {
    nativeBinding = null;
    try {
      const found = require('onnxruntime-node/dist/binding') as NativeBinding;
      if (typeof found.initOrt === 'function' && typeof found.binding?.InferenceSession === 'function') nativeBinding = found;
    } catch {
      // Another build of onnxruntime-node: the kernels stay on WebAssembly.
    }
  }
  if (!nativeBinding) return undefined;
  nativeBinding.initOrt();
  const session = new nativeBinding.binding.InferenceSession();
  session.loadModel(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength, sessionOptions(options));
  return {
    run(feeds, outputs) {
      const tensors = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new rt.Tensor('float32', f.data, f.dims)]));
      const result = session.run(tensors, Object.fromEntries(outputs.map((o) => [o, null])), {});
      return Object.fromEntries(outputs.map((o) => [o, result[o].data]));
    },
    release: () => session.dispose(),
  };
}
