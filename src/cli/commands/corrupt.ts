import { parseInteger, type Command } from '../command';

/** Parses a --corruption value: one name, a comma-separated list, 'all' (19) or 'benchmark' (the 15). */
function parseCorruptions(value: unknown, all: readonly string[], benchmark: readonly string[]): string[] {
  if (typeof value !== 'string' || value.trim() === '') throw new Error('corrupt: --corruption NAME is required (see `editlab shifts list`).');
  if (value === 'all') return [...all];
  if (value === 'benchmark') return [...benchmark];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!all.includes(n)) throw new Error(`corrupt: unknown corruption "${n}"; available: ${all.join(', ')} (or all, benchmark).`);
  }
  return names;
}

/** Parses a --severity value: 1–5, a comma-separated list, a range like 1-5, or 'all'. */
function parseSeverities(value: unknown): number[] {
  if (typeof value !== 'string' || value.trim() === '') throw new Error('corrupt: --severity S (1 to 5) is required.');
  if (value === 'all') return [1, 2, 3, 4, 5];
  const out: number[] = [];
  for (const part of value.split(',')) {
    const range = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(part);
    const [lo, hi] = range ? [Number(range[1]), Number(range[2])] : [Number(part), Number(part)];
    for (const s of [lo, hi]) {
      if (!Number.isInteger(s) || s < 1 || s > 5 || part.trim() === '') throw new Error(`corrupt: severity must be an integer from 1 to 5 (or a list, a range like 1-5, or all), got "${part.trim()}".`);
    }
    for (let s = lo; s <= hi; s++) if (!out.includes(s)) out.push(s);
  }
  return out;
}

export const corruptCommand: Command = {
  name: 'corrupt',
  summary: 'write a corrupted copy of an image or of an image folder (ImageNet-C layout)',
  usage: `editlab corrupt --corruption NAME --severity S [--preset imagenet|cifar|small] [--seed N]
                       [--quality Q] [--preprocess imagenet] IN OUT

  IN is one PNG/JPEG file or a folder of <class>/…/<image> files (ImageFolder layout).
  A file is written to OUT (format by OUT's extension; if OUT is a folder, OUT/<file name>).
  A folder is written in ImageNet-C's layout, OUT/<corruption>/<severity>/<class>/…/<file>,
  keeping each file's format; every unreadable file is reported and the others still written.
  NAME: a corruption (editlab shifts list), a comma-separated list, 'benchmark' (the 15) or
  'all' (19); S: 1–5, a list (1,3), a range (1-5) or 'all'. With several corruptions or
  severities and a single file, OUT is a folder: OUT/<corruption>/<severity>/<file>.
  --preset: the constants' size regime (default: by image size: ≤ 28 px small, ≤ 64 cifar,
  else imagenet). --seed (default 0): a folder's images each get a seed derived from it and
  their relative path, so results do not depend on order. --quality: JPEG quality of written
  .jpg files (default 85, as ImageNet-C). --preprocess imagenet: resize the shorter side to
  256 and centre-crop 224 before corrupting (how ImageNet-C was made).`,
  options: {
    corruption: { type: 'string' }, severity: { type: 'string' }, preset: { type: 'string' }, seed: { type: 'string' },
    quality: { type: 'string' }, preprocess: { type: 'string' }, json: { type: 'boolean' },
  },
  async run(v, positionals) {
    const { listShifts, BENCHMARK_CORRUPTIONS, checkPreset } = await import('../../shifts');
    const { corruptFile, corruptFolder } = await import('../../shifts/corrupt-files');
    const all = listShifts('corruption').map((s) => s.name);
    const corruptions = parseCorruptions(v.corruption, all, BENCHMARK_CORRUPTIONS);
    const severities = parseSeverities(v.severity);
    const preset = v.preset === undefined ? undefined : checkPreset(v.preset);
    const seed = parseInteger(v.seed, 'seed', 0);
    const quality = parseInteger(v.quality, 'quality', 85);
    if (quality < 1 || quality > 100) throw new Error(`corrupt: --quality must be from 1 to 100, got ${quality}.`);
    if (v.preprocess !== undefined && v.preprocess !== 'imagenet' && v.preprocess !== 'none') throw new Error(`corrupt: --preprocess must be imagenet or none, got "${String(v.preprocess)}".`);
    const preprocess = v.preprocess === 'imagenet' ? 'imagenet' : undefined;
    if (positionals.length !== 2) throw new Error(`corrupt: expected IN and OUT, got ${positionals.length} path(s).\nusage: ${corruptCommand.usage.split('\n')[0]}`);
    const [input, output] = positionals;
    const { statSync } = await import('node:fs');
    let isDir: boolean;
    try {
      isDir = statSync(input).isDirectory();
    } catch {
      throw new Error(`corrupt: cannot read ${input}: it does not exist.`);
    }
    const options = { corruptions, severities, preset, seed, quality, preprocess } as const;
    if (!isDir) {
      const written = await corruptFile(input, output, options);
      for (const w of written) console.log(w);
      return 0;
    }
    const report = await corruptFolder(input, output, { ...options, log: v.json ? undefined : (line: string) => console.error(line) });
    if (v.json) console.log(JSON.stringify(report, null, 2));
    else {
      console.log(`wrote ${report.written} image(s) (${report.images} input image(s) × ${corruptions.length} corruption(s) × ${severities.length} severit${severities.length === 1 ? 'y' : 'ies'}) to ${output}`);
      if (report.ignored.length) console.log(`ignored ${report.ignored.length} non-image file(s)`);
    }
    if (report.failed.length) {
      console.error(`editlab corrupt: ${report.failed.length} file(s) could not be read and were skipped:`);
      for (const f of report.failed) console.error(`  ${f.path}: ${f.message}`);
      return 1;
    }
    return 0;
  },
};
