// The study's figures 2 and 4 (penaltyBars, tradeOff) and the reading aids added to figures 1
// and 3: golden specs, rendered SVG/PNG, and properties on random tables.
// Golden specs live in test/golden/<name>.vl.json; after a deliberate change, rewrite them with
//   UPDATE_GOLDEN=1 npx tsx --test test/figures-study.test.ts
// and look at the diff (and at the rendered figure) before committing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ARROW_ANGLE_FIELD,
  BAR_SLOT_FIELD,
  OKABE_ITO,
  TRADE_OFF_NOTE,
  UNRELIABLE_NOTE,
  accuracyOnTheLine,
  accuracyVsAlpha,
  compileSpec,
  penaltyBars,
  renderPng,
  renderSvg,
  tradeOff,
  type VegaLiteSpec,
} from '../src/figures';
import { mulberry32 } from '../src/engine/rng';
import type { Row } from '../src/frames/types';
import { findAll, markItems, parseSvg, pngSize, svgTexts, type SvgElement } from './support/svg';
import {
  ALPHA_LAYERS,
  ALPHA_SPLITS,
  CLOUD_ARCHS,
  ORIGINAL,
  PENALTY_FAMILIES,
  PENALTY_LAYERS,
  PENALTY_METHODS,
  TRADE_OFF_PATHS,
  UNRELIABLE_FAMILY,
  alphaRows,
  cloudOverlayRows,
  cloudRows,
  penaltyRows,
  penaltyRowsWithGlobal,
  tradeOffRows,
} from './support/study-figure-rows';

// ---------------------------------------------------------------- helpers

const GOLDEN_DIR = path.join(__dirname, 'golden');

/** Compares a spec with test/golden/<name>.vl.json (written as saveFigure writes specs), or rewrites it under UPDATE_GOLDEN=1. */
function assertGolden(name: string, spec: VegaLiteSpec): void {
  const file = path.join(GOLDEN_DIR, `${name}.vl.json`);
  const text = JSON.stringify(spec, null, 2) + '\n';
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.writeFileSync(file, text, 'utf8');
    return;
  }
  assert.ok(fs.existsSync(file), `${file} is missing: run with UPDATE_GOLDEN=1 once, then inspect it`);
  assert.deepEqual(JSON.parse(text), JSON.parse(fs.readFileSync(file, 'utf8')), `${name}: the spec differs from its golden file (UPDATE_GOLDEN=1 rewrites it)`);
}

/** Renders a spec to SVG: the parsed tree and its texts. */
async function render(spec: VegaLiteSpec): Promise<{ root: SvgElement; texts: string[] }> {
  const root = parseSvg(await renderSvg(spec));
  assert.equal(root.children[0].name, 'svg');
  return { root, texts: svgTexts(root) };
}

/** renderPng at scale 1 gives a PNG exactly the size of the SVG. */
async function assertPngMatchesSvg(spec: VegaLiteSpec): Promise<void> {
  const top = parseSvg(await renderSvg(spec)).children[0];
  const size = pngSize(await renderPng(spec, { scale: 1 }));
  assert.deepEqual(size, { width: Math.ceil(+top.attrs.width), height: Math.ceil(+top.attrs.height) });
  assert.ok(size.width > 300 && size.height > 200, `${size.width}×${size.height}`);
}

/** Every layer of a spec, faceted or not. */
function layersOf(spec: VegaLiteSpec): Array<Record<string, any>> {
  const inner = (spec.spec ?? spec) as { layer: Array<Record<string, any>> };
  return inner.layer;
}

const markType = (layer: Record<string, any>) => (typeof layer.mark === 'string' ? layer.mark : layer.mark.type);
const distinct = <T>(xs: T[]) => [...new Set(xs.map((x) => JSON.stringify(x)))].length;
/** Texts drawn for reading, not the white halos under labels. */
const visibleTexts = (root: SvgElement) => svgTexts(root, (t) => t.attrs.stroke !== 'white');

function shuffledSubset<T>(rand: () => number, xs: readonly T[], min: number): T[] {
  const picked = xs.filter(() => rand() < 0.6);
  return picked.length >= min ? picked : xs.slice(0, min);
}

// ---------------------------------------------------------------- figure 2: penalty bars

