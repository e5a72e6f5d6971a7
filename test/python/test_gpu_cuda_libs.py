"""The CUDA hooks' parts that run without a GPU: the event timeline of Numba-on-a-GPU, CuPy and
PyCUDA (weft/gpu/cuda_events.py) driven by a fake event API whose device clock runs ahead of
the host's; the reading of PyTorch profiler (Kineto) traces (weft/gpu/kineto.py) on a
hand-written trace of the documented format, and its merging as records; launch labels; and
the CuPy hook installed on the real CuPy 14.2.0 (from the components venv) on a machine
without a GPU, where the program behaves as without Weft."""
from __future__ import annotations

import sys
import time
import types
import unittest
from typing import Any, List, Optional, Tuple

from test.python import components
from test.python.tracefile import AGENT, only_trace, program, run_agent, run_plain

sys.path.insert(0, AGENT)

from weft import registry  # noqa: E402
from weft.clock import now  # noqa: E402
from weft.gpu import kineto  # noqa: E402
from weft.gpu.cuda_events import CudaApi, Timeline  # noqa: E402
from weft.gpu import pycuda_cuda, torch_cuda  # noqa: E402
from weft.gpu.numba_cuda import dims_text, kernel_label  # noqa: E402
from weft.hooks import Patches  # noqa: E402
from weft.gpu.torch_cuda import KinetoLanes, _to_cpu  # noqa: E402


class FakeAgent:
    """What the GPU hooks use of registry.Agent, recording into a list."""

    def __init__(self) -> None:
        self.records: List[Any] = []
        self.emit = self.records.append
        self.closed = False
        self.open_waits: dict = {}
        self.internal: set = set()
        self.natives = {111: 9001}
        self.tids = {111: 1}
        self._lanes = 1
        self.failures: List[str] = []

    def tid(self, ident: Optional[int] = None) -> int:
        return 1

    def new_lane(self, kind: str, parent: Any, name: str, site: Any, clock_domain: Any = None, **kw: Any) -> int:
        self._lanes += 1
        self.emit(("Y", now(), self._lanes, kind, parent, name, site, clock_domain))
        return self._lanes

    def oid(self, obj: Any) -> int:
        return 7

    def site_or_none(self, where: Any) -> Optional[int]:
        return None if where is None else where[1]

    def fail(self, place: str, e: BaseException) -> None:
        self.failures.append(f"{place}: {e!r}")

    def warn(self, message: str, level: str = "warning") -> None:
        self.emit(["!", now(), level, message])

    def of(self, code: str) -> List[Any]:
        return [r for r in self.records if r[0] == code]


class FakeEvent:
    def __init__(self, api: "FakeApi") -> None:
        self.api = api
        self.device_ms: Optional[float] = None

    def complete(self) -> bool:
        return self.device_ms is not None and self.device_ms <= self.api.device_done_ms


class FakeApi(CudaApi):
    """A device whose clock reads host ms + 1000 (it started 1 s earlier); an event records the
    device time at which the stream reaches it: `lag_ms` after the host records it (a busy
    stream). It is complete once the device has run up to it (`device_done_ms`)."""

    lib = "fake"

    def __init__(self) -> None:
        self.lag_ms = 0.0
        self.device_done_ms = float("inf")

    def host_ms(self) -> float:
        return now() / 1e6

    def device(self) -> Tuple[int, str]:
        return 0, "Fake GPU"

    def stream_key(self, stream: Any) -> int:
        return 0 if not stream else int(stream)

    def event(self) -> FakeEvent:
        return FakeEvent(self)

    def record(self, evt: Any, stream: Any) -> None:
        evt.device_ms = self.host_ms() + 1000 + self.lag_ms

    def done(self, evt: Any) -> bool:
        return evt.complete()

    def elapsed_ms(self, start: Any, end: Any) -> float:
        if not (start.complete() and end.complete()):
            raise RuntimeError("not ready")
        return end.device_ms - start.device_ms


