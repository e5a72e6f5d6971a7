"""The lock-convoy trap: the agent must not make a contention-free program contend.

programs/no_contention.py runs 4 threads of CPU work that each take a shared lock 3,000 times
with `with lock: counter[0] += 1`. On 3.11+ the interpreter can switch threads only after a
call, at a backward jump or at function entry, and that critical section has none of them, so
with raw locks no thread is ever descheduled while holding the lock: it never contends. Any
recorded contention therefore comes from the agent running bytecode inside the held window;
a wrapper that does (a Python `acquire`) makes thousands. The bound allows a handful (0.1%)
for the rare eval-breaker check in the agent's slow path on a loaded machine.
"""
from __future__ import annotations

import sys
import unittest

from tracefile import only_trace, program, run_agent

ACQUISITIONS = 4 * 3000


@unittest.skipIf(sys.version_info < (3, 11), "before 3.11 the interpreter can switch threads at most "
                 "instructions, inside `counter[0] += 1` too, so the program contends without Weft")
class NoAddedContention(unittest.TestCase):
    def run_case(self, mode: str, kind: str) -> None:
        proc, out = run_agent([program("no_contention.py"), mode], env={"WEFT_SAMPLE_HZ": "100"})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), str(ACQUISITIONS))
        t = only_trace(out)
        contended = [w for w in t.waits() if w[5] in ("lock", "rlock")]
        self.assertLess(len(contended), ACQUISITIONS * 0.001,
                        f"{len(contended)} contended acquisitions of {ACQUISITIONS}: a convoy")
        # The acquisition counts are exact: every `with` was counted once, nothing else was.
        guards = [o for o in t.objects.values() if o[3] == "guard" and o[2] == kind]
        self.assertEqual(len(guards), 1, t.objects)
        self.assertEqual(t.acquisitions(guards[0][1]), ACQUISITIONS)

    def test_lock_wrapper_adds_no_contention_and_counts_every_acquisition(self):
        self.run_case("lock", "lock")

    def test_rlock_wrapper_adds_no_contention_and_counts_every_acquisition(self):
        self.run_case("rlock", "rlock")

    def test_condition_entered_with_with_adds_no_contention(self):
        self.run_case("condition", "lock")


if __name__ == "__main__":
    unittest.main()
