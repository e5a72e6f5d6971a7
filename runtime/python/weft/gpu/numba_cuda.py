"""Numba CUDA launches, transfers and host stalls: one row of session.HOOKS, installed when the
program imports `numba.cuda`. Hooked at numba.cuda's own API, so that one module serves both
of its implementations:

* **The simulator** (`NUMBA_ENABLE_CUDASIM=1`, `numba.cuda.simulator`): kernels run on the
  CPU, inside the launching call, one Python thread per CUDA thread. A launch
  (`FakeCUDAKernel.__call__`, what `kernel[grid, block](...)` calls) is therefore a kernel span
  exactly over the call, on the stream's lane on the host clock. The simulator's threads
  (`BlockThread`) are not lanes: they start through the plain `Thread.start` (threads.py keeps
  it as `__wrapped__`), so no `T` is written; their idents are in `agent.internal`, which the
  sampler skips, and in `agent.open_waits`, the check every wait hook already makes first
  ("inside a recorded wait, not recorded again"), so their `syncthreads` waits cost nothing
  new on any hot path. What they did is the kernel span: grouped under the simulated launch.
* **A GPU** (not verified on one: this project's machines have none; see the README):
  `_Kernel.launch` (after compilation, what every configured launch reaches) and the copies
  are timed by CUDA events on their stream (cuda_events.py: spans on the device clock,
  calibrated after host stalls, polled, never waited for).

Both: a stream (`0`, the default, or a `cuda.stream()`) is a lane (`Y` kind "gpu-queue", parent
the thread that first used it, "<device> default stream" / "stream <n>"); every launch, copy
and allocation is an `L` launch `s` on the host thread at the user's line (numba's and numpy's
frames skipped) and, on the stream's lane, an `L` `f` at the span's start and an `X`: `kernel`
"name<<<grid, block>>>", `copy` "host→device 4.0 MB" / "device→host ...", `alloc` "alloc 4.0 MB"
(`device_array`, `to_device(copy=False)`: memory, no transfer; on a GPU a host-side call, its
span is the call's host time). Host stalls are `W` gpu_sync on the stream's object:
`cuda.synchronize()` (the default stream's), `stream.synchronize()`, `Event.synchronize()`
(the default stream's) and a copy to the host on the default stream (blocking).

Invisible: the program's calls run unchanged (results and exceptions are its own); the agent
never waits for the device; its failures are `!` records.
"""
from __future__ import annotations

import threading
from typing import Any, List, Optional, Tuple

from .. import registry
from ..clock import now
from ..hooks import Patches
from .common import size_text, user_lines
from .cuda_events import CudaApi, Timeline

_is_user = user_lines(("numba", "numba_cuda", "llvmlite", "numpy"))


def dims_text(d: Any) -> str:
    """A grid or block as CUDA's launch syntax reads it: (4, 1, 1) -> "4", (4, 4, 1) -> "(4, 4)"."""
    try:
        t = tuple(int(x) for x in (d if isinstance(d, (tuple, list)) else (d,)))
    except Exception:
        return str(d)
    while len(t) > 1 and t[-1] == 1:
        t = t[:-1]
    return str(t[0]) if len(t) == 1 else "(" + ", ".join(str(x) for x in t) + ")"


def kernel_label(name: str, grid: Any, block: Any) -> str:
    return f"{name}<<<{dims_text(grid)}, {dims_text(block)}>>>"


def _nbytes(x: Any) -> Optional[int]:
    try:
        return int(x.nbytes)
    except Exception:
        try:
            return int(memoryview(x).nbytes)
        except Exception:
            return None


def _alloc_size(name: str, args: Any, kwargs: Any) -> Optional[int]:
    """Bytes of `device_array(shape, dtype=float64, ...)` or `device_array_like(ary)`."""
    try:
        if name == "device_array_like":
            return _nbytes(args[0] if args else kwargs["ary"])
        import numpy as np

        shape = args[0] if args else kwargs["shape"]
        dtype = args[1] if len(args) > 1 else kwargs.get("dtype", np.float64)
        n = 1
        for x in (shape if isinstance(shape, (tuple, list)) else (shape,)):
            n *= int(x)
        return n * np.dtype(dtype).itemsize
    except Exception:
        return None