class WithFakeAgent(unittest.TestCase):
    def setUp(self) -> None:
        self.saved = registry.current
        self.a = FakeAgent()
        registry.current = self.a  # type: ignore[assignment]
        self.addCleanup(setattr, registry, "current", self.saved)


class TimelineTest(WithFakeAgent):
    def test_operations_become_spans_only_once_their_end_event_completed_and_in_order(self) -> None:
        api = FakeApi()
        tl = Timeline(api, lambda f: True)
        api.device_done_ms = -1  # nothing has run yet
        for i in range(3):
            tl.op("kernel", lambda i=i: f"k{i}", None, 0, lambda: None)
        tl.poll(self.a)  # type: ignore[arg-type]
        self.assertEqual(self.a.of("X"), [])
        self.assertEqual(len([r for r in self.a.of("L") if r[4] == "s"]), 3)
        api.device_done_ms = float("inf")
        tl.poll(self.a)  # type: ignore[arg-type]
        spans = self.a.of("X")
        self.assertEqual([r[5] for r in spans], ["k0", "k1", "k2"])
        ends = {r[3]: r for r in self.a.of("L") if r[4] == "f"}
        for x in spans:
            self.assertEqual(ends[x[7]][1], x[1])
            self.assertLessEqual(x[1], x[2])
        self.assertEqual(self.a.failures, [])

    def test_device_times_read_as_host_times_plus_the_queueing_delay(self) -> None:
        # The device's clock is 1 s ahead, but the domain reads "host time of the first event
        # + elapsed": on an idle device it is the host's time; a stream 5 ms behind shows it.
        api = FakeApi()
        tl = Timeline(api, lambda f: True)
        t0 = now()
        tl.op("kernel", lambda: "idle", None, 0, lambda: None)
        api.lag_ms = 5.0
        tl.op("kernel", lambda: "busy", None, 0, lambda: None)
        t1 = now()
        tl.poll(self.a)  # type: ignore[arg-type]
        idle, busy = self.a.of("X")
        self.assertGreaterEqual(idle[1], t0 - 1_000_000)
        self.assertLessEqual(idle[1], t1 + 1_000_000)
        self.assertGreaterEqual(busy[1] - idle[1], 4_000_000)
        # The first event completed at once (an idle device): a calibration pair on "cuda:fake:0".
        pairs = self.a.of("M")
        self.assertTrue(pairs and pairs[0][2] == "cuda:fake:0", self.a.records)
        lane = next(r for r in self.a.records if r[0] == "Y")
        self.assertEqual((lane[5], lane[7]), ("Fake GPU default stream", "cuda:fake:0"))

    def test_a_stall_is_a_gpu_sync_wait_then_a_marker_pair(self) -> None:
        api = FakeApi()
        tl = Timeline(api, lambda f: True)
        tl.op("copy", lambda: "device→host 4 B", 4, 0, lambda: None, blocking=True)
        before = len(self.a.of("M"))
        tl.stall(0, lambda: None)
        waits = self.a.of("W")
        self.assertEqual([w[5] for w in waits], ["gpu_sync", "gpu_sync"])
        self.assertEqual(len(self.a.of("M")), before + 1)
        self.assertEqual(self.a.open_waits, {})

    def test_a_library_error_is_the_programs_and_no_agent_failure(self) -> None:
        class NoDevice(FakeApi):
            def device(self) -> Tuple[int, str]:
                raise RuntimeError("no CUDA driver")

        tl = Timeline(NoDevice(), lambda f: True)

        def launch() -> None:
            raise ValueError("bad launch")

        with self.assertRaises(ValueError):
            tl.op("kernel", lambda: "k", None, 0, launch)
        self.assertEqual(tl.stall(0, lambda: 42), 42)
        self.assertEqual((self.a.records, self.a.failures), ([], []))

    def test_a_failed_launch_has_no_flow_and_no_span(self) -> None:
        tl = Timeline(FakeApi(), lambda f: True)

        def launch() -> None:
            raise ValueError("bad launch")

        with self.assertRaises(ValueError):
            tl.op("kernel", lambda: "k", None, 0, launch)
        tl.poll(self.a)  # type: ignore[arg-type]
        self.assertEqual((self.a.of("L"), self.a.of("X")), ([], []))


