import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  columnsOf,
  fromArquero,
  importArquero,
  loadArquero,
  parseCsv,
  readCsv,
  toArquero,
  toCsv,
  toDanfo,
  writeCsv,
  type Row,
} from '../src/frames';

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-frames-'));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('columnsOf', () => {
  test('union of keys in order of first appearance', () => {
    assert.deepEqual(columnsOf([{ b: 1, a: 2 }, { c: 3, a: 4 }, { d: null }]), ['b', 'a', 'c', 'd']);
    assert.deepEqual(columnsOf([]), []);
  });
});

describe('toCsv', () => {
  test('RFC 4180 quoting of commas, quotes and line breaks; nulls empty', () => {
    const csv = toCsv([
      { name: 'a,b', note: 'say "hi"', text: 'line1\nline2', n: 1.5, ok: true, missing: null },
      { name: 'plain', note: 'x', text: 'cr\r\nlf', n: -2, ok: false, missing: null },
    ]);
    assert.equal(
      csv,
      'name,note,text,n,ok,missing\n' +
        '"a,b","say ""hi""","line1\nline2",1.5,true,\n' +
        'plain,x,"cr\r\nlf",-2,false,\n',
    );
  });

  test('explicit column order, missing keys, CRLF option', () => {
    const csv = toCsv([{ a: 1, b: 2 }, { b: 3 }], ['b', 'a'], { eol: '\r\n' });
    assert.equal(csv, 'b,a\r\n2,1\r\n3,\r\n');
  });

  test('strings that look typed, are empty or padded get quoted', () => {
    const csv = toCsv([{ s: '12' }, { s: 'true' }, { s: '' }, { s: ' pad' }, { s: 'NaN' }, { s: '1e5' }, { s: 'v1' }]);
    assert.equal(csv, 's\n"12"\n"true"\n""\n" pad"\n"NaN"\n"1e5"\nv1\n');
  });

  test('rejects non-cell values', () => {
    assert.throws(() => toCsv([{ a: { x: 1 } as unknown as number }]), /column "a"/);
  });
});

describe('parseCsv', () => {
  test('types unquoted fields, keeps quoted strings, handles BOM, CRLF and quoted newlines', () => {
    const text = '\ufeffid,label,acc,flag,empty\r\n1,"a,""b""\nc",0.25,true,\r\n"2",x,-1e-3,false,""\r\n';
    assert.deepEqual(parseCsv(text), [
      { id: 1, label: 'a,"b"\nc', acc: 0.25, flag: true, empty: null },
      { id: '2', label: 'x', acc: -0.001, flag: false, empty: '' },
    ]);
  });

  test('short records are padded with null; long records and bad quotes are errors', () => {
    assert.deepEqual(parseCsv('a,b,c\n1\n'), [{ a: 1, b: null, c: null }]);
    assert.throws(() => parseCsv('a,b\n1,2,3\n'), /record 2 has 3 fields/);
    assert.throws(() => parseCsv('a\n"open\n'), /unterminated/);
    assert.throws(() => parseCsv('a\nx"y\n'), /stray quote/);
    assert.throws(() => parseCsv('a\n"x"y\n'), /after a closing quote/);
  });

  test('quotedAreStrings: false types quoted fields too', () => {
    assert.deepEqual(parseCsv('a,b\n"1","true"\n', { quotedAreStrings: false }), [{ a: 1, b: true }]);
  });

  test('empty text and header-only text give no rows', () => {
    assert.deepEqual(parseCsv(''), []);
    assert.deepEqual(parseCsv('a,b\n'), []);
  });
});

describe('CSV round trip', () => {
  test('writeCsv → readCsv restores every cell with its type (incl. -0, NaN, ±Infinity, 17-digit floats)', async () => {
    const rows: Row[] = [
      { method: 'local fine-tuning', layer: 'conv1', alpha: 0.1 + 0.2, acc: 1 / 3, ok: true, note: 'has, comma' },
      { method: '1-LI', layer: '12', alpha: -0, acc: NaN, ok: false, note: 'two\nlines "quoted"' },
      { method: '', layer: null, alpha: Infinity, acc: -Infinity, ok: null, note: '  spaced  ' },
      { method: 'tiny', layer: 'x', alpha: 5e-324, acc: 1.7976931348623157e308, ok: true, note: 'false' },
    ];
    const file = path.join(tmp, 'nested', 'deeper', 'rows.csv');
    assert.equal(await writeCsv(file, rows), file);
    const back = await readCsv(file);
    assert.equal(back.length, rows.length);
    rows.forEach((r, i) => {
      for (const k of Object.keys(r)) {
        assert.ok(Object.is(back[i][k], r[k]), `row ${i} column ${k}: ${String(back[i][k])} vs ${String(r[k])}`);
      }
    });
  });

  test('rows with different keys come back with every column, missing as null', async () => {
    const file = path.join(tmp, 'ragged.csv');
    await writeCsv(file, [{ a: 1 }, { b: 'x' }]);
    assert.equal(fs.readFileSync(file, 'utf8'), 'a,b\n1,\n,x\n');
    assert.deepEqual(await readCsv(file), [
      { a: 1, b: null },
      { a: null, b: 'x' },
    ]);
  });
});

