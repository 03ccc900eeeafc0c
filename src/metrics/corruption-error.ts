/**
 * Corruption errors and mCE (Hendrycks & Dietterich 2019): a model's error on a corruption,
 * summed over severities, relative to a baseline model's, so that corruptions of different
 * difficulty weigh alike in the mean. CE_c = Σ_s E_{s,c}(f) / Σ_s E_{s,c}(base); relative CE
 * subtracts each model's clean error first, so it measures the degradation rather than the
 * error. On ImageNet the base is AlexNet (constants in datasets/mce/); on the embedded data it
 * is a named model of the same table (e.g. the cloud's reference CNN).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../data/paths';

/** One accuracy of one model on one cell: tidy, as the cloud and study tables hold them. */
export interface CorruptionAccuracyRow {
  model: string;
  /** Corruption name, or 'clean'. */
  shift: string;
  /** 'corruption' for corrupted cells, 'clean' for the clean one; other families are ignored. */
  family: string;
  severity: number;
  accuracy: number;
}

/** A baseline's errors (fractions): per corruption, by severity and/or as the mean over `severities`. */
export interface BaselineErrors {
  /** Named in errors and results. */
  name: string;
  /** Clean error; null where unknown, and then relative CE is null. */
  clean_error: number | null;
  /** The severities a `mean_error` averages over. */
  severities: readonly number[];
  corruptions: Readonly<Record<string, { severity_errors?: Readonly<Record<number, number>>; mean_error?: number }>>;
}

/** One model's corruption error on one corruption. */
export interface CorruptionErrorRow {
  [key: string]: string | number | null;
  model: string;
  corruption: string;
  /** Σ_s E_{s,c}(model) over the model's severities of this corruption. */
  error_sum: number;
  /** Σ_s E_{s,c}(base) over the same severities. */
  base_error_sum: number;
  /** error_sum / base_error_sum. */
  ce: number;
  /** Σ_s (E_{s,c} − E_clean)(model) / Σ_s (E_{s,c} − E_clean)(base); null without a base clean error. */
  relative_ce: number | null;
  /** How many severities were summed. */
  severities: number;
}

/** One model's mean corruption errors. */
export interface MceRow {
  [key: string]: string | number | null;
  model: string;
  base: string;
  /** Mean of CE over the corruptions. */
  mce: number;
  /** Mean of relative CE over the corruptions; null without a base clean error. */
  relative_mce: number | null;
  clean_error: number;
  corruptions: number;
}

/** Options of {@link corruptionErrors}. */
export interface CorruptionErrorOptions {
  /** Corruptions to average over (default: every corruption of each model, e.g. `BENCHMARK_CORRUPTIONS` for ImageNet-C's 15). */
  corruptions?: readonly string[];
  /** Models to score (default: every model of `rows` except a base given by name). */
  models?: readonly string[];
}

/**
 * CE and relative CE per model and corruption, and their means (mCE, relative mCE). `base` is
 * the name of a model in `rows` or a {@link BaselineErrors} (e.g. {@link alexNetImageNetC}).
 * Errors are 1 − accuracy. Every severity a model has for a corruption must exist for the base
 * (or the base's mean must span exactly those severities); a gap is an error naming it.
 * @example corruptionErrors(loadCloud(), 'cnn-w1-…', { corruptions: BENCHMARK_CORRUPTIONS }).summary
 */
export function corruptionErrors(rows: readonly CorruptionAccuracyRow[], base: string | BaselineErrors, options: CorruptionErrorOptions = {}): { rows: CorruptionErrorRow[]; summary: MceRow[] } {
  const baseline = typeof base === 'string' ? baselineFromRows(rows, base) : base;
  const byModel = errorsByModel(rows);
  const models = options.models ?? [...byModel.keys()].filter((m) => m !== base);
  const out: CorruptionErrorRow[] = [];
  const summary: MceRow[] = [];
  for (const model of models) {
    const errors = byModel.get(model);
    if (!errors) throw new Error(`editlab: corruptionErrors: no rows for model "${model}"; models: ${[...byModel.keys()].join(', ')}.`);
    if (errors.clean === undefined) throw new Error(`editlab: corruptionErrors: model "${model}" has no clean row (shift 'clean').`);
    const corruptions = options.corruptions ?? [...errors.corruptions.keys()].sort();
    if (!corruptions.length) throw new Error(`editlab: corruptionErrors: model "${model}" has no corruption rows.`);
    const modelRows = corruptions.map((corruption) => {
      const bySeverity = errors.corruptions.get(corruption);
      if (!bySeverity) throw new Error(`editlab: corruptionErrors: model "${model}" has no rows of corruption "${corruption}".`);
      const severities = [...bySeverity.keys()].sort((a, b) => a - b);
      const errorSum = severities.reduce((s, sev) => s + (bySeverity.get(sev) as number), 0);
      const baseErrorSum = baselineErrorSum(baseline, corruption, severities);
      const degradation = errorSum - severities.length * (errors.clean as number);
      const baseDegradation = baseline.clean_error === null ? null : baseErrorSum - severities.length * baseline.clean_error;
      return {
        model, corruption, error_sum: errorSum, base_error_sum: baseErrorSum, ce: errorSum / baseErrorSum,
        relative_ce: baseDegradation === null ? null : degradation / baseDegradation, severities: severities.length,
      };
    });
    out.push(...modelRows);
    const relative = modelRows.map((r) => r.relative_ce);
    summary.push({
      model, base: baseline.name, mce: mean(modelRows.map((r) => r.ce)),
      relative_mce: relative.includes(null) ? null : mean(relative as number[]), clean_error: errors.clean, corruptions: modelRows.length,
    });
  }
  return { rows: out, summary };
}

