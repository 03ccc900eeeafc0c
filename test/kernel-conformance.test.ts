/**
 * The editlab kernel against the Jupyter messaging protocol: runs jupyter_kernel_test (the conformance
 * suite Jupyter kernels are checked with) through test/kernel/test_editlab_kernel.py, a
 * `jupyter_kernel_test.KernelTests` subclass with samples for stdout, stderr, execute_result, error,
 * display_data, completion, inspection, is_complete and kernel_info, plus editlab's own checks of error
 * fields and execution counts. Every message the kernel sends is validated against the v5 schema.
 *
 *   cd test/kernel && <python> -m unittest -v test_editlab_kernel
 *
 * runs once (in `before`) with the kernel spec written by `scripts/kernel-install.js --dest` into a
 * temporary Jupyter data dir (JUPYTER_PATH etc. point into a temporary folder: the user's Jupyter setup
 * is never read or written). Each test below then checks one of the suite's tests: it must have run and
 * passed, not been skipped. <python> is the first of $EDITLAB_PYTHON, python3, /usr/bin/python3 that
 * imports jupyter_kernel_test and jupyter_client; without one, every test fails and names the package.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { installKernelSpec, jupyterEnv } from './support/jupyter';
import * as vm from 'node:vm';

interface KernelInstall {
  findPython(modules: string[], options?: { explicit?: string }): { python: string | null; tried: string[] };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findPython } = require('../scripts/kernel-install.js') as KernelInstall;

const ROOT = path.resolve(__dirname, '..');
const SUITE_DIR = path.join(ROOT, 'test', 'kernel');
const SUITE_MODULE = 'test_editlab_kernel';
const PY_MODULES = ['jupyter_kernel_test', 'jupyter_client'];
const SUITE_TIMEOUT_MS = 10 * 60_000;

/** jupyter_kernel_test's own tests that the samples in test_editlab_kernel.py switch on. */
const STOCK_TESTS = [
  'test_kernel_info',
  'test_execute_stdout',
  'test_execute_stderr',
  'test_execute_result',
  'test_error',
  'test_display_data',
  'test_completion',
  'test_inspect',
  'test_is_complete',
];
/** The checks test_editlab_kernel.py adds. */
const EDITLAB_TESTS = [
  'test_editlab_error_thrown',
  'test_editlab_error_thrown_after_await',
  'test_editlab_error_thrown_by_editlab',
  'test_editlab_error_compile',
  'test_editlab_error_without_stop_on_error',
  'test_editlab_execute_result_count',
  'test_editlab_output_order_and_await',
  'test_editlab_import',
  'test_editlab_kernel_info_language_version',
  'test_editlab_comm_info',
];
/** Stock tests that may skip: the kernel has no pager, no clear_output sample, no history. */
const MAY_SKIP = new Set(['test_pager', 'test_clear_output', 'test_history']);

type Verdict = 'ok' | 'FAIL' | 'ERROR' | 'skipped';

interface SuiteRun {
  code: number | null;
  output: string;
  command: string;
  verdicts: Map<string, Verdict>;
}

/**
 * The verdict of each test in `python -m unittest -v` output: FAIL/ERROR when the summary lists it (a
 * failing subtest included), else what its verbose line ends with ("ok", "skipped …"), after the first
 * line of its docstring when it has one.
 * @param output unittest's stderr
 * @returns test method name -> verdict
 */
function parseVerdicts(output: string): Map<string, Verdict> {
  const verdicts = new Map<string, Verdict>();
  for (const m of output.matchAll(/^(test_\w+) \([^\n]*?\)(?:\n[^\n]*?)? \.\.\. (ok|skipped|FAIL|ERROR)\b/gm)) {
    if (!verdicts.has(m[1]) || m[2] !== 'ok') verdicts.set(m[1], m[2] as Verdict);
  }
  for (const m of output.matchAll(/^(FAIL|ERROR): (test_\w+) /gm)) verdicts.set(m[2], m[1] as Verdict);
  return verdicts;
}

