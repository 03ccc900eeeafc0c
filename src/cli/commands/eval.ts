import * as path from 'node:path';
import {
  QUIET_OPTION, imagesOptions, parseAlphas, parseBackend, parseImages, parseInteger, parseSeverities, parseShiftNames, printJson, stderrOf,
  type Command, type Stderr,
} from '../command';
import type { ImageSet } from '../../data/image-set';

type Flags = Record<string, string | boolean | string[] | undefined>;

const ENGINES = ['auto', 'onnx', 'tfjs'] as const;

function parseEngine(value: unknown): (typeof ENGINES)[number] {
  if (value === undefined) return 'auto';
  if (!(ENGINES as readonly unknown[]).includes(value)) throw new Error(`eval: --engine must be one of ${ENGINES.join(', ')}, got "${String(value)}".`);
  return value as (typeof ENGINES)[number];
}

/** Engine and thread flags, as `evaluate` and the sweeps take them. */
function engineOptions(v: Flags) {
  return { engine: parseEngine(v.engine), threads: v.threads === undefined ? undefined : Math.max(1, parseInteger(v.threads, 'threads', 1)) };
}

/**
 * The sets to evaluate, by name: the clean test images, the test images under --shift (one
 * set per corruption × severity, one per rendition), or the edit task's --split(s). --images N
 * keeps the first N images of each.
 */
async function chooseSets(v: Flags, stderr: Stderr, editDir: string | undefined): Promise<Record<string, ImageSet>> {
  const { fashionMnistSet, firstImages, withImages } = await import('../../data');
  const splits = Array.isArray(v.split) ? v.split : [];
  const images = parseImages(v, ['limit'], 0);
  if (splits.length) {
    if (v.shift !== undefined) throw new Error('eval: --shift and --split choose the images two ways; give one of them.');
    if (!editDir) throw new Error('eval: --split names a held-out split of an edit\'s task; it needs --edit DIR (the task is recorded in DIR/metrics.json).');
    const { readEditRecord, protocolSets, editMetricSplits } = await import('../../edits');
    const protocol = readEditRecord(editDir)?.protocol;
    if (!protocol) throw new Error(`eval: ${path.join(editDir, 'metrics.json')} records no task protocol; --split needs an edit written by \`editlab edit\`.`);
    const available = editMetricSplits(protocolSets(protocol));
    const names = splits.includes('all') ? Object.keys(available) : splits;
    const unknown = names.filter((n) => !(n in available));
    if (unknown.length) throw new Error(`eval: --split "${unknown[0]}" is not a split of the ${protocol.task} task; available: ${Object.keys(available).map((n) => `"${n}"`).join(', ')} (or all).`);
    return Object.fromEntries(names.map((n) => [n, images ? firstImages(available[n], images) : available[n]]));
  }
  const test = fashionMnistSet('test', images || undefined);
  if (v.shift === undefined) {
    if (v.severity !== undefined) throw new Error('eval: --severity goes with --shift NAME.');
    return { clean: test };
  }
  const { listShifts, applyShift, BENCHMARK_CORRUPTIONS } = await import('../../shifts');
  const registry = listShifts();
  const isRendition = (name: string) => registry.find((s) => s.name === name)?.family === 'rendition';
  const names = parseShiftNames(v.shift, registry, BENCHMARK_CORRUPTIONS);
  const severities = parseSeverities(v.severity, names, isRendition);
  const seed = parseInteger(v.seed, 'seed', 0);
  const sets: Record<string, ImageSet> = {};
  for (const name of names) {
    for (const severity of isRendition(name) ? [undefined] : severities) {
      const label = severity === undefined ? name : `${name} s${severity}`;
      stderr.log(`eval: ${label} on ${test.n} test images`);
      sets[label] = withImages(test, applyShift(name, test.images, test, { severity, seed }));
    }
  }
  return sets;
}

/** The model named by --model; an edit folder there gets a message saying how to evaluate it. */
async function loadModel(spec: string) {
  const { isEditFolder, readEditRecord } = await import('../../edits');
  if (isEditFolder(spec)) {
    const model = readEditRecord(spec)?.model ?? 'NAME';
    throw new Error(`eval: ${spec} is an edit (edit.json), not a model; evaluate it on its model: editlab eval --model ${model} --edit ${spec} --alpha 0,1.`);
  }
  const { resolveModel } = await import('../../models');
  return (await resolveModel(spec)).model;
}

