// The four findings' rules on hand-made pooled tables: each verdict (supported, contradicted,
// inconclusive) reached where the rule says, and Spearman's ρ against hand-computed values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeReducedRobustness, judgeConstrainedVsGlobal, judgeTradeOff, judgeLayerBeatsGlobal, findingsMarkdown, judgeFindings, spearman } from '../src/reproduce/findings';
import type { PooledPenaltyRow, PooledPathPoint } from '../src/study';

const penalty = (method: string, layer: string, value: number, half = 0.005): PooledPenaltyRow => ({
  family: 'overall', method, layer, alpha: 1, jobs: 3, penalty: value, ci_lo: value - half, ci_hi: value + half, drop: value, min_r2: 0.8, reliable: true,
});

/** A path from α = 0 to 1 in `steps` steps, edit and OOD accuracy linear in α, intervals ± half. */
function path(method: string, layer: string, edit: [number, number], ood: [number, number], half = 0.01, steps = 4): PooledPathPoint[] {
  return Array.from({ length: steps + 1 }, (_, k) => {
    const a = k / steps, e = edit[0] + a * (edit[1] - edit[0]), o = ood[0] + a * (ood[1] - ood[0]);
    return { method, layer, alpha: a, jobs: 3, edit_accuracy: e, edit_ci_lo: e - half, edit_ci_hi: e + half, clean_accuracy: 0.9, ood_accuracy: o, ood_ci_lo: o - half, ood_ci_hi: o + half };
  });
}

test('Spearman ρ: hand-computed values, ties by average rank', () => {
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  assert.equal(spearman([1, 2, 3], [1, 2, 3]), 1);
  // ranks x: 1 2 3 4, y: 1 3 2 4 → d² = 0+1+1+0 = 2 → 1 − 6·2/(4·15) = 0.8
  assert.ok(Math.abs(spearman([10, 20, 30, 40], [5, 7, 6, 8]) - 0.8) < 1e-12);
  // y ties: ranks 1.5 1.5 3 → Pearson on ranks of x (1 2 3) and y (1.5 1.5 3) = 0.8660…
  assert.ok(Math.abs(spearman([1, 2, 3], [2, 2, 5]) - Math.sqrt(3) / 2) < 1e-12);
});

test('finding 1: most intervals below zero and two that differ → supported; most above → contradicted; else inconclusive', () => {
  assert.equal(judgeReducedRobustness([penalty('a', 'l', -0.05), penalty('b', 'l', -0.01), penalty('c', 'l', 0.002)]).verdict, 'supported');
  assert.equal(judgeReducedRobustness([penalty('a', 'l', -0.012), penalty('b', 'l', -0.011)]).verdict, 'inconclusive', 'all below but indistinguishable: the layer/method dependence is not shown');
  assert.equal(judgeReducedRobustness([penalty('a', 'l', 0.03), penalty('b', 'l', 0.02), penalty('c', 'l', -0.01)]).verdict, 'contradicted');
  assert.equal(judgeReducedRobustness([]).verdict, 'inconclusive');
});

test('finding 2: constrained methods against global fine-tuning, by non-overlapping intervals', () => {
  const global = penalty('global-ft', 'l1', -0.05);
  assert.equal(judgeConstrainedVsGlobal([global, penalty('local-ft', 'l1', -0.01), penalty('rewrite', 'l1', -0.02), penalty('interp', 'all', -0.1), penalty('lowrank', 'l2', -0.2)]).verdict, 'supported', 'compared at the same layer only');
  assert.equal(judgeConstrainedVsGlobal([global, penalty('local-ft', 'l1', -0.09), penalty('lowrank', 'l1', -0.08)]).verdict, 'contradicted');
  assert.equal(judgeConstrainedVsGlobal([global, penalty('local-ft', 'l1', -0.052)]).verdict, 'inconclusive');
  const missing = judgeConstrainedVsGlobal([penalty('local-ft', 'l1', -0.01)]);
  assert.equal(missing.verdict, 'inconclusive');
  assert.match(missing.evidence[0], /no global fine-tuning/);
});

test('finding 3: trade-off paths and 1-LI against local fine-tuning', () => {
  const local = path('local-ft', 'l1', [0.1, 0.9], [0.6, 0.4]);
  const oneLayerWell = path('one-layer-interp', 'l1', [0.1, 0.7], [0.6, 0.5]);
  const oneLayerPoor = path('one-layer-interp', 'l1', [0.1, 0.2], [0.6, 0.55]);
  assert.equal(judgeTradeOff([...local, ...path('rewrite', 'l1', [0.1, 0.5], [0.6, 0.55]), ...oneLayerWell]).verdict, 'supported');
  assert.equal(judgeTradeOff([...local, ...oneLayerPoor]).verdict, 'inconclusive', 'a trade-off, but 1-LI keeps less than half the edit gain');
  assert.equal(judgeTradeOff([...path('local-ft', 'l1', [0.1, 0.9], [0.6, 0.7]), ...path('rewrite', 'l1', [0.1, 0.9], [0.6, 0.65])]).verdict, 'contradicted', 'OOD accuracy rises with the edit: no trade-off');
});

test('finding 4: a layer whose OOD interval lies above global fine-tuning\'s at some α', () => {
  const global = path('global-ft', 'l1', [0.1, 0.9], [0.6, 0.3]);
  assert.equal(judgeLayerBeatsGlobal([...global, ...path('local-ft', 'l1', [0.1, 0.9], [0.6, 0.5])]).verdict, 'supported');
  assert.equal(judgeLayerBeatsGlobal([...global, ...path('local-ft', 'l1', [0.1, 0.9], [0.4, 0.1])]).verdict, 'contradicted');
  assert.equal(judgeLayerBeatsGlobal([...global, ...path('local-ft', 'l1', [0.1, 0.9], [0.6, 0.305], 0.05)]).verdict, 'inconclusive');
  assert.equal(judgeLayerBeatsGlobal([...global, ...path('local-ft', 'l2', [0.1, 0.9], [0.6, 0.5])]).verdict, 'inconclusive', 'no global fine-tuning from l2: nothing to compare');
});

test('summary Markdown states every finding with its verdict, evidence and figure', () => {
  const md = findingsMarkdown(judgeFindings([penalty('local-ft', 'l1', -0.02)], path('local-ft', 'l1', [0.1, 0.9], [0.6, 0.4])), { spec: 'quick', jobs: 3, seconds: 100, machine: '2 cores' });
  for (const id of [1, 2, 3, 4]) assert.match(md, new RegExp(`## ${id}\\. `));
  assert.equal(md.match(/\*\*Verdict: (supported|contradicted|inconclusive)\.\*\*/g)?.length, 4);
  assert.match(md, /penalty-by-method-layer\.png/);
});
