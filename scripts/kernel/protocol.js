'use strict';
/**
 * A thin layer over tslab 1.0.x's kernel (node_modules/tslab/dist/jupyter.js and executor.js) that makes
 * it follow the Jupyter messaging protocol as `jupyter_kernel_test` checks it
 * (test/kernel/test_editlab_kernel.py, run by test/kernel-conformance.test.ts):
 *
 * - a cell whose last statement is an expression publishes an `execute_result` (`text/plain`: the text
 *   tslab used to print to stdout) with the cell's execution_count, instead of a stdout `stream`;
 * - a failing cell (thrown error, rejected top-level await, TypeScript diagnostics) publishes ONE `error`
 *   message (ename, plain evalue, traceback) instead of a stderr `stream`, and its execute_reply carries
 *   the same ename/evalue/traceback, so JupyterLab styles it and `nbconvert --execute` says why it failed;
 * - `stop_on_error: false` (what nbconvert sends with --allow-errors) is honoured: tslab otherwise aborts
 *   every request that arrives within 200 ms of a failure, so the next cell of such a run came back
 *   "aborted" without running;
 * - kernel_info_reply and shutdown_reply carry `status: 'ok'`, comm_info_reply goes out under its own name
 *   (tslab labels it complete_reply), and language_info.version is the TypeScript that compiles the cells.
 *
 * Everything else (compilation, top-level await, `tslab.display`, completion, inspection, is_complete) is
 * tslab's own code. Each hook wraps one tslab method or function and calls the original.
 */

const util = require('node:util');
const path = require('node:path');

/** tslab's executor prints each diagnostic with `console.error(DIAGNOSTIC_FORMAT, file, line, column, text)`. */
const DIAGNOSTIC_FORMAT = '%s%d:%d - %s';
const ANSI_ESCAPE = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
/** What Node puts before the stack of an error thrown through vm: "file:line", the source line, carets, a blank line. */
const SOURCE_ARROW = /^[^\n]*:\d+\n[^\n]*\n *\^+ *\n\n/;
/** ename of the `error` message for a cell that does not compile. */
const COMPILE_ERROR_NAME = 'TypeScriptError';
/** ename for a thrown value that is not an Error (`throw 'text'`), as Node's REPL labels it. */
const NON_ERROR_NAME = 'Uncaught';

/** What one execute_request produced, collected while tslab runs it. */
class CellRun {
  /** @param {(msgType: string, content: object) => void} publish sends an iopub message for this request */
  constructor(publish) {
    this.publish = publish;
    /** @type {{value: unknown} | null} the value of the last expression, when tslab would have printed it */
    this.result = null;
    /** @type {{value: unknown} | null} what the cell threw (or its top-level await rejected with) */
    this.thrown = null;
    /** @type {string[]} TypeScript diagnostics, one formatted line each */
    this.diagnostics = [];
    /** whether tslab reported the cell as failed */
    this.failed = false;
  }
}

/** @param {string} text */
function stripAnsi(text) {
  return text.replace(ANSI_ESCAPE, '');
}

/**
 * The text tslab printed for a cell's last expression (`console.log(value)`): strings as they are,
 * anything else through util.inspect (custom inspectors included).
 * @param {unknown} value
 * @returns {string}
 */
function plainText(value) {
  return typeof value === 'string' ? value : util.inspect(value);
}

/**
 * The lines of util.inspect(error) (what tslab wrote to stderr: stack, extra properties such as `code`,
 * causes), starting at the "Name: message" line — Node puts the source line that threw (often the
 * transpiled cell) above it — and without the stack frames of the kernel's own machinery (tslab,
 * node:vm, this launcher), which say nothing about the cell.
 * @param {Error} error
 * @param {string[]} internalDirs folders whose frames are dropped
 * @returns {string[]}
 */
function tracebackOf(error, internalDirs) {
  const isInternalFrame = (line) =>
    /^\s+at\s/.test(line) && (line.includes('node:vm') || internalDirs.some((dir) => line.includes(dir + path.sep)));
  const kept = [];
  for (const line of util.inspect(error).replace(SOURCE_ARROW, '').split('\n')) {
    if (!isInternalFrame(line)) kept.push(line);
    // util.inspect opens the block of extra properties at the end of the last frame: keep the brace.
    else if (line.endsWith(' {') && kept.length > 0) kept[kept.length - 1] += ' {';
  }
  return kept;
}

/**
 * TypeScript diagnostics followed by what `diagnosticHints` adds for them.
 * @param {string[]} diagnostics
 * @param {(lines: string[]) => string[]} diagnosticHints
 * @returns {string[]} empty when there are no diagnostics
 */
function withHints(diagnostics, diagnosticHints) {
  return diagnostics.length > 0 ? [...diagnostics, ...diagnosticHints(diagnostics)] : [];
}

/**
 * ename, evalue and traceback of a failed cell, for its `error` message and execute_reply.
 * @param {CellRun} cell
 * @param {{internalDirs: string[], diagnosticHints: (lines: string[]) => string[]}} options
 * @returns {{ename: string, evalue: string, traceback: string[]}}
 */
function describeFailure(cell, options) {
  if (cell.thrown) {
    const { value } = cell.thrown;
    if (util.types.isNativeError(value) || value instanceof Error) {
      const ename = String(value.name || 'Error');
      return { ename, evalue: stripAnsi(String(value.message)), traceback: tracebackOf(value, options.internalDirs) };
    }
    const shown = util.inspect(value);
    return {
      ename: NON_ERROR_NAME,
      evalue: stripAnsi(typeof value === 'string' ? value : shown),
      traceback: [`${NON_ERROR_NAME} ${shown}`],
    };
  }
  if (cell.diagnostics.length > 0) {
    // evalue: the first diagnostic, so nbconvert's closing "ename: evalue" line says what is wrong.
    return {
      ename: COMPILE_ERROR_NAME,
      evalue: stripAnsi(cell.diagnostics[0]),
      traceback: withHints(cell.diagnostics, options.diagnosticHints),
    };
  }
  const evalue = 'the cell failed without an error message (see the kernel log)';
  return { ename: 'Error', evalue, traceback: [`Error: ${evalue}`] };
}

