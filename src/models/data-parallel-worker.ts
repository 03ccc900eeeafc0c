/** One replica of {@link DataParallelTrainer}: builds the model, computes gradients, applies updates. */
import { parentPort, workerData } from 'node:worker_threads';
import { tf, useBackend } from '../engine/backend';
import { buildModel } from './index';
import type { ReplicaSpec, ReplicaState } from './data-parallel';

const spec = workerData as ReplicaSpec;
let model: tf.LayersModel;
let variables: tf.Variable[];
let optimizer: tf.Optimizer;

async function init(): Promise<void> {
  await useBackend(spec.backend ?? 'auto');
  model = buildModel(spec.arch, { seed: spec.seed, inputShape: spec.inputShape, classes: spec.classes, width: spec.width });
  variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  optimizer = spec.optimizer.name === 'adam' ? tf.train.adam(spec.optimizer.learningRate) : tf.train.sgd(spec.optimizer.learningRate);
}

function gradients(x: Float32Array, y: Int32Array): { loss: number; grads: Float32Array } {
  const [h, w, c] = spec.inputShape;
  const { value, grads } = tf.tidy(() => {
    const xs = tf.tensor4d(x, [y.length, h, w, c]);
    const ys = tf.oneHot(tf.tensor1d(y, 'int32'), spec.classes);
    const r = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(ys, model.apply(xs, { training: true }) as tf.Tensor) as tf.Scalar, variables);
    return { value: r.value, grads: variables.map((v) => r.grads[v.name]) };
  });
  const total = grads.reduce((n, g) => n + g.size, 0);
  const flat = new Float32Array(total);
  let offset = 0;
  for (const g of grads) {
    flat.set(g.dataSync() as Float32Array, offset);
    offset += g.size;
  }
  const loss = value.dataSync()[0];
  tf.dispose([value, ...grads]);
  return { loss, grads: flat };
}

function apply(flat: Float32Array, learningRate?: number): void {
  // tfjs's SGD and Adam read their learning rate on every update: a schedule just sets it.
  if (learningRate !== undefined) (optimizer as unknown as { learningRate: number }).learningRate = learningRate;
  let offset = 0;
  const named: Record<string, tf.Tensor> = {};
  for (const v of variables) {
    named[v.name] = tf.tensor(flat.subarray(offset, offset + v.size), v.shape);
    offset += v.size;
  }
  optimizer.applyGradients(named);
  tf.dispose(Object.values(named));
}

/** Weights (model.getWeights() order) and optimizer state (optimizer.getWeights() order). */
async function snapshot(): Promise<ReplicaState> {
  const optimizerWeights = await optimizer.getWeights();
  return {
    weights: model.getWeights().map((t) => t.dataSync().slice() as Float32Array),
    shapes: model.getWeights().map((t) => t.shape),
    optimizer: optimizerWeights.map((w) => w.tensor.dataSync().slice() as Float32Array),
    optimizerShapes: optimizerWeights.map((w) => w.tensor.shape),
  };
}

async function restore(state: ReplicaState): Promise<void> {
  model.setWeights(state.weights.map((w, i) => tf.tensor(w, state.shapes[i])));
  if (state.optimizer.length) {
    const names = (await optimizer.getWeights()).map((w) => w.name);
    // A fresh optimizer has no slots yet: one zero step creates them, then they are overwritten.
    if (names.length !== state.optimizer.length) {
      optimizer.applyGradients(Object.fromEntries(variables.map((v) => [v.name, tf.zerosLike(v)])));
    }
    const fresh = await optimizer.getWeights();
    if (fresh.length !== state.optimizer.length) throw new Error(`optimizer state has ${state.optimizer.length} tensors, this optimizer ${fresh.length}`);
    await optimizer.setWeights(fresh.map((w, i) => ({ name: w.name, tensor: tf.tensor(state.optimizer[i], state.optimizerShapes[i]) })));
  }
}

parentPort!.on('message', async (message: { type: string; x?: Float32Array; y?: Int32Array; grads?: Float32Array; learningRate?: number }) => {
  try {
    if (message.type === 'init') {
      await init();
      parentPort!.postMessage({ type: 'ready' });
    } else if (message.type === 'grads') {
      const r = gradients(message.x!, message.y!);
      parentPort!.postMessage({ type: 'grads', ...r }, [r.grads.buffer]);
    } else if (message.type === 'apply') {
      apply(message.grads!, message.learningRate);
      parentPort!.postMessage({ type: 'applied' });
    } else if (message.type === 'state') {
      const state = await snapshot();
      parentPort!.postMessage({ type: 'state', state }, [...state.weights, ...state.optimizer].map((w) => w.buffer));
    } else if (message.type === 'restore') {
      await restore((message as unknown as { state: ReplicaState }).state);
      parentPort!.postMessage({ type: 'restored' });
    }
  } catch (e) {
    parentPort!.postMessage({ type: 'error', message: (e as Error).message });
  }
});
