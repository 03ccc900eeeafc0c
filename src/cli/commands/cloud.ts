import { QUIET_OPTION, imagesOptions, parseImages, parseInteger, printJson, stderrOf, type Command } from '../command';

const optionalInteger = (value: unknown, name: string) => (value === undefined ? undefined : parseInteger(value, name, 0));

const SELECTION_FLAGS = ['shift', 'family', 'group'] as const;

export const cloudCommand: Command = {
  name: 'cloud',
  summary: 'the reference cloud of standard models: build its table, list its members, fit accuracy on the line',
  usage: `editlab cloud build [--members A,B,...] [--csv FILE] [--work DIR] [--images N] [--seed S]
                         [--workers N] [--threads N] [--json] [--quiet]
  Trains every cloud member missing from the table (25 standard models: 9 architectures, varied
  depth, width, epochs, training-set size and seed), evaluates each on the clean test set, every
  corruption × severity and rendition (a seeded sample of --images N test images, default 1000;
  --shift-size is an alias)
  and the hard subset, and writes the table after each model. The hard subset is the test images
  a strict majority of three cloud members gets wrong (reference-cnn-w1-e3-n60k-s5,
  resnet-small-w0.5-e2-n60k-s1, vit-tiny-w0.5-e2-n30k-s1: no embedded model, so no edited model
  chose it); they are trained first and the chosen indices written beside the table
  (reference-cloud.hard-subset.json). Rerunning resumes: finished members are kept, checkpoints in --work (default
  .cache/cloud) resume training, and settings not given are the table's. Default --csv: the
  committed datasets/cloud/reference-cloud.csv. --workers: training replicas (default 2).
  Progress on stderr (images, training steps); --quiet: none. --json prints {csv, rows, built,
  cached, seconds}.

editlab cloud list [--csv FILE] [--json]
  The members, their settings and whether the table has them: {name, arch, width, epochs, seed,
  train_size, accuracy, n, ci_lo, ci_hi} (clean accuracy with its 95% interval; null when not built).

editlab cloud fit (--shift NAME | --family F | --group G) [--severity S] [--transform probit|logit]
                  [--csv FILE] [--json]
  Fits T(shifted accuracy) = slope·T(clean accuracy) + intercept over the cloud (mean over the
  selected cells per model) and prints {slope, intercept, r2, n, transform}.`,
  options: {
    members: { type: 'string' }, csv: { type: 'string' }, work: { type: 'string' }, ...imagesOptions('shift-size'), seed: { type: 'string' },
    workers: { type: 'string' }, threads: { type: 'string' }, json: { type: 'boolean' }, ...QUIET_OPTION,
    shift: { type: 'string' }, family: { type: 'string' }, group: { type: 'string' }, severity: { type: 'string' }, transform: { type: 'string' },
  },
  async run(v, positionals) {
    const cloud = await import('../../cloud');
    const [what] = positionals;
    const csv = typeof v.csv === 'string' ? v.csv : undefined;
    if (what === 'build') {
      let members = cloud.CLOUD_MEMBERS;
      if (typeof v.members === 'string') {
        const names = v.members.split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !members.some((m) => m.name === n));
        if (unknown.length) throw new Error(`cloud build: unknown member(s) ${unknown.join(', ')}; see \`editlab cloud list\`.`);
        members = members.filter((m) => names.includes(m.name));
      }
      const stderr = stderrOf(v);
      // Left out, the size comes from the table being resumed (or the default, 1000).
      const images = v.images === undefined && v['shift-size'] === undefined ? undefined : parseImages(v, ['shift-size'], 0);
      const result = await cloud.buildCloud({
        members, csv, work: typeof v.work === 'string' ? v.work : undefined,
        shiftSize: images, seed: optionalInteger(v.seed, 'seed'),
        workers: optionalInteger(v.workers, 'workers'), threads: v.threads === undefined ? undefined : Math.max(1, parseInteger(v.threads, 'threads', 1)),
        progress: stderr.progress,
        onProgress: (e) => {
          const tag = 'member' in e ? `[${e.index + 1}/${e.total}] ${e.member.name}` : '';
          if (e.type === 'cached') stderr.log(`${tag}: in the table`);
          else if (e.type === 'cells') stderr.log(`evaluation cells ready: ${e.cells} (${e.seconds.toFixed(1)} s)`);
          else if (e.type === 'done') stderr.log(`${tag}: clean accuracy ${(100 * e.accuracy).toFixed(2)}%, trained ${e.trainSeconds.toFixed(0)} s, evaluated ${e.evalSeconds.toFixed(0)} s`);
        },
      });
      const summary = { csv: result.csv, rows: result.rows.length, built: result.built, cached: result.cached, seconds: Math.round(result.seconds) };
      if (v.json) printJson(summary);
      else console.log(`${result.csv}: ${result.rows.length} rows; built ${result.built.length}, kept ${result.cached.length} member(s) in ${summary.seconds} s`);
      return 0;
    }
    if (what === 'list') {
      const fs = await import('node:fs');
      const path = csv ?? cloud.defaultCloudCsv();
      const rows = fs.existsSync(path) ? cloud.loadCloud(path) : [];
      const list = cloud.CLOUD_MEMBERS.map((m) => {
        const clean = rows.find((r) => r.model === m.name && r.shift === 'clean');
        return {
          name: m.name, arch: m.arch, width: m.width, epochs: m.epochs, seed: m.seed, train_size: m.trainSize,
          accuracy: clean?.accuracy ?? null, n: clean?.n ?? null, ci_lo: clean?.ci_lo ?? null, ci_hi: clean?.ci_hi ?? null,
        };
      });
      if (v.json) printJson(list);
      else for (const m of list) console.log(`${m.name.padEnd(36)} ${m.accuracy === null ? 'not built' : `clean ${(100 * m.accuracy).toFixed(2)}%`}`);
      return 0;
    }
    if (what === 'fit') {
      const { fitAccuracyLine } = await import('../../metrics/effective-robustness');
      const given = SELECTION_FLAGS.filter((k) => typeof v[k] === 'string');
      if (!given.length) throw new Error('cloud fit: select cells with --shift NAME, --family F or --group G.');
      const selection = Object.fromEntries(given.map((k) => [k, v[k] as string]));
      if (v.severity !== undefined) {
        const { getShift } = await import('../../shifts');
        if (typeof v.shift === 'string' && getShift(v.shift).family === 'rendition') throw new Error(`cloud fit: --severity: ${v.shift} is a rendition and takes no severity; leave --severity out.`);
        Object.assign(selection, { severity: parseInteger(v.severity, 'severity', 0) });
      }
      const transform = v.transform ?? 'probit';
      if (transform !== 'probit' && transform !== 'logit') throw new Error(`cloud fit: --transform must be probit or logit, got "${String(transform)}".`);
      const line = fitAccuracyLine(cloud.accuracyPairs(cloud.loadCloud(csv), selection), transform);
      if (v.json) printJson({ selection, ...line });
      else console.log(`${JSON.stringify(selection)}: ${transform}(shifted) = ${line.slope.toFixed(4)}·${transform}(clean) ${line.intercept < 0 ? '−' : '+'} ${Math.abs(line.intercept).toFixed(4)}  (r² ${line.r2.toFixed(3)}, ${line.n} models)`);
      return 0;
    }
    throw new Error(`cloud: expected a subcommand: build, list or fit${what ? `, got "${what}"` : ''}.`);
  },
};
