// The folders of src/ form layers: each loads only folders below it, so no import circle can
// form. Static imports and lazy ones (`await import('../x')`, `require('../x')`) count alike, so
// a lazy import cannot hide a circle. Type-only imports are left out: they vanish at run time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const SRC = path.join(__dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

/** The folder directly under src/ a file belongs to (a file at the top is its own unit). */
const unitOf = (file: string) => path.relative(SRC, file).split(path.sep)[0];

/** Relative module specifiers a file loads at run time: value imports and re-exports, side-effect imports, import() and require(). */
function runtimeImports(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'(\.[^']*)'/gm,
    /\bimport\(\s*'(\.[^']*)'\s*\)/g,
    /\brequire\(\s*'(\.[^']*)'\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1]);
  return found;
}

/** Folder → folders it loads at run time, with one file pair as the example of each edge. */
function unitGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sourceFiles(SRC)) {
    const from = unitOf(file);
    const source = fs.readFileSync(file, 'utf8');
    for (const spec of runtimeImports(source)) {
      const to = unitOf(path.resolve(path.dirname(file), spec));
      if (to === from || to.startsWith('..')) continue;
      const edges = graph.get(from) ?? new Map<string, string>();
      edges.set(to, `${path.relative(SRC, file)} → ${spec}`);
      graph.set(from, edges);
    }
  }
  return graph;
}

test('runtimeImports finds value, side-effect and lazy imports, not type-only ones', () => {
  const source = [
    "import { a } from '../a';",
    "import type { B } from '../b';",
    "export { c } from './c';",
    "export type { D } from './d';",
    "import '../e';",
    "const f = await import('../f');",
    "const g = require('../g') as typeof import('../g');",
    "import * as fs from 'node:fs';",
  ].join('\n');
  assert.deepEqual(runtimeImports(source).sort(), ['../a', '../e', '../f', '../g', '../g', './c'].sort());
});

/** The layers, lowest first (the README's Layout lists them in this order); a file at the top of src/ is its own unit. */
const LAYERS = [
  'version.ts', 'engine', 'data', 'frames', 'metrics', 'shifts', 'models', 'evaluate', 'edits', 'sweep', 'cloud', 'study',
  'figures', 'notebook', 'reproduce', 'explore', 'bench', 'cli', 'index.ts',
];

test('each folder of src/ loads only folders below it (lazy imports included), so no import circle is possible', () => {
  const graph = unitGraph();
  assert.ok(graph.get('study')?.has('edits') && graph.get('sweep')?.has('evaluate'), 'the graph sees the imports it should');
  const problems: string[] = [];
  for (const unit of sourceFiles(SRC).map(unitOf)) if (!LAYERS.includes(unit)) problems.push(`${unit} is not in LAYERS: place it there (and in the README's Layout)`);
  for (const [from, edges] of graph) {
    for (const [to, example] of edges) {
      if (LAYERS.indexOf(to) >= LAYERS.indexOf(from)) problems.push(`${from} loads ${to}, which is not below it (${example})`);
    }
  }
  assert.deepEqual([...new Set(problems)], []);
});
