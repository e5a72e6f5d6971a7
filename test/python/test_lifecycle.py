"""Threads, samples and how a traced process ends: what the file holds after a normal exit,
SIGKILL, SIGTERM, os._exit, and with a thread still blocked at exit."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest

from tracefile import AGENT, line_of, only_trace, program, run_agent

sys.path.insert(0, AGENT)
from weft.frames import CURRENT_FRAMES_SAFE  # noqa: E402
sys.path.remove(AGENT)

OPEN = 2


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie nobody reaped has ended)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except OSError:
        return False


class CrashSafety(unittest.TestCase):
    def run_killed(self, mode: str):
        proc, out = run_agent([program("killed.py"), mode])
        return proc, only_trace(out)

    def test_sigkill_leaves_a_readable_trace_up_to_the_last_flush(self):
        proc, t = self.run_killed("kill")
        self.assertEqual(proc.returncode, -signal.SIGKILL)
        self.assertFalse(t.complete)
        waits = t.waits("lock")
        self.assertEqual(len(waits), 1)  # the wait that ended 300 ms before the kill is there
        self.assertGreater((waits[0][2] - waits[0][1]) / 1e6, 150)
        # A contended lock's acquisition count is written with the periodic flushes, so it
        # survives the kill: the hog's acquisition and the main thread's.
        self.assertEqual(t.acquisitions(waits[0][4]), 2)

    def test_sigterm_writes_the_end_record_and_keeps_the_exit_status(self):
        proc, t = self.run_killed("term")
        self.assertEqual(proc.returncode, -signal.SIGTERM)
        self.assertTrue(t.complete)
        self.assertEqual(t.records[-1][2:4], ["signal", -signal.SIGTERM])

    @unittest.skipUnless(hasattr(signal, "pthread_sigmask"), "needs pthread_sigmask")
    def test_a_child_sent_sigterm_right_after_fork_dies_of_it(self):
        # Regression: a Pool terminated before its new workers had run lost some of them, and
        # the parent's join waited for good (weft.shutdown._ForkGuard). 7 children of 20 lived
        # on without the guard.
        proc, out = run_agent([program("fork_sigterm.py"), "20"], agent_args=["--sample-hz", "0"])
        self.assertEqual((proc.returncode, proc.stdout), (0, "survivors 0\n"), proc.stderr)

    @unittest.skipUnless(sys.platform.startswith("linux"), "PR_SET_PDEATHSIG is Linux's")
    def test_a_program_whose_launcher_is_killed_ends_with_its_end_record(self):
        # Regression: SIGKILL of `weft run` left the program running as an orphan. A stand-in
        # launcher (Python here, Node in `weft run`) passes its pid as WEFT_LAUNCHER_PID.
        out = tempfile.mkdtemp(prefix="weft-test-")
        pid_file = os.path.join(out, "program.pid")
        launcher = (
            "import os, subprocess, sys\n"
            "env = dict(os.environ, WEFT_LAUNCHER_PID=str(os.getpid()), PYTHONPATH=sys.argv[1])\n"
            "subprocess.run([sys.executable, '-m', 'weft', '--out', sys.argv[2], sys.argv[3], sys.argv[4]], env=env)\n"
        )
        program_text = "import os, sys, time\nopen(sys.argv[1], 'w').write(str(os.getpid()))\ntime.sleep(60)\n"
        script = os.path.join(out, "long.py")
        with open(script, "w") as f:
            f.write(program_text)
        trace = os.path.join(out, "trace")
        p = subprocess.Popen([sys.executable, "-c", launcher, AGENT, trace, script, pid_file])
        try:
            deadline = time.monotonic() + 30
            while not os.path.exists(pid_file) or not open(pid_file).read():
                self.assertLess(time.monotonic(), deadline, "the program did not start")
                time.sleep(0.05)
            program_pid = int(open(pid_file).read())
            p.kill()
            p.wait()
            deadline = time.monotonic() + 10
            while _alive(program_pid):
                self.assertLess(time.monotonic(), deadline, "the program outlived its launcher")
                time.sleep(0.05)
        finally:
            p.kill()
        t = only_trace(trace)
        self.assertTrue(t.complete)
        self.assertEqual(t.records[-1][2:4], ["signal", -signal.SIGTERM])

    def test_os_exit_writes_the_end_record(self):
        proc, t = self.run_killed("os_exit")
        self.assertEqual(proc.returncode, 5)
        self.assertTrue(t.complete)
        self.assertEqual(t.records[-1][2:4], ["os_exit", 5])


class OpenWaits(unittest.TestCase):
    def test_a_wait_that_ctrl_c_ended_is_written_ended_not_left_open(self):
        # Regression: an open wait (rewritten at each flush while it lasts) that an exception
        # ended was never written again, so readers drew it to the end of the trace: a join
        # Ctrl+C ended after 3.7 s showed as 12.7 s.
        prog = program("ctrl_c_waits.py")
        for mode, reason in (("join", "join"), ("lock", "lock"), ("condition", "condition")):
            with self.subTest(mode):
                proc, out = run_agent([prog, mode])
                self.assertEqual((proc.returncode, proc.stdout), (0, "interrupted\n"), proc.stderr)
                t = only_trace(out)
                main = t.tid("MainThread")
                line = line_of(prog, f"marker: {mode}")
                waits = [w for w in t.waits(reason) if w[3] == main and t.line(w[6]) == line]
                self.assertEqual(len(waits), 1, waits)
                w = waits[0]
                self.assertFalse(w[10] & OPEN, w)
                self.assertGreater((w[2] - w[1]) / 1e6, 450)
                self.assertLess((w[2] - w[1]) / 1e6, 1000)

    def test_a_wait_still_blocked_at_exit_is_written_open_until_the_end(self):
        path = program("open_wait.py")
        proc, out = run_agent([path])
        self.assertEqual((proc.returncode, proc.stdout), (0, "leaving\n"), proc.stderr)
        t = only_trace(out)
        ws = [w for w in t.waits("lock") if w[3] == t.tid("stuck")]
        self.assertEqual(len(ws), 1, t.waits())
        w = ws[0]
        self.assertEqual(w[10], OPEN)
        self.assertEqual(w[2], t.records[-1][1])  # ends at the end record
        self.assertEqual(w[7], t.tid("MainThread"))
        self.assertEqual(t.line(w[6]), line_of(path, "STUCK_LINE"))
        self.assertGreater((w[2] - w[1]) / 1e6, 100)


class Threads(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.path = program("threads.py")
        proc, out = run_agent([cls.path])
        assert proc.returncode == 0, proc.stderr
        cls.t = only_trace(out)
        cls.starts = {r[4]: r for r in cls.t.of("T")}

    def test_names_renames_and_the_daemon_flag(self):
        self.assertIn("renamed", [r[3] for r in self.t.of("N") if r[2] == self.starts["original"][2]])
        self.assertEqual(self.starts["bg"][5], 1)
        self.assertEqual(self.starts["original"][5], 0)

    def test_parent_thread_and_start_site(self):
        original = self.starts["original"]
        self.assertEqual(original[6], 1)  # started by the main thread
        self.assertEqual(self.t.line(original[7]), line_of(self.path, "# START_LINE"))
        grandchild = self.starts["grandchild"]
        self.assertEqual(grandchild[6], original[2])
        self.assertEqual(self.t.line(grandchild[7]), line_of(self.path, "GRANDCHILD_START_LINE"))

    def test_pool_workers_appear_and_threads_end(self):
        self.assertTrue(any(n.startswith("pool") for n in self.starts), self.starts.keys())
        ends = {r[2] for r in self.t.of("E")}
        for name in ("original", "grandchild", "bg"):
            self.assertIn(self.starts[name][2], ends)
        self.assertEqual(self.starts["MainThread"][2], 1)

    def test_the_agents_own_threads_are_not_lanes(self):
        names = set(self.starts)
        self.assertEqual({n for n in names if not (n.startswith("pool") or n in (
            "MainThread", "original", "grandchild", "bg"))}, set())


class RawThreads(unittest.TestCase):
    def test_a_thread_from_start_new_thread_is_seen_on_first_event_and_ended(self):
        path = program("raw_thread.py")
        proc, out = run_agent([path])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = only_trace(out)
        sleeps = [w for w in t.waits("sleep") if t.line(w[6]) == line_of(path, "RAW_SLEEP_LINE")]
        self.assertEqual(len(sleeps), 1)
        raw = sleeps[0][3]
        self.assertNotEqual(raw, 1)
        if CURRENT_FRAMES_SAFE:  # the sampler ends it when it vanishes (no sampler, no end)
            self.assertIn(raw, [r[2] for r in t.of("E")])


@unittest.skipUnless(CURRENT_FRAMES_SAFE, "stack sampling is off on this interpreter (see weft.frames)")
class Sampling(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.path = program("busy.py")
        proc, out = run_agent([cls.path])
        assert proc.returncode == 0, proc.stderr
        cls.t = only_trace(out)

    def samples(self, name: str) -> list:
        return [k for k in self.t.of("K") if k[2] == self.t.tid(name)]

    def leaf_func(self, k: list) -> str:
        frames = {r[1]: r for r in self.t.of("F")}
        return self.t.sites[frames[k[3]][3]][2]

    def cpu(self, name: str) -> int:
        cs = [c[3] for c in self.t.of("C") if c[2] == self.t.tid(name)]
        return cs[-1] - cs[0]

    def test_a_busy_thread_is_sampled_running_in_its_function(self):
        ks = self.samples("spinner")
        self.assertGreaterEqual(len(ks), 10)
        running_in_spin = [k for k in ks if k[4] == 0 and self.leaf_func(k) == "spin"]
        self.assertGreaterEqual(len(running_in_spin), len(ks) * 0.8)

    def test_a_thread_inside_a_recorded_wait_is_sampled_waiting(self):
        ks = self.samples("sleeper")
        self.assertGreaterEqual(len(ks), 10)
        self.assertGreaterEqual(len([k for k in ks if k[4] == 1]), len(ks) * 0.8)

    def test_cpu_clocks_tell_the_busy_thread_from_the_blocked_one(self):
        self.assertGreater(self.cpu("spinner") / 1e6, 50)
        self.assertLess(self.cpu("sleeper") / 1e6, 30)

    def test_only_user_threads_are_sampled(self):
        self.assertEqual(set(self.t.threads.values()), {"MainThread", "spinner", "sleeper"})


if __name__ == "__main__":
    unittest.main()
