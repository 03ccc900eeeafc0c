"""Conformance of the `editlab` Jupyter kernel, checked with jupyter_kernel_test.

Run by test/kernel-conformance.test.ts, which writes the kernel spec into a temporary Jupyter data dir
(JUPYTER_PATH) first; by hand, after `npm run kernel:install`:

    cd test/kernel && python3 -m unittest -v test_editlab_kernel

jupyter_kernel_test (Debian: python3-jupyter-kernel-test, pip: jupyter_kernel_test) starts the kernel once,
sends each sample and validates every message it sees against the v5 message schema. The `test_editlab_*`
methods below check what the stock suite leaves open: the fields of `error` messages (thrown errors,
editlab's own errors, TypeScript compile errors), `stop_on_error`, the execution count of
`execute_result`, top-level await, kernel_info's language version and the comm_info reply.
"""

import json
import os
import re
import sys
import time
import unittest

import jupyter_kernel_test
from jupyter_client.manager import start_new_kernel
from jupyter_kernel_test.msgspec_v5 import validate_message

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def installed_version(*candidates):
    """The version in the first of the package folders `candidates` (relative to ROOT) that exists."""
    for folder in candidates:
        manifest = os.path.join(ROOT, folder, "package.json")
        if os.path.exists(manifest):
            with open(manifest, encoding="utf-8") as f:
                return json.load(f)["version"]
    raise FileNotFoundError(f"none of {candidates} is installed under {ROOT}")


# The TypeScript that tslab compiles cells with (hoisted, or inside tslab's own node_modules).
TYPESCRIPT_VERSION = installed_version(
    "node_modules/@tslab/typescript-for-tslab", "node_modules/tslab/node_modules/@tslab/typescript-for-tslab"
)
EDITLAB_VERSION = installed_version(".")

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")

# A cell's first compile and its import of editlab's type declarations can take longer than the
# suite's 15 s default on a loaded machine.
EXECUTE_TIMEOUT = 120

# tslab aborts execute requests that arrive within 200 ms of a cell that failed with stop_on_error
# (what "Run All" expects); tests wait this long after such a failure so the next test's request is
# not aborted.
ABORT_WINDOW = 0.5


class EditlabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("EDITLAB_KERNEL_NAME", "editlab")

    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("something went wrong")'

    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "[1, 2, 3].map((x) => x * 2)", "result": "[ 2, 4, 6 ]"},
        # Strings appear as tslab always printed them: without quotes.
        {"code": "'edit' + 'lab'", "result": "editlab"},
    ]

    code_generate_error = 'throw new Error("boom")'

    code_display_data = [
        {"code": 'import * as tslab from "tslab";\ntslab.display.html("<b>hello</b>")', "mime": "text/html"},
        {"code": 'import * as tslab from "tslab";\ntslab.display.markdown("**hello**")', "mime": "text/markdown"},
    ]

    completion_samples = [
        {"text": "Math.flo", "matches": {"floor"}},
        {"text": "const editlabAnswer = 42;\neditlabAns", "matches": {"editlabAnswer"}},
    ]

    complete_code_samples = ["1", "const x = 1;", "function f(a: number) {\n  return a;\n}"]
    incomplete_code_samples = ["function f(a: number) {", "const xs = [1,"]

    code_inspect_sample = "Math.max"

    @classmethod
    def setUpClass(cls):
        # The kernel's own stdout/stderr go to a log (printed at the end) rather than into unittest's
        # report, which test/kernel-conformance.test.ts parses.
        log_path = os.environ.get("EDITLAB_KERNEL_LOG", os.devnull)
        cls.kernel_log_path = log_path
        cls.kernel_log = open(log_path, "wb")
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, stdout=cls.kernel_log, stderr=cls.kernel_log)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.kernel_log.close()
        if cls.kernel_log_path != os.devnull:
            with open(cls.kernel_log_path, encoding="utf-8", errors="replace") as f:
                log = f.read().strip()
            if log:
                print(f"--- kernel stdout/stderr ---\n{log}", file=sys.stderr)

    def execute_helper(self, code, timeout=EXECUTE_TIMEOUT, **options):
        reply, outputs = super().execute_helper(code, timeout=timeout, **options)
        if reply["content"]["status"] == "error" and options.get("stop_on_error", True):
            time.sleep(ABORT_WINDOW)
        return reply, outputs

    def execute_and_get_error(self, code):
        """Runs a failing cell; returns (execute_reply content, the one `error` message's content)."""
        self.flush_channels()
        reply, outputs = self.execute_helper(code)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(
            [m["msg_type"] for m in outputs], ["error"],
            "a failing cell should publish exactly one output, an `error` message",
        )
        error = outputs[0]["content"]
        self.assertTrue(error["traceback"], "the traceback should not be empty")
        self.assertNotRegex(error["evalue"], ANSI_ESCAPE, "evalue should be plain text")
        for field in ("ename", "evalue", "traceback"):
            self.assertEqual(reply["content"][field], error[field], f"execute_reply.{field} should match the error message")
        return reply["content"], error

    def test_editlab_error_thrown(self):
        _, error = self.execute_and_get_error('throw new RangeError("out of range: 42")')
        self.assertEqual(error["ename"], "RangeError")
        self.assertEqual(error["evalue"], "out of range: 42")
        self.assertIn("RangeError: out of range: 42", "\n".join(error["traceback"]))

    def test_editlab_error_thrown_after_await(self):
        _, error = self.execute_and_get_error('await new Promise((r) => setTimeout(r, 10));\nthrow new TypeError("late")')
        self.assertEqual((error["ename"], error["evalue"]), ("TypeError", "late"))

    def test_editlab_error_thrown_by_editlab(self):
        _, error = self.execute_and_get_error('import { getShift } from "editlab";\ngetShift("fogg")')
        self.assertEqual(error["ename"], "Error")
        self.assertRegex(error["evalue"], r'^editlab: unknown shift "fogg"; available: .*\bfog\b')
        self.assertIn('unknown shift "fogg"', "\n".join(error["traceback"]))

    def test_editlab_error_compile(self):
        _, error = self.execute_and_get_error('const n: number = "forty-two";')
        self.assertEqual(error["ename"], "TypeScriptError")
        self.assertIn("Type 'string' is not assignable to type 'number'", error["evalue"])
        self.assertIn("Type 'string' is not assignable to type 'number'", "\n".join(error["traceback"]))

    def test_editlab_error_without_stop_on_error(self):
        # A cell sent right after a failure with stop_on_error=False still runs (nbconvert --allow-errors).
        self.flush_channels()
        failing = self.kc.execute('throw new Error("tolerated")', stop_on_error=False)
        following = self.kc.execute("1 + 1")
        replies = {}
        for _ in range(2):
            reply = self.get_non_kernel_info_reply(timeout=EXECUTE_TIMEOUT)
            validate_message(reply, "execute_reply")
            replies[reply["parent_header"]["msg_id"]] = reply["content"]
        self.assertEqual(replies[failing]["status"], "error")
        self.assertEqual(replies[failing]["evalue"], "tolerated")
        self.assertEqual(replies[following]["status"], "ok")
        self.flush_channels()

    def test_editlab_execute_result_count(self):
        # execute_result carries the execution_count of its execute_reply; statements have no result.
        counts = []
        for code in ("const answer = 6 * 7;", "answer + 0", "answer + 1"):
            self.flush_channels()
            reply, outputs = self.execute_helper(code)
            self.assertEqual(reply["content"]["status"], "ok")
            results = [m["content"] for m in outputs if m["msg_type"] == "execute_result"]
            if code.startswith("const"):
                self.assertEqual(results, [])
            else:
                self.assertEqual(len(results), 1)
                self.assertEqual(results[0]["execution_count"], reply["content"]["execution_count"])
            counts.append(reply["content"]["execution_count"])
        self.assertEqual(counts, [counts[0], counts[0] + 1, counts[0] + 2])

    def test_editlab_output_order_and_await(self):
        # Streams come before the result; top-level await still works.
        self.flush_channels()
        reply, outputs = self.execute_helper('console.log("first");\nawait new Promise((r) => setTimeout(() => r(7), 10))')
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual([m["msg_type"] for m in outputs], ["stream", "execute_result"])
        self.assertEqual(outputs[1]["content"]["data"]["text/plain"], "7")

    def test_editlab_import(self):
        self.flush_channels()
        reply, outputs = self.execute_helper('import { version } from "editlab";\nversion')
        self.assertEqual(reply["content"]["status"], "ok")
        results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(results, [EDITLAB_VERSION])

    def test_editlab_kernel_info_language_version(self):
        self.flush_channels()
        msg_id = self.kc.kernel_info()
        reply = self.kc.get_shell_msg(timeout=EXECUTE_TIMEOUT)
        validate_message(reply, "kernel_info_reply", msg_id)
        self.assertEqual(reply["content"]["language_info"]["version"], TYPESCRIPT_VERSION)

    def test_editlab_comm_info(self):
        self.flush_channels()
        msg_id = self.kc.comm_info()
        reply = self.get_non_kernel_info_reply(timeout=EXECUTE_TIMEOUT)
        validate_message(reply, "comm_info_reply", msg_id)


if __name__ == "__main__":
    unittest.main()
