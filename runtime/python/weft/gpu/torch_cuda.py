"""PyTorch on CUDA: host stalls always, kernels and copies from the PyTorch profiler when it
runs. One row of session.HOOKS, installed when the program imports `torch`.

* **Host stalls** (gpu_sync waits at the user's line, on the device's "default stream" lane):
  `torch.cuda.synchronize()`, `Stream.synchronize()`, `Event.synchronize()`, and the tensor
  methods that wait for the device to copy a result back: `item()`, `tolist()`, `cpu()` and a
  blocking `to("cpu")`. Timing every operation with CUDA events would cost more than most of
  PyTorch's kernels take, so only these calls are hooked; each checks `is_cuda` first (a CPU
  tensor pays one attribute read) and, under `torch.compile` (`torch.compiler.is_compiling()`),
  is the original call, so that Dynamo traces what it always traced.
* **Kernels, copies and fills** come from PyTorch's own profiler (Kineto, on CUPTI), merged when
  a profiling session ends (`torch.autograd.profiler.profile.__exit__`, which
  `torch.profiler.profile` reaches on `stop()` and at each scheduled cycle): its results are
  saved to a temporary Chrome trace, read by kineto.py, and written as `X` spans on one lane
  per device and stream ("<device> stream <n> (profiler)", host clock: Kineto's times are Unix
  ns, converted with the offset between CLOCK_REALTIME and CLOCK_MONOTONIC read then), with a
  launch flow from the launching thread (by its kernel thread id; no Python line, since Kineto
  records none unless `with_stack`). `WEFT_TORCH_PROFILE=1` makes Weft run such a session
  itself (CUDA activity only) from the import of torch to the exit, when the program runs none.
* DataLoader worker processes are multiprocessing processes and are traced as such.

Not verified (no GPU on this project's machines, and PyTorch's wheel with its CUDA libraries
is too large for them): see the README. kineto.py's reading is unit-tested on hand-written
traces of the documented format.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Dict, Optional, Tuple

from .. import registry
from ..clock import now, wall_pair
from ..hooks import Patches
from . import kineto
from .common import Anchor, user_lines
from .cuda_events import CudaApi, Timeline

_is_user = user_lines(("torch", "numpy", "functorch", "triton"))


class TorchApi(CudaApi):
    """Devices and streams of torch.cuda (the timeline is untimed: no events)."""

    lib = "torch"

    def __init__(self, tcuda: Any) -> None:
        self.tcuda = tcuda
        self.names: Dict[int, str] = {}

    def device(self) -> Tuple[int, str]:
        i = int(self.tcuda.current_device())
        name = self.names.get(i)
        if name is None:
            name = self.names[i] = str(self.tcuda.get_device_name(i)).strip()
        return i, name

    def stream_key(self, stream: Any) -> int:
        if stream is None or isinstance(stream, int):
            return 0
        return int(getattr(stream, "cuda_stream", 0) or 0)


def _to_cpu(args: Any, kwargs: Any) -> bool:
    """Whether `tensor.to(...)` moves to the host and waits (not `non_blocking`)."""
    if kwargs.get("non_blocking") or (len(args) > 2 and args[2] is True):
        return False
    target = kwargs.get("device", args[0] if args else None)
    if isinstance(target, str):
        return target.split(":")[0] == "cpu"
    return getattr(target, "type", None) == "cpu"


class KinetoLanes:
    """The lanes of the profiler's streams, and the writing of its operations."""

    def __init__(self) -> None:
        self.lanes: Dict[Tuple[int, int], Tuple[int, Anchor]] = {}
        self.count = 0

    def lane(self, a: registry.Agent, device: int, stream: int, names: Dict[int, str]) -> Tuple[int, Anchor]:
        got = self.lanes.get((device, stream))
        if got is None:
            name = f"{names.get(device, f'CUDA device {device}')} stream {stream} (profiler)"
            lane = a.new_lane("gpu-queue", a.tid(), name, None)
            got = self.lanes[(device, stream)] = (lane, Anchor(name, None))
        return got

    def write(self, a: registry.Agent, trace: Dict[str, Any]) -> int:
        ops, launches, names = kineto.parse(trace)
        if not ops:
            return 0
        mono, wall, _ = wall_pair()
        offset = wall - mono
        lane_of_native = {native: tid for ident, native in a.natives.items()
                          if native and (tid := a.tids.get(ident)) is not None}
        pid = os.getpid()
        for op in ops:
            lane, anchor = self.lane(a, op.device, op.stream, names)
            oid = a.oid(anchor)
            self.count += 1
            key = f"gpu:{pid}:k{self.count}"
            launch = launches.get(op.correlation) if op.correlation is not None else None
            host = lane_of_native.get(launch.native_tid) if launch is not None else None
            begin = op.begin - offset
            if launch is not None and host is not None:
                a.emit(["L", launch.ts - offset, host, key, "s", "launch", oid, op.size])
                a.emit(["L", begin, lane, key, "f", "launch", oid, op.size])
            a.emit(["X", begin, max(begin, op.end - offset), lane, op.kind, op.label, None, key])
        return len(ops)


