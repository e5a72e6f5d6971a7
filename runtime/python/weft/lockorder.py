"""Lock-order mode (`--lock-order`, `WEFT_LOCK_ORDER=1`, header `lockOrder`): lockdep for Python.

Two locks taken in opposite orders (a thread takes A and then, still holding it, B; a thread
takes B and then A) can deadlock even if this run did not. In this mode each thread's
acquisitions of user-visible `threading.Lock`/`RLock` objects are tracked; the first time a
lock is taken while another is held, the edge held -> acquired is kept on the held lock with
both acquisition points; when the opposite edge already exists, an `I` record is written with
both paths, once per pair (lockdep reports the same thread doing both orders too, and so does
this: the next run may interleave them).

What it costs, and why it is opt-in (numbers in ARCHITECTURE.md): the acquire getter of
`locks.Lock` runs before the lock is taken (the lock-convoy rule), and in this mode it does
more there: it reads the caller's frame (code and instruction, not the line: the line table is
read only when an `I` is written) and checks the thread's list of recently taken locks. No
release hook: "still held" is asked of the lock itself when the next acquisition happens
(`Lock`: `locked()` and the last taker is this thread; `RLock`: `_is_owned()`), so `release`
and `__exit__` stay the raw C methods and nothing of the agent runs in the held window of the
lock being released. What does run inside a held window is the bookkeeping of a *nested*
acquisition, in the getter of the inner lock while the outer one is held: that is where the
edge is found, and it is the only extra Python there is (the getter already ran there).

Locks internal to a primitive (a Queue's mutex, a Semaphore's Condition lock: `_weft_parent`
set) are not tracked: the standard library never calls user code while holding them, so they
cannot close a cycle with a user lock, and leaving them out keeps queues and events free.
Only pairs are reported, not longer cycles (A->B, B->C, C->A).
"""
from __future__ import annotations

import sys
import weakref
from typing import Any, Callable, Dict, List, Tuple

from . import registry
from .clock import now
from .hooks import Patches
from .locks import Lock, Method, RLock
from .registry import get_ident

# ident -> [(lock, code, lasti), ...]: locks this thread took and may still hold, oldest first.
_held: Dict[int, List[tuple]] = {}
# Pairs already reported (ids of the two wrappers, smaller first), per agent.
_reported: Dict[Tuple[int, int], Any] = {}
_MAX_EDGES_PER_LOCK = 1000
_getframe = sys._getframe
# `Condition.__init__` reads `lock.acquire` (to cache it), which runs the getter without
# taking the lock: that read is not an acquisition (set by `install`).
_not_an_acquire: Any = None


def _line(code: Any, lasti: int) -> int:
    """The line of instruction offset `lasti` in `code` (only when an `I` is written)."""
    line = code.co_firstlineno
    lines = getattr(code, "co_lines", None)
    if lines is not None:
        for start, end, ln in lines():
            if start <= lasti < end:
                return ln if ln is not None else line
        return line
    import dis
    for off, ln in dis.findlinestarts(code):
        if off > lasti:
            break
        line = ln
    return line


def took(lock: Any, me: int, frame: Any) -> None:
    """`lock` is being taken (fast path: about to be; slow path: just was) by thread `me` at
    `frame`'s current instruction. Called only in lock-order mode, for user-visible locks.

    Written flat, with the thread's list compacted in place: this runs on every acquisition
    (~0.6 us here for a lock taken alone), and a known edge costs two dict lookups."""
    code = frame.f_code
    if code is _not_an_acquire:
        return
    entry = (lock, code, frame.f_lasti)
    held = _held.get(me)
    if not held:
        _held[me] = [entry]
        return
    n = 0
    key = id(lock)
    for e in held:
        other = e[0]
        if other is lock:
            continue
        if other._weft_kind == "rlock":
            if not other._is_owned():
                continue
        elif other._holder != me or not other.locked():
            continue
        held[n] = e
        n += 1
        after = other.__dict__.get("_weft_after")
        known = after.get(key) if after is not None else None
        if known is None or known[0]() is not lock:
            _edge(other, e, lock, entry[1], entry[2], me)
    del held[n:]
    held.append(entry)