def kineto_trace() -> dict:
    """A trace as Kineto writes it (torch.profiler export_chrome_trace): times in µs since
    baseTimeNanoseconds, device work correlated with the host's CUDA calls."""
    return {
        "schemaVersion": 1,
        "deviceProperties": [{"id": 0, "name": "NVIDIA H200", "totalGlobalMem": 150000000000}],
        "baseTimeNanoseconds": 1_700_000_000_000_000_000,
        "traceEvents": [
            {"ph": "X", "cat": "cpu_op", "name": "aten::add", "pid": 4242, "tid": 9001, "ts": 5.0, "dur": 20.0},
            {"ph": "X", "cat": "cuda_runtime", "name": "cudaMemcpyAsync", "pid": 4242, "tid": 9001, "ts": 1.0, "dur": 3.0,
             "args": {"correlation": 10}},
            {"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy HtoD (Pageable -> Device)", "pid": 0, "tid": 7, "ts": 2.5, "dur": 4.0,
             "args": {"device": 0, "stream": 7, "correlation": 10, "bytes": 4194304}},
            {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 4242, "tid": 9001, "ts": 10.0, "dur": 2.0,
             "args": {"correlation": 11}},
            {"ph": "X", "cat": "kernel", "name": "void at::native::vectorized_elementwise_kernel<4, at::native::AddFunctor<float>, std::array<char*, 3ul> >(int, at::native::AddFunctor<float>, std::array<char*, 3ul>)",
             "pid": 0, "tid": 7, "ts": 15.25, "dur": 8.5,
             "args": {"device": 0, "stream": 7, "correlation": 11, "grid": [4096, 1, 1], "block": [128, 1, 1]}},
            {"ph": "X", "cat": "gpu_memset", "name": "Memset (Device)", "pid": 0, "tid": 13, "ts": 12.0, "dur": 1.0,
             "args": {"device": 0, "stream": 13, "correlation": 12, "bytes": 512}},
            {"ph": "X", "cat": "gpu_memcpy", "name": "Memcpy DtoH (Device -> Pinned)", "pid": 0, "tid": 7, "ts": 30.0, "dur": 2.0,
             "args": {"device": 0, "stream": 7, "correlation": 13, "bytes": 16}},
            {"ph": "s", "cat": "ac2g", "id": 11, "pid": 4242, "tid": 9001, "ts": 10.0},
            {"ph": "X", "cat": "kernel", "name": "broken", "ts": "not a number"},
        ],
    }


