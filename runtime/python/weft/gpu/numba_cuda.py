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
  are bracketed by two CUDA events recorded on the same stream; once the second has completed
  (`Event.query`, never a wait: polled every 16 operations, after each host stall and at exit)
  the pair is a span on the stream's lane. Events carry no absolute time, only
  `elapsed_time` between two of them, so the lane's clock domain ("cuda:<device>") reads the
  host time at which the device's first event was recorded plus the elapsed time since that
  event; `M` pairs put it on the host clock: a marker event recorded right after a host stall
  (the device is idle then) that has completed when queried at once gives a bracketed pair,
  and so does that first event if the device was idle.

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

import itertools
import os
import threading
from collections import deque
from typing import Any, Callable, Dict, List, Optional, Tuple

from .. import registry
from ..clock import now
from ..hooks import Patches
from .common import Anchor, site_of, size_text, user_lines

_is_user = user_lines(("numba", "numba_cuda", "llvmlite", "numpy"))
_POLL_EVERY = 16  # operations between polls of the pending events (GPU only)
_MAX_ERROR_NS = 2_000_000


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


class _Stream:
    """What the agent knows of one stream."""

    __slots__ = ("lane", "anchor", "domain", "device", "ref", "pending")

    def __init__(self, lane: int, anchor: Anchor, domain: Optional[str], device: Any, ref: Any) -> None:
        self.lane = lane
        self.anchor = anchor
        self.domain = domain
        self.device = device
        self.ref = ref  # keeps the stream object alive, so its id is not reused
        # GPU only: (start event, end event, kind, label, site, key, size), in record order.
        self.pending: "deque[tuple]" = deque()


class _Device:
    """GPU only: the first event recorded on a device and the host time it was recorded at;
    the device clock domain reads `host0 + elapsed_time(first, event)`."""

    __slots__ = ("first", "host0", "domain", "marker")

    def __init__(self, first: Any, host0: int, domain: str) -> None:
        self.first = first
        self.host0 = host0
        self.domain = domain
        self.marker: Any = None  # (event, t0, t1) of a marker not yet seen complete

    def ns(self, evt: Any) -> int:
        return self.host0 + int(round(self.first.elapsed_time(evt) * 1e6))


