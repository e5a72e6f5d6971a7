"""When the program hangs: open waits are in the file while the program still runs (and after a
SIGKILL), the watchdog writes deadlocks and hangs as `D` records, and never for a correct
program."""
from __future__ import annotations

import glob
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from typing import Callable, List, Optional

from tracefile import AGENT, ROOT, Trace, line_of, program, read_file, run_agent, run_plain

OPEN = 2
DEADLOCK = os.path.join(ROOT, "examples", "deadlock.py")
HANG = os.path.join(ROOT, "examples", "hang.py")


def start_agent(args: List[str], agent_args: Optional[List[str]] = None, **kw) -> "tuple[subprocess.Popen, str]":
    out = tempfile.mkdtemp(prefix="weft-test-")
    e = {k: v for k, v in os.environ.items() if not k.startswith("WEFT_")}
    e["PYTHONPATH"] = AGENT
    cmd = [sys.executable, "-m", "weft", "--out", out, *(agent_args or []), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, text=True, **kw), out


def the_trace(out: str) -> Optional[Trace]:
    files = glob.glob(os.path.join(out, "weft-*.jsonl"))
    return read_file(files[0]) if len(files) == 1 else None


def wait_for(out: str, ok: Callable[[Trace], bool], timeout: float) -> Optional[Trace]:
    """The trace as soon as `ok` holds for it (None after `timeout` s); polls the file."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        t = the_trace(out)
        if t is not None and ok(t):
            return t
        time.sleep(0.05)
    return None


def last_waits(t: Trace) -> dict:
    """The last `W` per (lane, begin), as readers keep them."""
    last = {}
    for w in t.waits():
        last[(w[3], w[1])] = w
    return last


def script(code: str) -> str:
    fd, path = tempfile.mkstemp(suffix=".py", prefix="weft-prog-")
    with os.fdopen(fd, "w") as f:
        f.write(code)
    return path


def kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)


class OpenWaits(unittest.TestCase):
    def test_a_deadlocked_program_killed_with_sigkill_leaves_both_open_waits_with_their_holders(self):
        proc, out = start_agent([DEADLOCK], ["--watchdog-ms", "0"])
        try:
            t = wait_for(out, lambda t: sum(1 for w in t.of("W") if w[5] == "lock" and w[10] & OPEN) >= 2, 10)
        finally:
            kill(proc)
        self.assertIsNotNone(t, "no open lock waits in the file while the program hung")
        t = the_trace(out)
        assert t is not None
        self.assertFalse(t.complete)  # killed: no end record
        opened = [w for w in last_waits(t).values() if w[5] == "lock"]
        self.assertEqual(len(opened), 2, opened)
        t1, t2 = t.tid("t1"), t.tid("t2")
        by_lane = {w[3]: w for w in opened}
        self.assertEqual(set(by_lane), {t1, t2})
        for w in opened:
            self.assertTrue(w[10] & OPEN, w)
        # t1 waits for audit_lock, held by t2 at its own waiting line; and the other way round.
        self.assertEqual(t.obj(by_lane[t1][4])[3], "audit_lock")
        self.assertEqual(t.obj(by_lane[t2][4])[3], "accounts_lock")
        self.assertEqual(by_lane[t1][7], t2)
        self.assertEqual(by_lane[t2][7], t1)
        self.assertEqual(t.line(by_lane[t1][6]), line_of(DEADLOCK, "# t1 is stuck here"))
        self.assertEqual(t.line(by_lane[t2][6]), line_of(DEADLOCK, "# t2 is stuck here"))

    def test_an_open_wait_is_rewritten_while_it_lasts_and_completed_when_it_ends(self):
        proc, out = run_agent([script("import threading\n"
                                      "l = threading.Lock(); l.acquire()\n"
                                      "threading.Timer(1.5, l.release).start()\n"
                                      "with l: pass\n")], agent_args=["--flush-ms", "50"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = the_trace(out)
        assert t is not None
        waits = [w for w in t.of("W") if w[5] == "lock"]
        begins = {w[1] for w in waits}
        self.assertEqual(len(begins), 1, waits)
        self.assertGreaterEqual(len(waits), 3, waits)  # open at ~0.05 s and ~1.05 s, then complete
        for w in waits[:-1]:
            self.assertTrue(w[10] & OPEN, w)
        self.assertEqual(waits[-1][10] & OPEN, 0)
        self.assertEqual(sorted(w[2] for w in waits), [w[2] for w in waits])  # later ends
        self.assertGreater(waits[-1][2] - waits[-1][1], 1.4e9)


class Deadlocks(unittest.TestCase):
    def test_a_two_lock_deadlock_is_reported_within_the_watchdog_time_plus_one_second(self):
        proc, out = start_agent([DEADLOCK])
        try:
            t = wait_for(out, lambda t: bool(t.of("D")), 10)
        finally:
            kill(proc)
        self.assertIsNotNone(t, "no D record while the program hung")
        assert t is not None
        self.assertEqual(t.header["watchdogMs"], 1000)
        [d] = t.of("D")
        _, ts, kind, lanes, objects, sites, leaves = d
        self.assertEqual(kind, "deadlock")
        t1, t2 = t.tid("t1"), t.tid("t2")
        self.assertEqual(lanes, [t1, t2])  # cycle order from the first lane
        self.assertEqual([t.obj(o)[3] for o in objects], ["audit_lock", "accounts_lock"])
        self.assertEqual([t.line(s) for s in sites],
                         [line_of(DEADLOCK, "# t1 is stuck here"), line_of(DEADLOCK, "# t2 is stuck here")])
        # Each member's stack ends at its waiting line (the leaf F's site).
        frames = {f[1]: f for f in t.of("F")}
        self.assertEqual([t.line(frames[leaf][3]) for leaf in leaves], [t.line(s) for s in sites])
        # The cycle formed when the later of the two waits began.
        waits = last_waits(t)
        formed = max(w[1] for w in waits.values() if w[5] == "lock")
        self.assertLess(ts - formed, (1.0 + 1.0) * 1e9)
        self.assertGreaterEqual(ts - formed, 1.0e9)
        # The members' open waits were written before the D, up to its time.
        before = t.records[:t.records.index(d)]
        for lane in lanes:
            self.assertTrue(any(r[0] == "W" and r[3] == lane and r[10] & OPEN and r[2] == ts for r in before))

    def test_a_join_of_a_thread_that_waits_for_a_lock_the_joiner_holds_is_a_deadlock(self):
        prog = program("join_cycle.py")
        proc, out = start_agent([prog], ["--watchdog-ms", "300"])
        try:
            t = wait_for(out, lambda t: bool(t.of("D")), 10)
        finally:
            kill(proc)
        assert t is not None, "no D record"
        [d] = t.of("D")
        self.assertEqual(d[2], "deadlock")
        self.assertEqual(d[3], [t.tid("MainThread"), t.tid("child")])
        self.assertEqual([t.obj(o)[2] for o in d[4]], ["thread", "rlock"])
        self.assertEqual([t.line(s) for s in d[5]], [line_of(prog, "# MAIN_JOINS"), line_of(prog, "# CHILD_WAITS")])

    def test_no_stall_is_reported_for_many_threads_taking_locks_in_one_order(self):
        proc, out = run_agent([program("ordered_locks.py")], agent_args=["--watchdog-ms", "50", "--hang-ms", "200"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.strip(), "2400")
        t = the_trace(out)
        assert t is not None
        self.assertGreater(len(t.waits("lock")) + len(t.waits("rlock")), 0)  # it did contend
        self.assertEqual(t.of("D"), [])

    def test_no_stall_is_reported_for_the_examples(self):
        for name in ("bank_transfer.py", "producer_consumer.py", "barrier_semaphore.py", "process_pipeline.py",
                     "asyncio_pipeline.py", "asyncio_orders.py"):
            with self.subTest(example=name):
                proc, out = run_agent([os.path.join(ROOT, "examples", name)], timeout=120,
                                      agent_args=["--watchdog-ms", "100", "--hang-ms", "300"])
                self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
                for f in glob.glob(os.path.join(out, "weft-*.jsonl")):
                    self.assertEqual(read_file(f).of("D"), [], f)


    def test_no_stall_is_reported_under_cpythons_own_threading_and_queue_tests(self):
        # About 50 s on the 2-core machine; with a 100 ms watchdog and a 500 ms hang time so
        # that any cycle or all-blocked moment of these suites would be reported. (Four tests
        # of test_threading fail under the agent as on main: its Lock wrapper is not the C
        # type, and the agent's frames change two outputs; that is not what this checks.)
        out = tempfile.mkdtemp(prefix="weft-test-")
        e = {k: v for k, v in os.environ.items() if not k.startswith("WEFT_")}
        e["PYTHONPATH"] = AGENT
        proc = subprocess.run([sys.executable, "-m", "weft", "--out", out, "--watchdog-ms", "100", "--hang-ms", "500",
                               "-m", "test", "test_threading", "test_queue"], cwd=out, env=e,
                              capture_output=True, text=True, timeout=600)
        files = glob.glob(os.path.join(out, "weft-*.jsonl"))
        for f in files:
            t = read_file(f, strict=False)
            self.assertEqual(t.header.get("watchdogMs"), 100)
            self.assertEqual(t.of("D"), [], f)
        if "Total tests: run=" not in proc.stdout and sys.version_info[:3] == (3, 13, 0):
            # A known agent defect on 3.13.0 only (issue 13): test_threading aborts under the
            # agent (free(): invalid pointer, while a subtest imports _testinternalcapi); what
            # ran had no D. Anywhere else a suite that does not finish is a failure.
            self.skipTest(f"known abort of test_threading under the agent on 3.13.0: {proc.stderr[-300:]!r}")
        self.assertIn("Total tests: run=", proc.stdout, f"the suites did not finish under the agent: {proc.stderr[-1000:]}")
        self.assertGreater(len(files), 10)


class Hangs(unittest.TestCase):
    def test_main_joining_a_thread_that_waits_for_an_event_nobody_sets_is_a_hang(self):
        proc, out = start_agent([HANG], ["--hang-ms", "1000"])
        try:
            t = wait_for(out, lambda t: bool(t.of("D")), 10)
        finally:
            kill(proc)
        assert t is not None, "no D record"
        [d] = t.of("D")
        _, ts, kind, lanes, objects, sites, leaves = d
        self.assertEqual(kind, "hang")
        self.assertEqual(lanes, [t.tid("MainThread"), t.tid("worker")])  # main first
        self.assertEqual([t.obj(o)[2] for o in objects], ["thread", "event"])
        self.assertEqual([t.line(s) for s in sites],
                         [line_of(HANG, "# the main thread is stuck here"), line_of(HANG, "# the worker is stuck here")])
        self.assertTrue(all(leaves))
        formed = max(w[1] for w in last_waits(t).values() if w[3] in lanes)
        self.assertLess(ts - formed, 2.0e9)

    def test_a_process_that_sleeps_or_waits_with_timeouts_is_not_a_hang(self):
        proc, out = run_agent([program("sleeper.py"), "1.5"], agent_args=["--hang-ms", "300"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = the_trace(out)
        assert t is not None
        self.assertEqual(t.of("D"), [])

    def test_a_program_with_a_signal_handler_that_could_wake_it_is_not_a_hang(self):
        code = ("import signal, threading\n"
                "ev = threading.Event()\n"
                "signal.signal(signal.SIGALRM, lambda *a: ev.set())\n"
                "signal.setitimer(signal.ITIMER_REAL, 1.2)\n"
                "ev.wait()\n")
        proc, out = run_agent([script(code)], agent_args=["--hang-ms", "300"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = the_trace(out)
        assert t is not None
        self.assertEqual(t.of("D"), [])


class Tracebacks(unittest.TestCase):
    def test_an_exception_through_a_wrapped_call_has_the_same_traceback_as_without_weft(self):
        # Ctrl+C (a real SIGINT) while blocked in each kind of wait, and errors raised by the
        # wrapped calls themselves; the program prints traceback.format_exc().
        prog = program("interrupted_waits.py")
        major_minor = sys.version_info[:2]
        if major_minor < (3, 11):
            self.skipTest("a bare raise keeps the handler's saved traceback before 3.11 (tracebacks.py)")
        for kind in ("lock", "rlock", "join", "event", "queue", "simplequeue", "sleep", "empty", "joinunstarted"):
            with self.subTest(kind=kind):
                plain = run_plain([prog, kind], timeout=30)
                traced, _ = run_agent([prog, kind], timeout=30)
                self.assertIn("Traceback (most recent call last)", plain.stdout)
                self.assertNotIn("weft", traced.stdout)
                self.assertEqual(traced.stdout, plain.stdout)


    def test_an_exception_through_a_multiprocessing_or_subprocess_wrapper_has_the_same_traceback(self):
        if sys.version_info[:2] < (3, 11):
            self.skipTest("a bare raise keeps the handler's saved traceback before 3.11 (tracebacks.py)")
        prog = program("interrupted_mp_waits.py")
        for kind in ("queue_get", "queue_get_timeout", "lock", "release", "recv", "popen"):
            with self.subTest(kind=kind):
                plain = run_plain([prog, kind], timeout=30)
                traced, _ = run_agent([prog, kind], timeout=30)
                self.assertIn("Traceback (most recent call last)", plain.stdout)
                self.assertEqual(traced.stdout, plain.stdout)


class LiveCli(unittest.TestCase):
    def test_weft_run_prints_the_cycle_while_the_program_hangs_within_two_seconds(self):
        out = tempfile.mkdtemp(prefix="weft-test-")
        e = {k: v for k, v in os.environ.items() if not k.startswith("WEFT_")}
        proc = subprocess.Popen(["node", os.path.join(ROOT, "bin", "weft.js"), "run", "--out", out, DEADLOCK],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
        line, seen_at = None, 0
        try:
            deadline = time.monotonic() + 30
            assert proc.stderr is not None
            while time.monotonic() < deadline:
                text = proc.stderr.readline()
                if not text:
                    break
                if text.startswith("weft: deadlock:"):
                    line, seen_at = text.rstrip("\n"), time.monotonic_ns()
                    break
        finally:
            t = the_trace(out)
            if t is not None and proc.poll() is None:
                try:
                    os.kill(t.header["pid"], signal.SIGKILL)  # the hung program, then weft run
                except ProcessLookupError:
                    pass
            kill(proc)
        self.assertIsNotNone(line, "weft run printed no deadlock line")
        self.assertEqual(line, "weft: deadlock: "
                         f"t1 waits for audit_lock (created at deadlock.py:{line_of(DEADLOCK, 'audit_lock = ')}) "
                         f"held by t2 at deadlock.py:{line_of(DEADLOCK, '# t2 is stuck here')}; "
                         f"t2 waits for accounts_lock (created at deadlock.py:{line_of(DEADLOCK, 'accounts_lock = ')}) "
                         f"held by t1 at deadlock.py:{line_of(DEADLOCK, '# t1 is stuck here')}")
        t = the_trace(out)
        assert t is not None
        # The trace's clock is CLOCK_MONOTONIC, as time.monotonic_ns() on Linux.
        formed = max(w[1] for w in last_waits(t).values() if w[5] == "lock")
        self.assertLess(seen_at - formed, 2.0e9)


if __name__ == "__main__":
    unittest.main()
