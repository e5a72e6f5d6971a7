"""The program behaves exactly as without Weft: output, exit status, argv, sys.path[0],
__main__, tracebacks (without agent frames), stdin, multiprocessing."""
from __future__ import annotations

import os
import signal
import sys
import unittest

from tracefile import PROGRAMS, only_trace, program, run_agent, run_plain


class SameAsPlainPython(unittest.TestCase):
    def compare(self, args, cwd=None, stdin=None):
        plain = run_plain(args, cwd=cwd, input=stdin)
        traced, out = run_agent(args, cwd=cwd, input=stdin)
        self.assertEqual(traced.stdout, plain.stdout)
        self.assertEqual(traced.stderr, plain.stderr)
        self.assertEqual(traced.returncode, plain.returncode)
        return traced, out

    def test_output_argv_path0_and_main_module_are_unchanged(self):
        r, _ = self.compare([program("exits.py"), "ok", "x y"])
        self.assertIn("out: ['ok', 'x y']", r.stdout)
        self.assertIn(f"path0: {PROGRAMS}", r.stdout)
        self.assertIn("name: __main__", r.stdout)

    def test_a_relative_script_path_gives_the_same_file_and_tracebacks(self):
        r, _ = self.compare(["exits.py", "raise"], cwd=PROGRAMS)
        self.assertIn(f'File "{program("exits.py")}"', r.stderr)

    def test_exit_code_three(self):
        r, out = self.compare([program("exits.py"), "code"])
        self.assertEqual(r.returncode, 3)
        self.assertEqual(only_trace(out).records[-1][2:4], ["exit", 3])

    def test_sys_exit_none_is_zero(self):
        self.assertEqual(self.compare([program("exits.py"), "none"])[0].returncode, 0)

    def test_sys_exit_with_a_message_prints_it_and_exits_1(self):
        r, _ = self.compare([program("exits.py"), "msg"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("fatal: bad input", r.stderr)

    def test_uncaught_exception_prints_the_same_traceback_without_agent_frames(self):
        r, out = self.compare([program("exits.py"), "raise"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("ValueError: boom", r.stderr)
        self.assertNotIn("weft", r.stderr)
        self.assertEqual(only_trace(out).records[-1][2:4], ["exit", 1])

    def test_uncaught_keyboard_interrupt_ends_by_sigint_like_python(self):
        r, out = self.compare([program("exits.py"), "interrupt"])
        self.assertEqual(r.returncode, -signal.SIGINT)
        t = only_trace(out)
        self.assertTrue(t.complete)
        self.assertEqual(t.records[-1][2:4], ["signal", -signal.SIGINT])

    def test_a_sigterm_handler_that_chains_to_the_previous_one_exits_as_without_weft(self):
        # Regression: getsignal(SIGTERM) returned the agent's handler, which the program then
        # called: it died of the signal (-15) instead of exiting 0.
        r, out = self.compare([program("chained_sigterm.py")])
        self.assertEqual(r.returncode, 0)
        self.assertIn("previous handler callable: False", r.stdout)
        self.assertEqual(only_trace(out).records[-1][2:4], ["exit", 0])

    def test_an_exception_in_a_thread_prints_the_same_traceback(self):
        r, _ = self.compare([program("exits.py"), "thread_raise"])
        self.assertIn("Exception in thread failing", r.stderr)
        self.assertNotIn("weft", r.stderr)

    def test_stdin_reaches_the_program(self):
        r, _ = self.compare([program("exits.py"), "stdin"], stdin="hello\n")
        self.assertIn("read: hello", r.stdout)

    def test_a_lock_works_in_contextlib_exitstack(self):
        r, _ = self.compare([program("exits.py"), "exitstack"])
        self.assertIn("inside: True", r.stdout)
        self.assertIn("after: False", r.stdout)

    def test_run_module_with_dash_m(self):
        r, _ = self.compare(["-m", "pkgmod", "a"], cwd=PROGRAMS)
        self.assertEqual(r.returncode, 4)
        self.assertIn("module argv ['a']", r.stdout)
        self.assertIn(f"path0 {PROGRAMS}", r.stdout)

    def test_run_a_directory_with_a_main_module(self):
        r, _ = self.compare(["pkgmod", "b"], cwd=PROGRAMS)
        self.assertEqual(r.returncode, 4)
        self.assertIn("module argv ['b']", r.stdout)

    def test_a_missing_module_fails_like_python(self):
        r, _ = self.compare(["-m", "no_such_module_weft"], cwd=PROGRAMS)
        self.assertEqual(r.returncode, 1)

    def test_spawned_child_can_unpickle_functions_of_main(self):
        r, _ = self.compare([program("spawn_child.py")])
        self.assertIn("child said 42", r.stdout)
        self.assertIn("exitcode 0", r.stdout)


class MissingScript(unittest.TestCase):
    def test_a_missing_script_fails_with_a_clear_message_and_status_2(self):
        traced, out = run_agent([program("missing.py")])
        self.assertEqual(traced.returncode, 2)
        self.assertEqual(traced.stderr, f"weft: can't open file {program('missing.py')!r}: "
                                        "[Errno 2] No such file or directory\n")
        self.assertEqual(os.listdir(out), [])


if __name__ == "__main__":
    unittest.main()
