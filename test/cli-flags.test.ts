// The CLI's shared flag parsing (src/cli/command.ts): α lists and ranges, the one --images flag
// and its aliases, --shift over every shift, and --severity (none for a rendition).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAlphas, parseImages, parseSeverities, parseShiftNames } from '../src/cli/command';

test('--alpha: a list, or an inclusive range robust to float steps', () => {
  assert.deepEqual(parseAlphas('0,0.25,0.5,0.75,1'), [0, 0.25, 0.5, 0.75, 1]);
  // 0:1:0.1 is 11 values, each the shortest decimal (0.1·3 is 0.30000000000000004 in floats).
  assert.deepEqual(parseAlphas('0:1:0.1'), [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  // (0.3 − 0) / 0.1 is 2.9999999999999996 in floats: the end is still included.
  assert.deepEqual(parseAlphas('0:0.3:0.1'), [0, 0.1, 0.2, 0.3]);
  assert.deepEqual(parseAlphas('0.5:2:0.5'), [0.5, 1, 1.5, 2]);
  assert.deepEqual(parseAlphas('1:1:0.1'), [1]);
  assert.deepEqual(parseAlphas('0:1:0.3'), [0, 0.3, 0.6, 0.9], 'a step that misses the end stops before it');
  assert.deepEqual(parseAlphas(' 1 , 0 '), [1, 0]);
  for (const bad of ['', 'a', '0,,1', '-1', '0:1', '0:1:0', '1:0:0.1', '0:1:-0.1', '0:1:0.1:2']) {
    assert.throws(() => parseAlphas(bad), /--alpha takes a comma-separated list of numbers ≥ 0 \(0,0.5,1\) or a range START:END:STEP \(0:1:0.1\)/, bad);
  }
  assert.throws(() => parseAlphas('0:1:0.00001'), /100001 values; at most 10000/);
});

test('--images N and its older names are one flag', () => {
  assert.equal(parseImages({}, ['limit'], 10000), 10000);
  assert.equal(parseImages({ images: '200' }, ['limit'], 10000), 200);
  assert.equal(parseImages({ limit: '300' }, ['limit'], 10000), 300);
  assert.equal(parseImages({ images: '300', limit: '300' }, ['limit'], 10000), 300);
  assert.throws(() => parseImages({ images: '200', limit: '300' }, ['limit'], 10000), /--images and --limit are the same flag \(--images; --limit is an alias\), given 200 and 300/);
  assert.throws(() => parseImages({ 'shift-size': 'many' }, ['shift-size'], 1000), /--shift-size must be a non-negative integer, got "many"/);
});

const REGISTRY = [
  { name: 'gaussian_noise', family: 'corruption' }, { name: 'fog', family: 'corruption' }, { name: 'saturate', family: 'corruption' },
  { name: 'sketch', family: 'rendition' }, { name: 'inverted', family: 'rendition' },
];
const isRendition = (name: string) => REGISTRY.find((s) => s.name === name)?.family === 'rendition';

test('--shift: any shift, lists, and the named groups', () => {
  assert.deepEqual(parseShiftNames('fog', REGISTRY, ['fog']), ['fog']);
  assert.deepEqual(parseShiftNames('sketch', REGISTRY, ['fog']), ['sketch']);
  assert.deepEqual(parseShiftNames('fog, sketch,fog', REGISTRY, ['fog']), ['fog', 'sketch']);
  assert.deepEqual(parseShiftNames('all', REGISTRY, ['fog']), ['gaussian_noise', 'fog', 'saturate']);
  assert.deepEqual(parseShiftNames('benchmark', REGISTRY, ['gaussian_noise', 'fog']), ['gaussian_noise', 'fog']);
  assert.deepEqual(parseShiftNames('renditions', REGISTRY, ['fog']), ['sketch', 'inverted']);
  assert.throws(() => parseShiftNames('fogg', REGISTRY, ['fog']), /--shift: unknown shift "fogg"; available: gaussian_noise, fog, saturate, sketch, inverted \(or all, benchmark, renditions\)/);
  assert.throws(() => parseShiftNames('fogg', REGISTRY, ['fog'], 'corruption'), /--corruption: unknown shift "fogg"/);
  assert.throws(() => parseShiftNames(undefined, REGISTRY, ['fog']), /--shift NAME is required/);
});

test('--severity: required for corruptions, refused for renditions alone', () => {
  assert.deepEqual(parseSeverities('3', ['fog'], isRendition), [3]);
  assert.deepEqual(parseSeverities('1-3,5', ['fog'], isRendition), [1, 2, 3, 5]);
  assert.deepEqual(parseSeverities('all', ['fog', 'sketch'], isRendition), [1, 2, 3, 4, 5]);
  assert.deepEqual(parseSeverities(undefined, ['sketch', 'inverted'], isRendition), []);
  assert.throws(() => parseSeverities('2', ['sketch'], isRendition), /--severity: sketch is a rendition and takes no severity; leave --severity out/);
  assert.throws(() => parseSeverities(undefined, ['fog', 'sketch'], isRendition), /--severity S \(1 to 5\) is required for fog/);
  assert.throws(() => parseSeverities('6', ['fog'], isRendition), /--severity must be an integer from 1 to 5 .*got "6"/);
});
