"""The programs of examples/gpu run under the agent on PoCL (PyOpenCL) and on Numba's CUDA
simulator, from the components venv: each exits as without Weft and its kernels are on a GPU
queue lane, in launch order and at the lines that launched them."""
from __future__ import annotations

import os
import unittest
from typing import List, Tuple

from test.python import components
from test.python.tracefile import ROOT, Trace, only_trace, run_agent, run_plain

EXAMPLES = os.path.join(ROOT, "examples", "gpu")


def example(name: str) -> str:
    return os.path.join(EXAMPLES, name)


class GpuExamplesTest(unittest.TestCase):
    def run_example(self, name: str) -> Trace:
        py = components.python()
        plain = run_plain([example(name)], python=py, timeout=180)
        proc, out = run_agent([example(name)], python=py, timeout=180)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertEqual((proc.returncode, proc.stdout), (plain.returncode, plain.stdout), proc.stderr)
        t = only_trace(out)
        self.assertEqual([r for r in t.of("!") if r[2] == "error"], [])
        return t

    def kernels(self, t: Trace) -> List[Tuple[str, int]]:
        queues = {lane for lane, r in t.lanes.items() if r[3] == "gpu-queue"}
        self.assertTrue(queues, t.lanes)
        return [(r[5], t.line(r[6])) for r in sorted(t.of("X"), key=lambda r: r[1]) if r[3] in queues and r[4] == "kernel"]

    def line_of(self, name: str, text: str) -> int:
        with open(example(name), encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if text in line:
                    return n
        raise AssertionError(f"{text!r} not in {name}")

    def test_vector_sum(self) -> None:
        t = self.run_example("vector_sum.py")
        names = [k for k, _ in self.kernels(t)]
        self.assertEqual(names[:10], ["add"] * 10)
        self.assertGreaterEqual(len(names), 12)  # then pyopencl.array's elementwise kernels
        # Its two buffers made with COPY_HOST_PTR, before any launch: copies placed on the
        # device's clock once the first launch gave a calibration pair.
        made = [r[5] for r in t.of("X") if r[4] == "copy" and r[5].endswith("(buffer creation)")]
        self.assertEqual(made, ["host→device 16.0 MB (buffer creation)"] * 2)

    def test_matrix_multiply(self) -> None:
        ks = self.kernels(self.run_example("matrix_multiply.py"))
        self.assertEqual([k for k, _ in ks], ["matmul_naive"] * 3 + ["matmul_tiled"] * 3)
        self.assertEqual({n for _, n in ks}, {self.line_of("matrix_multiply.py", "naive(queue"),
                                               self.line_of("matrix_multiply.py", "tiled(queue")})

    def test_elementwise(self) -> None:
        ks = self.kernels(self.run_example("elementwise.py"))
        self.assertIn(("saxpy", self.line_of("elementwise.py", "saxpy(np.float32")), ks)
        at_scaled = [k for k, n in ks if n == self.line_of("elementwise.py", "scaled = ")]
        self.assertEqual(len(at_scaled), 2, ks)

    def test_reduction(self) -> None:
        ks = self.kernels(self.run_example("reduction.py"))
        self.assertEqual(ks[0], ("partial_sums", self.line_of("reduction.py", "partial_sums(queue")))
        self.assertTrue(any(k.startswith("sum_all") for k, _ in ks), ks)

    def test_producer_queue(self) -> None:
        t = self.run_example("producer_queue.py")
        ks = self.kernels(t)
        self.assertEqual(ks, [("square", self.line_of("producer_queue.py", "square(gpu"))] * 8)
        # Launched from the producer thread; the main thread waits at finish and the copies back.
        producer = t.tid("producer")
        starts = {r[3]: r for r in t.of("L") if r[4] == "s" and r[5] == "launch"}
        kernel_keys = [r[7] for r in t.of("X") if r[4] == "kernel"]
        self.assertEqual({starts[k][2] for k in kernel_keys}, {producer})
        waits = [t.line(w[6]) for w in t.waits("gpu_sync") if w[3] == t.tid("MainThread")]
        self.assertIn(self.line_of("producer_queue.py", "gpu.finish()"), waits)
        self.assertEqual(waits.count(self.line_of("producer_queue.py", "blocking copy back")), 8)

    def test_numba_vector_add(self) -> None:
        t = self.run_example("numba_vector_add.py")
        line = self.line_of("numba_vector_add.py", "vector_add[blocks")
        self.assertEqual(self.kernels(t), [("vector_add<<<8, 128>>>", line)] * 3)
        self.assertEqual(sorted(t.threads.values()), ["MainThread"])

    def test_numba_matrix_multiply(self) -> None:
        t = self.run_example("numba_matrix_multiply.py")
        self.assertEqual([k for k, _ in self.kernels(t)], ["matmul_naive<<<(4, 4), (8, 8)>>>", "matmul_tiled<<<(4, 4), (8, 8)>>>"])
        self.assertEqual(sorted(t.threads.values()), ["MainThread"])


if __name__ == "__main__":
    unittest.main()