describe('arquero', () => {
  const rows: Row[] = [
    { layer: 'conv1', alpha: 0, accuracy: 0.5 },
    { layer: 'conv1', alpha: 0.5, accuracy: 0.7 },
    { layer: 'conv1', alpha: 1, accuracy: 0.9 },
    { layer: 'fc1', alpha: 0, accuracy: 0.2 },
    { layer: 'fc1', alpha: 1, accuracy: 0.4 },
  ];

  test('arquero 8 (ESM-only) loads from CommonJS via require(esm)', () => {
    const aq = loadArquero();
    assert.equal(typeof aq.from, 'function');
    assert.equal(typeof aq.op.mean, 'function');
  });

  test('plain Node (no tsx) requires arquero from CommonJS; without require(esm) it fails with ERR_REQUIRE_ESM', () => {
    const code = "try { console.log(typeof require('arquero').from) } catch (e) { console.log(e.code) }";
    const run = (flags: string[]) =>
      spawnSync(process.execPath, [...flags, '-e', code], { cwd: path.join(__dirname, '..'), encoding: 'utf8' }).stdout.trim();
    const [major, minor] = process.versions.node.split('.').map(Number);
    if (major > 20 || (major === 20 && minor >= 19)) assert.equal(run([]), 'function');
    assert.equal(run(['--no-experimental-require-module']), 'ERR_REQUIRE_ESM');
  });

  test('a grouped rollup equals the hand-computed means', () => {
    const aq = loadArquero();
    const out = toArquero(rows).groupby('layer').rollup({ mean: aq.op.mean('accuracy'), n: aq.op.count() }).orderby('layer').objects() as Array<{
      layer: string;
      mean: number;
      n: number;
    }>;
    assert.equal(out.length, 2);
    assert.equal(out[0].layer, 'conv1');
    assert.ok(Math.abs(out[0].mean - 0.7) < 1e-12); // (0.5 + 0.7 + 0.9) / 3
    assert.equal(out[0].n, 3);
    assert.equal(out[1].layer, 'fc1');
    assert.ok(Math.abs(out[1].mean - 0.3) < 1e-12); // (0.2 + 0.4) / 2
  });

  test('columns follow first appearance; missing cells come back as null', () => {
    const t = toArquero([{ b: 1 }, { a: 'x', b: 2 }]);
    assert.deepEqual(t.columnNames(), ['b', 'a']);
    assert.equal(t.numRows(), 2);
    assert.deepEqual(fromArquero(t), [
      { b: 1, a: null },
      { b: 2, a: 'x' },
    ]);
  });

  test('a runtime without require(esm) gets an error that names importArquero', () => {
    const fakeRequire = () => {
      throw Object.assign(new Error('require() of ES Module'), { code: 'ERR_REQUIRE_ESM' });
    };
    assert.throws(() => loadArquero(fakeRequire), /await importArquero\(\)/);
  });

  test('importArquero (real dynamic import) gives a working module', async () => {
    const aq = await importArquero();
    assert.equal(aq.from([{ x: 1 }, { x: 3 }]).rollup({ s: aq.op.sum('x') }).get('s', 0), 4);
  });
});

describe('danfo', () => {
  test('toDanfo gives the right shape, column order, values and missing markers', () => {
    const df = toDanfo([
      { layer: 'conv1', accuracy: 0.5 },
      { layer: 'fc1', accuracy: null, extra: true },
      { accuracy: 0.25, layer: 'fc2' },
    ]);
    assert.deepEqual(df.shape, [3, 3]);
    assert.deepEqual(df.columns, ['layer', 'accuracy', 'extra']);
    assert.deepEqual(df.column('layer').values, ['conv1', 'fc1', 'fc2']);
    assert.deepEqual(
      df.isNa().values.map((r) => (r as boolean[]).slice()),
      [
        [false, false, true],
        [false, true, false],
        [false, false, true],
      ],
    );
    assert.ok(Math.abs((df.column('accuracy').mean() as number) - 0.375) < 1e-6); // (0.5 + 0.25) / 2, NaN skipped
  });

  test('an empty table keeps its columns', () => {
    const df = toDanfo([], ['a', 'b']);
    assert.deepEqual(df.shape, [0, 2]);
    assert.deepEqual(df.columns, ['a', 'b']);
  });
});
