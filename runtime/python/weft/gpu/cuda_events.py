"""CUDA streams as lanes, timed by CUDA events: what the Numba (on a GPU), CuPy and PyCUDA hooks
share. Each library gives an adapter (`CudaApi`: make, record, query and compare its events;
name the current device and a stream); this module does the rest.

* A stream (the default one, key 0, or another, keyed by the library) is a lane (`Y` kind
  "gpu-queue", parent the thread that first used it, "<device> default stream" /
  "<device> stream <n>") with an object of kind gpu_queue of the same name.
* An operation (kernel launch, copy, fill) is bracketed by two events recorded on its stream;
  the `L` launch `s` is written on the host thread at once, at the user's line. Once the second
  event has completed (queried, never waited for: every 16 operations, after each host stall,
  at exit) the pair is an `X` span on the stream's lane and the `L` `f` at its start.
* Events carry no absolute time, only the elapsed time between two of them: the lane's clock
  domain ("cuda:<lib>:<device>") reads the host time at which the device's first event was
  recorded plus the time elapsed since that event. `M` pairs put it on the host's clock: a
  marker recorded right after a host stall (the device is idle then) that has completed when
  queried at once gives a bracketed pair, and so does the first event if the device was idle.
* Host stalls (`stall`) are `W` gpu_sync waits on the stream's object at the user's line.

Not verified on a GPU (this project's machines have none; see the README's table): the
simulator path of numba_cuda.py, which writes the same records on the host clock, is.
"""
from __future__ import annotations

import itertools
import os
import threading
from collections import deque
from typing import Any, Callable, Dict, Optional, Tuple

from .. import registry
from ..clock import now
from .common import Anchor, site_of

_POLL_EVERY = 16  # operations between polls of the pending events
_MAX_ERROR_NS = 2_000_000


class CudaApi:
    """What a library offers for events and streams (override every method)."""

    lib = "cuda"

    def device(self) -> Tuple[int, str]:
        """The current device: (index, name)."""
        raise NotImplementedError

    def stream_key(self, stream: Any) -> int:
        """0 for the default stream (None, 0), else a number that names this stream."""
        raise NotImplementedError

    def event(self) -> Any:
        raise NotImplementedError

    def record(self, evt: Any, stream: Any) -> None:
        raise NotImplementedError

    def done(self, evt: Any) -> bool:
        raise NotImplementedError

    def elapsed_ms(self, start: Any, end: Any) -> float:
        raise NotImplementedError


class Stream:
    """What the agent knows of one stream."""

    __slots__ = ("lane", "anchor", "domain", "device", "ref", "pending")

    def __init__(self, lane: int, anchor: Anchor, domain: Optional[str], device: int, ref: Any) -> None:
        self.lane = lane
        self.anchor = anchor
        self.domain = domain
        self.device = device
        self.ref = ref  # keeps the stream object alive, so its key is not reused
        # Timed operations not yet seen complete, in record order:
        # (start event, end event, kind, label, site, key, size).
        self.pending: "deque[tuple]" = deque()


class DeviceClock:
    """The first event recorded on a device and the host time it was recorded at."""

    __slots__ = ("first", "host0", "domain")

    def __init__(self, first: Any, host0: int, domain: str) -> None:
        self.first = first
        self.host0 = host0
        self.domain = domain


