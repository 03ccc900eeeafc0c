/**
 * The explorer page's prediction cache, with stand-in workers (no browser): the slider's α is
 * computed before the background list, each α in as many parts as asked, each worker given only
 * the parts it owns, parts merge into the whole, and a held background starts no part until released.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PredictionCache } from '../src/explore/page/prediction-cache';
import { NOT_PREDICTED } from '../src/explore/parts';
import type { ToWorker } from '../src/explore/page/protocol';

/** A worker that records what it was asked and answers when told: part i of n predicts image i of one set of n images. */
class FakeWorker {
  readonly asked: Extract<ToWorker, { type: 'predict' }>[] = [];
  postMessage(message: ToWorker): void {
    if (message.type === 'predict') this.asked.push(message);
  }
  /** Answers the oldest unanswered request: image `index` gets label round(10α) + index. */
  answer(cache: PredictionCache): { alpha: number; index: number } {
    const { alpha, part } = this.asked.shift()!;
    const predicted = new Int32Array(part.count).fill(NOT_PREDICTED);
    predicted[part.index] = Math.round(10 * alpha) + part.index;
    cache.receive(this as unknown as Worker, { type: 'predictions', alpha, part, predicted: [predicted], ms: 1 });
    return { alpha, index: part.index };
  }
}

test('the slider\'s α goes before the background, in parts over both workers, merged when all are in', async () => {
  const computed: number[] = [];
  const cache = new PredictionCache(4, 2, (alpha) => computed.push(alpha));
  const [a, b] = [new FakeWorker(), new FakeWorker()];
  cache.attach(a as unknown as Worker, 0);
  cache.attach(b as unknown as Worker, 1);
  cache.fill([0.1, 0.2]);
  // Both workers took a part of the background's first α.
  assert.deepEqual([a.asked[0], b.asked[0]].map((m) => [m.alpha, m.part.index]), [[0.1, 0], [0.1, 1]]);
  const slider = cache.get(0.5);
  // As each worker finishes its part, it takes its parts of the slider's α next (a the even ones, b the odd).
  const order = [a.answer(cache), b.answer(cache), a.answer(cache), b.answer(cache), a.answer(cache), b.answer(cache)];
  assert.deepEqual(order.map((o) => `${o.alpha}:${o.index}`), ['0.1:0', '0.1:1', '0.5:0', '0.5:1', '0.5:2', '0.5:3']);
  assert.deepEqual([...(await slider)![0]], [5, 6, 7, 8]);
  assert.ok(cache.has(0.5) && computed.includes(0.5));
  assert.deepEqual([a.asked[0], b.asked[0]].map((m) => [m.alpha, m.part.index]), [[0.1, 2], [0.1, 3]], 'then back to the background');
});

test('a worker gets only the parts it owns, even when another worker falls behind', () => {
  const cache = new PredictionCache(4, 2);
  const [a, b] = [new FakeWorker(), new FakeWorker()];
  cache.attach(a as unknown as Worker, 0);
  cache.attach(b as unknown as Worker, 1);
  cache.fill([0.1, 0.2]);
  // b never answers; a runs through its own parts of every background α and then waits.
  const done = [a.answer(cache), a.answer(cache), a.answer(cache), a.answer(cache)];
  assert.deepEqual(done.map((o) => `${o.alpha}:${o.index}`), ['0.1:0', '0.1:2', '0.2:0', '0.2:2']);
  assert.equal(a.asked.length, 0, 'nothing of b\'s is handed to a');
  assert.deepEqual(b.asked.map((m) => `${m.alpha}:${m.part.index}`), ['0.1:1']);
  assert.ok(!cache.has(0.1) && !cache.idle);
  b.answer(cache);
  b.answer(cache);
  assert.ok(cache.has(0.1), 'whole once b\'s parts are in');
  assert.throws(() => cache.attach(new FakeWorker() as unknown as Worker, 2), /owner 2 is not one of 0…1/);
});

test('a held background starts no part until released; urgent parts still run', () => {
  const cache = new PredictionCache(2, 1);
  const w = new FakeWorker();
  cache.attach(w as unknown as Worker, 0);
  const release = cache.holdBackground();
  cache.fill([0.3]);
  assert.equal(w.asked.length, 0, 'no background part while held');
  void cache.get(0.7);
  assert.deepEqual(w.asked.map((m) => m.alpha), [0.7]);
  w.answer(cache);
  w.answer(cache);
  assert.ok(cache.has(0.7));
  assert.equal(w.asked.length, 0, 'still held after the urgent α');
  assert.equal(cache.idle, false);
  release();
  release(); // a second call changes nothing
  assert.deepEqual(w.asked.map((m) => m.alpha), [0.3]);
  w.answer(cache);
  w.answer(cache);
  assert.ok(cache.idle);
});