/** The part of the output about `name`: its verbose line(s) and its FAIL/ERROR report. */
function sectionOf(output: string, name: string): string {
  const lines = output.split('\n');
  const verbose = lines.filter((l) => l.startsWith(`${name} (`)).join('\n');
  const reports = output
    .split(/^={20,}$/m)
    .filter((block) => new RegExp(`^\\n?(?:FAIL|ERROR): ${name} `).test(block))
    .join('\n');
  return `${verbose}\n${reports}`.trim();
}

const tail = (s: string, n = 8000) => (s.length > n ? '…' + s.slice(-n) : s);

let tmp = '';
let run: SuiteRun | null = null;
let problem = '';

/** Runs the Python suite on the editlab kernel; never throws. */
function runSuite(python: string, env: NodeJS.ProcessEnv): Promise<SuiteRun> {
  const args = ['-Xfrozen_modules=off', '-m', 'unittest', '-v', SUITE_MODULE];
  const command = `cd ${SUITE_DIR} && ${python} ${args.join(' ')}`;
  return new Promise((resolve) => {
    const child = spawn(python, args, { cwd: SUITE_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => {
      output += `\n[killed after ${SUITE_TIMEOUT_MS / 1000} s]`;
      child.kill('SIGKILL');
    }, SUITE_TIMEOUT_MS);
    const done = (code: number | null, extra = '') => {
      clearTimeout(timer);
      output += extra;
      resolve({ code, output, command, verdicts: parseVerdicts(output) });
    };
    child.on('error', (e) => done(null, `\nspawn failed: ${e.message}`));
    child.on('close', (code) => done(code));
  });
}

before(async () => {
  const found = findPython(PY_MODULES);
  if (!found.python) {
    problem =
      `No Python with jupyter_kernel_test found (tried: ${found.tried.join('; ')}).\n` +
      'Install the Jupyter kernel conformance suite, then re-run:\n' +
      '  Debian/Ubuntu: sudo apt-get install python3-jupyter-kernel-test\n' +
      '  pip:           pip install jupyter_kernel_test\n' +
      'or point EDITLAB_PYTHON at a Python that has it.';
    return;
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'editlab-conformance-'));
  const env = {
    ...jupyterEnv(tmp),
    EDITLAB_KERNEL_LOG: path.join(tmp, 'kernel.log'),
    // Leave no __pycache__ in test/kernel.
    PYTHONDONTWRITEBYTECODE: '1',
  };
  try {
    installKernelSpec(env);
  } catch (e) {
    problem = (e as Error).message;
    return;
  }
  run = await runSuite(found.python, env);
});

after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function suiteRun(): SuiteRun {
  assert.ok(run, problem);
  return run as SuiteRun;
}

describe('jupyter_kernel_test on the editlab kernel', () => {
  for (const name of [...STOCK_TESTS, ...EDITLAB_TESTS]) {
    test(name, () => {
      const { verdicts, output, command } = suiteRun();
      const verdict = verdicts.get(name);
      assert.equal(
        verdict,
        'ok',
        `${name}: ${verdict ?? 'did not run'}\n$ ${command}\n--- ${name} ---\n${sectionOf(output, name) || '(no output)'}\n` +
          `--- suite output (tail) ---\n${tail(output)}`,
      );
    });
  }

  test('the whole suite passes and runs no test left unchecked here', () => {
    const { verdicts, output, command, code } = suiteRun();
    const checked = new Set([...STOCK_TESTS, ...EDITLAB_TESTS, ...MAY_SKIP]);
    const unchecked = [...verdicts.keys()].filter((name) => !checked.has(name));
    assert.deepEqual(unchecked, [], `tests this file does not know about; add them to its lists\n${tail(output)}`);
    assert.equal(code, 0, `$ ${command}\nexit status ${code}\n${tail(output, 12000)}`);
  });

  test('parseVerdicts reads unittest -v output, failing subtests included', () => {
    const sample = [
      'test_a (m.C.test_a) ... ok',
      'test_b (m.C.test_b) ... skipped ""',
      "test_c (m.C.test_c) (code='x') ... FAIL",
      'test_c (m.C.test_c) ... ok',
      'test_d (m.C.test_d) ... ERROR',
      'test_f (m.C.test_f)',
      'The first line of its docstring. ... ok',
      '',
      '======================================================================',
      "FAIL: test_e (m.C.test_e) (text='y')",
      '----------------------------------------------------------------------',
    ].join('\n');
    assert.deepEqual(
      [...parseVerdicts(sample)],
      [
        ['test_a', 'ok'],
        ['test_b', 'skipped'],
        ['test_c', 'FAIL'],
        ['test_d', 'ERROR'],
        ['test_f', 'ok'],
        ['test_e', 'FAIL'],
      ],
    );
  });
});