/** `eval --model M`: one set, {accuracy, n, ci, ci_lo, ci_hi}. */
async function evalModel(v: Flags, stderr: Stderr): Promise<number> {
  if (typeof v.model !== 'string') throw new Error('eval: --model NAME|PATH is required.');
  if (v.alpha !== undefined) throw new Error('eval: --alpha needs --edit DIR (an edit folder written by `editlab edit`).');
  const { evaluate } = await import('../../evaluate');
  const onnxFile = v.model.endsWith('.onnx');
  const model = onnxFile ? undefined : await loadModel(v.model);
  const sets = Object.entries(await chooseSets(v, stderr, undefined));
  if (sets.length !== 1) throw new Error(`eval: without --edit, eval scores one set; --shift/--severity chose ${sets.length} (${sets.map(([n]) => n).join(', ')}).`);
  const [[name, set]] = sets;
  const result = await evaluate(model ?? v.model, set, { ...engineOptions(v), logits: false, progress: stderr.progress && `evaluate ${name}` });
  const a = result.accuracy!;
  stderr.log(`engine ${result.engine} (${result.reason})`);
  if (v.json) printJson({ accuracy: a.accuracy, n: a.n, ci: a.ci, ci_lo: a.ci_lo, ci_hi: a.ci_hi });
  else console.log(`accuracy ${(100 * a.accuracy).toFixed(2)}% (95% CI ${(100 * a.ci_lo).toFixed(2)}–${(100 * a.ci_hi).toFixed(2)}%) on ${a.n} images${name === 'clean' ? '' : ` under ${name}`}`);
  model?.dispose();
  return 0;
}

/** `eval --model M --edit DIR --alpha …`: W(α) on every chosen set, one row per α and set. */
async function evalEdit(v: Flags, stderr: Stderr): Promise<number> {
  const dir = path.resolve(String(v.edit));
  const { isEditFolder, readEditRecord, loadEdit } = await import('../../edits');
  if (!isEditFolder(dir)) throw new Error(`eval: --edit ${v.edit} is not an edit folder (expected edit.json and deltas.bin, as \`editlab edit --out DIR\` writes).`);
  const record = readEditRecord(dir);
  const spec = typeof v.model === 'string' ? v.model : record?.model;
  if (!spec) throw new Error(`eval: --model NAME|PATH is required (${path.join(dir, 'metrics.json')} does not record the edit's model).`);
  const alphas = v.alpha === undefined ? [1] : parseAlphas(v.alpha);
  const model = await loadModel(spec);
  let edit;
  try {
    edit = loadEdit(dir, model);
  } catch (e) {
    const made = record?.model && record.model !== spec ? ` It was made with --model ${record.model}.` : '';
    throw new Error(`eval: --edit ${v.edit} cannot be applied to --model ${spec}: ${(e as Error).message.replace(/^editlab: /, '')}${made}`);
  }
  const sets = await chooseSets(v, stderr, dir);
  const { sweepAlpha } = await import('../../sweep/interpolate');
  const rows = await sweepAlpha(edit, sets, { alphas, ...engineOptions(v), progress: stderr.progress && `evaluate ${edit.method} at ${alphas.length} α` });
  if (v.json) printJson(rows);
  else {
    const width = Math.max(5, ...Object.keys(sets).map((n) => n.length));
    console.log(`${edit.method} on ${edit.layers.join(', ')} (${v.edit}), model ${spec}`);
    console.log(`${'split'.padEnd(width)}  ${'α'.padStart(6)}  ${'accuracy'.padStart(8)}  ${'95% CI'.padEnd(15)}  n`);
    const pct = (x: number) => (100 * x).toFixed(2);
    // One split's α path together (the rows themselves are α-major, as every sweep's).
    const bySplit = Object.keys(sets).flatMap((split) => rows.filter((r) => r.split === split));
    for (const r of bySplit) console.log(`${r.split.padEnd(width)}  ${String(r.alpha).padStart(6)}  ${`${pct(r.accuracy)}%`.padStart(8)}  ${`${pct(r.ci_lo)}–${pct(r.ci_hi)}%`.padEnd(15)}  ${r.n}`);
  }
  edit.dispose();
  model.dispose();
  return 0;
}

