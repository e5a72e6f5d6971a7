"""PyOpenCL queues, kernels, copies and host stalls: one row of session.HOOKS, installed when
the program imports `pyopencl`.

* Every `pyopencl.CommandQueue` the program makes is a lane (`Y`, kind "gpu-queue", parent the
  creating thread, site the user's line, clock domain "opencl:<device>"): `CommandQueue` is
  replaced by a subclass of the same name (nanobind's classes ignore a patched `__init__`) whose
  `__init__` adds PROFILING_ENABLE to the properties the program gave, because the device times
  of an operation (`event.profile`) exist only on profiling queues; `queue.properties` then
  reports that bit too (the one visible difference).
* Every launch (`_cl.enqueue_nd_range_kernel`, which `Kernel.__call__`, pyopencl.array and
  elementwise kernels all reach through the generated invokers; `pyopencl.enqueue_copy`,
  `enqueue_fill_buffer`) on such a queue is an `L` launch `s` on the host thread at the user's
  line, key "gpu:<pid>:<n>". Its event is kept; once it has completed (polled, never waited
  for: on later launches, after finish/wait, and at exit) its device start and end are an `X`
  span ("kernel" with the kernel's name, "copy" with direction and size, "fill") on the queue
  lane plus the `L` `f` at its start, both on the device clock.
* Clock: `M` records pair the host clock with the device clock (`Device.device_and_host_timer`
  bracketed by two host reads) at queue creation, after each finish (a few) and at exit.
* Host stalls: `CommandQueue.finish`, `Event.wait`, `pyopencl.wait_for_events` and blocking
  copies between host and device are `W` waits (reason "gpu_sync", object the queue).

Invisible: the program's calls run unchanged (their results and exceptions are its own); the
agent never waits for the device; its failures are `!` records.
"""
from __future__ import annotations

import itertools
import os
from collections import deque
import threading
from typing import Any, Callable, Dict, List, Optional, Tuple

from .. import registry
from ..clock import now
from ..frames import innermost
from ..hooks import Patches
from ..registry import is_user_file
from .common import Anchor as _Anchor, size_text as _mb

_LIB_PARTS = tuple(os.sep + name + os.sep for name in ("pyopencl", "pytools", "numpy"))
_FIRST_CALIBRATIONS = 16
_CALIBRATE_EVERY = 64
_MAX_ERROR_NS = 2_000_000
_POLL_EVERY = 16  # launches between polls of the pending events


_user_files: Dict[str, bool] = {}


def _is_user(filename: str) -> bool:
    """The user's code, not pyopencl's (nor pytools', numpy's, or the kernel invokers pyopencl
    writes, "<generated: 'pyopencl invoker for ...'>"); cached per file name."""
    hit = _user_files.get(filename)
    if hit is None:
        hit = _user_files[filename] = (
            is_user_file(filename) and not filename.startswith("<generated")
            and not any(part in filename for part in _LIB_PARTS)
        )
    return hit


def _site(a: registry.Agent) -> Optional[int]:
    import sys

    where = innermost(sys._getframe(2), _is_user)
    return a.site_or_none(where)


class _Queue:
    """What the agent knows of one profiling queue."""

    __slots__ = ("lane", "domain", "device", "oid_obj", "calibrations", "launches", "marker", "pending",
                 "context", "pair", "host_copies")

    def __init__(self, lane: int, domain: str, device: Any, oid_obj: Any, context: int = 0) -> None:
        self.lane = lane
        self.domain = domain
        self.device = device
        self.oid_obj = oid_obj
        self.calibrations = 0
        self.launches = 0
        self.marker = False
        self.context = context  # the context's int_ptr: buffers made in it copy "on" this queue
        self.pair: Optional[Tuple[int, int]] = None  # the latest (host, device) calibration pair
        # Copies made by buffer creation (COPY_HOST_PTR) on the host's clock, written on the
        # device's once a calibration pair exists: (t0, t1, label, site, key, size).
        self.host_copies: List[tuple] = []
        # Operations not yet seen complete, in enqueue order: (event, kind, label, site, key,
        # size, t0, t1). A queue runs in order (out-of-order ones finish in their own order;
        # then an op is written a little later), so a poll stops at the first incomplete one.
        self.pending: "deque[tuple]" = deque()


