import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  REFERENCE_ROLE_FIELD,
  accuracyVsAlpha,
  compileSpec,
  configureFonts,
  currentTextMeasure,
  loadVega,
  renderPng,
  renderSvg,
  saveFigure,
  svgToPng,
  type VegaLiteSpec,
} from '../src/figures';
import { parseSvg, findAll as all, pngSize, type SvgElement as El } from './support/svg';

// ---------------------------------------------------------------- SVG reading (a tiny parser independent of vega: test/support/svg.ts)

/** Elements named `name` whose parent group has a class starting with `groupClass`. */
function marksIn(root: El, groupClass: string, name: string): El[] {
  return all(root, (e) => e.name === name && (e.parent?.attrs.class ?? '').startsWith(groupClass));
}


// ---------------------------------------------------------------- a hand-made table

// Two splits (listed in non-alphabetical order) × two layers × α ∈ {0, 0.5, 1}.
const splits = ['original (clean)', 'edit task'];
const layers = ['fc1', 'conv1'];
const acc: Record<string, number[]> = {
  'original (clean)|fc1': [0.9, 0.8, 0.6],
  'original (clean)|conv1': [0.9, 0.85, 0.75],
  'edit task|fc1': [0.1, 0.5, 1.0],
  'edit task|conv1': [0.1, 0.3, 0.65],
};
const rows = splits.flatMap((split) =>
  layers.flatMap((layer) => [0, 0.5, 1].map((alpha, i) => ({ split, layer, alpha, accuracy: acc[`${split}|${layer}`][i] }))),
);
const reference = [
  { accuracy: 0.5, label: 'global fine-tuning' }, // no split: drawn in both panels
  { accuracy: 0.95, label: 'global fine-tuning', split: 'edit task' },
];
const W = 220; // default panel size
const H = 180;

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-figures-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('accuracyVsAlpha spec', () => {
  const spec = accuracyVsAlpha(rows, { title: 'Local fine-tuning', reference }) as Record<string, any>;

  test('is a Vega-Lite v5 spec that vega-lite compiles', () => {
    assert.match(spec.$schema, /vega-lite\/v5/);
    const vg = compileSpec(spec) as Record<string, any>;
    assert.match(vg.$schema, /schema\/vega\/v5/);
    assert.ok(Array.isArray(vg.marks) && vg.marks.length > 0);
  });

  test('facets and colors keep the table order; y is 0–100 % of fractions', () => {
    assert.deepEqual(spec.facet.sort, splits);
    assert.equal(spec.facet.field, 'split');
    assert.equal(spec.columns, 2);
    const enc = spec.spec.layer[0].encoding;
    assert.deepEqual(enc.color.sort, layers);
    assert.equal(enc.color.field, 'layer');
    assert.deepEqual(enc.y.scale.domain, [0, 1]);
    assert.equal(enc.y.axis.format, '.0%');
    assert.equal(spec.title, 'Local fine-tuning');
  });

  test('a reference row without a split is repeated in every panel', () => {
    const refs = spec.data.values.filter((r: any) => r[REFERENCE_ROLE_FIELD] === 'reference');
    assert.deepEqual(
      refs.map((r: any) => [r.split, r.accuracy]),
      [
        ['original (clean)', 0.5],
        ['edit task', 0.5],
        ['edit task', 0.95],
      ],
    );
    assert.equal(spec.data.values.length, rows.length + 3);
  });

  test('percent values (0–100) get a 0–100 domain with % labels; no facet field → one panel; method as default color', () => {
    const s = accuracyVsAlpha([
      { method: 'rewrite', alpha: 0, accuracy: 40 },
      { method: 'rewrite', alpha: 1, accuracy: 80 },
    ]) as Record<string, any>;
    assert.equal(s.facet, undefined);
    const enc = s.layer[0].encoding;
    assert.equal(enc.color.field, 'method');
    assert.deepEqual(enc.y.scale.domain, [0, 100]);
    assert.match(enc.y.axis.labelExpr, /'%'/);
    compileSpec(s);
  });
});

