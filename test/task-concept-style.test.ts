/**
 * The concept–style task's default pairing (Pullover in bars): split sizes, exemplars, masks, and
 * that the embedded vgg-small gets the pairing wrong before editing.
 *
 *   node --import tsx --test test/task-concept-style.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONCEPT_STYLES, CONCEPT_STYLE_DEFAULT_CLASS, CONCEPT_STYLE_DEFAULT_STYLE, conceptStyleTask } from '../src/edits/tasks/concept-style';
import type { EditSet } from '../src/edits/tasks/task';
import { useBackend } from '../src/engine/backend';
import { resolveModel, predict } from '../src/models';
import { accuracy } from '../src/metrics/accuracy';

const HELD_OUT_STYLES = Object.keys(CONCEPT_STYLES).filter((s) => s !== CONCEPT_STYLE_DEFAULT_STYLE);

/**
 * Checks that the mask is 1 exactly on the re-rendered pixels (the object, original ≥ 0.15),
 * that those pixels carry the style (image `i` in `styleOf(i)`), and that the rest is untouched.
 */
function assertStyled(set: EditSet, styleOf: (i: number) => string, what: string): void {
  const size = set.height * set.width;
  assert.ok(set.originals && set.masks, `${what}: originals and masks`);
  for (let k = 0; k < set.images.length; k++) {
    const i = Math.floor(k / size), p = k % size, v = set.originals[k];
    const inside = v >= 0.15;
    assert.equal(set.masks[k], inside ? 1 : 0, `${what}: mask of image ${i}, pixel ${p}`);
    const styled = Math.fround(0.25 * v + 0.75 * CONCEPT_STYLES[styleOf(i)](Math.floor(p / set.width), p % set.width));
    assert.equal(set.images[k], inside ? styled : v, `${what}: image ${i}, pixel ${p}`);
  }
}

test('concept-style: testSize images per split, exemplars of the target class in the train style, masks on the re-rendered pixels', () => {
  const task = conceptStyleTask({ exemplars: 16, testSize: 120, seed: 1 });
  const { splits } = task;
  assert.ok(splits);
  for (const [name, split] of Object.entries(splits)) assert.equal(split.n, 120, `${name} holds testSize images`);
  assert.equal(task.heldOut, splits['target, train style']);
  assert.equal(task.editSet.n, 16);
  assert.ok([...task.editSet.labels].every((l) => l === CONCEPT_STYLE_DEFAULT_CLASS), 'exemplars are Pullovers');
  assert.ok([...splits['target, held-out styles'].labels].every((l) => l === CONCEPT_STYLE_DEFAULT_CLASS));
  assert.ok([...splits['other classes, train style'].labels].every((l) => l !== CONCEPT_STYLE_DEFAULT_CLASS));
  assertStyled(task.editSet, () => CONCEPT_STYLE_DEFAULT_STYLE, 'exemplars');
  assertStyled(splits['target, train style'], () => CONCEPT_STYLE_DEFAULT_STYLE, 'target, train style');
  assertStyled(splits['other classes, train style'], () => CONCEPT_STYLE_DEFAULT_STYLE, 'other classes, train style');
  // The held-out splits give each image one held-out style, in turn.
  assertStyled(splits['target, held-out styles'], (i) => HELD_OUT_STYLES[i % HELD_OUT_STYLES.length], 'target, held-out styles');
  assertStyled(splits['other classes, held-out styles'], (i) => HELD_OUT_STYLES[i % HELD_OUT_STYLES.length], 'other classes, held-out styles');
});

test('concept-style: the target splits are capped at the 1 000 test images of the class; bad options are refused', () => {
  const { splits } = conceptStyleTask({ exemplars: 1, testSize: 1500 });
  assert.deepEqual(Object.fromEntries(Object.entries(splits!).map(([name, s]) => [name, s.n])), {
    'target, train style': 1000,
    'target, held-out styles': 1000,
    'other classes, train style': 1500,
    'other classes, held-out styles': 1500,
  });
  assert.throws(() => conceptStyleTask({ trainStyle: 'plaid' }), /^Error: editlab: unknown style "plaid"; available: stripes, checker, dots, waves, bars, blocks\.$/);
  assert.throws(() => conceptStyleTask({ testSize: 0 }), /^Error: editlab: concept-style: testSize must be a positive integer, got 0\.$/);
  assert.throws(() => conceptStyleTask({ targetClass: 10 }), /^Error: editlab: concept-style: targetClass must be a class index from 0 to 9, got 10\.$/);
});

test('concept-style: the embedded vgg-small gets the default target split wrong before editing (< 30%)', async () => {
  // As scripts/measure-concept-style.ts measures it: wasm backend, resolveModel, predict.
  await useBackend('wasm');
  const { model } = await resolveModel('vgg-small');
  try {
    const { heldOut, description } = conceptStyleTask();
    const a = accuracy(predict(model, heldOut).predicted, heldOut.labels);
    assert.equal(a.n, 1000);
    assert.ok(a.accuracy < 0.3, `vgg-small is right on ${(100 * a.accuracy).toFixed(1)}% of the pullovers in bars`);
    assert.match(description, /7\.7% \/ 47\.6% \(vgg-small\)/, 'the description states the measured accuracy');
  } finally {
    model.dispose();
  }
});
