/**
 * Reading rendered figures in tests, independently of vega: a tiny parser for the SVG that
 * vega's `toSVG` writes (well-formed, attributes always double-quoted), and the size of a PNG.
 */
import assert from 'node:assert/strict';

export interface SvgElement {
  name: string;
  attrs: Record<string, string>;
  children: SvgElement[];
  /** Text directly inside the element (entities decoded). */
  text: string;
  parent: SvgElement | null;
}

const decode = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/**
 * Parses SVG text into a tree, asserting that it is well nested.
 * @returns a root whose single child is the `<svg>` element
 */
export function parseSvg(svg: string): SvgElement {
  const root: SvgElement = { name: '#root', attrs: {}, children: [], text: '', parent: null };
  let cur = root;
  const re = /<!--[\s\S]*?-->|<(\/?)([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
  for (let m; (m = re.exec(svg)); ) {
    if (m[0].startsWith('<!--')) continue;
    if (m[5] !== undefined) {
      cur.text += decode(m[5]);
      continue;
    }
    if (m[1] === '/') {
      assert.equal(cur.name, m[2], 'SVG is well nested');
      cur = cur.parent!;
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of m[3].matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]] = decode(a[2]);
    const el: SvgElement = { name: m[2], attrs, children: [], text: '', parent: cur };
    cur.children.push(el);
    if (m[4] !== '/') cur = el;
  }
  assert.equal(cur, root, 'every SVG element is closed');
  return root;
}

/** Every descendant of `el` that satisfies `pred`, in document order. */
export function findAll(el: SvgElement, pred: (e: SvgElement) => boolean, out: SvgElement[] = []): SvgElement[] {
  for (const c of el.children) {
    if (pred(c)) out.push(c);
    findAll(c, pred, out);
  }
  return out;
}

/**
 * The items of the data marks of one kind: vega draws each mark's items as children of a group
 * classed `mark-<type> role-mark …`.
 * @param markType vega mark type: 'rect', 'rule', 'symbol', 'line', 'area', 'text'
 */
export function markItems(root: SvgElement, markType: string): SvgElement[] {
  return findAll(root, (e) => (e.parent?.attrs.class ?? '').startsWith(`mark-${markType} role-mark`) && e.name !== 'g');
}

/** A `<text>` element's content; a multi-line text's lines (tspans) joined by a space. */
export function textOf(el: SvgElement): string {
  return [el.text, ...el.children.filter((c) => c.name === 'tspan').map((c) => c.text)].filter(Boolean).join(' ');
}

/**
 * The texts of a figure, in document order.
 * @param keep which `<text>` elements count (default all; e.g. skip white halos drawn under labels)
 */
export function svgTexts(root: SvgElement, keep: (text: SvgElement) => boolean = () => true): string[] {
  return findAll(root, (e) => e.name === 'text' && keep(e)).map(textOf);
}

/** The size of a PNG, after checking its signature and header chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(png.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** The `translate(x,y)` of an element's transform. */
export function translation(el: SvgElement): { x: number; y: number } {
  const m = /translate\(([-\d.e]+),\s*([-\d.e]+)\)/.exec(el.attrs.transform ?? '');
  assert.ok(m, `no translate in ${JSON.stringify(el.attrs)}`);
  return { x: +m[1], y: +m[2] };
}
