import { QUIET_OPTION, parseInteger, parseSeverities, parseShiftNames, printJson, stderrOf, type Command } from '../command';

export const corruptCommand: Command = {
  name: 'corrupt',
  summary: 'write a shifted copy (corruption or rendition) of an image or of an image folder (ImageNet-C / -R layout)',
  usage: `editlab corrupt --shift NAME [--severity S] [--preset imagenet|cifar|small] [--seed N]
                       [--quality Q] [--preprocess imagenet] [--json] [--quiet] IN OUT

  IN is one PNG/JPEG file or a folder of <class>/…/<image> files (ImageFolder layout).
  A file is written to OUT (format by OUT's extension; if OUT is a folder, OUT/<file name>).
  A folder is written in ImageNet-C's layout, OUT/<corruption>/<severity>/<class>/…/<file>
  (a rendition, which has no severity: OUT/<rendition>/<class>/…/<file>, as ImageNet-R),
  keeping each file's format; every unreadable file is reported and the others still written.
  NAME: any shift of \`editlab shifts list\` (a corruption or a rendition), a comma-separated
  list, 'all' (the 19 corruptions), 'benchmark' (the 15) or 'renditions' (the 6);
  --corruption NAME is an alias of --shift NAME. S (corruptions only; a rendition takes none):
  1–5, a list (1,3), a range (1-5) or 'all'. With several outputs and a single file, OUT is a
  folder: OUT/<corruption>/<severity>/<file> and OUT/<rendition>/<file>.
  --preset: the constants' size regime (default: by image size: ≤ 28 px small, ≤ 64 cifar,
  else imagenet). --seed (default 0): a folder's images each get a seed derived from it and
  their relative path, so results do not depend on order. --quality: JPEG quality of written
  .jpg files (default 85, as ImageNet-C). --preprocess imagenet: resize the shorter side to
  256 and centre-crop 224 before corrupting (how ImageNet-C was made). A folder shows progress
  on stderr (--quiet: none). --json prints {written: [paths]} for a file, and for a folder
  {images, written, failed, ignored, empty_classes, seconds}.`,
  options: {
    shift: { type: 'string' }, corruption: { type: 'string' }, severity: { type: 'string' }, preset: { type: 'string' }, seed: { type: 'string' },
    quality: { type: 'string' }, preprocess: { type: 'string' }, json: { type: 'boolean' }, ...QUIET_OPTION,
  },
  async run(v, positionals) {
    const { listShifts, BENCHMARK_CORRUPTIONS, checkPreset } = await import('../../shifts');
    const { corruptFile, corruptFolder } = await import('../../shifts/corrupt-files');
    if (v.shift !== undefined && v.corruption !== undefined && v.shift !== v.corruption) throw new Error('corrupt: --corruption is an alias of --shift; give one of them.');
    const registry = listShifts();
    const shifts = parseShiftNames(v.shift ?? v.corruption, registry, BENCHMARK_CORRUPTIONS, v.shift === undefined && v.corruption !== undefined ? 'corruption' : 'shift');
    const severities = parseSeverities(v.severity, shifts, (name) => registry.find((s) => s.name === name)?.family === 'rendition');
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
    const options = { shifts, severities, preset, seed, quality, preprocess } as const;
    if (!isDir) {
      const written = await corruptFile(input, output, options);
      if (v.json) printJson({ written });
      else for (const w of written) console.log(w);
      return 0;
    }
    const report = await corruptFolder(input, output, { ...options, progress: stderrOf(v).progress });
    if (v.json) printJson(report);
    else {
      const corruptions = shifts.filter((name) => registry.find((s) => s.name === name)?.family === 'corruption').length;
      const parts = [`${corruptions} corruption(s) × ${severities.length} severit${severities.length === 1 ? 'y' : 'ies'}`, `${shifts.length - corruptions} rendition(s)`].filter((p) => !p.startsWith('0 '));
      console.log(`wrote ${report.written} image(s) (${report.images} input image(s) × ${parts.length > 1 ? `(${parts.join(' + ')})` : parts[0]}) to ${output}`);
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