/**
 * Installs the hooks described at the top of this file. Call it before tslab's startKernel.
 * @param {object} tslab the tslab modules and facts the hooks need
 * @param {object} tslab.jupyter node_modules/tslab/dist/jupyter.js (JupyterHandlerImpl, ZmqServer)
 * @param {object} tslab.executor node_modules/tslab/dist/executor.js (createExecutor)
 * @param {string} tslab.typescriptVersion the version of the TypeScript that compiles cells
 * @param {string[]} tslab.internalDirs folders whose stack frames are left out of tracebacks
 * @param {(lines: string[]) => string[]} [tslab.diagnosticHints] extra lines to show after a cell's
 *   TypeScript diagnostics (e.g. how to build a missing module)
 */
function conformToProtocol({ jupyter, executor, typescriptVersion, internalDirs, diagnosticHints = () => [] }) {
  const { JupyterHandlerImpl: Handler, ZmqServer: Server } = jupyter;
  const options = { internalDirs: internalDirs.map((dir) => path.resolve(dir)), diagnosticHints };
  /** execute_request content -> its CellRun: tslab hands the same object from the socket to the executor. */
  const runs = new WeakMap();
  /** The CellRun tslab is executing; its task queue runs one cell at a time. */
  let running = null;

  // The socket side: one CellRun per execute_request, able to publish on iopub as a child of it.
  const serverExecute = Server.prototype.handleExecute;
  Server.prototype.handleExecute = function (sock, msg) {
    runs.set(
      msg.content,
      new CellRun((msgType, content) => {
        const message = msg.createReply();
        message.header.msg_type = msgType;
        message.content = content;
        message.signAndSend(this.connInfo.key, this.iopub);
      }),
    );
    return serverExecute.call(this, sock, msg);
  };

  // The executor reports the last expression's value and failures through the `console` it is given.
  const createExecutor = executor.createExecutor;
  executor.createExecutor = function (rootDir, convs, console) {
    const reporter = {
      log(...args) {
        if (running && args.length === 1) running.result = { value: args[0] };
        else console.log(...args);
      },
      error(...args) {
        if (running && args[0] === DIAGNOSTIC_FORMAT) running.diagnostics.push(util.format(...args));
        else if (running && args.length === 1) running.thrown = { value: args[0] };
        else console.error(...args);
      },
    };
    return createExecutor.call(this, rootDir, convs, reporter);
  };

  // The queued body of a cell: mark it running; on failure with stop_on_error false, resolve instead of
  // rejecting, so tslab does not abort the requests queued behind it.
  const executeImpl = Handler.prototype.handleExecuteImpl;
  Handler.prototype.handleExecuteImpl = async function (req, writeStream, writeDisplayData) {
    const run = runs.get(req) || new CellRun(() => {});
    runs.set(req, run);
    running = run;
    try {
      const count = await executeImpl.call(this, req, writeStream, writeDisplayData);
      // A cell that succeeded with diagnostics (a `/** @module name */` cell): print them as tslab did.
      for (const line of withHints(run.diagnostics, diagnosticHints)) writeStream('stderr', line + '\n');
      return count;
    } catch (e) {
      const isCellFailure = e && typeof e.count === 'number'; // tslab's ExecutionCount
      if (isCellFailure) run.failed = true;
      if (isCellFailure && req.stop_on_error === false) return e;
      throw e;
    } finally {
      running = null;
    }
  };

  // The reply: publish execute_result or error, and give the reply the fields the protocol asks for.
  const execute = Handler.prototype.handleExecute;
  Handler.prototype.handleExecute = async function (req, writeStream, writeDisplayData) {
    const reply = await execute.call(this, req, writeStream, writeDisplayData);
    const run = runs.get(req) || new CellRun(() => {});
    runs.delete(req);
    if (reply.status === 'error' || (reply.status === 'ok' && run.failed)) {
      const error = describeFailure(run, options);
      run.publish('error', error);
      return { status: 'error', execution_count: reply.execution_count, ...error };
    }
    if (reply.status !== 'ok') return reply; // 'abort': left as tslab sends it
    if (run.result && !req.silent) {
      run.publish('execute_result', {
        execution_count: reply.execution_count,
        data: { 'text/plain': plainText(run.result.value) },
        metadata: {},
      });
    }
    return { ...reply, payload: [], user_expressions: {} };
  };

  const kernelInfo = Handler.prototype.handleKernel;
  Handler.prototype.handleKernel = function () {
    const info = kernelInfo.call(this);
    const languageInfo = this.isJs ? info.language_info : { ...info.language_info, version: typescriptVersion };
    return { status: 'ok', ...info, language_info: languageInfo };
  };

  const shutdown = Handler.prototype.handleShutdown;
  Handler.prototype.handleShutdown = function (req) {
    return { status: 'ok', ...shutdown.call(this, req) };
  };

  // tslab sends its (empty) comm list as a complete_reply without status; send a proper comm_info_reply.
  Server.prototype.handleCommInfoRequest = function (sock, msg) {
    const reply = msg.createReply();
    reply.header.msg_type = 'comm_info_reply';
    reply.content = { status: 'ok', comms: {} };
    reply.signAndSend(this.connInfo.key, sock);
  };
}

module.exports = { conformToProtocol, describeFailure, plainText, stripAnsi, CellRun };
