/**
 * The paper's four findings (BRIEF §2) judged on a study's tables. Each finding has a written
 * rule that reads pooled penalties (method × layer, α = 1) or pooled paths (accuracies along α)
 * and returns a verdict — supported, contradicted or inconclusive — with the numbers and
 * intervals that decided it and the figure that shows it. Intervals decide: a difference counts
 * only when the two 95% intervals do not overlap.
 */
import { groupBy } from '../frames/group-by';
import type { PooledPenaltyRow, PooledPathPoint } from '../study';

/** A finding's verdict. */
export type Verdict = 'supported' | 'contradicted' | 'inconclusive';

/** One judged finding. */
export interface Finding {
  id: 1 | 2 | 3 | 4;
  /** The paper's claim, in one sentence. */
  claim: string;
  verdict: Verdict;
  /** The rule applied, in words. */
  rule: string;
  /** The numbers that decided it (Markdown lines). */
  evidence: string[];
  /** The figure that shows it (file stem). */
  figure: string;
}

/** Pooled path points: method × layer × α means (see `poolPaths`). */
type PooledPath = PooledPathPoint;

/** The methods that change few parameters (BRIEF §2, finding 2). */
export const CONSTRAINED_METHODS = ['rewrite', 'lowrank', 'local-ft', 'one-layer-interp'];

