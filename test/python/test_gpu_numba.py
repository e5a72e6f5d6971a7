"""Numba CUDA under the agent (weft/gpu/numba_cuda.py), on numba's CUDA simulator
(NUMBA_ENABLE_CUDASIM=1: kernels run on the CPU, one Python thread per CUDA thread) from the
components venv: launches are kernel spans in launch order on the stream's lane, each inside
its launching call; transfers carry their exact bytes; cuda.synchronize() and copies back are
gpu_sync waits at their lines; the simulator's threads are not lanes."""
from __future__ import annotations

import unittest

from test.python import components
from test.python.tracefile import line_of, only_trace, program, run_agent


class NumbaSimulatorTest(unittest.TestCase):
    prog = program("gpu_numba_sim.py")

    @classmethod
    def setUpClass(cls) -> None:
        cls.plain, cls.proc, out = components.run_both(cls.prog, timeout=120)
        assert cls.proc.returncode == 0, cls.proc.stderr
        cls.t = only_trace(out)
        queues = [lane for lane, r in cls.t.lanes.items() if r[3] == "gpu-queue"]
        # The default stream, and the stream the program synchronizes at its end.
        assert len(queues) == 2, cls.t.lanes
        cls.q = queues[0]
        cls.spans = [r for r in cls.t.of("X") if r[3] == cls.q]
        cls.main = cls.t.tid("MainThread")

    def line(self, marker: str) -> int:
        return line_of(self.prog, marker)

    def test_output_and_exit_are_as_without_weft(self) -> None:
        self.assertEqual(self.plain.returncode, 0, self.plain.stderr)
        self.assertEqual(self.proc.stdout, self.plain.stdout)
        self.assertEqual(self.proc.stderr, self.plain.stderr)
        self.assertEqual([r for r in self.t.of("!") if r[2] == "error"], [])

    def test_the_simulators_threads_are_not_lanes_and_their_syncthreads_are_not_waits(self) -> None:
        # 4 launches of 4 blocks x 64 threads: 1,024 simulated CUDA threads (1,025 T records
        # without the hook), one of whose kernels waits in syncthreads 7 times per thread.
        self.assertEqual(sorted(self.t.threads.values()), ["MainThread"])
        self.assertEqual(len(self.t.lanes), 2)
        self.assertEqual({w[3] for w in self.t.waits()}, {self.main})
        # Nor is the launching thread's wait for each one to start (its Condition's lock).
        self.assertEqual({w[5] for w in self.t.waits()}, {"gpu_sync"})
        self.assertEqual({r[2] for r in self.t.of("K")} - {self.main}, set())

    def test_the_stream_is_a_lane_on_the_host_clock_under_the_main_thread(self) -> None:
        y = self.t.lanes[self.q]
        self.assertEqual(y[4], self.main)
        self.assertEqual(y[5], "CUDA simulator default stream")
        self.assertEqual(self.t.line(y[6]), self.line("UPLOAD LINE"))
        self.assertIsNone(y[7])  # the simulator runs kernels on the host's clock

    def test_kernels_are_spans_in_launch_order_with_name_grid_and_block(self) -> None:
        kernels = [(r[5], self.t.line(r[6])) for r in self.spans if r[4] == "kernel"]
        self.assertEqual(kernels, [
            ("vadd<<<4, 64>>>", self.line("FIRST LAUNCH LINE")),
            ("vadd<<<4, 64>>>", self.line("SECOND LAUNCH LINE")),
            ("block_sum<<<4, 64>>>", self.line("SUM LAUNCH LINE")),
            ("vadd<<<(2, 2), (32, 2)>>>", self.line("2D LAUNCH LINE")),
        ])

    def test_each_span_is_inside_its_launch_window_on_the_host(self) -> None:
        starts = {r[3]: r for r in self.t.of("L") if r[4] == "s" and r[5] == "launch"}
        ends = {r[3]: r for r in self.t.of("L") if r[4] == "f" and r[5] == "launch"}
        ordered = sorted(self.spans, key=lambda r: r[1])
        self.assertEqual(ordered, self.spans)
        for i, x in enumerate(ordered):
            key = x[7]
            self.assertEqual(starts[key][2], self.main)
            self.assertEqual(ends[key][2], self.q)
            self.assertEqual(ends[key][1], x[1])
            self.assertGreaterEqual(x[1], starts[key][1])
            self.assertGreater(x[2], x[1])
            if i + 1 < len(ordered):  # the host made the next call only after this one returned
                self.assertLessEqual(x[2], starts[ordered[i + 1][7]][1])
        kernels = [r for r in self.spans if r[4] == "kernel"]
        sync = next(w for w in self.t.waits("gpu_sync") if self.t.line(w[6]) == self.line("SYNC LINE"))
        self.assertLessEqual(kernels[-1][2], sync[1])

    def test_transfers_and_allocations_carry_their_exact_bytes(self) -> None:
        starts = {r[3]: r for r in self.t.of("L") if r[4] == "s"}
        ops = [(r[4], r[5], starts[r[7]][7], self.t.line(r[6])) for r in self.spans if r[4] != "kernel"]
        upload, alloc, back = self.line("UPLOAD LINE"), self.line("ALLOC LINE"), self.line("COPY BACK LINE")
        self.assertEqual(ops, [
            ("copy", "host→device 1.0 KB", 1024, upload),
            ("copy", "host→device 1.0 KB", 1024, upload + 1),
            ("alloc", "alloc 1.0 KB", 1024, alloc),
            ("alloc", "alloc 16 B", 16, alloc + 1),
            ("copy", "device→host 16 B", 16, back),
            ("copy", "device→host 1.0 KB", 1024, back + 1),
        ])

    def test_synchronize_and_copies_back_are_host_waits_at_their_lines(self) -> None:
        waits = self.t.waits("gpu_sync")
        self.assertEqual([self.t.line(w[6]) for w in waits],
                         [self.line("SYNC LINE"), self.line("COPY BACK LINE"), self.line("COPY BACK LINE") + 1,
                          self.line("STREAM SYNC LINE")])
        for w in waits:
            self.assertEqual(w[3], self.main)
            self.assertEqual(self.t.obj(w[4])[2], "gpu_queue")
        self.assertEqual([self.t.obj(w[4])[3] for w in waits], ["CUDA simulator default stream"] * 3 + ["CUDA simulator stream 1"])


class SampledSimulatorTest(unittest.TestCase):
    def test_sampling_at_1000_hz_registers_no_simulator_thread(self) -> None:
        # The sampler sees every thread; a simulated CUDA thread must not become a lane at
        # its first sample, not even in the instant between its start and its hiding.
        proc, out = run_agent([program("gpu_numba_sim.py")], python=components.python(), timeout=120,
                              agent_args=["--sample-hz", "1000"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = only_trace(out)
        self.assertEqual(sorted(t.threads.values()), ["MainThread"])
        self.assertGreater(len(t.of("K")), 0)


if __name__ == "__main__":
    unittest.main()
