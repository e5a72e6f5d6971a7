"""Process tracing: every Python child, whatever its start method, gets a trace file of its
own in the same directory, with the right parent, start method and exit status."""
from __future__ import annotations

import glob
import os
import unittest

from tracefile import program, read_file, run_agent


class ProcessTree(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proc, out = run_agent([program("processes.py")], timeout=120)
        cls.traces = [read_file(f) for f in glob.glob(os.path.join(out, "weft-*.jsonl"))]
        cls.main = next(t for t in cls.traces if t.header["startMethod"] == "main")

    def by_method(self, method: str):
        return [t for t in self.traces if t.header["startMethod"] == method]

    def test_program_output_is_unchanged(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stderr)
        self.assertEqual(self.proc.stdout.splitlines(), [
            "fork [0, 1]", "spawn [0, 1]", "forkserver [0, 1]", "[0, 1, 4, 9, 16, 25]", "child ok"])

    def test_every_start_method_gives_each_child_its_own_file_with_its_parent(self):
        main_pid = self.main.header["pid"]
        forks = self.by_method("fork")
        self.assertEqual(len(forks), 3)  # two Processes and one bare os.fork
        self.assertTrue(all(t.header["ppid"] == main_pid for t in forks))
        spawns = self.by_method("spawn")
        self.assertEqual(len(spawns), 4)  # two Processes and two Pool workers
        self.assertTrue(all(t.header["ppid"] == main_pid for t in spawns))
        servers = [t for t in self.by_method("helper") if "forkserver" in " ".join(t.header["argv"])]
        self.assertEqual(len(servers), 1)
        children = self.by_method("forkserver")
        self.assertEqual(len(children), 2)
        self.assertTrue(all(t.header["ppid"] == servers[0].header["pid"] for t in children))
        subs = self.by_method("subprocess")
        self.assertEqual(len(subs), 1)
        self.assertEqual(subs[0].header["ppid"], main_pid)

    def test_files_end_cleanly_and_exit_statuses_are_recorded(self):
        # The fork server and resource tracker end on their own after the program does, so
        # their files may still be open when the test reads them. A child killed by a signal
        # (possibly before its agent could install its handler) may leave a cut-short file:
        # that is then the truth, and the parent's Q record says so.
        exits = {r[2]: r[3] for r in self.main.records if r[0] == "Q"}
        mine = [t for t in self.traces if t.header["startMethod"] != "helper"]
        cut = [t.header["pid"] for t in mine if not t.complete and exits.get(t.header["pid"], 0) >= 0]
        self.assertEqual(cut, [])
        bare = [t for t in self.by_method("fork") if t.records[-1][2] == "os_exit" and t.records[-1][3] == 7]
        self.assertEqual(len(bare), 1)
        exits = {r[2]: r[3] for r in self.main.records if r[0] == "Q"}
        self.assertEqual(exits.get(bare[0].header["pid"]), 7)
        started = {r[2]: r[3] for r in self.main.records if r[0] == "P"}
        self.assertEqual(started.get(bare[0].header["pid"]), "fork")
        sub = self.by_method("subprocess")[0].header["pid"]
        self.assertEqual(started.get(sub), "subprocess")
        self.assertEqual(exits.get(sub), 0)

    def test_every_file_is_v2_named_by_its_host_with_wall_clock_pairs_at_start_and_end(self):
        hosts = {t.header["host"]["id"] for t in self.traces}
        self.assertEqual(len(hosts), 1, "all processes of one machine name the same host")
        for t in self.traces:
            self.assertEqual(t.header["version"], 2)
            self.assertTrue(os.path.basename(t.path).startswith(f"weft-{t.header['host']['id']}-{t.header['pid']}-"))
            pairs = t.of("M")
            self.assertEqual([m[2] for m in pairs[:1]], ["wall"], t.path)
            if t.complete:
                self.assertEqual(len(pairs), 2, t.path)
                self.assertLess(pairs[0][1], pairs[1][1])
                self.assertLessEqual(pairs[1][1], t.records[-1][1], "no record is later than the end")
            first = pairs[0]
            # The header's start and the first pair are readings of the same clocks.
            self.assertLess(abs((first[3] - t.header["wallNs"]) - (first[1] - t.header["startNs"])), 50_000_000)
            for m in pairs:
                self.assertLess(m[4], 1_000_000, "reading the pair took under 2 ms")

    def test_forked_child_redefines_objects_it_inherited(self):
        for t in self.by_method("fork"):
            defined = {r[1] for r in t.records if r[0] == "O"}
            for w in t.waits():
                self.assertIn(w[4], defined)


class SubprocessWaits(unittest.TestCase):
    def test_waiting_for_a_non_python_child_is_a_wait_on_that_process(self):
        import tempfile
        with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
            f.write('import subprocess\nsubprocess.run(["sleep", "0.2"])  # WAIT_LINE\n'
                    'print(subprocess.run(["sh", "-c", "exit 3"]).returncode)\n')
        proc, out = run_agent([f.name])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, "3\n")
        t = read_file(glob.glob(os.path.join(out, "weft-*.jsonl"))[0])
        waits = t.waits("process_join")
        # The sleep is a wait; `sh -c "exit 3"` may have ended before wait() was called.
        self.assertIn(len(waits), (1, 2))
        sleep = waits[0]
        self.assertGreaterEqual((sleep[2] - sleep[1]) / 1e6, 180)
        self.assertEqual(t.line(sleep[6]), 2)
        self.assertTrue(t.obj(sleep[4])[3].startswith("sleep (pid "))
        # The parent records both children's starts and exit statuses.
        exits = sorted(r[3] for r in t.of("Q"))
        self.assertEqual(exits, [0, 3])
        self.assertEqual(len([r for r in t.of("P") if r[3] == "subprocess"]), 2)


if __name__ == "__main__":
    unittest.main()
