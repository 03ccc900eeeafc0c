import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, useBackend } from '../src/engine/backend';
import { DataParallelTrainer } from '../src/models/data-parallel';
import { buildModel } from '../src/models';
import { mulberry32 } from '../src/engine/rng';

test('two data-parallel workers train like one process on the full batch', async () => {
  const spec = { arch: 'reference-cnn', seed: 4, inputShape: [28, 28, 1] as [number, number, number], classes: 10, optimizer: { name: 'sgd' as const, learningRate: 0.05 }, backend: 'wasm' as const };
  const rand = mulberry32(12);
  const batches = Array.from({ length: 3 }, () => ({
    x: Float32Array.from({ length: 16 * 784 }, () => rand()),
    y: Int32Array.from({ length: 16 }, () => Math.floor(rand() * 10)),
  }));

  const trainer = await DataParallelTrainer.start(2, spec);
  const losses: number[] = [];
  let parallel: Awaited<ReturnType<DataParallelTrainer['state']>>;
  try {
    for (const b of batches) losses.push(await trainer.step(b.x, b.y));
    parallel = await trainer.state();
  } finally {
    await trainer.stop();
  }

  await useBackend('wasm');
  const model = buildModel(spec.arch, { seed: spec.seed });
  const optimizer = tf.train.sgd(spec.optimizer.learningRate);
  batches.forEach((b, i) => {
    const loss = tf.tidy(() => {
      const x = tf.tensor4d(b.x, [16, 28, 28, 1]);
      const y = tf.oneHot(tf.tensor1d(b.y, 'int32'), 10);
      return optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true)!.dataSync()[0];
    });
    assert.ok(Math.abs(loss - losses[i]) < 1e-4 * Math.abs(loss), `step ${i}: loss ${losses[i]} vs ${loss}`);
  });
  model.getWeights().forEach((w, i) => {
    const ref = w.dataSync();
    let diff = 0, scale = 0;
    for (let j = 0; j < ref.length; j++) {
      diff = Math.max(diff, Math.abs(ref[j] - parallel.weights[i][j]));
      scale = Math.max(scale, Math.abs(ref[j]));
    }
    assert.deepEqual(parallel.shapes[i], w.shape);
    assert.ok(diff <= 1e-4 * scale, `weight ${i}: relative difference ${diff / scale}`);
  });
  optimizer.dispose();
  model.dispose();
});

test('a worker failure surfaces as an error naming the cause', async () => {
  await assert.rejects(
    DataParallelTrainer.start(1, { arch: 'no-such-net', seed: 0, inputShape: [28, 28, 1], classes: 10, optimizer: { name: 'sgd', learningRate: 0.1 }, backend: 'wasm' }),
    /editlab worker: .*unknown architecture "no-such-net"/,
  );
  await assert.rejects(DataParallelTrainer.start(0, { arch: 'reference-cnn', seed: 0, inputShape: [28, 28, 1], classes: 10, optimizer: { name: 'sgd', learningRate: 0.1 } }), /workers must be a positive integer/);
});