class State:
    def __init__(self, cuda: Any, simulated: bool) -> None:
        self.cuda = cuda
        self.simulated = simulated
        self.streams: Dict[Tuple[int, int], _Stream] = {}
        self.devices: Dict[int, _Device] = {}
        self.names: Dict[str, int] = {}
        self.ops = itertools.count(1)
        self.count = 0
        self.busy = threading.local()  # inside one of our wrappers (no nested records)
        self.poll_lock = threading.Lock()
        self.def_lock = threading.Lock()
        # Simulator threads of launches in progress (and of failed ones still finishing).
        self.sim_threads: List[threading.Thread] = []

    # -- streams ------------------------------------------------------------------------
    def device_key(self) -> Tuple[int, Any, str]:
        if self.simulated:
            return 0, None, "CUDA simulator"
        dev = self.cuda.get_current_device()
        name = dev.name
        if isinstance(name, bytes):
            name = name.decode(errors="replace")
        return int(dev.id), dev, str(name).strip()

    def stream_of(self, a: registry.Agent, stream: Any, site: Optional[int]) -> _Stream:
        dev_id, dev, dname = self.device_key()
        if not stream:
            skey = 0
        else:
            skey = id(stream) if self.simulated else int(stream)
        s = self.streams.get((dev_id, skey))
        if s is not None:
            return s
        with self.def_lock:
            s = self.streams.get((dev_id, skey))
            if s is not None:
                return s
            if skey == 0:
                name = f"{dname} default stream"
            else:
                n = self.names[dname] = self.names.get(dname, 0) + 1
                name = f"{dname} stream {n}"
            domain = None if self.simulated else f"cuda:{dev_id}"
            lane = a.new_lane("gpu-queue", a.tid(), name, site, clock_domain=domain)
            s = _Stream(lane, Anchor(name, None), domain, dev, stream or None)
            self.streams[(dev_id, skey)] = s
            return s

    # -- GPU clock ----------------------------------------------------------------------
    def device_of(self, a: registry.Agent, s: _Stream) -> _Device:
        dev_id = int(s.device.id)
        d = self.devices.get(dev_id)
        if d is None:
            t0 = now()
            first = self.cuda.event()
            first.record(0)
            t1 = now()
            d = self.devices[dev_id] = _Device(first, (t0 + t1) // 2, s.domain or f"cuda:{dev_id}")
            # Complete at once: the device was idle, so the event ran when it was recorded.
            if first.query():
                t2 = now()
                if t2 - t0 <= _MAX_ERROR_NS:
                    a.emit(["M", (t0 + t2) // 2, d.domain, d.host0, (t2 - t0 + 1) // 2])
        return d

    def mark(self, a: registry.Agent, s: _Stream) -> None:
        """After a host stall the device is idle: a marker recorded now runs now, and if it
        has completed when queried at once, its bracket is a calibration pair."""
        d = self.device_of(a, s)
        t0 = now()
        evt = self.cuda.event()
        evt.record(0)
        done = evt.query()
        t1 = now()
        if done and t1 - t0 <= _MAX_ERROR_NS:
            a.emit(["M", (t0 + t1) // 2, d.domain, d.ns(evt), (t1 - t0 + 1) // 2])

    # -- operations ---------------------------------------------------------------------
    def op(self, kind: str, label: Callable[[], str], size: Optional[int], stream: Any,
           call: Callable[[], Any], blocking: bool = False, host_span: bool = False) -> Any:
        """Runs `call`, a launch, copy or allocation on `stream`, and records it. `blocking`:
        the host waits for the stream meanwhile (a gpu_sync wait over the call); `host_span`:
        the span is the call itself on the host clock (always so in the simulator)."""
        busy = self.busy
        a = registry.current
        if getattr(busy, "on", False) or a is None or a.closed:
            return call()
        try:
            site = site_of(a, _is_user, 1)
            s = self.stream_of(a, stream, site)
            key = f"gpu:{os.getpid()}:{next(self.ops)}"
            tid = a.tid()
            text = label()
            oid = a.oid(s.anchor)
            timed = not self.simulated and not host_span
            if timed:
                self.device_of(a, s)
                e0, e1 = self.cuda.event(), self.cuda.event()
                e0.record(stream or 0)
        except Exception as e:
            a.fail(f"numba cuda {kind}", e)
            return call()
        t0 = now()
        ok = False
        busy.on = True
        try:
            result = call()
            ok = True
            return result
        finally:
            busy.on = False
            t1 = now()
            try:
                if blocking:
                    a.emit(["W", t0, t1, tid, oid, "gpu_sync", site, None, None, None, 0])
                if ok or not timed:
                    a.emit(["L", t0, tid, key, "s", "launch", oid, size])
                if not timed:
                    # Simulator: the work ran inside the call (a failed kernel ran too, up to
                    # its exception).
                    a.emit(["L", t0, s.lane, key, "f", "launch", oid, size])
                    a.emit(["X", t0, t1, s.lane, kind, text if ok else text + " (failed)", site, key])
                elif ok:
                    e1.record(stream or 0)
                    s.pending.append((e0, e1, kind, text, site, key, size))
                    self.count += 1
                    if blocking or self.count % _POLL_EVERY == 0:
                        self.poll(a)
            except Exception as e:
                a.fail(f"numba cuda {kind}", e)

    def poll(self, a: registry.Agent, final: bool = False) -> None:
        """GPU only: writes the spans of the completed operations (never waits for one)."""
        if self.simulated or not self.poll_lock.acquire(blocking=False):
            return
        try:
            left = 0
            for s in list(self.streams.values()):
                pending = s.pending
                d = self.devices.get(int(s.device.id))
                while pending and d is not None:
                    e0, e1, kind, label, site, key, size = pending[0]
                    try:
                        if not e1.query():
                            break  # in stream order: the later ones are not done either
                        pending.popleft()
                        begin, end = d.ns(e0), d.ns(e1)
                    except Exception as e:
                        a.fail("numba cuda event times", e)
                        if pending and pending[0][0] is e0:
                            pending.popleft()
                        continue
                    oid = a.oid(s.anchor)
                    a.emit(["L", begin, s.lane, key, "f", "launch", oid, size])
                    a.emit(["X", begin, max(begin, end), s.lane, kind, label, site, key])
                left += len(pending)
            if final and left:
                a.warn(f"{left} CUDA operations had not completed at exit; their device times are not in the trace", "info")
        finally:
            self.poll_lock.release()

    # -- host stalls --------------------------------------------------------------------
    def stall(self, stream: Any, call: Callable[[], Any]) -> Any:
        a = registry.current
        if a is None or a.closed or getattr(self.busy, "on", False):
            return call()
        try:
            site = site_of(a, _is_user, 1)
            s = self.stream_of(a, stream, site)
            tid = a.tid()
            oid = a.oid(s.anchor)
        except Exception as e:
            a.fail("numba cuda wait", e)
            return call()
        ident = threading.get_ident()
        t0 = now()
        a.open_waits[ident] = (t0, s.anchor, "gpu_sync", site, None, None)
        self.busy.on = True
        try:
            return call()
        finally:
            self.busy.on = False
            a.open_waits.pop(ident, None)
            a.emit(["W", t0, now(), tid, oid, "gpu_sync", site, None, None, None, 0])
            if not self.simulated:
                try:
                    self.poll(a)
                    self.mark(a, s)
                except Exception as e:
                    a.fail("numba cuda poll", e)

    # -- the simulator's threads --------------------------------------------------------
    def hide(self, a: registry.Agent, thread: threading.Thread) -> None:
        """A simulator thread is no lane: the sampler skips it, its waits are inside the
        launch (see the module's comment). Undone by `unhide` once it has ended."""
        ident = thread.ident
        if ident is not None:
            a.internal.add(ident)
            self.sim_threads.append(thread)

    def unhide(self, a: registry.Agent) -> None:
        """Forgets the simulator threads that have ended (`is_alive` is false only once a
        thread is out of threading's tables), so that an ident the OS reuses for a thread of
        the program is traced again; those still finishing (a failed launch aborts them)
        are forgotten at a later launch."""
        keep = []
        for t in self.sim_threads:
            if t.is_alive():
                keep.append(t)
            else:
                a.internal.discard(t.ident)
                a.open_waits.pop(t.ident, None)
        self.sim_threads = keep


def install(p: Patches, cuda: Any) -> None:
    a = registry.current
    if a is None:
        return
    from numba.core import config

    simulated = bool(getattr(config, "ENABLE_CUDASIM", 0))
    st = State(cuda, simulated)
    if simulated:
        _install_simulator(p, cuda, st)
    else:
        _install_gpu(p, cuda, st)
    _install_transfers(p, cuda, st)

    def finish(agent: registry.Agent, ts: int) -> None:
        try:
            st.poll(agent, final=True)
        except Exception as e:
            agent.fail("numba cuda exit", e)

    def forget() -> None:
        """A forked child owns no CUDA context of its parent's: it must not query its events."""
        st.streams = {}
        st.devices = {}

    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=forget)  # cannot be unregistered: harmless after undo
    registry.FINISHERS.append(finish)
    p.on_undo(lambda: registry.FINISHERS.remove(finish) if finish in registry.FINISHERS else None)


def _install_simulator(p: Patches, cuda: Any, st: State) -> None:
    from numba.cuda.simulator import kernel as simkernel

    Kernel = simkernel.FakeCUDAKernel
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
            if a is not None and st.sim_threads:
                st.unhide(a)

    __call__.__doc__ = orig_call.__doc__
    p.patch(Kernel, "__call__", __call__)

    BlockThread = simkernel.BlockThread
    plain_start = getattr(threading.Thread.start, "__wrapped__", threading.Thread.start)
    orig_run = BlockThread.run

    def start(self: threading.Thread) -> None:
        a = registry.current
        if a is None or a.closed:
            return plain_start(self)
        # Thread.start waits on the thread's `_started` Event: not a wait of the program's.
        cond = getattr(getattr(self, "_started", None), "_cond", None)
        if cond is not None and hasattr(cond, "_weft_internal"):
            cond._weft_internal = True
        plain_start(self)
        try:
            st.hide(a, self)
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

    api = getattr(cuda, "simulator", None)
    stream_cls = getattr(getattr(api, "api", None), "stream", None)
    if stream_cls is not None:
        _patch_stream_sync(p, stream_cls, st)


class _SimObject:
    """What a simulator thread's open-wait entry names; never written (the exit routine
    skips internal threads)."""


_SIM_OBJECT = _SimObject()
registry.recordable(_SIM_OBJECT, "gpu_queue", site=None, name="CUDA simulator")


def _install_gpu(p: Patches, cuda: Any, st: State) -> None:
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


def _patch_stream_sync(p: Patches, cls: type, st: State) -> None:
    orig = cls.synchronize

    def synchronize(self: Any) -> Any:
        return st.stall(self, lambda: orig(self))

    synchronize.__doc__ = orig.__doc__
    p.patch(cls, "synchronize", synchronize)


def _install_transfers(p: Patches, cuda: Any, st: State) -> None:
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