class KinetoTest(WithFakeAgent):
    def test_the_device_work_is_read_in_start_order_with_names_sizes_and_directions(self) -> None:
        ops, launches, names = kineto.parse(kineto_trace())
        base = 1_700_000_000_000_000_000
        self.assertEqual(names, {0: "NVIDIA H200"})
        self.assertEqual([(o.kind, o.label, o.stream, o.size) for o in ops], [
            ("copy", "host→device 4.0 MB", 7, 4194304),
            ("fill", "fill 512 B", 13, 512),
            ("kernel", "at::native::vectorized_elementwise_kernel<<<4096, 128>>>", 7, None),
            ("copy", "device→host 16 B", 7, 16),
        ])
        kernel = ops[2]
        self.assertEqual((kernel.begin, kernel.end), (base + 15_250, base + 23_750))
        self.assertEqual(launches[11], kineto.Launch(9001, base + 10_000))

    def test_merged_operations_are_spans_on_a_lane_per_stream_with_launch_flows(self) -> None:
        lanes = KinetoLanes()
        self.assertEqual(lanes.write(self.a, kineto_trace()), 4)  # type: ignore[arg-type]
        names = [r[5] for r in self.a.records if r[0] == "Y"]
        self.assertEqual(names, ["NVIDIA H200 stream 7 (profiler)", "NVIDIA H200 stream 13 (profiler)"])
        spans = self.a.of("X")
        flows_s = {r[3]: r for r in self.a.of("L") if r[4] == "s"}
        flows_f = {r[3]: r for r in self.a.of("L") if r[4] == "f"}
        kernel = next(x for x in spans if x[4] == "kernel")
        # Launched by thread 1 (kernel thread id 9001) 5.25 µs before it started on the device.
        self.assertEqual(flows_s[kernel[7]][2], 1)
        self.assertEqual(kernel[1] - flows_s[kernel[7]][1], 5_250)
        self.assertEqual(flows_f[kernel[7]][1], kernel[1])
        self.assertEqual(kernel[2] - kernel[1], 8_500)
        # Unix times become host monotonic times: minus the offset between the clocks then.
        offset = time.time_ns() - now()
        base = 1_700_000_000_000_000_000
        self.assertLess(abs((base + 15_250 - offset) - kernel[1]), 5_000_000)
        fill = next(x for x in spans if x[4] == "fill")
        self.assertNotIn(fill[7], flows_s)  # its launch is not in the trace

    def test_a_trace_without_device_work_writes_nothing(self) -> None:
        self.assertEqual(KinetoLanes().write(self.a, {"traceEvents": []}), 0)  # type: ignore[arg-type]
        self.assertEqual(self.a.records, [])


def fake_pycuda() -> Any:
    """pycuda.driver's shape, as PyCUDA 2026.1 has it (driver.py sets Function.__call__ and
    the prepared calls as Python functions on its compiled class; memcpy_* are module
    functions; Context.synchronize is static), with events of FakeApi's kind."""
    api = FakeApi()
    calls: List[str] = []
    drv = types.SimpleNamespace(calls=calls, api=api)

    class Function:
        def __call__(self, *args: Any, **kwargs: Any) -> None:
            calls.append("call")

        def prepared_call(self, grid: Any, block: Any, *args: Any, **kwargs: Any) -> None:
            calls.append("prepared_call")

        def prepared_async_call(self, grid: Any, block: Any, stream: Any, *args: Any, **kwargs: Any) -> None:
            calls.append("prepared_async_call")

    class Module:
        def get_function(self, name: str) -> Function:
            return Function()

    class Device:
        def pci_bus_id(self) -> str:
            return "0000:01:00.0"

        def name(self) -> str:
            return "Fake GPU"

    class Context:
        @staticmethod
        def get_device() -> Device:
            return Device()

        @staticmethod
        def synchronize() -> None:
            calls.append("ctx sync")

    class Stream:
        handle = 77

        def synchronize(self) -> None:
            calls.append("stream sync")

    class Event(FakeEvent):
        def __init__(self) -> None:
            super().__init__(api)

        def record(self, stream: Any = None) -> "Event":
            api.record(self, stream)
            return self

        def query(self) -> bool:
            return self.complete()

        def time_since(self, start: Any) -> float:
            return api.elapsed_ms(start, self)

        def synchronize(self) -> "Event":
            calls.append("event sync")
            return self

    def memcpy_htod(dest: Any, src: Any) -> None:
        calls.append("htod")

    def memcpy_dtoh(dest: Any, src: Any) -> None:
        calls.append("dtoh")

    drv.Function, drv.Module, drv.Context, drv.Stream, drv.Event = Function, Module, Context, Stream, Event
    drv.memcpy_htod, drv.memcpy_dtoh = memcpy_htod, memcpy_dtoh
    return drv


