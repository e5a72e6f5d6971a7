"""Lock-order mode (weft/lockorder.py, `--lock-order`): two locks taken in opposite orders are
reported once with both acquisition paths, even when the run did not hang; a program that
always takes its locks in one order gets no report; without the option there is no tracking
and no `I` record."""
from __future__ import annotations

import sys
import unittest

from tracefile import line_of, only_trace, program, run_agent

PATH = program("lock_order.py")


def run(which: str, on: bool = True):
    # Off: WEFT_LOCK_ORDER=0 too, so the test holds in a run that sets it for everything.
    proc, out = run_agent([PATH, which], agent_args=["--lock-order"] if on else [],
                          env=None if on else {"WEFT_LOCK_ORDER": "0"})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok", proc.stdout
    return only_trace(out)


class LockOrder(unittest.TestCase):
    def check_inversion(self, t, lane: str, other: str) -> None:
        inv = t.of("I")
        self.assertEqual(len(inv), 1, inv)
        _, ts, first, second, l1, s1, s2, l2, s3, s4 = inv[0]
        self.assertEqual(t.obj(first)[3], "A")
        self.assertEqual(t.obj(second)[3], "B")
        self.assertEqual(t.line(t.obj(first)[4]), line_of(PATH, "A_LINE"))
        self.assertEqual((l1, l2), (t.tid(lane), t.tid(other)))
        self.assertEqual([t.line(s) for s in (s1, s2, s3, s4)],
                         [line_of(PATH, m) for m in ("ONE_FIRST", "ONE_SECOND", "TWO_FIRST", "TWO_SECOND")])
        self.assertIs(t.header.get("lockOrder"), True)

    def test_an_inversion_that_did_not_hang_is_reported_once_with_both_paths(self):
        self.check_inversion(run("inversion"), "one", "two")

    def test_one_thread_taking_two_locks_in_both_orders_is_reported(self):
        t = run("same_thread")
        self.check_inversion(t, "MainThread", "MainThread")

    def test_locks_always_taken_in_one_order_by_many_threads_give_no_report(self):
        t = run("ordered")
        self.assertEqual(t.of("I"), [])
        self.assertEqual([r for r in t.of("!") if r[2] == "error"], [])

    def test_without_the_option_there_is_no_report_and_no_header_field(self):
        t = run("inversion", on=False)
        self.assertEqual(t.of("I"), [])
        self.assertNotIn("lockOrder", t.header)

    def test_the_mode_reaches_child_processes_through_the_environment(self):
        import os
        import sys
        import tempfile
        from tracefile import traces
        src = os.path.join(tempfile.mkdtemp(prefix="weft-lo-"), "parent.py")
        with open(src, "w") as f:
            f.write("import subprocess, sys\n"
                    f"subprocess.run([sys.executable, {PATH!r}, 'inversion'], check=True)\n")
        proc, out = run_agent([src], agent_args=["--lock-order"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        files = traces(out)
        self.assertEqual(len(files), 2)
        self.assertEqual(sum(len(t.of("I")) for t in files), 1)
        self.assertTrue(all(t.header.get("lockOrder") is True for t in files))


@unittest.skipIf(sys.version_info < (3, 11), "before 3.11 the program contends without Weft (test_contention)")
class NoAddedContention(unittest.TestCase):
    """The lock-convoy rule holds in lock-order mode too: the tracking runs in the acquire
    getter, before the lock is taken, and release stays the raw C method (test_contention)."""

    def test_lock_order_mode_adds_no_contention_to_a_contention_free_program(self):
        for mode in ("lock", "rlock"):
            proc, out = run_agent([program("no_contention.py"), mode], agent_args=["--lock-order"],
                                  env={"WEFT_SAMPLE_HZ": "100"})
            self.assertEqual(proc.returncode, 0, proc.stderr)
            t = only_trace(out)
            contended = [w for w in t.waits() if w[5] in ("lock", "rlock")]
            self.assertLess(len(contended), 12, f"{mode}: {len(contended)} contended acquisitions: a convoy")
            self.assertEqual(t.of("I"), [])


if __name__ == "__main__":
    unittest.main()