describe('penaltyBars (figure 2)', () => {
  const rows = penaltyRowsWithGlobal();
  const spec = penaltyBars(rows, { title: 'OOD penalty by method and layer' });

  test('golden spec', () => assertGolden('penalty-bars', spec));

  test('compiles; one panel per family in table order, penalties ×100, Okabe–Ito colours, note under the title', () => {
    compileSpec(spec);
    const s = spec as Record<string, any>;
    assert.deepEqual(s.facet.column.sort, PENALTY_FAMILIES);
    assert.deepEqual(s.transform.slice(0, 3).map((t: any) => t.as), ['penalty_pp', 'ci_lo_pp', 'ci_hi_pp']);
    assert.deepEqual(s.config.range.category, [...OKABE_ITO]);
    assert.deepEqual(s.title, { text: 'OOD penalty by method and layer', subtitle: [UNRELIABLE_NOTE] });
    const bars = layersOf(spec).find((l) => markType(l) === 'bar')!;
    assert.deepEqual(bars.encoding.x.sort, ['global-ft', ...PENALTY_METHODS]);
    assert.deepEqual(bars.encoding.fill.scale.domain, ['all', ...PENALTY_LAYERS]);
  });

  test('bars are centred in their method: three layers at −1, 0, 1; a single "all" bar at 0', () => {
    const values = (spec.data as { values: Row[] }).values;
    for (const v of values) {
      const want = v.layer === 'all' ? 0 : PENALTY_LAYERS.indexOf(v.layer as string) - 1;
      assert.equal(v[BAR_SLOT_FIELD], want, JSON.stringify(v));
    }
  });

  test('a row without a family (shiftPenalties\' overall row) is drawn in the "overall" panel', () => {
    const s = penaltyBars(penaltyRows().map((r) => (r.family === 'overall' ? { ...r, family: null } : r))) as Record<string, any>;
    assert.deepEqual(s.facet.column.sort, PENALTY_FAMILIES);
    assert.ok(s.data.values.every((v: Row) => typeof v.family === 'string'));
  });

  test('no unreliable rows → no note; intervals: false → no whiskers', () => {
    const reliable = penaltyRows().filter((r) => r.family !== UNRELIABLE_FAMILY);
    const s = penaltyBars(reliable, { intervals: false }) as Record<string, any>;
    assert.equal(s.title, undefined);
    assert.ok(!layersOf(s).some((l) => l.encoding?.y2));
  });

  test('rendered: panel titles, methods, layers, the note; PNG the size of the SVG', async () => {
    const { root, texts } = await render(spec);
    for (const t of [...PENALTY_FAMILIES, ...PENALTY_METHODS, 'global-ft', ...PENALTY_LAYERS, 'all', UNRELIABLE_NOTE, 'OOD penalty (percentage points)']) assert.ok(texts.includes(t), t);
    assert.equal(markItems(root, 'rect').length, rows.length);
    await assertPngMatchesSvg(spec);
  });

  test('property: the hollow bars are exactly the unreliable rows, outlined in their layer colour (random tables)', async () => {
    const rand = mulberry32(7);
    for (let trial = 0; trial < 3; trial++) {
      const methods = shuffledSubset(rand, ['m1', 'm2', 'm3'], 1);
      const families = shuffledSubset(rand, PENALTY_FAMILIES, 2);
      const table: Row[] = [];
      for (const family of families)
        for (const method of methods)
          for (const layer of shuffledSubset(rand, ['a', 'b', 'c'], 1)) {
            const penalty = -0.08 * rand();
            table.push({ method, layer, family, penalty, ci_lo: penalty - 0.01, ci_hi: penalty + 0.01, reliable: rand() > 0.4, r2: rand() });
          }
      const layers = [...new Set(table.map((r) => r.layer))];
      const { root, texts } = await render(penaltyBars(table)); // untitled: the note stands alone
      assert.equal(texts.includes(UNRELIABLE_NOTE), table.some((r) => r.reliable === false), 'the note iff a hollow bar');
      const bars = markItems(root, 'rect');
      assert.equal(bars.length, table.length);
      const key = (r: Row) => `${r.family}, ${r.method}, ${r.layer}:`;
      const hollow = bars.filter((b) => b.attrs.fill === 'white').map((b) => b.attrs['aria-label'].split(':')[0] + ':');
      assert.deepEqual(hollow.sort(), table.filter((r) => r.reliable === false).map(key).sort(), `trial ${trial}`);
      for (const b of bars) {
        const layer = b.attrs['aria-label'].split(':')[0].split(', ')[2];
        assert.equal(b.attrs.stroke, OKABE_ITO[layers.indexOf(layer)], b.attrs['aria-label']);
        if (b.attrs.fill !== 'white') assert.equal(b.attrs.fill, b.attrs.stroke);
      }
    }
  });

  test('property: whiskers exist exactly for the rows with ci_lo and ci_hi', async () => {
    const withCi = penaltyRows().map((r, i) => (i % 3 === 0 ? { ...r, ci_lo: null, ci_hi: null } : r));
    const zeroRules = PENALTY_FAMILIES.length; // one per panel
    const count = async (table: Row[]) => markItems((await render(penaltyBars(table))).root, 'rule').length - zeroRules;
    assert.equal(await count(withCi), withCi.filter((r) => r.ci_lo !== null).length);
    assert.equal(await count(penaltyRows().map(({ ci_lo, ci_hi, ...r }) => r)), 0);
    assert.ok(!layersOf(penaltyBars(penaltyRows().map(({ ci_lo, ci_hi, ...r }) => r))).some((l) => l.encoding?.y2));
  });
});