def _edge(first: Any, first_at: tuple, second: Any, code: Any, lasti: int, me: int) -> None:
    """Thread `me` holds `first` (taken at first_at) and takes `second` at (code, lasti)."""
    after = first.__dict__.get("_weft_after")
    if after is None:
        after = first._weft_after = {}
    key = id(second)
    known = after.get(key)
    if known is not None and known[0]() is second:
        return  # this order was seen before
    try:
        if len(after) >= _MAX_EDGES_PER_LOCK:
            for k in [k for k, v in after.items() if v[0]() is None]:
                del after[k]
            if len(after) >= _MAX_EDGES_PER_LOCK:
                return
        a = registry.current
        if a is None or a.closed:
            return
        # The lane now: the OS reuses a finished thread's ident for the next thread.
        after[key] = (weakref.ref(second), a.tid(me), first_at[1], first_at[2], code, lasti, a)
        # The opposite order, seen before (by any thread, this one included)?
        back = second.__dict__.get("_weft_after")
        inv = back.get(id(first)) if back else None
        if inv is None or inv[0]() is not first or inv[6] is not a:
            return  # none, or seen by a forked child's parent (its lanes are in another file)
        pair = (min(id(first), id(second)), max(id(first), id(second)))
        if _reported.get(pair) is a:
            return
        _reported[pair] = a
        _, other, o_code1, o_lasti1, o_code2, o_lasti2, _ = inv
        # Record: `lane` is the thread that took `first` then `second` first (the earlier edge).
        rec = ("I", now(), a.oid(second), a.oid(first),
               other, a.site((o_code1, _line(o_code1, o_lasti1))), a.site((o_code2, _line(o_code2, o_lasti2))),
               after[key][1], a.site((first_at[1], _line(first_at[1], first_at[2]))), a.site((code, _line(code, lasti))))
        a.emit(rec)
    except Exception as e:
        a2 = registry.current
        if a2 is not None:
            a2.fail("lock order", e)


class OrderedLock(Lock):
    """`threading.Lock()` in lock-order mode: `locks.Lock` whose acquire getter also notes the
    acquisition (before the lock is taken, like everything the getter does)."""

    @Method
    def acquire(self) -> Callable[..., bool]:
        me = get_ident()
        if self._busy or self._waiting:
            return self._slow_acquire
        self._holder = me
        self._n += 1
        if self._weft_parent is None:
            took(self, me, _getframe(1))
        return self._acquire  # type: ignore[no-any-return]

    @Method
    def __enter__(self) -> Callable[[], bool]:
        me = get_ident()
        if self._busy or self._waiting:
            return self._slow_acquire
        self._holder = me
        self._n += 1
        if self._weft_parent is None:
            took(self, me, _getframe(1))
        return self._enter  # type: ignore[no-any-return]

    def _slow_acquire(self, blocking: Any = True, timeout: Any = -1) -> bool:
        frame = _getframe(1)
        ok = Lock._slow_acquire(self, blocking, timeout)
        if ok and self._weft_parent is None:
            took(self, get_ident(), frame)
        return ok


class OrderedRLock(RLock):
    """`threading.RLock()` in lock-order mode (re-entry by the owner is not a new acquisition)."""

    @Method
    def acquire(self) -> Callable[..., bool]:
        me = get_ident()
        if self._owned:
            self._n += 1
            return self._acquire  # type: ignore[no-any-return]
        if self._waiting or self._state[1] == "l":
            return self._slow_acquire
        self._holder = me
        self._n += 1
        if self._weft_parent is None:
            took(self, me, _getframe(1))
        return self._acquire  # type: ignore[no-any-return]

    @Method
    def __enter__(self) -> Callable[[], bool]:
        me = get_ident()
        if self._owned:
            self._n += 1
            return self._enter  # type: ignore[no-any-return]
        if self._waiting or self._state[1] == "l":
            return self._slow_acquire
        self._holder = me
        self._n += 1
        if self._weft_parent is None:
            took(self, me, _getframe(1))
        return self._enter  # type: ignore[no-any-return]

    def _slow_acquire(self, blocking: Any = True, timeout: Any = -1) -> bool:
        frame = _getframe(1)
        ok = RLock._slow_acquire(self, blocking, timeout)
        if ok and self._weft_parent is None:
            took(self, get_ident(), frame)
        return ok


for _cls, _name in ((OrderedLock, "Lock"), (OrderedRLock, "RLock")):
    _cls.__name__ = _name
    _cls.__qualname__ = _name


def install(h: Patches, threading: Any) -> None:
    """Replaces the lock classes of `locks.install` with the tracking ones."""
    global _not_an_acquire
    init = getattr(threading.Condition, "__init__", None)
    _not_an_acquire = getattr(init, "__code__", None)
    h.patch(threading, "Lock", OrderedLock)
    h.patch(threading, "RLock", OrderedRLock)



def _after_fork() -> None:
    _held.clear()


if hasattr(__import__("os"), "register_at_fork"):
    __import__("os").register_at_fork(after_in_child=_after_fork)
