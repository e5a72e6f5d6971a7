"""The agent's command line and environment (the TypeScript launcher relies on them)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import unittest

from tracefile import AGENT, only_trace, program, run_agent


def run_weft(args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("WEFT_")}
    e["PYTHONPATH"] = AGENT
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "weft", *args], capture_output=True, text=True, env=e, timeout=60)


class Options(unittest.TestCase):
    def test_environment_variables_set_the_options(self):
        out = tempfile.mkdtemp(prefix="weft-test-")
        r = run_weft([program("lock_200ms.py")], {"WEFT_OUT": out, "WEFT_SAMPLE_HZ": "0", "WEFT_FLUSH_MS": "20"})
        self.assertEqual(r.returncode, 0, r.stderr)
        t = only_trace(out)
        self.assertEqual(t.header["sampleHz"], 0)
        self.assertEqual(t.of("K"), [])

    def test_command_line_options_win_over_the_environment(self):
        proc, out = run_agent([program("busy.py")], env={"WEFT_SAMPLE_HZ": "0"}, agent_args=["--sample-hz=50"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = only_trace(out)
        if t.header["sampleHz"] == 0:  # an interpreter where sampling is off, and says so
            self.assertTrue(any("stack sampling" in d[3] for d in t.of("!")))
            return
        self.assertEqual(t.header["sampleHz"], 50)
        self.assertGreater(len(t.of("K")), 0)

    def test_effective_options_are_exported_to_the_program_and_its_children(self):
        out = tempfile.mkdtemp(prefix="weft-test-")
        r = run_weft(["--out", os.path.join(out, "sub"), "--flush-ms", "50", "--", program("env_echo.py")],
                     {"WEFT_SAMPLE_HZ": "25"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), [
            f"WEFT_OUT={os.path.join(out, 'sub')}", "WEFT_SAMPLE_HZ=25", "WEFT_FLUSH_MS=50"])
        self.assertEqual(len(os.listdir(os.path.join(out, "sub"))), 1)

    def test_an_unusable_environment_value_is_reported_and_the_default_used(self):
        proc, out = run_agent([program("env_echo.py")], env={"WEFT_FLUSH_MS": "often"})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("weft: ignoring WEFT_FLUSH_MS='often' (not a whole number); using 100", proc.stderr)
        self.assertIn("WEFT_FLUSH_MS=100", proc.stdout)

    def test_bad_options_are_usage_errors_with_status_2(self):
        for args, message in ((["--frobnicate", "x.py"], "unknown option --frobnicate"),
                              (["--sample-hz", "fast", "x.py"], "--sample-hz needs a whole number, got 'fast'"),
                              ([], "no script given"),
                              (["-m"], "-m needs a module name")):
            r = run_weft(args)
            self.assertEqual(r.returncode, 2, args)
            self.assertIn(f"weft: {message}", r.stderr)
            self.assertIn("usage: python -m weft", r.stderr)

    def test_help(self):
        r = run_weft(["--help"])
        self.assertEqual(r.returncode, 0)
        self.assertIn("WEFT_SAMPLE_HZ", r.stdout)

    def test_a_second_process_with_the_same_pid_gets_the_next_serial(self):
        # Simulated in-process: the serial is how files stay apart when the OS reuses a pid.
        sys.path.insert(0, AGENT)
        try:
            from weft.writer import TraceWriter
        finally:
            sys.path.remove(AGENT)
        out = tempfile.mkdtemp(prefix="weft-test-")
        header = {"pid": 4242, "host": {"id": "0123456789ab"}}
        a = TraceWriter(out, dict(header), 100)
        b = TraceWriter(out, dict(header), 100)
        self.assertEqual((a.serial, b.serial), (0, 1))
        self.assertEqual(sorted(os.listdir(out)), ["weft-0123456789ab-4242-0.jsonl", "weft-0123456789ab-4242-1.jsonl"])
        for w in (a, b):
            w.close(["Z", 0, "exit", 0, 0])
            w.close(["Z", 0, "exit", 0, 0])  # idempotent
        with open(os.path.join(out, "weft-0123456789ab-4242-0.jsonl")) as f:
            self.assertEqual(f.read().splitlines(),
                             ['{"pid":4242,"host":{"id":"0123456789ab"},"serial":0}', '["Z",0,"exit",0,0]'])


if __name__ == "__main__":
    unittest.main()
