import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tf, useBackend, backendInfo } from '../src/engine/backend';
import { tidyData } from '../src/engine/tidy-data';

test('auto selects WebAssembly when native TensorFlow is not installed', async (t) => {
  // danfojs-node's tfjs-node dependency is aliased to pure tfjs here; it must not count as native.
  const manifest = require('@tensorflow/tfjs-node/package.json') as { name: string };
  if (manifest.name === '@tensorflow/tfjs-node') return t.skip('a real tfjs-node is installed');
  const info = await useBackend('auto');
  assert.equal(info.backend, 'wasm');
  assert.equal(info.gpu, false);
  assert.match(info.reason, /not installed/);
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(await backendInfo(), info);
});

test('EDITLAB_BACKEND overrides auto, and is validated', async () => {
  process.env.EDITLAB_BACKEND = 'cpu';
  try {
    const info = await useBackend();
    assert.equal(info.backend, 'cpu');
    assert.match(info.reason, /EDITLAB_BACKEND=cpu/);
    process.env.EDITLAB_BACKEND = 'gpu';
    await assert.rejects(useBackend(), /unknown backend "gpu" \(from EDITLAB_BACKEND\); expected one of auto, tensorflow, wasm, cpu/);
  } finally {
    delete process.env.EDITLAB_BACKEND;
  }
  assert.equal((await useBackend('wasm')).backend, 'wasm');
});

test('unknown backend names and a missing native backend give errors that say what to do', async () => {
  await assert.rejects(useBackend('webgpu' as never), /unknown backend "webgpu" \(from useBackend\)/);
  const manifest = require('@tensorflow/tfjs-node/package.json') as { name: string };
  if (manifest.name !== '@tensorflow/tfjs-node') {
    await assert.rejects(useBackend('tensorflow'), (e: Error) => /npm install @tensorflow\/tfjs-node-gpu/.test(e.message) && /useBackend\("wasm"\)/.test(e.message));
  }
});

test('tidyData reads what its function returns and disposes every tensor made, never one it was given', async () => {
  await useBackend('wasm');
  const before = tf.memory().numTensors;
  const x = tf.tensor1d([1, 2, 3]);
  assert.deepEqual([...tidyData(() => x.mul(2).add(1))], [3, 5, 7]);
  assert.equal(tf.memory().numTensors, before + 1, 'only x is left');
  // A tensor made outside is read, and survives.
  assert.deepEqual([...tidyData(() => x)], [1, 2, 3]);
  assert.equal(x.isDisposed, false);
  assert.deepEqual([...x.dataSync()], [1, 2, 3]);
  assert.deepEqual([...tidyData<Int32Array>(() => tf.tensor2d([[0, 9], [7, 1]]).argMax(-1))], [1, 0]);
  x.dispose();
  assert.equal(tf.memory().numTensors, before);
});