/** `eval --model M --summary`: clean, corruptions per group, renditions, hard subset, ρ against the cloud. */
async function evalSummary(v: Flags, stderr: Stderr): Promise<number> {
  if (typeof v.model !== 'string') throw new Error('eval: --summary needs --model NAME|PATH.');
  for (const flag of ['edit', 'alpha', 'split', 'shift'] as const) {
    if (v[flag] !== undefined) throw new Error(`eval: --summary scores every shift of the reference cloud; it takes no --${flag}.`);
  }
  const { robustnessSummary } = await import('../../cloud');
  const images = parseImages(v, ['limit'], 0);
  const severities = v.severity === undefined ? undefined : parseSeverities(v.severity, ['gaussian_noise'], () => false);
  const model = v.model.endsWith('.onnx') ? undefined : await loadModel(v.model);
  const summary = await robustnessSummary(model ?? v.model, {
    model: v.model, shiftSize: images || undefined, severities,
    evaluate: engineOptions(v), progress: stderr.progress && `robustness summary of ${v.model}`,
  });
  model?.dispose();
  if (v.json) printJson(summary);
  else {
    const pct = (x: number) => (100 * x).toFixed(2);
    const pp = (x: number | null) => (x === null ? '' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)} pp`);
    console.log(`${summary.model}: robustness against the reference cloud (${summary.cloud_models} models, ${summary.transform} lines)`);
    console.log(`${'set'.padEnd(12)} ${'cells'.padStart(5)} ${'n'.padStart(6)}  ${'accuracy'.padStart(8)}  ${'95% CI'.padEnd(14)}  ${'eff. robustness'.padEnd(16)} ${'95% CI'.padEnd(20)} r²`);
    for (const r of summary.rows) {
      const er = r.effective_robustness === null ? ''.padEnd(16) : pp(r.effective_robustness).padEnd(16);
      const erCi = r.effective_robustness_ci_lo === null ? ''.padEnd(20) : `${pp(r.effective_robustness_ci_lo)}…${pp(r.effective_robustness_ci_hi)}`.padEnd(20);
      const r2 = r.line_r2 === null ? '' : `${r.line_r2.toFixed(2)}${r.reliable ? '' : ' (unreliable)'}`;
      console.log(`${r.set.padEnd(12)} ${String(r.cells).padStart(5)} ${String(r.n).padStart(6)}  ${`${pct(r.accuracy)}%`.padStart(8)}  ${`${pct(r.ci_lo)}–${pct(r.ci_hi)}%`.padEnd(14)}  ${er} ${erCi} ${r2}`.trimEnd());
    }
  }
  return 0;
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'accuracy with a 95% interval of a model, or of an edit at any α, on clean or shifted test images or an edit task\'s splits',
  usage: `editlab eval --model NAME|PATH|FILE.onnx [--shift NAME [--severity S]] [--images N] [--seed N]
                    [--engine auto|onnx|tfjs] [--threads N] [--backend B] [--json] [--quiet]
       editlab eval [--model NAME|PATH] --edit DIR [--alpha LIST|START:END:STEP]
                    [--shift NAME [--severity S] | --split NAME|all ...] [--images N] [--seed N]
                    [--engine auto|onnx|tfjs] [--threads N] [--backend B] [--json] [--quiet]
       editlab eval --model NAME|PATH|FILE.onnx --summary [--images N] [--severity LIST] [--json]

  A model: prints {accuracy, n, ci: [lo, hi], ci_lo, ci_hi} (accuracy as a fraction,
  Clopper–Pearson 95% interval) on the embedded test split (the first --images N images; default
  all 10 000; --limit is an alias), under a shift when given: --shift takes any shift of
  \`editlab shifts list\`; a corruption needs --severity 1–5, a rendition takes none.
  An edit (a folder written by \`editlab edit --out DIR\`): evaluates W(α) = W₀ + α·(W₁ − W₀) of
  the model for every --alpha (a list 0,0.5,1 or an inclusive range 0:1:0.1; default 1) and
  prints one row per α and set: {method, layer, alpha, split, accuracy, n, ci_lo, ci_hi}, as a
  JSON array with --json. --model defaults to the model the edit was made on (metrics.json);
  an edit made for another model is refused. Sets: the clean test images (default), --shift
  NAME (here also a list, 'all', 'benchmark' or 'renditions', with --severity a list, range or
  'all'), or --split NAME (repeatable, or 'all'): the edit task's held-out splits as the edit
  recorded them: exemplars, held-out, clean and the task's own (e.g. "other classes, snow").
  --summary: the model on the reference cloud's cells (all 10 000 clean test images; every
  corruption × severity and rendition on the cloud's seeded sample of --images N test images,
  default 1 000; the hard subset) → {model, transform, cloud_models, rows}: per set (clean,
  corruptions = ImageNet-C's 15, each corruption group, held-out, renditions, hard) the mean
  accuracy with its interval and the effective robustness ρ against the cloud (one line per
  cell, ρ averaged) with its interval and the lines' mean r² (reliable when ≥ 0.5).
  --engine auto (default) evaluates on ONNX Runtime when the model exports, else on the tfjs
  backend. Progress in images on stderr; --quiet: none.`,
  options: {
    model: { type: 'string' }, edit: { type: 'string' }, alpha: { type: 'string' }, split: { type: 'string', multiple: true },
    shift: { type: 'string' }, severity: { type: 'string' }, ...imagesOptions('limit'), seed: { type: 'string' },
    engine: { type: 'string' }, threads: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }, ...QUIET_OPTION,
    summary: { type: 'boolean' },
  },
  async run(v) {
    const { useBackend } = await import('../../engine/backend');
    await useBackend(parseBackend(v.backend));
    const stderr = stderrOf(v);
    if (v.summary) return evalSummary(v, stderr);
    if (v.edit !== undefined) return evalEdit(v, stderr);
    if (v.split !== undefined) throw new Error('eval: --split names a held-out split of an edit\'s task; it needs --edit DIR.');
    return evalModel(v, stderr);
  },
};