// ---------------------------------------------------------------- figure 4: trade-off paths

describe('tradeOff (figure 4)', () => {
  const rows = tradeOffRows();
  const spec = tradeOff(rows, { title: 'Trade-off along α' });

  test('golden spec', () => assertGolden('trade-off', spec));

  test('compiles; 0–100 % axes for fractions and for percents; colour = method, dash = layer', () => {
    compileSpec(spec);
    const line = layersOf(spec).find((l) => markType(l) === 'line')!;
    assert.deepEqual(line.encoding.x.scale.domain, [0, 1]);
    assert.deepEqual(line.encoding.y.scale.domain, [0, 1]);
    assert.equal(line.encoding.color.field, 'method');
    assert.equal(line.encoding.strokeDash.field, 'layer');
    assert.deepEqual(line.encoding.order, { field: 'alpha', type: 'quantitative' });
    const percent = tradeOff(rows.map((r) => ({ ...r, edit_accuracy: 100 * (r.edit_accuracy as number), ood_accuracy: 100 * (r.ood_accuracy as number) })));
    assert.deepEqual(layersOf(percent).find((l) => markType(l) === 'line')!.encoding.x.scale.domain, [0, 100]);
  });

  test('the original is the α = 0 point, marked once; the guides cross there', () => {
    const withData = layersOf(spec).filter((l) => l.data);
    const diamond = withData.filter((l) => l.mark.shape === 'diamond');
    assert.equal(diamond.length, 1);
    for (const l of withData) {
      const [o] = l.data.values;
      assert.ok(Math.abs(o.edit_accuracy - ORIGINAL.edit_accuracy) < 1e-12 && Math.abs(o.ood_accuracy - ORIGINAL.ood_accuracy) < 1e-12);
    }
    const rules = withData.filter((l) => markType(l) === 'rule');
    assert.deepEqual(rules.map((r) => Object.keys(r.encoding)).sort(), [['x'], ['y']]);
    const noStart = tradeOff(rows.filter((r) => r.alpha !== 0));
    assert.ok(!layersOf(noStart).some((l) => l.data), 'no α = 0 rows: no original, no guides');
  });

  test('arrowheads point along the last step (degrees clockwise from up)', () => {
    const straight = (method: string, to: [number, number]) => [
      { method, layer: 'x', alpha: 0, edit_accuracy: 0.5, ood_accuracy: 0.5 },
      { method, layer: 'x', alpha: 1, edit_accuracy: to[0], ood_accuracy: to[1] },
    ];
    const s = tradeOff([...straight('right', [0.9, 0.5]), ...straight('down', [0.5, 0.1]), ...straight('up', [0.5, 0.9])]);
    const angles = Object.fromEntries((s.data as { values: Row[] }).values.filter((v) => v.alpha === 1).map((v) => [v.method, Math.round(v[ARROW_ANGLE_FIELD] as number)]));
    assert.deepEqual(angles, { right: 90, down: 180, up: 0 });
  });

  test('rendered: one path and one arrowhead per method × layer, the labels and the note; PNG the size of the SVG', async () => {
    const { root, texts } = await render(spec);
    assert.equal(markItems(root, 'line').length, TRADE_OFF_PATHS.length);
    const rotated = findAll(root, (e) => /rotate\(/.test(e.attrs.transform ?? '') && (e.parent?.attrs.class ?? '').startsWith('mark-symbol role-mark'));
    assert.equal(rotated.length, TRADE_OFF_PATHS.length);
    for (const t of ['original', "original's OOD accuracy", "original's edit accuracy", 'no trade-off', TRADE_OFF_NOTE, 'local-ft', 'global-ft', 'rewrite', 'block2', 'fc', 'all']) assert.ok(texts.includes(t), t);
    await assertPngMatchesSvg(spec);
  });

  test('property: the number of paths equals the number of method × layer combinations (random tables)', async () => {
    const rand = mulberry32(11);
    for (let trial = 0; trial < 3; trial++) {
      const table: Row[] = [];
      for (const method of shuffledSubset(rand, ['m1', 'm2', 'm3'], 1))
        for (const layer of shuffledSubset(rand, ['a', 'b', 'c'], 1))
          for (const alpha of [0, 0.5, 1]) table.push({ method, layer, alpha, edit_accuracy: 0.3 + 0.6 * alpha * rand(), ood_accuracy: 0.6 - 0.2 * alpha * rand() });
      const { root, texts } = await render(tradeOff(table));
      assert.equal(markItems(root, 'line').length, distinct(table.map((r) => [r.method, r.layer])), `trial ${trial}`);
      assert.ok(texts.includes(TRADE_OFF_NOTE), 'untitled: the note stands alone');
    }
  });

  test('property: crosshairs exist iff the rows have interval fields', async () => {
    const guides = 2;
    const ruleCount = async (table: Row[]) => markItems((await render(tradeOff(table))).root, 'rule').length;
    assert.equal(await ruleCount(tradeOffRows(false)), guides);
    assert.equal(await ruleCount(tradeOffRows(true)), guides + 2 * rows.length);
    const editOnly = tradeOffRows(true).map(({ ood_ci_lo, ood_ci_hi, ...r }) => r);
    assert.equal(await ruleCount(editOnly), guides + rows.length);
    const crosshairLayers = (s: VegaLiteSpec) => layersOf(s).filter((l) => markType(l) === 'rule' && (l.encoding.x2 || l.encoding.y2));
    assert.equal(crosshairLayers(tradeOff(tradeOffRows(true))).length, 2);
    assert.equal(crosshairLayers(tradeOff(tradeOffRows(true), { intervals: false })).length, 0);
    assert.equal(crosshairLayers(tradeOff(tradeOffRows(false))).length, 0);
  });
});

// ---------------------------------------------------------------- figure 1: intervals

describe('accuracyVsAlpha intervals (figure 1)', () => {
  test('property: a band per line iff the rows have ci_lo/ci_hi (or intervals: false); the layer legend stays', async () => {
    const rows = alphaRows();
    const withCi = await render(accuracyVsAlpha(rows, { reference: [{ accuracy: 0.8, label: 'global fine-tuning' }] }));
    assert.equal(markItems(withCi.root, 'area').length, ALPHA_SPLITS.length * ALPHA_LAYERS.length);
    for (const t of [...ALPHA_LAYERS, ...ALPHA_SPLITS, 'global fine-tuning']) assert.ok(withCi.texts.includes(t), t);
    const noCi = rows.map(({ ci_lo, ci_hi, ...r }) => r);
    assert.equal(markItems((await render(accuracyVsAlpha(noCi))).root, 'area').length, 0);
    assert.equal(markItems((await render(accuracyVsAlpha(rows, { intervals: false }))).root, 'area').length, 0);
    const band = layersOf(accuracyVsAlpha(rows)).find((l) => markType(l) === 'area')!;
    assert.deepEqual([band.encoding.y.field, band.encoding.y2.field], ['ci_lo', 'ci_hi']);
    assert.equal(band.mark.opacity, undefined, 'fillOpacity only: an opacity would fade the shared legend');
  });
});

// ---------------------------------------------------------------- figure 3: reading aids

describe('accuracyOnTheLine reading aids (figure 3)', () => {
  const cloud = cloudRows();
  const overlay = cloudOverlayRows();
  const spec = accuracyOnTheLine(cloud, { overlay, bootstrap: 50, title: 'Corruptions' });

  test('path ends labelled α = 0 and α = 1, off their points; a start shared by two paths is labelled once', async () => {
    const values = (spec.data as { values: Row[] }).values;
    const ends = values.filter((v) => v.__part === 'end');
    assert.deepEqual(ends.map((e) => e.text), ['α = 0', 'α = 1']);
    // The label's box (text ≈ 0.6 em per character) leaves the point's disk (size 60 → r ≈ 4.4 px) clear.
    const x = layersOf(spec).find((l) => markType(l) === 'point')!.encoding.x;
    const y = layersOf(spec).find((l) => markType(l) === 'point')!.encoding.y;
    const px = { x: (spec.width as number) / (x.scale.domain[1] - x.scale.domain[0]), y: (spec.height as number) / (y.scale.domain[1] - y.scale.domain[0]) };
    const pathPoints = values.filter((v) => v.__part === 'overlay');
    for (const [label, point] of [[ends[0], pathPoints[0]], [ends[1], pathPoints[pathPoints.length - 1]]]) {
      const dx = Math.abs(((label.x as number) - (point.x as number)) * px.x);
      const dy = Math.abs(((label.y as number) - (point.y as number)) * px.y);
      assert.ok(dx >= (0.6 * 11 * 5) / 2 + 4.4 || dy >= 11 / 2 + 4.4, `${label.text}: ${dx.toFixed(1)}, ${dy.toFixed(1)} px`);
    }
    const twoPaths = [...overlay, ...overlay.map((r) => ({ ...r, label: 'other', ood: r.alpha === 0 ? r.ood : (r.ood as number) - 0.05 }))];
    const { root } = await render(accuracyOnTheLine(cloud, { overlay: twoPaths, bootstrap: 0 }));
    const shown = visibleTexts(root);
    assert.equal(shown.filter((t) => t === 'α = 0').length, 1);
    assert.equal(shown.filter((t) => t === 'α = 1').length, 2);
  });

  test('rendered: an architecture legend for the cloud, "y = x" along the diagonal, the end labels', async () => {
    const { root, texts } = await render(spec);
    for (const t of ['architecture (cloud)', ...CLOUD_ARCHS, 'y = x', 'α = 0', 'α = 1', 'local-ft fc']) assert.ok(texts.includes(t), t);
    const diagonal = findAll(root, (e) => e.name === 'text' && e.text === 'y = x' && e.attrs.stroke !== 'white');
    assert.equal(diagonal.length, 1);
    assert.match(diagonal[0].attrs.transform, /rotate\(-\d/, 'written along the rising diagonal');
    await assertPngMatchesSvg(spec);
  });

  test('existing options keep working: no arch → no shape legend; custom series/order fields; logit axes; no band; no overlay', () => {
    const plain = cloud.map(({ arch, ...r }) => r);
    const cloudLayer = (s: VegaLiteSpec) => layersOf(s).find((l) => markType(l) === 'point')!;
    assert.equal(cloudLayer(accuracyOnTheLine(plain, { bootstrap: 0 })).encoding.shape, undefined);
    assert.equal(cloudLayer(spec).encoding.shape.field, 'arch');
    const steps = overlay.map(({ label, alpha, ...r }) => ({ ...r, run: 'r1', step: (alpha as number) * 4 }));
    const custom = accuracyOnTheLine(cloud, { overlay: steps, series: 'run', order: 'step', transform: 'logit', bootstrap: 0 });
    compileSpec(custom);
    const ends = (custom.data as { values: Row[] }).values.filter((v) => v.__part === 'end').map((v) => v.text);
    assert.deepEqual(ends, ['step = 0', 'step = 4']);
    assert.ok(!layersOf(custom).some((l) => markType(l) === 'area'));
    const alone = accuracyOnTheLine(cloud, { bootstrap: 0 });
    assert.ok(!(alone.data as { values: Row[] }).values.some((v) => v.__part === 'end'));
    assert.ok(!layersOf(alone).some((l) => markType(l) === 'line' && l.encoding.color));
  });
});