class NumbaApi(CudaApi):
    """numba.cuda's events and streams (on a GPU; the simulator's are never used)."""

    lib = "numba"

    def __init__(self, cuda: Any, simulated: bool) -> None:
        self.cuda = cuda
        self.simulated = simulated

    def device(self) -> Tuple[int, str]:
        if self.simulated:
            return 0, "CUDA simulator"
        dev = self.cuda.get_current_device()
        name = dev.name
        if isinstance(name, bytes):
            name = name.decode(errors="replace")
        return int(dev.id), str(name).strip()

    def stream_key(self, stream: Any) -> int:
        if not stream:
            return 0
        # The simulator's streams are plain objects; numba's Stream converts to its handle.
        return id(stream) if self.simulated else int(stream)

    def event(self) -> Any:
        return self.cuda.event()

    def record(self, evt: Any, stream: Any) -> None:
        evt.record(stream or 0)

    def done(self, evt: Any) -> bool:
        return bool(evt.query())

    def elapsed_ms(self, start: Any, end: Any) -> float:
        return float(start.elapsed_time(end))


class SimThreads:
    """The simulator's threads of launches in progress (and of failed ones still finishing)."""

    def __init__(self) -> None:
        self.threads: List[threading.Thread] = []

    def hide(self, a: registry.Agent, thread: threading.Thread) -> None:
        """A simulator thread is no lane: the sampler skips it, its waits are inside the
        launch (see the module's comment). Undone by `unhide` once it has ended."""
        ident = thread.ident
        if ident is not None:
            a.internal.add(ident)
            self.threads.append(thread)

    def unhide(self, a: registry.Agent) -> None:
        """Forgets the simulator threads that have ended (`is_alive` is false only once a
        thread is out of threading's tables), so that an ident the OS reuses for a thread of
        the program is traced again; those still finishing (a failed launch aborts them)
        are forgotten at a later launch."""
        keep = []
        for t in self.threads:
            if t.is_alive():
                keep.append(t)
            else:
                a.internal.discard(t.ident)
                a.open_waits.pop(t.ident, None)
        self.threads = keep


def install(p: Patches, cuda: Any) -> None:
    a = registry.current
    if a is None:
        return
    from numba.core import config

    simulated = bool(getattr(config, "ENABLE_CUDASIM", 0))
    st = Timeline(NumbaApi(cuda, simulated), _is_user, timed=not simulated)
    if simulated:
        _install_simulator(p, cuda, st)
    else:
        _install_gpu(p, cuda, st)
    _install_transfers(p, cuda, st)
    st.install_exit(p)


def _install_simulator(p: Patches, cuda: Any, st: Timeline) -> None:
    from numba.cuda.simulator import kernel as simkernel

    Kernel = simkernel.FakeCUDAKernel
    sim = SimThreads()
    orig_call = Kernel.__call__

    def __call__(self: Any, *args: Any) -> Any:
        if self._device:  # a device function called inside a kernel
            return orig_call(self, *args)
        name = getattr(self.fn, "__name__", "kernel")
        a = registry.current
        try:
            return st.op("kernel", lambda: kernel_label(name, self.grid_dim, self.block_dim), None,
                         getattr(self, "stream", 0), lambda: orig_call(self, *args), host_span=True)
        finally:
            if a is not None and sim.threads:
                sim.unhide(a)

    __call__.__doc__ = orig_call.__doc__
    p.patch(Kernel, "__call__", __call__)

    BlockThread = simkernel.BlockThread
    plain_start = getattr(threading.Thread.start, "__wrapped__", threading.Thread.start)
    orig_run = BlockThread.run

    def start(self: threading.Thread) -> None:
        a = registry.current
        if a is None or a.closed:
            return plain_start(self)
        # Thread.start waits on the thread's `_started` Event, and for its Condition's lock
        # while the new thread sets it: neither is a wait of the program's (it is inside the
        # launch). As "inside a recorded wait", the launching thread records neither, and
        # the new thread is not registered as their holder.
        cond = getattr(getattr(self, "_started", None), "_cond", None)
        if cond is not None and hasattr(cond, "_weft_internal"):
            cond._weft_internal = True
        me = threading.get_ident()
        mine = me not in a.open_waits
        if mine:
            a.open_waits[me] = (now(), _SIM_OBJECT, "gpu_sync", None, None, None)
        try:
            plain_start(self)
        finally:
            if mine:
                a.open_waits.pop(me, None)
        try:
            sim.hide(a, self)
        except Exception as e:
            a.fail("numba cuda simulator thread", e)

    def run(self: threading.Thread) -> None:
        a = registry.current
        if a is not None and not a.closed:
            ident = threading.get_ident()
            # Before the thread's first wait (start() may return after it).
            a.internal.add(ident)
            a.open_waits[ident] = (now(), _SIM_OBJECT, "gpu_sync", None, None, None)
        return orig_run(self)

    p.patch(BlockThread, "start", start)
    p.patch(BlockThread, "_weft_hidden", True)  # the sampler's first sight skips it too
    p.patch(BlockThread, "run", run)

    stream_cls = getattr(cuda, "stream", None)  # the simulator's stream is a class
    if isinstance(stream_cls, type):
        _patch_stream_sync(p, stream_cls, st)