const pp = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)} pp`;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const interval = (lo: number, hi: number, unit: (x: number) => string) => `[${unit(lo)}, ${unit(hi)}]`;
const penaltyText = (r: PooledPenaltyRow) => `${r.method} ${r.layer}: ${pp(r.penalty)} ${interval(r.ci_lo, r.ci_hi, pp)}${r.reliable ? '' : ' (unreliable line)'}`;
/** Two intervals that do not overlap: a above b. */
const above = (a: { lo: number; hi: number }, b: { lo: number; hi: number }) => a.lo > b.hi;

/** Finding 1: edits reduce robustness, by an amount that depends on method and layer. */
export function judgeReducedRobustness(overall: readonly PooledPenaltyRow[]): Finding {
  const base = { id: 1 as const, claim: 'Edits generally reduce robustness to distribution shift (negative OOD penalties); how much depends on the edit method and the layer.', figure: 'penalty-by-method-layer',
    rule: 'Over every method × layer (overall penalty at α = 1, pooled over models and tasks): supported when most have a 95% interval entirely below zero and at least two have non-overlapping intervals; contradicted when most lie entirely above zero.' };
  if (!overall.length) return { ...base, verdict: 'inconclusive', evidence: ['No penalties: the study has no finished job with clean and shifted sets.'] };
  const below = overall.filter((r) => r.ci_hi < 0), over = overall.filter((r) => r.ci_lo > 0);
  const sorted = [...overall].sort((a, b) => a.penalty - b.penalty);
  const differ = above({ lo: sorted.at(-1)!.ci_lo, hi: sorted.at(-1)!.ci_hi }, { lo: sorted[0].ci_lo, hi: sorted[0].ci_hi });
  const verdict: Verdict = below.length > overall.length / 2 && differ ? 'supported' : over.length > overall.length / 2 ? 'contradicted' : 'inconclusive';
  return {
    ...base, verdict,
    evidence: [
      `${below.length} of ${overall.length} method × layer combinations lost robustness (interval below zero); ${over.length} gained (interval above zero).`,
      `Most lost: ${penaltyText(sorted[0])}. Least: ${penaltyText(sorted.at(-1)!)}; ${differ ? 'their intervals do not overlap' : 'their intervals overlap'}.`,
    ],
  };
}

/** Finding 2: constrained methods keep more robustness than global fine-tuning. */
export function judgeConstrainedVsGlobal(overall: readonly PooledPenaltyRow[]): Finding {
  const base = { id: 2 as const, claim: 'Constrained methods that change fewer parameters (rewriting, low-rank, single-layer) keep more robustness than global fine-tuning.', figure: 'penalty-by-method-layer',
    rule: 'Each constrained method × layer against global fine-tuning from the same layer on (overall penalty at α = 1): supported when most constrained ones are above it with non-overlapping intervals; contradicted when most are below it likewise.' };
  const globals = overall.filter((r) => r.method === 'global-ft');
  const pairs = overall.filter((r) => CONSTRAINED_METHODS.includes(r.method)).map((r) => ({ r, g: globals.find((g) => g.layer === r.layer) })).filter((p): p is { r: PooledPenaltyRow; g: PooledPenaltyRow } => p.g !== undefined);
  if (!pairs.length) return { ...base, verdict: 'inconclusive', evidence: [`The study has ${globals.length ? 'no constrained method at a layer global fine-tuning started from' : 'no global fine-tuning'} to compare.`] };
  const box = (x: PooledPenaltyRow) => ({ lo: x.ci_lo, hi: x.ci_hi });
  const better = pairs.filter(({ r, g }) => above(box(r), box(g))), worse = pairs.filter(({ r, g }) => above(box(g), box(r)));
  const verdict: Verdict = better.length > pairs.length / 2 ? 'supported' : worse.length > pairs.length / 2 ? 'contradicted' : 'inconclusive';
  return {
    ...base, verdict,
    evidence: [
      `${better.length} of ${pairs.length} constrained method × layer combinations kept more robustness than global fine-tuning from the same layer (non-overlapping intervals), ${worse.length} kept less.`,
      ...globals.map((g) => `- ${penaltyText(g)}`),
      ...pairs.map(({ r }) => `- ${penaltyText(r)}`),
    ],
  };
}

/** Spearman's rank correlation of two equally long lists (average ranks for ties). */
export function spearman(x: readonly number[], y: readonly number[]): number {
  const rank = (v: readonly number[]) => {
    const order = v.map((value, i) => ({ value, i })).sort((a, b) => a.value - b.value);
    const ranks = new Array<number>(v.length);
    for (let k = 0; k < order.length;) {
      let end = k;
      while (end + 1 < order.length && order[end + 1].value === order[k].value) end++;
      for (let j = k; j <= end; j++) ranks[order[j].i] = (k + end) / 2;
      k = end + 1;
    }
    return ranks;
  };
  const rx = rank(x), ry = rank(y);
  const mean = (r: number[]) => r.reduce((s, v) => s + v, 0) / r.length;
  const mx = mean(rx), my = mean(ry);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < rx.length; i++) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) ** 2;
    syy += (ry[i] - my) ** 2;
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : 0;
}

/** The pooled paths, one list per method × layer, ordered by α. */
function pathsOf(points: readonly PooledPath[]): Map<string, PooledPath[]> {
  const groups = groupBy([...points].sort((x, y) => x.alpha - y.alpha), (p) => [p.method, p.layer]);
  return new Map([...groups.values()].map((path) => [`${path[0].method} ${path[0].layer}`, path]));
}

/** Finding 3: interpolation traces a trade-off, and 1-LI navigates it well. */
export function judgeTradeOff(points: readonly PooledPath[]): Finding {
  const base = { id: 3 as const, claim: 'Interpolating between original and edited weights traces a trade-off between edit-task accuracy and original-task robustness; 1-layer interpolation (1-LI) navigates it well.', figure: 'trade-off',
    rule: 'A path (method × layer along α, pooled) is a trade-off when edit-task accuracy rises from α = 0 to 1 while OOD accuracy falls, with Spearman ρ(edit, OOD) ≤ −0.5 along α. 1-LI navigates it well at a layer when, at α = 1, it keeps OOD accuracy at least local fine-tuning\'s and at least half of its edit-task gain. Supported when most paths are trade-offs and 1-LI navigates well at most layers; contradicted when fewer than a quarter of the paths are trade-offs.' };
  const paths = [...pathsOf(points).entries()].filter(([, p]) => p.length >= 3 && p[0].alpha === 0 && p.at(-1)!.alpha === 1);
  if (!paths.length) return { ...base, verdict: 'inconclusive', evidence: ['No path with α from 0 to 1 and at least three α values.'] };
  const trades = paths.filter(([key, p]) => !key.startsWith('one-layer-interp') && p.at(-1)!.edit_accuracy > p[0].edit_accuracy && p.at(-1)!.ood_accuracy < p[0].ood_accuracy
    && spearman(p.map((q) => q.edit_accuracy), p.map((q) => q.ood_accuracy)) <= -0.5);
  const considered = paths.filter(([key]) => !key.startsWith('one-layer-interp'));
  const end = (method: string, layer: string) => paths.find(([key]) => key === `${method} ${layer}`)?.[1];
  const oneLayer = paths.filter(([key]) => key.startsWith('one-layer-interp ')).map(([key, p]) => {
    const layer = key.slice('one-layer-interp '.length), local = end('local-ft', layer);
    if (!local) return undefined;
    const gain = local.at(-1)!.edit_accuracy - local[0].edit_accuracy, kept = p.at(-1)!.edit_accuracy - p[0].edit_accuracy;
    return { layer, well: p.at(-1)!.ood_accuracy >= local.at(-1)!.ood_accuracy && kept >= 0.5 * gain, oneLayer: p.at(-1)!, local: local.at(-1)!, gain, kept };
  }).filter((x): x is NonNullable<typeof x> => x !== undefined);
  const navigates = oneLayer.length > 0 && oneLayer.filter((x) => x.well).length > oneLayer.length / 2;
  const share = considered.length ? trades.length / considered.length : 0;
  const verdict: Verdict = share > 0.5 && navigates ? 'supported' : share < 0.25 ? 'contradicted' : 'inconclusive';
  return {
    ...base, verdict,
    evidence: [
      `${trades.length} of ${considered.length} interpolation paths trade edit-task accuracy for OOD accuracy.`,
      ...considered.map(([key, p]) => `- ${key}: edit ${pct(p[0].edit_accuracy)} → ${pct(p.at(-1)!.edit_accuracy)}, OOD ${pct(p[0].ood_accuracy)} → ${pct(p.at(-1)!.ood_accuracy)} ${interval(p.at(-1)!.ood_ci_lo, p.at(-1)!.ood_ci_hi, pct)}, Spearman ${spearman(p.map((q) => q.edit_accuracy), p.map((q) => q.ood_accuracy)).toFixed(2)}`),
      oneLayer.length
        ? `1-LI at α = 1 against local fine-tuning: ${oneLayer.map((x) => `${x.layer}: edit gain ${pp(x.kept)} of ${pp(x.gain)}, OOD ${pct(x.oneLayer.ood_accuracy)} vs ${pct(x.local.ood_accuracy)} (${x.well ? 'navigates well' : 'does not'})`).join('; ')}.`
        : 'No 1-LI path with a local fine-tuning path of the same layer: its half of the claim is untested.',
    ],
  };
}

/** Finding 4: for some layers, single-layer fine-tuning beats global fine-tuning OOD along part of the path. */
export function judgeLayerBeatsGlobal(points: readonly PooledPath[]): Finding {
  const base = { id: 4 as const, claim: 'For some layers, single-layer fine-tuning gives higher OOD accuracy than global fine-tuning along part of the interpolation path.', figure: 'accuracy-vs-alpha',
    rule: 'Local fine-tuning at each layer against global fine-tuning from that layer on, at the same α > 0 (OOD accuracy pooled over models and tasks): supported when at some layer and α the local interval lies above the global one; contradicted when at every layer and α it lies below.' };
  const paths = pathsOf(points);
  const comparisons = [...paths.entries()].filter(([key]) => key.startsWith('local-ft ')).flatMap(([key, path]) => {
    const layer = key.slice('local-ft '.length), global = paths.get(`global-ft ${layer}`);
    return path.filter((p) => p.alpha > 0).map((p) => {
      const g = global?.find((q) => q.alpha === p.alpha);
      return g && { layer, alpha: p.alpha, local: p, global: g };
    }).filter((c): c is NonNullable<typeof c> => c !== undefined);
  });
  if (!comparisons.length) return { ...base, verdict: 'inconclusive', evidence: ['The study has no local and global fine-tuning at a common layer and α.'] };
  const box = (p: PooledPath) => ({ lo: p.ood_ci_lo, hi: p.ood_ci_hi });
  const higher = comparisons.filter((c) => above(box(c.local), box(c.global)));
  const lower = comparisons.filter((c) => above(box(c.global), box(c.local)));
  const verdict: Verdict = higher.length ? 'supported' : lower.length === comparisons.length ? 'contradicted' : 'inconclusive';
  const best = [...comparisons].sort((a, b) => (b.local.ood_accuracy - b.global.ood_accuracy) - (a.local.ood_accuracy - a.global.ood_accuracy))[0];
  return {
    ...base, verdict,
    evidence: [
      `Local above global (non-overlapping intervals) at ${higher.length} of ${comparisons.length} layer × α points; below at ${lower.length}.`,
      ...(higher.length ? [`Layers and α where local is higher: ${higher.map((c) => `${c.layer} α=${c.alpha}`).join(', ')}.`] : []),
      `Largest margin: ${best.layer} at α = ${best.alpha}: local ${pct(best.local.ood_accuracy)} ${interval(best.local.ood_ci_lo, best.local.ood_ci_hi, pct)} vs global ${pct(best.global.ood_accuracy)} ${interval(best.global.ood_ci_lo, best.global.ood_ci_hi, pct)}.`,
    ],
  };
}

/** All four findings from the pooled overall penalties (α = 1) and pooled paths. */
export function judgeFindings(overall: readonly PooledPenaltyRow[], paths: readonly PooledPath[]): Finding[] {
  return [judgeReducedRobustness(overall), judgeConstrainedVsGlobal(overall), judgeTradeOff(paths), judgeLayerBeatsGlobal(paths)];
}

/** The findings as the Markdown of `summary.md`. */
export function findingsMarkdown(findings: readonly Finding[], context: { spec: string; jobs: number; seconds: number; machine: string }): string {
  const lines = [
    '# Edit at your own risk — the four findings on this study',
    '',
    `Study: the ${context.spec} spec, ${context.jobs} jobs, ${Math.round(context.seconds)} s on ${context.machine}. Penalties are ρ(edited) − ρ(original) against the`,
    'reference cloud (per shift, then averaged per family and overall), at α = 1, pooled over models and tasks, with 95% paired bootstrap',
    'intervals (pooled interval ends are means of the jobs\' ends: never narrower than the truth). Paper: arXiv 2303.00046.',
    '',
  ];
  for (const f of findings) {
    lines.push(`## ${f.id}. ${f.claim}`, '', `**Verdict: ${f.verdict}.** Figure: \`${f.figure}.png\`.`, '', ...f.evidence.map((e) => (e.startsWith('- ') ? e : `${e}`)), '', `Rule: ${f.rule}`, '');
  }
  return lines.join('\n');
}