class Timeline:
    """The streams of one library in this process. `timed` False: every operation is a span
    over its host call on the host clock (numba's simulator), no events at all."""

    def __init__(self, api: CudaApi, is_user: Callable[[str], bool], timed: bool = True) -> None:
        self.api = api
        self.is_user = is_user
        self.timed = timed
        self.streams: Dict[Tuple[int, int], Stream] = {}
        self.devices: Dict[int, DeviceClock] = {}
        self.names: Dict[str, int] = {}
        self.ops = itertools.count(1)
        self.count = 0
        self.busy = threading.local()  # inside one of our wrappers (no nested records)
        self.poll_lock = threading.Lock()
        self.def_lock = threading.Lock()

    # -- streams ------------------------------------------------------------------------
    def stream_of(self, a: registry.Agent, stream: Any, site: Optional[int], device: Tuple[int, str]) -> Stream:
        dev, dname = device
        skey = self.api.stream_key(stream)
        s = self.streams.get((dev, skey))
        if s is not None:
            return s
        with self.def_lock:
            s = self.streams.get((dev, skey))
            if s is not None:
                return s
            if skey == 0:
                name = f"{dname} default stream"
            else:
                n = self.names[dname] = self.names.get(dname, 0) + 1
                name = f"{dname} stream {n}"
            domain = f"cuda:{self.api.lib}:{dev}" if self.timed else None
            lane = a.new_lane("gpu-queue", a.tid(), name, site, clock_domain=domain)
            s = Stream(lane, Anchor(name, None), domain, dev, stream if skey else None)
            self.streams[(dev, skey)] = s
            return s

    # -- the device clock ---------------------------------------------------------------
    def clock_of(self, a: registry.Agent, s: Stream) -> DeviceClock:
        d = self.devices.get(s.device)
        if d is None:
            api = self.api
            t0 = now()
            first = api.event()
            api.record(first, None)
            t1 = now()
            d = self.devices[s.device] = DeviceClock(first, (t0 + t1) // 2, s.domain or f"cuda:{api.lib}:{s.device}")
            # Complete at once: the device was idle, so the event ran when it was recorded.
            if api.done(first):
                t2 = now()
                if t2 - t0 <= _MAX_ERROR_NS:
                    a.emit(["M", (t0 + t2) // 2, d.domain, d.host0, (t2 - t0 + 1) // 2])
        return d

    def device_ns(self, d: DeviceClock, evt: Any) -> int:
        return d.host0 + int(round(self.api.elapsed_ms(d.first, evt) * 1e6))

    def mark(self, a: registry.Agent, s: Stream) -> None:
        """After a host stall the device is idle: a marker recorded now runs now, and if it
        has completed when queried at once, its bracket is a calibration pair."""
        api = self.api
        d = self.clock_of(a, s)
        t0 = now()
        evt = api.event()
        api.record(evt, None)
        done = api.done(evt)
        t1 = now()
        if done and t1 - t0 <= _MAX_ERROR_NS:
            a.emit(["M", (t0 + t1) // 2, d.domain, self.device_ns(d, evt), (t1 - t0 + 1) // 2])

    # -- operations ---------------------------------------------------------------------
    def op(self, kind: str, label: Callable[[], str], size: Optional[int], stream: Any,
           call: Callable[[], Any], blocking: bool = False, host_span: bool = False) -> Any:
        """Runs `call`, a launch, copy or allocation on `stream`, and records it. `blocking`:
        the host waits for the stream meanwhile (a gpu_sync wait over the call); `host_span`:
        the span is the call itself on the host clock (an allocation; everything when the
        timeline is not timed)."""
        busy = self.busy
        a = registry.current
        if getattr(busy, "on", False) or a is None or a.closed:
            return call()
        timed = self.timed and not host_span
        try:
            device = self.api.device()
        except Exception:  # no device, no context: the library's own call says so (or works)
            return call()
        try:
            site = site_of(a, self.is_user, 1)
            s = self.stream_of(a, stream, site, device)
            key = f"gpu:{os.getpid()}:{next(self.ops)}"
            tid = a.tid()
            text = label()
            oid = a.oid(s.anchor)
            if timed:
                self.clock_of(a, s)
                e0, e1 = self.api.event(), self.api.event()
                self.api.record(e0, stream)
        except Exception as e:
            a.fail(f"{self.api.lib} {kind}", e)
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
                    # The work ran inside the call (a failed kernel ran too, up to its error).
                    a.emit(["L", t0, s.lane, key, "f", "launch", oid, size])
                    a.emit(["X", t0, t1, s.lane, kind, text if ok else text + " (failed)", site, key])
                elif ok:
                    self.api.record(e1, stream)
                    s.pending.append((e0, e1, kind, text, site, key, size))
                    self.count += 1
                    if blocking or self.count % _POLL_EVERY == 0:
                        self.poll(a)
            except Exception as e:
                a.fail(f"{self.api.lib} {kind}", e)

    def poll(self, a: registry.Agent, final: bool = False) -> None:
        """Writes the spans of the completed operations (never waits for one)."""
        if not self.timed or not self.poll_lock.acquire(blocking=False):
            return
        try:
            left = 0
            for s in list(self.streams.values()):
                pending = s.pending
                d = self.devices.get(s.device)
                while pending and d is not None:
                    e0, e1, kind, label, site, key, size = pending[0]
                    try:
                        if not self.api.done(e1):
                            break  # in stream order: the later ones are not done either
                        pending.popleft()
                        begin, end = self.device_ns(d, e0), self.device_ns(d, e1)
                    except Exception as e:
                        a.fail(f"{self.api.lib} event times", e)
                        if pending and pending[0][0] is e0:
                            pending.popleft()
                        continue
                    oid = a.oid(s.anchor)
                    a.emit(["L", begin, s.lane, key, "f", "launch", oid, size])
                    a.emit(["X", begin, max(begin, end), s.lane, kind, label, site, key])
                left += len(pending)
            if final and left:
                a.warn(f"{left} CUDA operations ({self.api.lib}) had not completed at exit; their device times are not in the trace", "info")
        finally:
            self.poll_lock.release()

    # -- host stalls --------------------------------------------------------------------
    def stall(self, stream: Any, call: Callable[[], Any]) -> Any:
        """Runs `call`, which waits for `stream` (or the whole device: the default stream's
        lane stands for it), as a gpu_sync wait at the user's line."""
        a = registry.current
        if a is None or a.closed or getattr(self.busy, "on", False):
            return call()
        try:
            device = self.api.device()
        except Exception:  # as in `op`
            return call()
        try:
            site = site_of(a, self.is_user, 1)
            s = self.stream_of(a, stream, site, device)
            tid = a.tid()
            oid = a.oid(s.anchor)
        except Exception as e:
            a.fail(f"{self.api.lib} wait", e)
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
            if self.timed:
                try:
                    self.poll(a)
                    self.mark(a, s)
                except Exception as e:
                    a.fail(f"{self.api.lib} poll", e)

    # -- process life -------------------------------------------------------------------
    def forget(self) -> None:
        """A forked child owns none of its parent's CUDA contexts: it must never query their
        events, so it starts with no streams and nothing pending."""
        self.streams = {}
        self.devices = {}

    def install_exit(self, p: Any) -> None:
        """Polls once more at exit; a forked child forgets the parent's streams."""

        def finish(agent: registry.Agent, ts: int) -> None:
            try:
                self.poll(agent, final=True)
            except Exception as e:
                agent.fail(f"{self.api.lib} exit", e)

        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self.forget)  # cannot be unregistered: harmless after undo
        registry.FINISHERS.append(finish)
        p.on_undo(lambda: registry.FINISHERS.remove(finish) if finish in registry.FINISHERS else None)