def install(p: Patches, torch: Any) -> None:
    a = registry.current
    if a is None:
        return
    tcuda = sys.modules.get("torch.cuda") or getattr(torch, "cuda", None)
    if tcuda is None:
        return
    st = Timeline(TorchApi(tcuda), _is_user, timed=False)
    compiler = getattr(torch, "compiler", None)
    compiling = getattr(compiler, "is_compiling", None) or (lambda: False)

    # -- host stalls -----------------------------------------------------------------
    orig_sync = tcuda.synchronize

    def synchronize(device: Any = None) -> Any:
        if compiling():
            return orig_sync(device)
        return st.stall(0, lambda: orig_sync(device))

    synchronize.__doc__ = orig_sync.__doc__
    synchronize.__wrapped__ = orig_sync  # type: ignore[attr-defined]
    p.patch(tcuda, "synchronize", synchronize)

    Tensor = torch.Tensor
    for name in ("item", "tolist", "cpu"):
        orig = getattr(Tensor, name)

        def method(self: Any, *args: Any, _orig: Any = orig, **kwargs: Any) -> Any:
            if not self.is_cuda or compiling():
                return _orig(self, *args, **kwargs)
            return st.stall(0, lambda: _orig(self, *args, **kwargs))

        method.__doc__ = orig.__doc__
        method.__name__ = method.__qualname__ = name
        p.patch(Tensor, name, method)

    orig_to = Tensor.to

    def to(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not self.is_cuda or compiling() or not _to_cpu(args, kwargs):
            return orig_to(self, *args, **kwargs)
        return st.stall(0, lambda: orig_to(self, *args, **kwargs))

    to.__doc__ = orig_to.__doc__
    p.patch(Tensor, "to", to)

    for cls in (getattr(tcuda, "Stream", None), getattr(tcuda, "Event", None)):
        if cls is None:
            continue
        orig_cls_sync = cls.synchronize

        def cls_sync(self: Any, _orig: Any = orig_cls_sync, _is_stream: bool = cls is tcuda.Stream) -> Any:
            if compiling():
                return _orig(self)
            return st.stall(self if _is_stream else 0, lambda: _orig(self))

        cls_sync.__doc__ = orig_cls_sync.__doc__
        p.patch(cls, "synchronize", cls_sync)

    # -- the profiler's kernels ------------------------------------------------------
    lanes = KinetoLanes()
    autograd_profiler = sys.modules.get("torch.autograd.profiler")
    Profile = getattr(autograd_profiler, "profile", None)
    if Profile is not None:
        orig_exit = Profile.__exit__

        def __exit__(self: Any, *exc: Any) -> Any:
            result = orig_exit(self, *exc)
            agent = registry.current
            if agent is not None and not agent.closed:
                try:
                    merge(agent, self)
                except Exception as e:
                    agent.fail("torch profiler trace", e)
            return result

        __exit__.__doc__ = orig_exit.__doc__
        p.patch(Profile, "__exit__", __exit__)

    def merge(agent: registry.Agent, prof: Any) -> None:
        results = getattr(prof, "kineto_results", None)
        if results is None:
            return
        import json
        import tempfile  # only once the program profiles (the agent imports nothing early)

        fd, path = tempfile.mkstemp(prefix="weft-kineto-", suffix=".json")
        os.close(fd)
        try:
            t0 = now()
            results.save(path)
            with open(path, encoding="utf-8") as f:
                trace = json.load(f)
            n = lanes.write(agent, trace)
            if n:
                agent.warn(f"PyTorch profiler: {n} device operations merged ({(now() - t0) / 1e6:.0f} ms)", "info")
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass

    if os.environ.get("WEFT_TORCH_PROFILE") == "1":
        _profile_whole_run(p, torch, tcuda, a)


def _profile_whole_run(p: Patches, torch: Any, tcuda: Any, a: registry.Agent) -> None:
    """WEFT_TORCH_PROFILE=1: one profiling session (CUDA activity only) from here to the exit."""
    try:
        if not tcuda.is_available():
            a.warn("WEFT_TORCH_PROFILE=1: torch.cuda is not available; no PyTorch kernels are recorded", "info")
            return
        profiler = sys.modules.get("torch.profiler") or __import__("torch.profiler").profiler
        prof = profiler.profile(activities=[profiler.ProfilerActivity.CUDA])
        prof.start()
    except Exception as e:
        a.fail("torch profiler start", e)
        return
    state: Dict[str, Optional[Any]] = {"prof": prof}

    def finish(agent: registry.Agent, ts: int) -> None:
        running = state["prof"]
        state["prof"] = None
        if running is not None:
            try:
                running.stop()  # its __exit__ wrapper merges the trace
            except Exception as e:
                agent.fail("torch profiler stop", e)

    registry.FINISHERS.insert(0, finish)
    p.on_undo(lambda: registry.FINISHERS.remove(finish) if finish in registry.FINISHERS else None)