class PycudaHookTest(WithFakeAgent):
    def test_launches_copies_and_synchronizes_on_pycudas_shape(self) -> None:
        drv = fake_pycuda()
        p = Patches("pycuda")
        pycuda_cuda.install(p, drv)
        self.addCleanup(p.undo)
        host = bytearray(4096)
        fn = drv.Module().get_function("saxpy")
        drv.memcpy_htod(1234, host)
        fn(1, 2, grid=(8, 1), block=(256, 1, 1))
        fn.prepared_async_call((8, 1), (256, 1, 1), drv.Stream(), 3)
        drv.Context.synchronize()
        drv.memcpy_dtoh(host, 1234)
        self.assertEqual(drv.calls, ["htod", "call", "prepared_async_call", "ctx sync", "dtoh"])
        self.assertEqual(self.a.failures, [])
        spans = self.a.of("X")
        self.assertEqual(sorted((x[4], x[5]) for x in spans), [
            ("copy", "device→host 4.0 KB"), ("copy", "host→device 4.0 KB"),
            ("kernel", "saxpy<<<8, 256>>>"), ("kernel", "saxpy<<<8, 256>>>"),
        ])
        lanes = [r[5] for r in self.a.records if r[0] == "Y"]
        self.assertEqual(lanes, ["Fake GPU default stream", "Fake GPU stream 1"])
        self.assertEqual([w[5] for w in self.a.of("W")], ["gpu_sync", "gpu_sync"])
        sizes = sorted(r[7] for r in self.a.of("L") if r[4] == "s" and r[7] is not None)
        self.assertEqual(sizes, [4096, 4096])


def fake_torch() -> Any:
    """torch's shape where the hook touches it: Tensor methods, torch.cuda's synchronize,
    device, Stream and Event, and torch.autograd.profiler.profile, whose results save a Kineto
    trace."""
    calls: List[str] = []
    torch = types.SimpleNamespace(calls=calls)

    class Tensor:
        def __init__(self, is_cuda: bool) -> None:
            self.is_cuda = is_cuda

        def item(self) -> float:
            calls.append("item")
            return 1.5

        def tolist(self) -> list:
            return [1.5]

        def cpu(self) -> "Tensor":
            calls.append("cpu")
            return Tensor(False)

        def to(self, *args: Any, **kwargs: Any) -> "Tensor":
            calls.append("to")
            return Tensor(False)

    class Stream:
        cuda_stream = 0

        def synchronize(self) -> None:
            calls.append("stream sync")

    class Event:
        def synchronize(self) -> None:
            calls.append("event sync")

    def synchronize(device: Any = None) -> None:
        calls.append("sync")

    cuda = types.SimpleNamespace(synchronize=synchronize, current_device=lambda: 0,
                                 get_device_name=lambda i: "NVIDIA H200", Stream=Stream, Event=Event)

    class Results:
        def save(self, path: str) -> None:
            import json

            with open(path, "w", encoding="utf-8") as f:
                json.dump(kineto_trace(), f)

    class Profile:
        def __enter__(self) -> "Profile":
            return self

        def __exit__(self, *exc: Any) -> None:
            self.kineto_results = Results()

    torch.Tensor, torch.cuda = Tensor, cuda
    torch.compiler = types.SimpleNamespace(is_compiling=lambda: False)
    torch.profile = Profile
    return torch


