/**
 * The README's TypeScript snippets stay true: every fenced ```ts block is run as the one cell of a
 * notebook in a fresh editlab kernel (nbconvert --execute, in a temporary folder, with a temporary
 * Jupyter setup), so each must be complete — its imports and its data — as a reader would paste it.
 * A block fenced ```ts gpu needs an NVIDIA GPU: it is listed, not run (this machine has none).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { executeCells, installKernelSpec, jupyterEnv } from './support/jupyter';

interface KernelInstall {
  findPython(modules: string[]): { python: string | null; tried: string[] };
  INSTALL_JUPYTER_HELP: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findPython, INSTALL_JUPYTER_HELP } = require('../scripts/kernel-install.js') as KernelInstall;

const ROOT = path.resolve(__dirname, '..');

/** A fenced block: its info-string words after the language, its first line number, its code. */
interface Snippet {
  tags: string[];
  line: number;
  code: string;
}

/** The ```ts blocks of a Markdown text. */
function tsSnippets(markdown: string): Snippet[] {
  const out: Snippet[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```ts(?:\s+(.*))?$/.exec(lines[i]);
    if (!open) continue;
    const start = i + 1;
    while (i + 1 < lines.length && !/^```\s*$/.test(lines[i + 1])) i++;
    out.push({ tags: (open[1] ?? '').split(/\s+/).filter(Boolean), line: start + 1, code: lines.slice(start, i + 1).join('\n') });
    i++;
  }
  return out;
}

const snippets = tsSnippets(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));

test('the README has TypeScript snippets, each complete with its imports', () => {
  assert.ok(snippets.length >= 3, `found ${snippets.length}`);
  for (const s of snippets) assert.match(s.code, /from 'editlab'/, `README.md:${s.line} imports what it uses from 'editlab'`);
  assert.deepEqual(tsSnippets('a\n```ts\nx\ny\n```\n```ts gpu\nz\n```\n```js\nw\n```'), [
    { tags: [], line: 3, code: 'x\ny' },
    { tags: ['gpu'], line: 7, code: 'z' },
  ]);
});

for (const snippet of snippets) {
  const name = `README.md:${snippet.line} runs in a fresh editlab kernel`;
  if (snippet.tags.includes('gpu')) {
    test(name, { skip: 'fenced `ts gpu`: needs an NVIDIA GPU with CUDA 12' }, () => {});
    continue;
  }
  test(name, { timeout: 900_000 }, () => {
    const { python } = findPython(['nbconvert', 'nbclient', 'ipykernel', 'jupyter_client']);
    assert.ok(python, `Jupyter is needed to run the README's snippets. ${INSTALL_JUPYTER_HELP}`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-readme-'));
    try {
      const env = jupyterEnv(tmp);
      installKernelSpec(env);
      const r = executeCells(python!, [snippet.code], tmp, env, 840);
      assert.equal(r.status, 0, `README.md:${snippet.line} failed:\n${r.stderr.slice(-6000)}`);
      assert.deepEqual(r.outputs[0].filter((o) => o.output_type === 'error'), [], `README.md:${snippet.line} wrote an error output`);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}