/** A model of `rows` as a baseline: its clean error and its per-severity corruption errors. */
export function baselineFromRows(rows: readonly CorruptionAccuracyRow[], model: string): BaselineErrors {
  const errors = errorsByModel(rows).get(model);
  if (!errors) throw new Error(`editlab: corruptionErrors: the base model "${model}" has no rows; models: ${[...errorsByModel(rows).keys()].join(', ')}.`);
  if (errors.clean === undefined) throw new Error(`editlab: corruptionErrors: the base model "${model}" has no clean row (shift 'clean').`);
  const corruptions: Record<string, { severity_errors: Record<number, number> }> = {};
  for (const [corruption, bySeverity] of errors.corruptions) corruptions[corruption] = { severity_errors: Object.fromEntries(bySeverity) };
  return { name: model, clean_error: errors.clean, severities: [], corruptions };
}

/** The committed AlexNet ImageNet-C errors. */
export function alexNetImageNetCFile(): string {
  return path.join(packageRoot(), 'datasets', 'mce', 'alexnet-imagenet-c.json');
}

/**
 * AlexNet's ImageNet-C errors, the base of the published mCE (datasets/mce/alexnet-imagenet-c.json,
 * source and gaps in its `source` and `note`). Its clean error is not in the file (null): pass
 * `cleanError` to get relative CE against it.
 */
export function alexNetImageNetC(options: { cleanError?: number; file?: string } = {}): BaselineErrors {
  const file = options.file ?? alexNetImageNetCFile();
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as {
    clean_error: number | null; severities: number[];
    corruptions: Record<string, { mean_error: number; severity_errors: number[] | null }>;
  };
  const corruptions: BaselineErrors['corruptions'] = Object.fromEntries(Object.entries(data.corruptions).map(([name, c]) => [name, {
    mean_error: c.mean_error,
    ...(c.severity_errors ? { severity_errors: Object.fromEntries(c.severity_errors.map((e, i) => [data.severities[i], e])) } : {}),
  }]));
  return { name: 'alexnet-imagenet-c', clean_error: options.cleanError ?? data.clean_error, severities: data.severities, corruptions };
}

/** Σ_s E_{s,c}(base) over `severities`, from per-severity errors or, failing those, the mean. */
function baselineErrorSum(base: BaselineErrors, corruption: string, severities: readonly number[]): number {
  const c = base.corruptions[corruption];
  if (!c) throw new Error(`editlab: corruptionErrors: the base "${base.name}" has no errors for corruption "${corruption}"; it has ${Object.keys(base.corruptions).join(', ')}.`);
  const perSeverity = c.severity_errors;
  const missing = severities.filter((s) => perSeverity?.[s] === undefined);
  if (!missing.length) return severities.reduce((sum, s) => sum + (perSeverity as Record<number, number>)[s], 0);
  const meanSpans = c.mean_error !== undefined && base.severities.length === severities.length && base.severities.every((s) => severities.includes(s));
  if (meanSpans) return (c.mean_error as number) * severities.length;
  throw new Error(`editlab: corruptionErrors: the base "${base.name}" lacks severity ${missing.join(', ')} of corruption "${corruption}"`
    + (c.mean_error !== undefined ? ` (its mean error spans severities ${base.severities.join(', ')}, the model has ${severities.join(', ')}).` : '.'));
}

/** One model's clean error and, per corruption, its error by severity. */
interface ModelErrors {
  clean?: number;
  corruptions: Map<string, Map<number, number>>;
}

/** Per model: clean error and, per corruption, error by severity. */
function errorsByModel(rows: readonly CorruptionAccuracyRow[]): Map<string, ModelErrors> {
  const byModel = new Map<string, ModelErrors>();
  for (const r of rows) {
    const m: ModelErrors = byModel.get(r.model) ?? { corruptions: new Map() };
    byModel.set(r.model, m);
    if (r.shift === 'clean') m.clean = 1 - r.accuracy;
    else if (r.family === 'corruption') {
      const bySeverity = m.corruptions.get(r.shift) ?? new Map<number, number>();
      m.corruptions.set(r.shift, bySeverity);
      if (bySeverity.has(r.severity)) throw new Error(`editlab: corruptionErrors: model "${r.model}" has two rows for ${r.shift} at severity ${r.severity}.`);
      bySeverity.set(r.severity, 1 - r.accuracy);
    }
  }
  return byModel;
}

function mean(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0) / values.length;
}