class TorchHookTest(WithFakeAgent):
    def test_host_stalls_on_cuda_tensors_only_and_the_profilers_kernels_merged(self) -> None:
        torch = fake_torch()
        profiler_module = types.SimpleNamespace(profile=torch.profile)
        saved = {m: sys.modules.get(m) for m in ("torch.cuda", "torch.autograd.profiler")}
        sys.modules["torch.cuda"] = torch.cuda  # type: ignore[assignment]
        sys.modules["torch.autograd.profiler"] = profiler_module  # type: ignore[assignment]
        try:
            p = Patches("torch")
            torch_cuda.install(p, torch)
        finally:
            for m, v in saved.items():
                if v is None:
                    sys.modules.pop(m, None)
                else:
                    sys.modules[m] = v
        self.addCleanup(p.undo)
        self.assertEqual(torch.Tensor(False).item(), 1.5)  # a CPU tensor: no wait
        self.assertEqual(self.a.of("W"), [])
        self.assertEqual(torch.Tensor(True).item(), 1.5)
        torch.Tensor(True).cpu()
        torch.Tensor(True).to("cuda:1")  # not to the host: no wait
        torch.Tensor(True).to("cpu")
        torch.cuda.synchronize()
        torch.cuda.Stream().synchronize()
        self.assertEqual(torch.calls, ["item", "item", "cpu", "to", "to", "sync", "stream sync"])
        waits = self.a.of("W")
        self.assertEqual(len(waits), 5)
        self.assertEqual({w[5] for w in waits}, {"gpu_sync"})
        with torch.profile():
            pass
        self.assertEqual(self.a.failures, [])
        lanes = [r[5] for r in self.a.records if r[0] == "Y"]
        self.assertEqual(lanes, ["NVIDIA H200 default stream", "NVIDIA H200 stream 7 (profiler)", "NVIDIA H200 stream 13 (profiler)"])
        self.assertEqual(len(self.a.of("X")), 4)


class LabelsTest(unittest.TestCase):
    def test_launch_labels_read_as_cuda_launch_syntax(self) -> None:
        self.assertEqual(dims_text((4, 1, 1)), "4")
        self.assertEqual(dims_text((4, 4, 1)), "(4, 4)")
        self.assertEqual(dims_text(256), "256")
        self.assertEqual(kernel_label("vadd", (2, 2, 1), (32, 2, 1)), "vadd<<<(2, 2), (32, 2)>>>")

    def test_tensor_to_waits_only_when_it_moves_to_the_host_blocking(self) -> None:
        self.assertTrue(_to_cpu(("cpu",), {}))
        self.assertTrue(_to_cpu((), {"device": "cpu"}))
        self.assertFalse(_to_cpu(("cuda:1",), {}))
        self.assertFalse(_to_cpu(("cpu",), {"non_blocking": True}))
        self.assertFalse(_to_cpu((), {}))


class NumbaWithoutGpuTest(unittest.TestCase):
    def test_the_gpu_path_installs_on_numba_and_its_errors_are_numbas(self) -> None:
        # Numba's real CUDA target (not the simulator): its patch points exist in numba 0.68.1
        # and a program on a machine without a GPU fails exactly as without Weft.
        py = components.python()
        prog = program("gpu_numba_nodevice.py")
        plain = run_plain([prog], python=py, timeout=120)
        proc, out = run_agent([prog], python=py, timeout=120)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.splitlines()[:-1], plain.stdout.splitlines()[:-1])
        self.assertEqual(proc.stdout.splitlines()[1:4], ["CudaSupportError"] * 3)
        self.assertEqual(proc.stdout.splitlines()[-1], "weft.gpu.numba_cuda weft.gpu.numba_cuda")
        self.assertEqual([r for r in only_trace(out).of("!") if r[2] == "error"], [])


class CupyWithoutGpuTest(unittest.TestCase):
    def test_the_hook_installs_on_cupy_and_the_program_runs_as_without_weft(self) -> None:
        py = components.python()
        prog = program("gpu_cupy_nodevice.py")
        plain = run_plain([prog], python=py, timeout=120)
        proc, out = run_agent([prog], python=py, timeout=120)
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertEqual((proc.returncode, proc.stdout, proc.stderr), (plain.returncode, plain.stdout, plain.stderr))
        self.assertIn("RawKernel True f double_it my_sum", proc.stdout)
        t = only_trace(out)
        self.assertEqual([r for r in t.of("!") if r[2] == "error"], [])

    def test_the_hooked_names_are_weft_s_under_the_agent(self) -> None:
        proc, _ = run_agent([program("gpu_cupy_names.py")], python=components.python(), timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout.split(), ["False", "weft.gpu.cupy_cuda", "weft.gpu.cupy_cuda"])


if __name__ == "__main__":
    unittest.main()
