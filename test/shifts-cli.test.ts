// `editlab corrupt` and `editlab shifts`, run in-process through the CLI's main(); the
// ImageNet-C layout they write, read back; ImageNet-R/-A class subsets and logit masking.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../src/cli/main';
import { decodeImage, encodeImage, type RasterImage } from '../src/data';
import {
  IMAGENET_A_WNIDS, IMAGENET_R_WNIDS, IMAGENET_WNIDS, listImageNetC, maskLogits, openImageNetC, openImageNetSubset, subsetIndices,
  subsetPredictions, corruptFolder,
} from '../src/shifts';

let tmp = '';
let input = '';

function image(width: number, height: number, channels: 1 | 3, k = 1): RasterImage {
  const data = new Float32Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = ((i * k * 37) % 251) / 251;
  return { width, height, channels, data };
}

/** Runs the CLI in this process, capturing what it prints. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await main(args);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-corrupt-'));
  input = path.join(tmp, 'in');
  const put = (rel: string, bytes: Buffer) => {
    fs.mkdirSync(path.dirname(path.join(input, rel)), { recursive: true });
    fs.writeFileSync(path.join(input, rel), bytes);
  };
  put('n01443537/a.png', encodeImage(image(28, 28, 1), 'png'));
  put('n01443537/sub/b.png', encodeImage(image(32, 32, 3, 2), 'png'));
  put('n01484850/c.jpg', encodeImage(image(40, 30, 3, 3), 'jpeg'));
  const jpeg = encodeImage(image(40, 40, 3), 'jpeg');
  put('n01484850/truncated.jpg', jpeg.subarray(0, jpeg.length >> 1));
  put('n01484850/notes.txt', Buffer.from('x'));
  fs.mkdirSync(path.join(input, 'n01494475'));
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('shifts list prints every shift with its family, group and presets; show prints the constants', async () => {
  const r = await cli(['shifts', 'list']);
  assert.equal(r.code, 0);
  assert.match(r.out, /^gaussian_noise\s+corruption\s+noise\s+imagenet,cifar,small\s+additive Gaussian noise/m);
  assert.match(r.out, /^saturate\s+corruption\s+held-out\s+imagenet,cifar,small/m);
  assert.match(r.out, /^sketch\s+rendition\s+—\s+any size/m);
  assert.match(r.out, /hardSubset/);
  assert.equal(r.out.split('\n').filter((l) => /\scorruption\s/.test(l)).length, 19);
  const json = JSON.parse((await cli(['shifts', 'list', '--json', '--family', 'rendition'])).out);
  assert.ok(json.length >= 5 && json.every((s: { family: string }) => s.family === 'rendition'));
  const show = await cli(['shifts', 'show', 'fog']);
  assert.match(show.out, /^fog \(corruption, weather, seeded\)/);
  assert.match(show.out, /imagenet\s+s1 \[1\.5,2\]/);
  await assert.rejects(cli(['shifts', 'show', 'fogg']), /unknown shift "fogg"/);
});

test('corrupt one file: same size and format, the same bytes twice, another seed other bytes', async () => {
  const src = path.join(input, 'n01443537', 'a.png');
  const out = path.join(tmp, 'one', 'a-fog.png');
  const r = await cli(['corrupt', '--corruption', 'fog', '--severity', '3', '--seed', '4', src, out]);
  assert.equal(r.code, 0, r.err);
  const first = fs.readFileSync(out);
  const img = decodeImage(first, out);
  assert.deepEqual([img.width, img.height, img.channels], [28, 28, 1]);
  await cli(['corrupt', '--corruption', 'fog', '--severity', '3', '--seed', '4', src, out]);
  assert.deepEqual(fs.readFileSync(out), first);
  await cli(['corrupt', '--corruption', 'fog', '--severity', '3', '--seed', '5', src, out]);
  assert.notDeepEqual(fs.readFileSync(out), first);
  // JPEG in, JPEG out; several severities → OUT/<corruption>/<severity>/<file>.
  const multi = await cli(['corrupt', '--corruption', 'pixelate', '--severity', '1,5', path.join(input, 'n01484850', 'c.jpg'), path.join(tmp, 'multi')]);
  assert.equal(multi.code, 0, multi.err);
  for (const s of ['1', '5']) assert.equal(decodeImage(fs.readFileSync(path.join(tmp, 'multi', 'pixelate', s, 'c.jpg'))).width, 40);
});

test('corrupt a folder: the ImageNet-C layout, every bad file reported, all good ones written', async () => {
  const out = path.join(tmp, 'in-c');
  const r = await cli(['corrupt', '--corruption', 'contrast,snow', '--severity', '2-3', input, out]);
  assert.equal(r.code, 1, 'a bad file makes the exit code 1');
  assert.match(r.err, /1 file\(s\) could not be read and were skipped:\n\s+.*truncated\.jpg: cannot decode .*truncated\.jpg: truncated or corrupt JPEG/);
  assert.match(r.out, /wrote 12 image\(s\) \(3 input image\(s\) × 2 corruption\(s\) × 2 severities\)/);
  assert.match(r.out, /ignored 1 non-image file/);
  for (const c of ['contrast', 'snow']) for (const s of ['2', '3']) {
    for (const rel of ['n01443537/a.png', 'n01443537/sub/b.png', 'n01484850/c.jpg']) assert.ok(fs.existsSync(path.join(out, c, s, rel)), `${c}/${s}/${rel}`);
  }
  assert.deepEqual(listImageNetC(out).map((e) => `${e.corruption}/${e.severity}`), ['contrast/2', 'contrast/3', 'snow/2', 'snow/3']);
  const folder = openImageNetC(out, 'snow', 3, { preprocess: 'small' });
  assert.equal(folder.files.length, 3);
  assert.deepEqual(folder.classes, ['n01443537', 'n01484850']);
  assert.throws(() => openImageNetC(out, 'fog', 1), /no ImageNet-C folder .*fog.1/);
  assert.throws(() => openImageNetC(out, 'sketch', 1), /"sketch" is a rendition, not a corruption/);
  // Per-image seeds come from the relative path: the same image corrupts the same way in any run.
  const again = await corruptFolder(input, path.join(tmp, 'again'), { corruptions: ['snow'], severities: [3] });
  assert.equal(again.written, 3);
  assert.deepEqual(fs.readFileSync(path.join(tmp, 'again', 'snow', '3', 'n01443537', 'a.png')), fs.readFileSync(path.join(out, 'snow', '3', 'n01443537', 'a.png')));
});

test('corrupt --shift takes renditions too: no severity, ImageNet-R layout OUT/<rendition>/<class>/…', async () => {
  const src = path.join(input, 'n01443537', 'a.png');
  const one = path.join(tmp, 'sketch', 'a.png');
  const r = await cli(['corrupt', '--shift', 'sketch', src, one]);
  assert.equal(r.code, 0, r.err);
  const img = decodeImage(fs.readFileSync(one), one);
  assert.deepEqual([img.width, img.height, img.channels], [28, 28, 1]);
  assert.notDeepEqual(img.data, decodeImage(fs.readFileSync(src), src).data, 'the rendition changed the image');
  const out = path.join(tmp, 'in-r');
  const folder = await cli(['corrupt', '--shift', 'inverted,contrast', '--severity', '2', input, out]);
  assert.equal(folder.code, 1, 'the truncated file still fails');
  assert.match(folder.out, /wrote 6 image\(s\) \(3 input image\(s\) × \(1 corruption\(s\) × 1 severity \+ 1 rendition\(s\)\)\)/);
  for (const rel of ['n01443537/a.png', 'n01443537/sub/b.png', 'n01484850/c.jpg']) {
    assert.ok(fs.existsSync(path.join(out, 'inverted', rel)), `inverted/${rel}`);
    assert.ok(fs.existsSync(path.join(out, 'contrast', '2', rel)), `contrast/2/${rel}`);
  }
  // inverted is 1 − x: the written PNG is the input's negative (to 8-bit rounding).
  const a = decodeImage(fs.readFileSync(src), src), b = decodeImage(fs.readFileSync(path.join(out, 'inverted', 'n01443537', 'a.png')));
  assert.ok(a.data.every((x, i) => Math.abs(1 - x - b.data[i]) <= 1 / 255 + 1e-6));
});

test('corrupt: bad input gives a clear error naming the item', async () => {
  const png = path.join(input, 'n01443537', 'a.png');
  await assert.rejects(cli(['corrupt', '--corruption', 'fogg', '--severity', '1', png, path.join(tmp, 'x.png')]), /--corruption: unknown shift "fogg"; available: gaussian_noise/);
  await assert.rejects(cli(['corrupt', '--shift', 'fogg', '--severity', '1', png, path.join(tmp, 'x.png')]), /--shift: unknown shift "fogg"; available: gaussian_noise.*sketch/);
  await assert.rejects(cli(['corrupt', '--shift', 'sketch', '--severity', '1', png, path.join(tmp, 'x.png')]), /--severity: sketch is a rendition and takes no severity/);
  await assert.rejects(cli(['corrupt', '--shift', 'fog', png, path.join(tmp, 'x.png')]), /--severity S \(1 to 5\) is required for fog/);
  await assert.rejects(cli(['corrupt', '--shift', 'fog', '--corruption', 'snow', '--severity', '1', png, path.join(tmp, 'x.png')]), /--corruption is an alias of --shift; give one of them/);
  await assert.rejects(cli(['corrupt', '--corruption', 'fog', '--severity', '7', png, path.join(tmp, 'x.png')]), /severity must be an integer from 1 to 5 .*got "7"/);
  await assert.rejects(cli(['corrupt', '--corruption', 'fog', '--severity', '1', '--preset', 'huge', png, path.join(tmp, 'x.png')]), /unknown preset "huge"/);
  await assert.rejects(cli(['corrupt', '--corruption', 'fog', '--severity', '1', path.join(input, 'n01484850', 'truncated.jpg'), path.join(tmp, 'x.jpg')]), /cannot decode .*truncated\.jpg: truncated or corrupt JPEG/);
  await assert.rejects(cli(['corrupt', '--corruption', 'fog', '--severity', '1', path.join(tmp, 'missing.png'), path.join(tmp, 'x.png')]), /cannot read .*missing\.png: it does not exist/);
  await assert.rejects(cli(['corrupt', '--corruption', 'fog', '--severity', '1', png, path.join(tmp, 'x.gif')]), /cannot write .*x\.gif: the extension must be \.png, \.jpg or \.jpeg/);
  const empty = path.join(tmp, 'empty-set');
  fs.mkdirSync(path.join(empty, 'class'), { recursive: true });
  await assert.rejects(cli(['corrupt', '--corruption', 'fog', '--severity', '1', empty, path.join(tmp, 'empty-c')]), /no images .* in .*empty-set/);
  await assert.rejects(cli(['corrupt', '--corruption', 'fog', '--severity', '1', input, path.join(input, 'inside')]), /must not be inside the input folder/);
});

test('ImageNet-R/-A: 200 wnids each, positions among the 1000, logit masking before the argmax', () => {
  assert.equal(IMAGENET_WNIDS.length, 1000);
  assert.equal(new Set(IMAGENET_WNIDS).size, 1000);
  for (const list of [IMAGENET_R_WNIDS, IMAGENET_A_WNIDS]) {
    assert.equal(list.length, 200);
    assert.deepEqual([...list], [...list].sort());
    assert.ok(list.every((w) => IMAGENET_WNIDS.includes(w)));
  }
  const r = subsetIndices('imagenet-r');
  assert.equal(IMAGENET_WNIDS[r[0]], 'n01443537');
  assert.equal(subsetIndices('imagenet-a')[0], 6);
  // Two examples of 1000 logits: the overall maximum is outside the subset; the masked argmax is not.
  const logits = new Float32Array(2000);
  logits[0] = 9; // n01440764, not in ImageNet-R
  logits[r[5]] = 3;
  logits[1000 + r[199]] = 1;
  assert.deepEqual([...subsetPredictions(logits, 2, 'imagenet-r')], [5, 199]);
  assert.equal(maskLogits(logits, 2, r).length, 400);
  // The folder: labels are positions in the 200, even with most folders missing.
  const folder = openImageNetSubset(input, 'imagenet-r', { preprocess: 'small' });
  assert.equal(folder.classes.length, 200);
  assert.deepEqual([...new Set(folder.files.map((f) => f.label))], [0, 1]);
  assert.throws(() => openImageNetSubset(input, 'imagenet-x' as never), /unknown ImageNet subset "imagenet-x"/);
});