class State:
    def __init__(self, cl: Any) -> None:
        self.cl = cl
        self.queues: Dict[int, _Queue] = {}  # queue.int_ptr -> _Queue
        self.poll_lock = threading.Lock()
        self.ops = itertools.count(1)
        self.launches = 0
        self.busy = threading.local()  # inside one of our wrappers (no nested records)
        self.names: Dict[str, int] = {}
        # `event.profile.start` goes through a __getattr__: the info call itself is 3x cheaper.
        info = cl.profiling_info
        self.START, self.END, self.QUEUED = info.START, info.END, info.QUEUED

    # -- clock --------------------------------------------------------------------------
    # An operation's QUEUED time is read by the OpenCL runtime inside the enqueue call, on the
    # device clock: the host clock read just before and just after the call brackets it, so
    # every launch is a calibration pair for free (no marker, no wait; PoCL's CPU devices do
    # not implement clGetDeviceAndHostTimer). Pairs are written for the first launches of a
    # queue and then every `_CALIBRATE_EVERY`th, those bracketed within `_MAX_ERROR_NS`.
    def calibrate(self, a: registry.Agent, q: "_Queue", evt: Any, t0: int, t1: int) -> None:
        if t1 - t0 > _MAX_ERROR_NS:
            return
        q.launches += 1
        if q.calibrations >= _FIRST_CALIBRATIONS and q.launches % _CALIBRATE_EVERY:
            return
        q.calibrations += 1
        pair = ((t0 + t1) // 2, int(evt.get_profiling_info(self.QUEUED)))
        q.pair = pair
        a.emit(["M", pair[0], q.domain, pair[1], (t1 - t0 + 1) // 2])

    def mark(self, queue: Any, q: "_Queue") -> None:
        """A marker enqueued after a host stall, for a calibration pair later
        in the run than the first launches: a rate needs pairs far apart. At most one per
        queue is pending; it costs the device nothing (the queue is empty after a finish)."""
        if q.marker:
            return
        self.busy.on = True
        try:
            t0 = now()
            evt = self.cl.enqueue_marker(queue)
            t1 = now()
        finally:
            self.busy.on = False
        q.marker = True
        q.pending.append((evt, "marker", "", None, "", None, t0, t1))

    # -- queues -------------------------------------------------------------------------
    def new_queue(self, a: registry.Agent, queue: Any, where: Any) -> None:
        device = queue.device
        dname = str(device.name).strip()
        n = self.names[dname] = self.names.get(dname, 0) + 1
        name = f"{dname} queue {n}"
        site = a.site_or_none(where)
        lane = a.new_lane("gpu-queue", a.tid(), name, site, clock_domain=f"opencl:{device.int_ptr:x}")
        try:
            ctx = queue.context.int_ptr
        except Exception:
            ctx = 0
        q = _Queue(lane, f"opencl:{device.int_ptr:x}", device, _Anchor(name, where), ctx)
        self.queues[queue.int_ptr] = q

    def of(self, queue: Any) -> Optional[_Queue]:
        try:
            return self.queues.get(queue.int_ptr)
        except Exception:
            return None

    # -- launches -----------------------------------------------------------------------
    def launch(self, kind: str, label: Callable[[], str], size: Optional[int], queue: Any,
               call: Callable[[], Any], blocking: bool = False) -> Any:
        busy = self.busy
        a = registry.current
        if getattr(busy, "on", False) or a is None or a.closed:
            return call()
        q = self.of(queue)
        if q is None:
            return call()
        try:
            key = f"gpu:{os.getpid()}:{next(self.ops)}"
            site = _site(a)
            tid = a.tid()
            text = label()
            oid = a.oid(q.oid_obj)
        except Exception as e:
            a.fail(f"opencl {kind} launch", e)
            return call()
        t0 = now()
        busy.on = True
        try:
            evt = call()
        finally:
            busy.on = False
            t1 = now()
            if blocking:
                a.emit(["W", t0, t1, tid, oid, "gpu_sync", site, None, None, None, 0])
        # Only a launch that was enqueued (the call returned) has a flow.
        a.emit(["L", t0, tid, key, "s", "launch", oid, size])
        if evt is not None:
            q.pending.append((evt, kind, text, site, key, size, t0, 0 if blocking else t1))
        self.launches += 1
        if blocking or self.launches % _POLL_EVERY == 0:
            self.poll(a)
        return evt

    def poll(self, a: registry.Agent, final: bool = False) -> None:
        """Writes the spans of the completed pending operations (never waits for one)."""
        if not self.poll_lock.acquire(blocking=False):
            return
        try:
            complete = self.cl.command_execution_status.COMPLETE
            START, END = self.START, self.END  # noqa: N806
            left = 0
            for q in list(self.queues.values()):
                pending = q.pending
                while pending:
                    evt, kind, label, site, key, size, t0, t1 = pending[0]
                    try:
                        status = evt.command_execution_status
                        if status != complete and status >= 0:
                            break  # queued, submitted or running: this and the later ones wait
                        pending.popleft()
                        if status != complete:  # negative: the command failed; no times
                            if kind == "marker":
                                q.marker = False
                            continue
                        start = evt.get_profiling_info(START)
                        end = evt.get_profiling_info(END)
                    except Exception as e:
                        a.fail("opencl event times", e)
                        if pending and pending[0][0] is evt:
                            pending.popleft()
                        if kind == "marker":
                            q.marker = False
                        continue
                    if kind == "marker":
                        q.marker = False
                        if t1 - t0 <= _MAX_ERROR_NS:
                            q.calibrations += 1
                            q.pair = ((t0 + t1) // 2, int(evt.get_profiling_info(self.QUEUED)))
                            a.emit(["M", q.pair[0], q.domain, q.pair[1], (t1 - t0 + 1) // 2])
                        continue
                    if t1:
                        self.calibrate(a, q, evt, t0, t1)
                    a.emit(["L", start, q.lane, key, "f", "launch", a.oid(q.oid_obj), size])
                    a.emit(["X", start, end, q.lane, kind, label, site, key])
                left += sum(1 for item in pending if item[1] != "marker")
                if q.host_copies and q.pair is not None:
                    self.write_host_copies(a, q)
                elif final and q.host_copies:
                    a.warn(f"{len(q.host_copies)} buffer-creation copies on {q.domain} are not in the trace: no calibration pair placed them on the device's clock", "info")
            if final and left:
                a.warn(f"{left} OpenCL operations had not completed at exit; their device times are not in the trace", "info")
        finally:
            self.poll_lock.release()

    # -- buffers made with a host pointer ---------------------------------------------
    # `Buffer(ctx, COPY_HOST_PTR, hostbuf=a)` copies `a` before it returns (the program may
    # reuse `a` at once): a host→device copy made by no queue. Its span is the call's host
    # time on the context's latest queue, put on the device's clock by that queue's latest
    # calibration pair (an offset; the rate is 1 within ppm over such spans), written once a
    # pair exists (buffers are usually made before the first launch).
    def host_copy(self, context: Any, size: Optional[int], call: Callable[[], Any]) -> Any:
        a = registry.current
        if a is None or a.closed or getattr(self.busy, "on", False):
            return call()
        try:
            ctx = context.int_ptr
            q = next((x for x in reversed(list(self.queues.values())) if x.context == ctx), None)
            if q is None:
                return call()
            key = f"gpu:{os.getpid()}:{next(self.ops)}"
            site = _site(a)
            tid = a.tid()
            oid = a.oid(q.oid_obj)
        except Exception as e:
            a.fail("opencl buffer copy", e)
            return call()
        t0 = now()
        result = call()
        t1 = now()
        a.emit(["L", t0, tid, key, "s", "launch", oid, size])
        q.host_copies.append((t0, t1, "host→device" + _mb(size) + " (buffer creation)", site, key, size))
        if q.pair is not None:
            self.poll(a)
        return result

    def write_host_copies(self, a: registry.Agent, q: "_Queue") -> None:
        host, device = q.pair  # type: ignore[misc]
        oid = a.oid(q.oid_obj)
        for t0, t1, label, site, key, size in q.host_copies:
            d0, d1 = t0 - host + device, t1 - host + device
            a.emit(["L", d0, q.lane, key, "f", "launch", oid, size])
            a.emit(["X", d0, d1, q.lane, "copy", label, site, key])
        q.host_copies = []

    # -- host stalls --------------------------------------------------------------------
    def stall(self, queue: Any, call: Callable[[], Any]) -> Any:
        a = registry.current
        if a is None or a.closed or getattr(self.busy, "on", False):
            return call()
        q = self.of(queue) if queue is not None else None
        if q is None:
            return call()
        try:
            tid = a.tid()
            site = _site(a)
            oid = a.oid(q.oid_obj)
        except Exception as e:
            a.fail("opencl wait", e)
            return call()
        ident = threading.get_ident()
        t0 = now()
        a.open_waits[ident] = (t0, q.oid_obj, "gpu_sync", site, None, None)
        self.busy.on = True
        try:
            return call()
        finally:
            self.busy.on = False
            a.open_waits.pop(ident, None)
            a.emit(["W", t0, now(), tid, oid, "gpu_sync", site, None, None, None, 0])
            try:
                self.poll(a)
                self.mark(queue, q)
            except Exception as e:
                a.fail("opencl poll", e)


def _is_host(x: Any, cl: Any) -> bool:
    return not isinstance(x, cl.MemoryObjectHolder) and not isinstance(x, getattr(cl, "SVMPointer", ()))


def _nbytes(x: Any) -> Optional[int]:
    try:
        return int(memoryview(x).nbytes)
    except Exception:
        try:
            return int(x.size)
        except Exception:
            return None


def install(p: Patches, cl: Any) -> None:
    a = registry.current
    if a is None:
        return
    import pyopencl._cl as _cl

    st = State(cl)
    Base = cl.CommandQueue
    profiling_flag = cl.command_queue_properties.PROFILING_ENABLE
    profiling = int(profiling_flag)

    class CommandQueue(Base):  # type: ignore[misc, valid-type]
        __doc__ = Base.__doc__

        def __init__(self, context: Any, device: Any = None, properties: Any = None, *args: Any, **kwargs: Any) -> None:
            try:
                props = properties | profiling_flag if properties is not None else profiling_flag
            except Exception:
                props = properties  # something this hook does not know: the program's own
            Base.__init__(self, context, device, props, *args, **kwargs)
            agent = registry.current
            try:
                if agent is not None and not agent.closed and (int(self.properties) & profiling):
                    import sys
                    st.new_queue(agent, self, innermost(sys._getframe(1), _is_user))
            except Exception as e:
                if agent is not None:
                    agent.fail("opencl queue", e)

        def finish(self) -> None:
            return st.stall(self, lambda: Base.finish(self))

    CommandQueue.__name__ = Base.__name__
    CommandQueue.__qualname__ = Base.__qualname__
    CommandQueue.__module__ = Base.__module__
    p.patch(cl, "CommandQueue", CommandQueue)

    BufferBase = cl.Buffer
    copy_host_ptr = int(cl.mem_flags.COPY_HOST_PTR)

    class Buffer(BufferBase):  # type: ignore[misc, valid-type]
        __doc__ = BufferBase.__doc__

        def __init__(self, context: Any, flags: Any, size: int = 0, hostbuf: Any = None) -> None:
            try:
                copies = hostbuf is not None and bool(int(flags) & copy_host_ptr)
            except Exception:
                copies = False
            if not copies:
                BufferBase.__init__(self, context, flags, size, hostbuf)
                return
            st.host_copy(context, _nbytes(hostbuf), lambda: BufferBase.__init__(self, context, flags, size, hostbuf))

    Buffer.__name__ = BufferBase.__name__
    Buffer.__qualname__ = BufferBase.__qualname__
    Buffer.__module__ = BufferBase.__module__
    p.patch(cl, "Buffer", Buffer)

    orig_nd = _cl.enqueue_nd_range_kernel

    def enqueue_nd_range_kernel(queue: Any, kernel: Any, *args: Any, **kwargs: Any) -> Any:
        return st.launch("kernel", lambda: str(kernel.function_name), None, queue,
                         lambda: orig_nd(queue, kernel, *args, **kwargs))

    enqueue_nd_range_kernel.__doc__ = orig_nd.__doc__
    p.patch(_cl, "enqueue_nd_range_kernel", enqueue_nd_range_kernel)
    if getattr(cl, "enqueue_nd_range_kernel", None) is orig_nd:
        p.patch(cl, "enqueue_nd_range_kernel", enqueue_nd_range_kernel)

    orig_copy = cl.enqueue_copy

    def enqueue_copy(queue: Any, dest: Any, src: Any, **kwargs: Any) -> Any:
        try:
            h_dest, h_src = _is_host(dest, cl), _is_host(src, cl)
            where = "host→device" if h_src and not h_dest else "device→host" if h_dest and not h_src else "device→device"
            size = kwargs.get("byte_count")
            if size is None:
                size = _nbytes(src if h_src else dest if h_dest else src)
            blocking = (h_src or h_dest) and bool(kwargs.get("is_blocking", True))
        except Exception as e:
            a.fail("opencl copy", e)
            return orig_copy(queue, dest, src, **kwargs)
        return st.launch("copy", lambda: where + _mb(size), size, queue,
                         lambda: orig_copy(queue, dest, src, **kwargs), blocking=blocking)

    enqueue_copy.__doc__ = orig_copy.__doc__
    enqueue_copy.__wrapped__ = orig_copy  # type: ignore[attr-defined]
    p.patch(cl, "enqueue_copy", enqueue_copy)

    orig_fill = cl.enqueue_fill_buffer

    def enqueue_fill_buffer(queue: Any, mem: Any, pattern: Any, offset: Any, size: Any, *args: Any, **kwargs: Any) -> Any:
        return st.launch("fill", lambda: "fill" + _mb(size), size, queue,
                         lambda: orig_fill(queue, mem, pattern, offset, size, *args, **kwargs))

    enqueue_fill_buffer.__doc__ = orig_fill.__doc__
    p.patch(cl, "enqueue_fill_buffer", enqueue_fill_buffer)

    orig_wait = _cl.Event.wait

    def wait(self: Any) -> Any:
        try:
            queue = self.command_queue
        except Exception:
            queue = None
        return st.stall(queue, lambda: orig_wait(self))

    wait.__doc__ = orig_wait.__doc__
    p.patch(_cl.Event, "wait", wait)

    orig_wait_all = cl.wait_for_events

    def wait_for_events(events: Any) -> Any:
        try:
            events = list(events)
            queue = events[0].command_queue if events else None
        except Exception:
            queue = None
        return st.stall(queue, lambda: orig_wait_all(events))

    wait_for_events.__doc__ = orig_wait_all.__doc__
    p.patch(cl, "wait_for_events", wait_for_events)

    def finish(agent: registry.Agent, ts: int) -> None:
        try:
            st.poll(agent, final=True)
        except Exception as e:
            agent.fail("opencl exit", e)

    def forget() -> None:
        """A forked child does not own its parent's OpenCL objects (the runtime's threads are
        not in it): it must never query them, so it starts with no queues and nothing
        pending (a queue it makes itself is a new lane)."""
        st.queues = {}

    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=forget)  # cannot be unregistered: harmless after undo

    registry.FINISHERS.append(finish)
    p.on_undo(lambda: registry.FINISHERS.remove(finish) if finish in registry.FINISHERS else None)
