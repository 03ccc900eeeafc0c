/**
 * Backend selection: one shared tfjs instance for the library, the CLI and notebook cells.
 *
 * 'auto' picks native TensorFlow (tfjs-node-gpu, then tfjs-node) when importable, else the
 * WebAssembly backend made trainable by editlab's SIMD kernels, else the pure-JS cpu backend.
 * EDITLAB_BACKEND overrides 'auto'.
 */
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './wasm-kernels';
import { registerGradients } from './gradients';
import { registerOnnxKernels } from './onnx/kernels';

export { tf };

/** Backends editlab can run on. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
/** What `useBackend` accepts. */
export type BackendRequest = BackendName | 'auto';

/** What runs, and why. */
export interface BackendInfo {
  /** The tfjs backend in use. */
  backend: BackendName;
  /** What was asked for ('auto' unless a name was given). */
  requested: BackendRequest;
  /** Why this backend was chosen. */
  reason: string;
  /** Whether computations run on a GPU. */
  gpu: boolean;
  /** The npm package providing the backend. */
  package: string;
  /** WebAssembly SIMD in use (wasm backend only). */
  simd: boolean;
  /** Threads the backend computes with. */
  threads: number;
  /** Kernels editlab registered on this backend. */
  kernels: string[];
  /** Of those, the ones ONNX Runtime runs (wasm backend in Node, where onnxruntime-node loads; see `setOnnxKernels`). */
  onnxKernels: string[];
}

const BACKENDS: readonly BackendRequest[] = ['auto', 'tensorflow', 'wasm', 'cpu'];
const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

let current: BackendInfo | undefined;

/**
 * Loads a native tfjs-node package if it is really installed. danfojs-node's dependency on
 * tfjs-node is aliased to pure tfjs in this project, so the package name is checked.
 */
function loadNative(): { pkg: string; error?: string } | undefined {
  const errors: string[] = [];
  for (const pkg of NATIVE_PACKAGES) {
    let manifest: { name?: string };
    try {
      manifest = require(`${pkg}/package.json`);
    } catch {
      continue;
    }
    if (manifest.name !== pkg) continue;
    try {
      require(pkg);
      return { pkg };
    } catch (e) {
      errors.push(`${pkg}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return errors.length ? { pkg: '', error: errors.join('; ') } : undefined;
}

function nativeMissing(detail?: string): Error {
  return new Error(
    'editlab: the native TensorFlow backend is not available' + (detail ? ` (${detail})` : '') + '.\n' +
    'Install it in this project with one of:\n' +
    '  npm install @tensorflow/tfjs-node-gpu@4.22.0   # NVIDIA GPU, CUDA 11.2 + cuDNN 8.1\n' +
    '  npm install @tensorflow/tfjs-node@4.22.0       # CPU\n' +
    '(both download libtensorflow while installing, so they need internet access), ' +
    'or use useBackend("wasm").');
}

function parseRequest(name: string, source: string): BackendRequest {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new Error(`editlab: unknown backend "${name}" (from ${source}); expected one of ${BACKENDS.join(', ')}.`);
  }
  return name as BackendRequest;
}

async function activate(name: BackendName): Promise<void> {
  // The emscripten runtime behind the wasm backend installs process-wide handlers that
  // rethrow every uncaught error with its whole minified source line; keep ours readable.
  const emitter = process as NodeJS.EventEmitter;
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((e) => emitter.listeners(e));
  const ok = await tf.setBackend(name);
  events.forEach((event, i) => {
    for (const listener of emitter.listeners(event)) {
      if (!before[i].includes(listener)) emitter.off(event, listener as (...args: unknown[]) => void);
    }
  });
  if (!ok) throw new Error(`editlab: tfjs could not initialise the ${name} backend.`);
  await tf.ready();
  // backendInfo() already says what runs; the cpu backend's install-tfjs-node banner is noise.
  if (name === 'cpu') (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
}

/**
 * Selects the compute backend. Returns what runs and why.
 * @param request 'auto' (default), 'tensorflow', 'wasm' or 'cpu'; EDITLAB_BACKEND overrides 'auto'.
 */
export async function useBackend(request: BackendRequest = 'auto'): Promise<BackendInfo> {
  let requested = parseRequest(request, 'useBackend');
  let reason = '';
  const env = process.env.EDITLAB_BACKEND;
  if (requested === 'auto' && env) {
    requested = parseRequest(env, 'EDITLAB_BACKEND');
    reason = `EDITLAB_BACKEND=${env}`;
  }
  let chosen: BackendName;
  let pkg: string;
  if (requested === 'tensorflow') {
    const native = loadNative();
    if (!native || native.error) throw nativeMissing(native?.error);
    chosen = 'tensorflow';
    pkg = native.pkg;
    reason ||= 'requested';
  } else if (requested === 'auto') {
    const native = loadNative();
    if (native && !native.error) {
      chosen = 'tensorflow';
      pkg = native.pkg;
      reason = `auto: ${native.pkg} is installed`;
    } else {
      chosen = 'wasm';
      pkg = '@tensorflow/tfjs-backend-wasm';
      reason = 'auto: native TensorFlow (tfjs-node-gpu / tfjs-node) is not installed' + (native?.error ? ` (${native.error})` : '');
    }
  } else {
    chosen = requested;
    pkg = requested === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu';
    reason ||= 'requested';
  }
  try {
    await activate(chosen);
  } catch (e) {
    if (request !== 'auto' || chosen === 'cpu') throw e;
    reason += `; ${chosen} failed to start (${(e as Error).message}), fell back to cpu`;
    chosen = 'cpu';
    pkg = '@tensorflow/tfjs-backend-cpu';
    await activate('cpu');
  }
  registerGradients();
  let kernels: string[] = [];
  let onnxKernels: string[] = [];
  if (chosen === 'wasm') {
    registerWasmTrainingKernels();
    kernels = [...WASM_TRAINING_KERNELS];
    onnxKernels = registerOnnxKernels();
  }
  const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
  current = {
    backend: chosen,
    requested: request,
    reason,
    gpu: chosen === 'tensorflow' && backend.isUsingGpuDevice === true,
    package: pkg,
    simd: chosen === 'wasm' && tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
    threads: chosen === 'tensorflow' ? os.cpus().length : 1,
    kernels,
    onnxKernels,
  };
  return current;
}

/** What `useBackend` chose last; selects 'auto' first when nothing was chosen yet. */
export async function backendInfo(): Promise<BackendInfo> {
  return current && tf.getBackend() === current.backend ? current : useBackend('auto');
}
