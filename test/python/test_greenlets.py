"""Green threads under the agent (weft/green.py): gevent programs that monkey-patch everything
run as they do without Weft, and show one lane per greenlet with steps, waits, holders, hub
blocks and outcomes; eventlet's green threads too. gevent and eventlet come from the components
venv (test/python/components.py), made on first use."""
from __future__ import annotations

import re
import unittest

from test.python import components
from test.python.tracefile import line_of, only_trace, program

MS = 1_000_000


def normalised(text: str) -> str:
    return re.sub(r"0x[0-9a-f]+", "0x?", re.sub(r"\d{4}-\d\d-\d\dT[\d:]+Z", "<time>", text))


class GeventTest(unittest.TestCase):
    prog = program("green_gevent.py")

    @classmethod
    def setUpClass(cls) -> None:
        cls.plain, cls.proc, out = components.run_both(cls.prog)
        assert cls.proc.returncode == 0, cls.proc.stderr
        cls.t = only_trace(out)
        cls.greenlets = {lane: r for lane, r in cls.t.lanes.items() if r[3] == "greenlet"}
        cls.by_name = {r[5]: lane for lane, r in cls.greenlets.items()}

    def line(self, marker: str) -> int:
        return line_of(self.prog, marker)

    def test_monkey_patched_program_runs_as_without_weft(self) -> None:
        self.assertEqual(self.plain.returncode, 0, self.plain.stderr)
        self.assertEqual(self.proc.stdout, self.plain.stdout)
        self.assertEqual(self.proc.stdout.strip(), "4950 True ValueError")
        # gevent prints the failed greenlet's traceback itself, with a time and an address.
        self.assertEqual(normalised(self.proc.stderr), normalised(self.plain.stderr))

    def test_every_greenlet_is_a_lane_under_the_main_thread_with_its_spawn_line(self) -> None:
        self.assertIn("Hub", self.by_name)
        spawned = [r for r in self.greenlets.values() if r[9] == "worker"]
        self.assertEqual(len(spawned), 100)
        main = self.t.tid("MainThread")
        main_greenlet = self.by_name["main greenlet"]
        for r in spawned:
            self.assertEqual(r[4], main)  # drawn under the thread
            self.assertEqual(self.t.line(r[6]), self.line("SPAWN LINE"))
            self.assertEqual(r[8], main_greenlet)  # spawned by the main greenlet
        # The main greenlet's join is its own wait, not the thread's.
        self.assertEqual([w for w in self.t.of("W") if w[3] == main and w[5] == "hub"], [])
        self.assertTrue([w for w in self.t.of("W") if w[3] == main_greenlet])
        ends = {r[2]: r for r in self.t.of("E") if r[2] in self.greenlets}
        self.assertEqual(sum(1 for r in ends.values() if r[3] == "result"), 104)
        failed = [r for r in ends.values() if r[3] == "exception"]
        self.assertEqual(len(failed), 1)
        self.assertEqual(failed[0][4], "ValueError: bad row")

    def test_steps_are_the_greenlets_runs_and_do_not_overlap_on_one_thread(self) -> None:
        steps = sorted((r[1], r[2], r[3]) for r in self.t.of("R"))
        self.assertGreater(len(steps), 300)
        for (b0, e0, _l0), (b1, _e1, _l1) in zip(steps, steps[1:]):
            self.assertLessEqual(e0, b1 + 1)
        hog = self.by_name.get("Greenlet-103") or next(l for l, r in self.greenlets.items() if r[9] == "hog")
        runs = [r[2] - r[1] for r in self.t.of("R") if r[3] == hog]
        self.assertTrue(any(190 * MS <= d <= 260 * MS for d in runs), runs)

    def _lane_of(self, func: str) -> int:
        return next(l for l, r in self.greenlets.items() if r[9] == func)

    def test_a_gevent_sleep_is_a_sleep_wait_at_its_line(self) -> None:
        lane = self._lane_of("sleeper")
        waits = [w for w in self.t.of("W") if w[3] == lane and w[5] == "sleep"]
        self.assertEqual(len(waits), 1, waits)
        w = waits[0]
        # The wait ends when the hub switches back: at least the 100 ms, and the hog can delay it.
        self.assertGreaterEqual(w[2] - w[1], 99 * MS)
        self.assertEqual(self.t.line(w[6]), self.line("SLEEP LINE"))

    def test_a_greenlet_waiting_for_a_held_rlock_names_the_holder(self) -> None:
        waiter, holder = self._lane_of("waiter"), self._lane_of("holder")
        waits = [w for w in self.t.of("W") if w[3] == waiter and w[5] == "lock"]
        self.assertEqual(len(waits), 1, [w for w in self.t.of("W") if w[3] == waiter])
        w = waits[0]
        self.assertEqual(w[7], holder)
        self.assertEqual(self.t.line(w[6]), self.line("WAIT LINE"))
        # It waited until the holder let go: its wait ends right after the holder's last step.
        released = max(r[2] for r in self.t.of("R") if r[3] == holder)
        self.assertGreaterEqual(w[2], released)
        self.assertLess(w[2] - released, 5 * MS)
        self.assertGreater(w[2] - w[1], 50 * MS)

    def test_the_hub_waiting_in_its_event_loop_is_a_select_wait_not_running(self) -> None:
        hub = self.by_name["Hub"]
        idle = [w for w in self.t.of("W") if w[3] == hub and w[5] == "select"]
        # The 100 ms sleeps and the lock hold leave the hub idle most of the first phase.
        self.assertGreater(sum(w[2] - w[1] for w in idle), 50 * MS, idle[:3])
        steps = [(r[1], r[2]) for r in self.t.of("R") if r[3] == hub]
        for b, e in ((w[1], w[2]) for w in idle):
            self.assertFalse(any(s0 < e and s1 > b for s0, s1 in steps), "a hub step overlaps its idle wait")

    def test_a_greenlet_that_keeps_the_hub_from_running_is_a_block(self) -> None:
        hog = self._lane_of("hog")
        blocks = [b for b in self.t.of("B") if b[4] == hog]
        self.assertEqual(len(blocks), 1, self.t.of("B"))
        self.assertAlmostEqual((blocks[0][2] - blocks[0][1]) / MS, 200, delta=30)
        self.assertEqual(blocks[0][3], self.t.tid("MainThread"))


class EventletTest(unittest.TestCase):
    def test_green_threads_are_lanes_and_their_sleeps_waits(self) -> None:
        prog = program("green_eventlet.py")
        plain, proc, out = components.run_both(prog)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, plain.stdout)
        t = only_trace(out)
        lanes = {l for l, r in t.lanes.items() if r[3] == "greenlet"}
        self.assertGreaterEqual(len(lanes), 20)
        naps = [w for w in t.of("W") if w[3] in lanes and w[5] == "sleep" and t.line(w[6]) == line_of(prog, "NAP LINE")]
        self.assertEqual(len(naps), 20, [w for w in t.of("W") if w[3] in lanes][:5])
        for w in naps:
            self.assertGreaterEqual(w[2] - w[1], 49 * MS)


if __name__ == "__main__":
    unittest.main()
