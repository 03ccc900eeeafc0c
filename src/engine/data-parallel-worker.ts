/** One replica of {@link DataParallelTrainer}: builds the model, computes gradients, applies updates. */
import { parentPort, workerData } from 'node:worker_threads';
import { tf, useBackend } from './backend';
import { buildModel } from '../models';
import type { ReplicaSpec } from './data-parallel';

const spec = workerData as ReplicaSpec;
let model: tf.LayersModel;
let variables: tf.Variable[];
let optimizer: tf.Optimizer;

async function init(): Promise<void> {
  await useBackend(spec.backend ?? 'auto');
  model = buildModel(spec.arch, { seed: spec.seed, inputShape: spec.inputShape, classes: spec.classes });
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

function apply(flat: Float32Array): void {
  let offset = 0;
  const named: Record<string, tf.Tensor> = {};
  for (const v of variables) {
    named[v.name] = tf.tensor(flat.subarray(offset, offset + v.size), v.shape);
    offset += v.size;
  }
  optimizer.applyGradients(named);
  tf.dispose(Object.values(named));
}

parentPort!.on('message', async (message: { type: string; x?: Float32Array; y?: Int32Array; grads?: Float32Array }) => {
  try {
    if (message.type === 'init') {
      await init();
      parentPort!.postMessage({ type: 'ready' });
    } else if (message.type === 'grads') {
      const r = gradients(message.x!, message.y!);
      parentPort!.postMessage({ type: 'grads', ...r }, [r.grads.buffer]);
    } else if (message.type === 'apply') {
      apply(message.grads!);
      parentPort!.postMessage({ type: 'applied' });
    } else if (message.type === 'weights') {
      const weights = model.getWeights().map((t) => t.dataSync().slice() as Float32Array);
      parentPort!.postMessage({ type: 'weights', weights, shapes: model.getWeights().map((t) => t.shape) }, weights.map((w) => w.buffer));
    }
  } catch (e) {
    parentPort!.postMessage({ type: 'error', message: (e as Error).message });
  }
});