class _SimObject:
    """What a simulator thread's open-wait entry names; never written (the exit routine
    skips internal threads)."""


_SIM_OBJECT = _SimObject()
registry.recordable(_SIM_OBJECT, "gpu_queue", site=None, name="CUDA simulator")


def _install_gpu(p: Patches, cuda: Any, st: Timeline) -> None:
    from numba.cuda import dispatcher

    Kernel = dispatcher._Kernel
    orig_launch = Kernel.launch

    def launch(self: Any, args: Any, griddim: Any, blockdim: Any, stream: Any = 0, sharedmem: Any = 0) -> Any:
        name = getattr(getattr(self, "py_func", None), "__name__", None) or getattr(self, "entry_name", "kernel")
        return st.op("kernel", lambda: kernel_label(name, griddim, blockdim), None, stream,
                     lambda: orig_launch(self, args, griddim, blockdim, stream, sharedmem))

    launch.__doc__ = orig_launch.__doc__
    p.patch(Kernel, "launch", launch)

    from numba.cuda.cudadrv import driver

    _patch_stream_sync(p, driver.Stream, st)
    orig_evt_sync = driver.Event.synchronize

    def event_synchronize(self: Any) -> Any:
        return st.stall(0, lambda: orig_evt_sync(self))

    event_synchronize.__doc__ = orig_evt_sync.__doc__
    p.patch(driver.Event, "synchronize", event_synchronize)


def _patch_stream_sync(p: Patches, cls: type, st: Timeline) -> None:
    orig = cls.synchronize

    def synchronize(self: Any) -> Any:
        return st.stall(self, lambda: orig(self))

    synchronize.__doc__ = orig.__doc__
    p.patch(cls, "synchronize", synchronize)


def _install_transfers(p: Patches, cuda: Any, st: Timeline) -> None:
    """cuda.to_device, device_array(_like), synchronize, and the device array's copies (the
    simulator's FakeCUDAArray or numba's DeviceNDArrayBase)."""
    from numba.cuda.cudadrv import devicearray

    orig_to_device = cuda.to_device

    def to_device(obj: Any, stream: Any = 0, copy: bool = True, to: Any = None) -> Any:
        if to is not None:  # a copy into `to`: its copy_to_device records it
            return orig_to_device(obj, stream, copy, to)
        size = _nbytes(obj)
        if copy:
            return st.op("copy", lambda: "host→device" + size_text(size), size, stream,
                         lambda: orig_to_device(obj, stream, copy, to))
        return st.op("alloc", lambda: "alloc" + size_text(size), size, stream,
                     lambda: orig_to_device(obj, stream, copy, to), host_span=True)

    to_device.__doc__ = orig_to_device.__doc__
    to_device.__wrapped__ = orig_to_device  # type: ignore[attr-defined]
    p.patch(cuda, "to_device", to_device)

    for name in ("device_array", "device_array_like"):
        orig = getattr(cuda, name, None)
        if orig is None:
            continue

        def alloc(*args: Any, _orig: Any = orig, _name: str = name, **kwargs: Any) -> Any:
            size = _alloc_size(_name, args, kwargs)
            return st.op("alloc", lambda: "alloc" + size_text(size), size, kwargs.get("stream", 0),
                         lambda: _orig(*args, **kwargs), host_span=True)

        alloc.__doc__ = orig.__doc__
        alloc.__name__ = alloc.__qualname__ = name
        alloc.__wrapped__ = orig  # type: ignore[attr-defined]
        p.patch(cuda, name, alloc)

    orig_sync = cuda.synchronize

    def synchronize() -> Any:
        return st.stall(0, orig_sync)

    synchronize.__doc__ = orig_sync.__doc__
    p.patch(cuda, "synchronize", synchronize)

    Array = getattr(devicearray, "FakeCUDAArray", None) or devicearray.DeviceNDArrayBase
    orig_to_host = Array.copy_to_host
    orig_to_dev = Array.copy_to_device

    def copy_to_host(self: Any, ary: Any = None, stream: Any = 0) -> Any:
        size = _nbytes(self)
        return st.op("copy", lambda: "device→host" + size_text(size), size, stream,
                     lambda: orig_to_host(self, ary, stream), blocking=not stream)

    def copy_to_device(self: Any, ary: Any, stream: Any = 0) -> Any:
        size = _nbytes(ary)
        return st.op("copy", lambda: "host→device" + size_text(size), size, stream,
                     lambda: orig_to_dev(self, ary, stream))

    copy_to_host.__doc__ = orig_to_host.__doc__
    copy_to_device.__doc__ = orig_to_dev.__doc__
    p.patch(Array, "copy_to_host", copy_to_host)
    p.patch(Array, "copy_to_device", copy_to_device)
