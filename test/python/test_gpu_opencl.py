"""OpenCL queues under the agent (weft/gpu/opencl.py), on PoCL (a real OpenCL runtime on the
CPU) from the components venv: kernels, copies and fills are spans on the queue's lane on the
device clock, paired with their launches by key; finish, event waits and blocking copies are
gpu_sync waits at the user's lines; the program's output is as without Weft."""
from __future__ import annotations

import unittest

from test.python import components
from test.python.tracefile import line_of, only_trace, program, run_agent, run_plain, traces


def fit(pairs: list) -> tuple:
    """Least squares of host time on device time: (scale, offset)."""
    n = len(pairs)
    mx = sum(x for x, _ in pairs) / n
    my = sum(y for _, y in pairs) / n
    sxx = sum((x - mx) ** 2 for x, _ in pairs)
    if n < 2 or sxx == 0:
        return 1.0, my - mx
    scale = sum((x - mx) * (y - my) for x, y in pairs) / sxx
    return scale, my - scale * mx


class OpenCLTest(unittest.TestCase):
    prog = program("gpu_opencl.py")

    @classmethod
    def setUpClass(cls) -> None:
        cls.plain, cls.proc, out = components.run_both(cls.prog)
        assert cls.proc.returncode == 0, cls.proc.stderr
        cls.t = only_trace(out)
        queues = [lane for lane, r in cls.t.lanes.items() if r[3] == "gpu-queue"]
        assert len(queues) == 1, cls.t.lanes
        cls.q = queues[0]
        cls.y = cls.t.lanes[cls.q]
        cls.spans = [r for r in cls.t.of("X") if r[3] == cls.q]
        domain = cls.y[7]
        pairs = [(r[3], r[1]) for r in cls.t.of("M") if r[2] == domain]
        cls.pairs = pairs
        scale, offset = fit(pairs)
        cls.host = staticmethod(lambda ts: scale * ts + offset)

    def line(self, marker: str) -> int:
        return line_of(self.prog, marker)

    def test_output_and_exit_are_as_without_weft(self) -> None:
        self.assertEqual(self.plain.returncode, 0, self.plain.stderr)
        self.assertEqual(self.proc.stdout, self.plain.stdout)
        self.assertEqual(self.proc.stderr, self.plain.stderr)
        self.assertEqual([r for r in self.t.of("!") if r[2] == "error"], [])

    def test_the_queue_is_a_lane_on_its_device_clock_under_the_main_thread(self) -> None:
        y = self.y
        self.assertEqual(y[4], self.t.tid("MainThread"))
        self.assertRegex(y[5], r" queue 1$")
        self.assertEqual(self.t.line(y[6]), self.line("QUEUE LINE"))
        self.assertTrue(y[7].startswith("opencl:"), y)
        self.assertGreaterEqual(len(self.pairs), 8)

    def test_n_kernel_launches_are_n_kernel_spans_paired_with_their_launches(self) -> None:
        kernels = [r for r in self.spans if r[4] == "kernel" and r[5] == "vadd"]
        self.assertEqual(len(kernels), 8)
        launch_line = self.line("LAUNCH LINE")
        starts = {r[3]: r for r in self.t.of("L") if r[4] == "s" and r[5] == "launch"}
        ends = {r[3]: r for r in self.t.of("L") if r[4] == "f" and r[5] == "launch"}
        for k in kernels:
            self.assertGreater(k[2], k[1])
            self.assertEqual(self.t.line(k[6]), launch_line)
            key = k[7]
            self.assertTrue(key.startswith("gpu:"), key)
            self.assertEqual(starts[key][2], self.t.tid("MainThread"))
            self.assertEqual(ends[key][2], self.q)
            self.assertEqual(ends[key][1], k[1])
        # On the host's clock, each kernel runs after its launch and before finish returned.
        finish = [w for w in self.t.waits("gpu_sync") if self.t.line(w[6]) == self.line("FINISH LINE")]
        self.assertEqual(len(finish), 1)
        first = min(starts[k[7]][1] for k in kernels)
        for k in kernels:
            self.assertGreaterEqual(self.host(k[1]), starts[k[7]][1] - 100_000)
            self.assertGreaterEqual(self.host(k[1]), first - 100_000)
            self.assertLessEqual(self.host(k[2]), finish[0][2] + 100_000)
        self.assertEqual(self.t.obj(finish[0][4])[2], "gpu_queue")

    def test_the_calibration_pairs_fit_one_line_within_their_read_errors(self) -> None:
        # PoCL's device clock is CLOCK_MONOTONIC_RAW, the host's CLOCK_MONOTONIC: the same
        # oscillator, apart only by NTP's slew (at most 500 ppm), so a straight line must fit
        # every pair to within its own bracket (the read error) plus a little scheduling noise.
        domain = self.y[7]
        pairs = [r for r in self.t.of("M") if r[2] == domain]
        scale, offset = fit([(r[3], r[1]) for r in pairs])
        self.assertLess(abs(scale - 1.0), 1e-3)
        worst = max(abs(scale * r[3] + offset - r[1]) - r[4] for r in pairs)
        self.assertLess(worst, 200_000, [(r[1], r[3], r[4]) for r in pairs])
        # Pairs far apart in time: a rate is measured, not only an offset.
        self.assertGreater(max(r[1] for r in pairs) - min(r[1] for r in pairs), 1_000_000)

    def test_copies_and_fills_are_spans_with_direction_and_size(self) -> None:
        labels = [(r[4], r[5], self.t.line(r[6])) for r in self.spans if r[4] != "kernel"]
        self.assertIn(("copy", "host→device 4.0 MB", self.line("UPLOAD LINE")), labels)
        self.assertIn(("copy", "device→host 4.0 MB", self.line("COPY BACK LINE")), labels)
        self.assertIn(("fill", "fill 4.0 MB", self.line("FILL LINE")), labels)

    def test_a_buffer_made_with_a_host_pointer_is_a_copy_at_its_line(self) -> None:
        copies = [r for r in self.spans if r[4] == "copy" and self.t.line(r[6]) == self.line("HOST PTR LINE")]
        self.assertEqual([r[5] for r in copies], ["host→device 4.0 MB (buffer creation)"])
        start = next(r for r in self.t.of("L") if r[3] == copies[0][7] and r[4] == "s")
        self.assertEqual((start[2], start[7]), (self.t.tid("MainThread"), 4 << 20))
        # Its host time, put on the device's clock: within the call on the host timeline.
        self.assertLessEqual(abs(self.host(copies[0][1]) - start[1]), 1_000_000)

    def test_a_blocking_copy_back_and_an_event_wait_are_host_waits_at_their_lines(self) -> None:
        lines = [self.t.line(w[6]) for w in self.t.waits("gpu_sync")]
        self.assertIn(self.line("COPY BACK LINE"), lines)
        self.assertIn(self.line("FILL LINE"), lines)
        back = next(w for w in self.t.waits("gpu_sync") if self.t.line(w[6]) == self.line("COPY BACK LINE"))
        span = next(r for r in self.spans if self.t.line(r[6]) == self.line("COPY BACK LINE"))
        self.assertLessEqual(back[1] - 100_000, self.host(span[1]))
        self.assertLessEqual(self.host(span[2]), back[2] + 100_000)

    def test_array_arithmetic_is_elementwise_kernels_at_the_users_line(self) -> None:
        at = [r for r in self.spans if self.t.line(r[6]) == self.line("ARRAY LINE")]
        self.assertTrue(any(r[4] == "kernel" for r in at), at)
        self.assertTrue(any(r[4] == "copy" and r[5].startswith("device→host") for r in at), at)


class ForkTest(unittest.TestCase):
    def test_a_forked_child_that_never_uses_opencl_exits_as_without_weft(self) -> None:
        py = components.python()
        prog = program("gpu_fork.py")
        plain = run_plain([prog], python=py)
        proc, out = run_agent([prog], python=py, timeout=60)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr), (plain.returncode, plain.stdout, plain.stderr))
        self.assertEqual(sorted(proc.stdout.split()), ["0", "child", "parent"])
        for t in traces(out):
            self.assertEqual([r for r in t.of("!") if r[2] == "error"], [])
        parent = [t for t in traces(out) if any(r[3] == "gpu-queue" for r in t.lanes.values())]
        self.assertEqual(len(parent), 1)
        self.assertTrue(any(r[4] == "copy" for r in parent[0].of("X")))


if __name__ == "__main__":
    unittest.main()