describe('scripts/kernel/protocol.js: what failed cells and results look like', () => {
  interface Failure {
    ename: string;
    evalue: string;
    traceback: string[];
  }
  interface Protocol {
    CellRun: new (publish: () => void) => { thrown: { value: unknown } | null; diagnostics: string[] };
    describeFailure(cell: unknown, options: { internalDirs: string[]; diagnosticHints: (lines: string[]) => string[] }): Failure;
    plainText(value: unknown): string;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { CellRun, describeFailure, plainText } = require('../scripts/kernel/protocol.js') as Protocol;
  const noHints = () => [];

  /** describeFailure for a cell that threw `value`, with this test file's frames counted as internal. */
  function thrown(value: unknown): Failure {
    const cell = new CellRun(() => {});
    cell.thrown = { value };
    return describeFailure(cell, { internalDirs: [__dirname], diagnosticHints: noHints });
  }
  /** What a cell throws: run through vm like tslab does, so Node adds its source-line arrow. */
  function throwInVm(code: string): unknown {
    try {
      vm.runInThisContext(code);
    } catch (e) {
      return e;
    }
    assert.fail(`${code} did not throw`);
  }

  test('a thrown Error: its name and message; traceback from "Name: message", no kernel frames, extra properties kept', () => {
    const error = throwInVm('const e = new RangeError("out of range: 42"); e.code = "E_RANGE"; throw e;');
    const failure = thrown(error);
    assert.equal(failure.ename, 'RangeError');
    assert.equal(failure.evalue, 'out of range: 42');
    assert.equal(failure.traceback[0], 'RangeError: out of range: 42', 'no source-line arrow above it');
    assert.ok(failure.traceback.some((l) => l.includes('evalmachine.<anonymous>')), 'the cell frame stays');
    assert.ok(!failure.traceback.some((l) => l.includes('node:vm') || l.includes(__filename)), failure.traceback.join('\n'));
    assert.deepEqual(failure.traceback.slice(-2), ["  code: 'E_RANGE'", '}']);
    assert.match(failure.traceback[failure.traceback.length - 3], / \{$/, 'the brace opening the properties stays');
  });

  test('ANSI colours: stripped from evalue, kept in the traceback', () => {
    const failure = thrown(new Error('\x1b[31mred\x1b[39m text'));
    assert.equal(failure.evalue, 'red text');
    assert.ok(failure.traceback[0].includes('\x1b[31mred'));
  });

  test('a thrown non-Error is "Uncaught" with the value shown', () => {
    assert.deepEqual(thrown('boom'), { ename: 'Uncaught', evalue: 'boom', traceback: ["Uncaught 'boom'"] });
    assert.deepEqual(thrown({ code: 7 }), { ename: 'Uncaught', evalue: '{ code: 7 }', traceback: ['Uncaught { code: 7 }'] });
  });

  test('TypeScript diagnostics: the first as evalue, all of them and the hints as traceback', () => {
    const cell = new CellRun(() => {});
    cell.diagnostics = ["1:7 - Type 'string' is not assignable to type 'number'.", "2:1 - Cannot find name 'y'."];
    const failure = describeFailure(cell, { internalDirs: [], diagnosticHints: (lines) => [`hint for ${lines.length}`] });
    assert.deepEqual(failure, {
      ename: 'TypeScriptError',
      evalue: "1:7 - Type 'string' is not assignable to type 'number'.",
      traceback: [...cell.diagnostics, 'hint for 2'],
    });
  });

  test('execute_result text: strings as they are, other values as util.inspect shows them', () => {
    assert.equal(plainText('0.1.0'), '0.1.0');
    assert.equal(plainText(42), '42');
    assert.equal(plainText([1, 2]), '[ 1, 2 ]');
    assert.equal(plainText({ [Symbol.for('nodejs.util.inspect.custom')]: () => 'custom' }), 'custom');
  });
});
