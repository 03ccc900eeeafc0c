// The JSON conventions of docs/conventions.md as a checker, shared by the CLI tests: walks a
// JSON value and lists every place that breaks them.

/** A key naming a rate: its value is a fraction (≤ 1), never a percent. */
const RATE_KEY = /(^|_)(accuracy|fraction|success|generalization|corrected|rate)$/;
/** Interval ends under another name than ci_lo / ci_hi (or <value>_ci_lo / <value>_ci_hi). */
const OTHER_BOUND = /(^|_)(lo|hi|low|high|lower|upper|min_ci|max_ci)$/;
/** A list written as one string, e.g. "imagenet,cifar,small". */
const LIST_STRING = /^[\w.-]+(,[\w.-]+)+$/;

/**
 * Every violation of the conventions in `value`, as `path: problem`: camelCase keys, rates
 * above 1 (percent), intervals not in ci_lo/ci_hi form, lists as strings, '—' placeholders.
 */
export function conventionViolations(value: unknown, path = '$'): string[] {
  const out: string[] = [];
  const walk = (v: unknown, at: string, rateContext: boolean) => {
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${at}[${i}]`, rateContext));
      return;
    }
    if (typeof v === 'string') {
      if (LIST_STRING.test(v)) out.push(`${at}: a list as one string ("${v}"); use a JSON array`);
      if (v === '—') out.push(`${at}: a placeholder "—"; use null`);
      return;
    }
    if (typeof v === 'number') {
      if (rateContext && v > 1) out.push(`${at}: a rate above 1 (${v}); rates are fractions`);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    for (const key of keys) {
      const where = `${at}.${key}`;
      if (/[a-z0-9][A-Z]/.test(key)) out.push(`${where}: camelCase key; use snake_case`);
      if (key === 'ci' && !(keys.includes('ci_lo') && keys.includes('ci_hi'))) out.push(`${where}: "ci" without ci_lo and ci_hi beside it`);
      const bound = /^(?:(.+)_)?ci_(lo|hi)$/.exec(key);
      if (bound) {
        const other = `${bound[1] ? `${bound[1]}_` : ''}ci_${bound[2] === 'lo' ? 'hi' : 'lo'}`;
        if (!keys.includes(other)) out.push(`${where}: without ${other} beside it`);
        const valueKey = bound[1] ?? (keys.includes('accuracy') ? 'accuracy' : undefined);
        if (bound[1] && !keys.includes(bound[1])) out.push(`${where}: no "${bound[1]}" beside the interval`);
        if (!valueKey && !keys.some((k) => RATE_KEY.test(k) || k === 'value')) out.push(`${where}: an interval beside no value`);
      } else if (OTHER_BOUND.test(key)) out.push(`${where}: an interval end not named ci_lo / ci_hi`);
      // Rates, accuracies per split ({split: accuracy}; a list of splits describes them instead) and
      // interval ends are all fractions, and so is what a rate's object holds.
      const accuracies = key === 'splits' && !Array.isArray(o[key]);
      walk(o[key], where, rateContext || RATE_KEY.test(key) || accuracies || /(^|_)ci(_lo|_hi)?$/.test(key));
    }
  };
  walk(value, path, false);
  return out;
}

/**
 * Parses a command's stdout as exactly one pretty-printed JSON document (docs/conventions.md)
 * and returns it; fails with the output otherwise.
 */
export function oneJsonDocument(stdout: string, what: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch (e) {
    throw new Error(`${what}: stdout is not one JSON document (${(e as Error).message}):\n${stdout.slice(0, 2000)}`);
  }
  if (typeof value === 'object' && value !== null && stdout.trim() !== JSON.stringify(value, null, 2)) {
    throw new Error(`${what}: stdout is JSON but not pretty-printed (2-space indent, one document):\n${stdout.slice(0, 500)}`);
  }
  return value;
}