describe('rendering', () => {
  const spec = accuracyVsAlpha(rows, { title: 'Local fine-tuning', reference });
  let svg: string;
  before(async () => {
    svg = await renderSvg(spec);
  });

  test('the SVG holds the title, the facet headers in table order and the legend entries', () => {
    const root = parseSvg(svg);
    const texts = all(root, (e) => e.name === 'text').map((e) => e.text);
    assert.ok(texts.includes('Local fine-tuning'));
    assert.deepEqual(
      texts.filter((t) => splits.includes(t)),
      splits,
    );
    for (const l of [...layers, 'global fine-tuning']) assert.ok(texts.includes(l), l);
  });

  test('one line per layer and panel, each through its three points', () => {
    const root = parseSvg(svg);
    const lines = marksIn(root, 'mark-line role-mark', 'path');
    assert.equal(lines.length, splits.length * layers.length); // 4
    for (const l of lines) {
      const vertices = l.attrs.d.match(/[ML]/g) ?? [];
      assert.equal(vertices.length, 3, l.attrs.d);
    }
  });

  test('points sit at (α·width, (1 − accuracy)·height) inside their panel', () => {
    const root = parseSvg(svg);
    const points = marksIn(root, 'mark-symbol role-mark', 'path');
    assert.equal(points.length, rows.length); // 12
    const got = points
      .map((p) => /translate\(([-\d.]+),([-\d.]+)\)/.exec(p.attrs.transform)!)
      .map((m) => `${Math.round(+m[1])},${Math.round(+m[2])}`)
      .sort();
    const want = rows.map((r) => `${Math.round(r.alpha * W)},${Math.round((1 - r.accuracy) * H)}`).sort();
    assert.deepEqual(got, want);
  });

  test('reference rules: one per panel for the shared one, plus one in the edit-task panel, dashed at their levels', () => {
    const root = parseSvg(svg);
    const rules = marksIn(root, 'mark-rule role-mark', 'line');
    assert.equal(rules.length, 3);
    const ys = rules.map((r) => Math.round(+/translate\([-\d.]+,([-\d.]+)\)/.exec(r.attrs.transform)![1])).sort((a, b) => a - b);
    assert.deepEqual(ys, [Math.round(0.05 * H), 0.5 * H, 0.5 * H]); // accuracy 0.95 → y 9; 0.5 → y 90
    for (const r of rules) assert.ok(r.attrs['stroke-dasharray'], 'dashed');
  });

  test('rendering leaves the spec untouched (vega tags ingested data objects otherwise)', async () => {
    const s = accuracyVsAlpha(rows.slice(0, 3));
    const before = JSON.stringify(s);
    await renderSvg(s);
    const values = (s.data as { values: object[] }).values;
    assert.deepEqual(Object.getOwnPropertySymbols(values[0]), []);
    assert.equal(JSON.stringify(s), before);
  });

  test('PNG: signature and size = SVG size × scale', async () => {
    const root = parseSvg(svg).children[0];
    const w = Number(root.attrs.width);
    const h = Number(root.attrs.height);
    assert.ok(w > 2 * W && h > H, `${w}×${h}`);
    assert.deepEqual(pngSize(await svgToPng(svg)), { width: 2 * w, height: 2 * h });
    assert.deepEqual(pngSize(await renderPng(spec, { scale: 1 })), { width: w, height: h });
    assert.deepEqual(pngSize(await svgToPng(svg, { scale: 1.5 })), { width: Math.ceil(1.5 * w), height: Math.ceil(1.5 * h) });
  });

  test('saveFigure writes svg, png and a vl.json that round-trips, creating folders', async () => {
    const base = path.join(tmp, 'a', 'b', 'fig1');
    const out = await saveFigure(spec, base);
    assert.deepEqual(out, { svg: `${base}.svg`, png: `${base}.png`, vl: `${base}.vl.json` });
    const back = JSON.parse(fs.readFileSync(out.vl, 'utf8')) as VegaLiteSpec;
    assert.deepEqual(back, spec);
    assert.deepEqual((back.data as { values: unknown[] }).values.length, rows.length + 3);
    const fileSvg = fs.readFileSync(out.svg, 'utf8');
    const root = parseSvg(fileSvg).children[0];
    assert.equal(root.name, 'svg');
    assert.deepEqual(pngSize(fs.readFileSync(out.png)), { width: 2 * +root.attrs.width, height: 2 * +root.attrs.height });
  });
});

describe('text and fonts', () => {
  test('vega measures real glyph widths (narrow i, wide W), capped at the item limit', (t) => {
    if (currentTextMeasure() !== 'canvas') return t.skip('no font or @napi-rs/canvas here');
    const tm = (loadVega() as unknown as { textMetrics: { width(item: object, text: string): number } }).textMetrics;
    const narrow = tm.width({ fontSize: 20 }, 'iiiiiiii');
    const wide = tm.width({ fontSize: 20 }, 'WWWWWWWW');
    assert.ok(narrow > 0 && narrow < wide / 2, `${narrow} vs ${wide}`); // the 0.8-em estimate gives both 128
    assert.ok(tm.width({ fontSize: 20, fontWeight: 'bold' }, 'accuracy') > tm.width({ fontSize: 20 }, 'accuracy'));
    assert.equal(tm.width({ fontSize: 11, limit: 60 }, 'a rather long legend label that vega truncates'), 60);
    const w11 = tm.width({ fontSize: 11 }, 'accuracy');
    assert.ok(Math.abs(tm.width({ fontSize: 22 }, 'accuracy') - 2 * w11) < 0.5, 'width scales with size');
  });

  test('text reaches the PNG when a font exists; without fonts a warning (or an error) instead of silence', async (t) => {
    const withText = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30"><rect width="120" height="30" fill="white"/><text x="4" y="20" font-family="sans-serif" font-size="14">accuracy</text></svg>';
    const noText = withText.replace(/<text.*<\/text>/, '');
    try {
      if (configureFonts().available) {
        assert.notDeepEqual(await svgToPng(withText, { scale: 1 }), await svgToPng(noText, { scale: 1 }), 'glyphs were drawn');
      } else {
        t.diagnostic('no system fonts here: only the no-font behaviour is checked');
      }

      configureFonts({ systemFonts: false, missing: 'error' });
      await assert.rejects(svgToPng(withText), /no font found/);

      configureFonts({ systemFonts: false, missing: 'warn' });
      assert.equal(currentTextMeasure(), 'estimate');
      const warnings: Error[] = [];
      const onWarning = (w: Error) => warnings.push(w);
      process.on('warning', onWarning);
      const blank = await svgToPng(withText, { scale: 1 });
      await svgToPng(withText, { scale: 1 }); // warned once per setup
      await new Promise((r) => setImmediate(r));
      process.off('warning', onWarning);
      assert.equal(warnings.filter((w) => (w as { code?: string }).code === 'EDITLAB_NO_FONTS').length, 1);
      // Without fonts the text is indeed gone: the PNG equals the one without the text element.
      assert.deepEqual(blank, await svgToPng(noText, { scale: 1 }));
    } finally {
      configureFonts();
    }
  });
});
