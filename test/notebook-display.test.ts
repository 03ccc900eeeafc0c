import { test, describe, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { accuracyVsAlpha } from '../src/figures';
import {
  VEGALITE_MIME,
  displayTarget,
  findKernelWriter,
  pickMime,
  progress,
  progressLine,
  progressFor,
  formatRate,
  setDisplayTarget,
  show,
  writerTarget,
  type KernelWriter,
  type MimeBundle,
  type PublishOptions,
} from '../src/notebook';

const spec = accuracyVsAlpha(
  [
    { split: 'edit task', layer: 'conv1', alpha: 0, accuracy: 0.2 },
    { split: 'edit task', layer: 'conv1', alpha: 1, accuracy: 0.9 },
    { split: 'original', layer: 'conv1', alpha: 0, accuracy: 0.8 },
    { split: 'original', layer: 'conv1', alpha: 1, accuracy: 0.6 },
  ],
  { title: 'Show me' },
);

type Content = Parameters<KernelWriter>[0];

/** A fake of tslab's kernel writer (`jupyter.lastWriteDisplayData`). */
function fakeWriter() {
  const calls: Array<{ content: Content; update: boolean | undefined }> = [];
  const write: KernelWriter = (content, update) => {
    calls.push({ content: JSON.parse(JSON.stringify(content)) as Content, update }); // what goes on the wire
  };
  return { calls, write };
}

function pngInfo(b64: string): { width: number; height: number } {
  const png = Buffer.from(b64, 'base64');
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

afterEach(() => setDisplayTarget(undefined));

describe('show', () => {
  test('sends ONE display_data with the Vega-Lite spec (as JSON) and a valid PNG at 2× its CSS size', async () => {
    const { calls, write } = fakeWriter();
    setDisplayTarget(writerTarget(write));
    assert.equal(await show(spec), undefined);
    assert.equal(calls.length, 1);
    const { content, update } = calls[0];
    assert.equal(update, false);
    assert.deepEqual(content.transient, {});
    assert.deepEqual(Object.keys(content.data).sort(), [VEGALITE_MIME, 'image/png', 'text/plain'].sort());
    assert.deepEqual(content.data[VEGALITE_MIME], spec); // a JSON object, not a string
    const png = pngInfo(content.data['image/png'] as string);
    const css = content.metadata['image/png'] as { width: number; height: number };
    assert.deepEqual(png, { width: 2 * css.width, height: 2 * css.height });
    assert.match(content.data['text/plain'] as string, /Show me/);
  });

  test('svg: true adds image/svg+xml whose size matches the PNG metadata', async () => {
    const { calls, write } = fakeWriter();
    await show(spec, { target: writerTarget(write), svg: true, scale: 1 });
    const { data, metadata } = calls[0].content;
    const svg = data['image/svg+xml'] as string;
    const css = metadata['image/png'] as { width: number; height: number };
    assert.match(svg, new RegExp(`^<svg[^>]* width="${css.width}" height="${css.height}"`));
    assert.deepEqual(pngInfo(data['image/png'] as string), css);
  });

  test('with a one-MIME tslab Display (display.raw), the PNG alone is sent', async () => {
    const raws: Array<[string, string | Uint8Array]> = [];
    const fakeDisplay = { raw: (mime: string, b: string | Uint8Array) => raws.push([mime, b]) };
    setDisplayTarget({ display: fakeDisplay, newDisplay: () => fakeDisplay });
    await show(spec);
    assert.equal(raws.length, 1);
    assert.equal(raws[0][0], 'image/png');
    pngInfo(raws[0][1] as string);
  });

  test("finds the running kernel through tslab's own module, the channel tslab.display uses", async () => {
    const jupyter = require('tslab/dist/jupyter') as { lastWriteDisplayData: KernelWriter | null };
    const tslab = require('tslab') as { display: { text(s: string): void } };
    const { calls, write } = fakeWriter();
    assert.equal(findKernelWriter(), null, 'loaded but idle tslab is not a kernel');
    jupyter.lastWriteDisplayData = write; // what tslab's kernel does when a cell starts
    try {
      assert.equal(displayTarget()?.multiMime, true);
      tslab.display.text('from tslab');
      await show(spec);
    } finally {
      jupyter.lastWriteDisplayData = null;
    }
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[0].content.data, { 'text/plain': 'from tslab' });
    assert.ok(VEGALITE_MIME in calls[1].content.data && 'image/png' in calls[1].content.data);
  });

  test('outside a notebook: no output, a one-time note on stderr, no crash', async () => {
    setDisplayTarget(null);
    const written: string[] = [];
    const orig = process.stderr.write;
    process.stderr.write = ((s: string) => (written.push(String(s)), true)) as typeof process.stderr.write;
    try {
      assert.equal(await show(spec), undefined);
      await show(spec);
    } finally {
      process.stderr.write = orig;
    }
    assert.equal(written.filter((s) => s.includes('not in a tslab notebook')).length, 1);
  });

  test('an un-awaited show() printed by tslab shows a hint, not "Promise { <pending> }"', async () => {
    const p = show(spec, { target: null });
    assert.match(inspect(p), /await show\(spec\)/);
    await p;
  });

  test('an invalid spec rejects (the cell fails) instead of sending a broken output', async () => {
    const { calls, write } = fakeWriter();
    await assert.rejects(show({ mark: 'nope', data: { values: [] } }, { target: writerTarget(write) }));
    assert.equal(calls.length, 0);
  });
});

describe('pickMime', () => {
  test('prefers PNG, then SVG, HTML, text', () => {
    const b = (...types: string[]): MimeBundle => ({ data: Object.fromEntries(types.map((t) => [t, 'x'])) });
    assert.equal(pickMime(b(VEGALITE_MIME, 'text/plain', 'image/png')), 'image/png');
    assert.equal(pickMime(b('text/plain', 'image/svg+xml')), 'image/svg+xml');
    assert.equal(pickMime(b('text/plain', 'text/html')), 'text/html');
    assert.equal(pickMime(b(VEGALITE_MIME)), VEGALITE_MIME);
    assert.equal(pickMime(b()), null);
  });
});

describe('progress', () => {
  function clock() {
    let t = 0;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  }

  test('throttles to ≤ 10 updates per second whatever the tick rate', () => {
    const c = clock();
    const sent: string[] = [];
    const bar = progress(1000, 'eval', { now: c.now, stream: { write: (s: string) => sent.push(s), isTTY: true } });
    for (let i = 0; i < 500; i++) bar.tick(); // all at t = 0
    assert.equal(bar.updates, 1);
    for (let i = 0; i < 500; i++) {
      c.advance(2); // 500 ticks over 1 s
      bar.tick();
    }
    assert.equal(bar.count, 1000);
    assert.equal(bar.updates, 1 + 10); // the first draw, then one per 100 ms
    bar.done();
    assert.equal(bar.updates, 12);
    bar.tick();
    bar.done();
    assert.equal(bar.updates, 12, 'ticks after done are ignored');
    assert.equal(sent.length, 12);
    assert.ok(sent.every((s) => s.startsWith('\r')), 'a terminal line is rewritten in place');
    assert.ok(sent[11].endsWith('\n') && !sent[10].endsWith('\n'));
    assert.match(sent[11], /eval {2}\[#{24}\] {2}1000\/1000 {2}100%/);
  });

  test('not a terminal: plain lines at most once per logIntervalMs', () => {
    const c = clock();
    const sent: string[] = [];
    const bar = progress(100, 'log', { now: c.now, stream: { write: (s: string) => sent.push(s) }, logIntervalMs: 1000 });
    for (let i = 0; i < 100; i++) {
      c.advance(50); // 5 s in all
      bar.tick();
    }
    bar.done();
    assert.equal(sent.length, 1 + 5 + 1);
    assert.ok(sent.every((s) => s.endsWith('\n') && !s.includes('\r')));
  });

  test('in a notebook: one output updated in place (same display id), HTML bar + text', () => {
    const c = clock();
    const calls: Array<{ bundle: MimeBundle; opts: PublishOptions | undefined }> = [];
    const target = { multiMime: true, publish: (bundle: MimeBundle, opts?: PublishOptions) => calls.push({ bundle, opts }) };
    const bar = progress(4, 'sweep', { now: c.now, target, stream: { write: () => assert.fail('no stderr in a notebook') } });
    c.advance(200);
    bar.tick(2);
    bar.done();
    assert.equal(calls.length, 3);
    const ids = new Set(calls.map((x) => x.opts?.displayId));
    assert.equal(ids.size, 1);
    assert.match([...ids][0]!, /^[0-9a-f]{16}$/);
    assert.deepEqual(
      calls.map((x) => x.opts?.update),
      [false, true, true],
    );
    assert.match(calls[1].bundle.data['text/html'] as string, /<progress value="2" max="4"/);
    assert.match(calls[1].bundle.data['text/plain'] as string, /^sweep {2}\[#{12}-{12}\] {2}2\/4 {2}50%/);
  });

  test('progressLine: hand-checked text, every rate with its unit', () => {
    assert.equal(progressLine('sweep', 5, 20, 2, false, 10), 'sweep  [###-------]  5/20  25%  2.5 it/s  ETA 6s');
    assert.equal(progressLine('', 7, 0, 0, false, 10), '7');
    // 20 items in 125 s: slower than one a second, so the time per item (6.25 s) instead of "0.2/s".
    assert.equal(progressLine('x', 20, 20, 125, true, 4), 'x  [####]  20/20  100%  6.3 s/it  done in 2m05s');
    // 3000 of 10 000 images in 2 s: 1500 img/s, 7000 left → ETA 5 s.
    assert.equal(progressLine('evaluate', 3000, 10000, 2, false, 10, 'img'), 'evaluate  [###-------]  3000/10000  30%  1500 img/s  ETA 5s');
    assert.equal(progressLine('train', 3, 40, 12, false, 4, 'steps'), 'train  [----]  3/40  7%  4.0 s/step  ETA 2m28s');
    // No item finished yet: no rate at all rather than "0.0/s".
    assert.equal(progressLine('train', 0, 40, 3, false, 4, 'steps'), 'train  [----]  0/40  0%');
  });

  test('formatRate: units, and time per item below one per second', () => {
    assert.equal(formatRate(850.4, 'img'), '850 img/s');
    assert.equal(formatRate(2.54, 'steps'), '2.5 steps/s');
    assert.equal(formatRate(0.5, 'steps'), '2.0 s/step');
    assert.equal(formatRate(0.04, 'img'), '25 s/img');
    assert.equal(formatRate(1, 'cells'), '1.0 cells/s');
  });

  test('progress: the unit option reaches the line; progressFor draws nothing unless asked', () => {
    const lines: string[] = [];
    let t = 0;
    const bar = progress(4, 'eval', { unit: 'img', stream: { write: (s: string) => lines.push(s) }, target: null, now: () => t, logIntervalMs: 0, minIntervalMs: 0 });
    t = 1000;
    bar.tick(2);
    bar.done();
    assert.match(lines[1], /^eval {2}\[#{12}-{12}\] {2}2\/4 {2}50% {2}2\.0 img\/s {2}ETA 1s\n$/);
    assert.match(lines[2], /2\/4 {2}50% {2}2\.0 img\/s {2}done in 1s/);
    const silent = progressFor(false, 10, 'x', 'img');
    silent.tick(5);
    silent.done();
    assert.equal(silent.updates, 0);
    const written: string[] = [];
    const origWrite = process.stderr.write;
    (process.stderr as { write: unknown }).write = (s: string) => { written.push(s); return true; };
    try {
      const labelled = progressFor('my label', 1, 'default', 'steps');
      labelled.done();
    } finally {
      (process.stderr as { write: unknown }).write = origWrite;
    }
    assert.ok(written.every((s) => s.includes('my label')) && written.length > 0, written.join('|'));
  });
});
