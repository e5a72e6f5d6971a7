"""`threading.Lock` and `threading.RLock` replacements that record contended acquires.

The lock-convoy trap (research/python-hooks.md): on 3.11 the interpreter can hand the GIL to
another thread only at an eval-breaker check, which runs after every CALL, at every backward
jump and at function entry (measured on 3.11-3.13 with a signal handler that records where it
runs; attribute loads never check). If such a check runs while a thread holds a lock, other
threads can run, reach the lock and block, and the hand-offs then repeat: a convoy. A program
whose critical sections contain no call never contends with raw locks; a wrapper that runs a
Python function inside the held window makes the same program contend thousands of times.
So, for the uncontended path:

* `acquire` and `__enter__` are properties. Their getter runs *before* the lock is taken. It
  reads the lock state through a property whose getter is C (`methodcaller`), so no check
  can run between reading "free" and the acquire: the getter sets the would-be holder and
  returns the raw C bound method, and the user's next bytecode calls it directly. On 3.11-3.13
  this check-then-act is atomic under the GIL. (Calling `raw.locked()` from the getter would
  put a check right after the read: another thread could take the lock there, and this one
  would block in C unrecorded.)
* `__exit__` is a property with a C getter (`attrgetter`): `with` looks `__exit__` up between
  the `__enter__` getter's decision and the call of the chosen method.
* `release` is an instance attribute bound to the raw C method: no Python runs at all.
* Only when the getter sees the lock held, or a recorded waiter queued, does it return the
  Python slow path, which prepares the record, blocks on the raw lock with the caller's
  arguments, and after waking notes the waker (the last thread that took the lock before it,
  the one whose release let it go) and appends the `W` record.

On a free-threaded build (3.13t) there is no GIL to make the getter atomic: another thread
can take the lock between the getter and the C acquire, which then blocks unrecorded. That
loses a wait, never invents one. Acquisition counts (`self._n += 1`) can also lose updates
there.

Measured cost per `with lock: pass` (3.11, this machine, min of repeats): see the numbers in
ARCHITECTURE.md ("Python agent"); RLock pays for reading its state from `repr()`, the only way
to learn before 3.14 that another thread holds an RLock without trying to acquire it.
"""
from __future__ import annotations

import _thread
import operator
import re
import threading
from types import ModuleType
from typing import Any, Callable, Dict, Optional, Tuple

from . import contract, frames, registry
from .clock import now
from .hooks import Patches
from .registry import get_ident, is_user_file, user_where
from .tracebacks import user_traceback

# Re-exported: the other hooks and the exit routine take them from here.
TIMED_OUT, OPEN, HOLDER_CHANGED = contract.TIMED_OUT, contract.OPEN, contract.HOLDER_CHANGED

_allocate_lock = _thread.allocate_lock
_RawRLock = _thread.RLock
_OWNER_RE = re.compile(r"owner=(\d+)")


class Method(property):
    """A property that can also be called through the class, as `type(cm).__enter__(cm)` does
    (contextlib.ExitStack.enter_context). Reading it is as fast as a plain property."""

    def __call__(self, obj: Any, *args: Any, **kwargs: Any) -> Any:
        return self.__get__(obj, type(obj))(*args, **kwargs)


class _Wrapper:
    """What Lock and RLock share: identity fields, forwarding, fork support."""

    _weft_kind = "lock"
    _weft_oid = 0
    _weft_parent: Any = None
    _weft_role: Optional[str] = None
    _weft_reported = 0
    _raw: Any

    def _init_common(self, raw: Any) -> None:
        self._raw = raw
        self._acquire = raw.acquire
        self._enter = raw.__enter__
        self.release = raw.release  # C: nothing of the agent runs while the lock is held
        self._waiting: Dict[int, int] = {}  # recorded waiters (dict updates are atomic)
        self._holder = 0  # ident of the last thread that took the lock
        self._n = 0  # acquisitions
        a = registry.current
        if a is not None and not a.closed:
            self._weft_site = user_where(2)
            a.locks.add(self)
        else:
            self._weft_site = None

    __exit__ = Method(operator.attrgetter("_raw.__exit__"))

    def _at_fork_reinit(self) -> None:
        self._raw._at_fork_reinit()
        self._holder = 0
        self._waiting.clear()

    def __getattr__(self, name: str) -> Any:
        # Anything else the C lock has (`acquire_lock`, private helpers of newer Pythons) is
        # forwarded. Only called for names not found normally: free on the hot path.
        try:
            raw = self.__dict__["_raw"]
        except KeyError:
            raise AttributeError(name) from None
        return getattr(raw, name)

    def __repr__(self) -> str:
        return repr(self._raw)

    def __reduce_ex__(self, protocol: Any) -> Any:
        raw_type = type(self._raw)  # the C type's own message, e.g. "cannot pickle '_thread.lock' object"
        raise TypeError(f"cannot pickle '{raw_type.__module__}.{raw_type.__qualname__}' object")


class Lock(_Wrapper):
    """`threading.Lock()` under the agent (see the module docstring)."""

    _weft_kind = "lock"

    def __init__(self) -> None:
        raw = _allocate_lock()
        self.locked = raw.locked
        self._init_common(raw)

    # Read as an attribute: a C getter, so reading the state is not a switch point.
    _busy = property(operator.methodcaller("locked"))

    # A woken waiter owns the C lock before its `locked` flag is visible to other threads
    # (it is set when the waiter gets the GIL back). A thread looking in that window would
    # see "free", take the C path and block unrecorded: measured, most waits of a hand-off
    # chain went missing. So the fast path also requires that no recorded waiter is queued.
    @Method
    def acquire(self) -> Callable[..., bool]:
        me = get_ident()  # called before the state is read: a call is a switch point
        if self._busy or self._waiting:
            return self._slow_acquire
        self._holder = me
        self._n += 1
        return self._acquire  # type: ignore[no-any-return]

    @Method
    def __enter__(self) -> Callable[[], bool]:
        me = get_ident()
        if self._busy or self._waiting:
            return self._slow_acquire
        self._holder = me
        self._n += 1
        return self._enter  # type: ignore[no-any-return]

    def _slow_acquire(self, blocking: Any = True, timeout: Any = -1) -> bool:
        try:
            return contended_acquire(self, blocking, timeout, self._holder)
        except BaseException as e:  # the traceback stays the user's (tracebacks.py)
            e.__traceback__ = user_traceback(e.__traceback__)
            raise


class RLock(_Wrapper):
    """`threading.RLock()` under the agent.

    Re-entry by the owner cannot block, so it returns the raw method. Whether another thread
    holds it is read from the C repr ("<locked ..." / "<unlocked ..."), through a C getter so
    the read is not a switch point. A Python acquire that first tried `acquire(False)` would
    hold the lock while its own bytecode ran (measured: thousands of spurious waits in
    test_rlock_wrapper_adds_no_contention).
    """

    _weft_kind = "rlock"

    def __init__(self) -> None:
        raw = _RawRLock()
        self._is_owned = raw._is_owned
        self._release_save = raw._release_save
        self._acquire_restore = raw._acquire_restore
        self._repr = raw.__repr__
        self._init_common(raw)

    _owned = property(operator.methodcaller("_is_owned"))
    _state = property(operator.methodcaller("_repr"))

    def _get_owner(self) -> Optional[int]:
        m = _OWNER_RE.search(self._repr())
        return int(m.group(1)) or None if m else None

    def _set_owner(self, ident: Any) -> None:
        # gevent's monkey.patch_all() walks every RLock and, for a held one, rewrites `_owner`
        # to the current greenlet's id; without the attribute it refuses to run ("Unsupported
        # Python implementation"). The C RLock inside cannot be re-owned (gevent says the same
        # of C RLocks, gevent#1354), so the write is accepted and has no effect, as there.
        pass

    # threading._PyRLock's attribute, which gevent reads and writes (see _set_owner).
    _owner = property(_get_owner, _set_owner)

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
        return self._enter  # type: ignore[no-any-return]

    def _slow_acquire(self, blocking: Any = True, timeout: Any = -1) -> bool:
        try:
            m = _OWNER_RE.search(self._repr())  # the exact owner, on the slow path only
            return contended_acquire(self, blocking, timeout, int(m.group(1)) if m else self._holder)
        except BaseException as e:  # the traceback stays the user's (tracebacks.py)
            e.__traceback__ = user_traceback(e.__traceback__)
            raise


def holder_of(a: registry.Agent, ident: int) -> Tuple[Optional[int], Optional[int]]:
    """Tid of a thread that holds something, and its current user line (slow paths only)."""
    if not ident:
        return None, None
    if not frames.CURRENT_FRAMES_SAFE:
        return a.tids.get(ident), None
    alive, where = frames.inspect_threads(
        lambda all_frames: (ident in all_frames, frames.first_where(all_frames, ident, is_user_file)))
    if not alive:  # it has ended
        return a.tids.get(ident), None
    return a.tid(ident), a.site_or_none(where)


def contended_acquire(lock: Any, blocking: Any, timeout: Any, holder: int) -> bool:
    """The slow path of Lock and RLock: the lock looked busy when the getter ran."""
    acquire = lock._acquire
    me = get_ident()
    a = registry.current
    if (not blocking or a is None or a.closed or me in a.open_waits
            or (timeout != -1 and not (type(timeout) in (int, float) and timeout >= 0))):
        # Non-blocking tries, unusual arguments (the C acquire validates them as usual), a
        # stopped agent, and the re-acquire inside Condition.wait (already recorded as the
        # condition wait): nothing to record.
        ok = acquire(blocking, timeout)
        if ok:
            lock._holder = me
            lock._n += 1
        return ok  # type: ignore[no-any-return]
    if acquire(False):  # freed since the getter looked: there was no wait
        lock._holder = me
        lock._n += 1
        return True
    # Everything that can be prepared is prepared before blocking: once the lock is ours,
    # each extra call is a point where the GIL can move while we hold it.
    try:
        t0 = now()
        tid = a.tid(me)
        oid = a.oid(lock)
        site = a.caller_site(0)
        # In a hand-off chain the lock has just passed to a woken waiter that has not run yet,
        # so the owner we read can still be this very thread, coming back for the lock it just
        # released. The true holder is then the thread that wakes us (known only later).
        stale = holder == me
        htid, hsite = (None, None) if stale else holder_of(a, holder)
        kind = lock._weft_kind
        tids = a.tids
    except Exception as e:
        a.fail("lock wait", e)
        ok = acquire(True, timeout)
        if ok:
            lock._holder = me
            lock._n += 1
        return ok  # type: ignore[no-any-return]
    open_waits = a.open_waits
    waiting = lock._waiting
    open_waits[me] = (t0, lock, kind, site, htid, hsite, timeout == -1)
    waiting[me] = 1
    try:
        ok = acquire(True, timeout)
    except BaseException:  # e.g. KeyboardInterrupt while blocked
        waiting.pop(me, None)
        open_waits.pop(me, None)
        # Ended without the lock: written so, since the flush thread may already have written
        # it as open (which readers would otherwise draw to the end of the trace).
        a.emit(("W", t0, now(), tid, oid, kind, site, htid, hsite, None, TIMED_OUT))
        raise
    t1 = now()
    waker = lock._holder
    if ok:
        lock._holder = me
        lock._n += 1
    waiting.pop(me, None)
    open_waits.pop(me, None)
    if ok:
        # The usual waker is the holder seen at the start, whose tid is already known.
        wtid = htid if (waker == holder and not stale) else tids.get(waker) if waker else None
        if stale:
            htid = wtid
            flags = HOLDER_CHANGED
        else:
            flags = HOLDER_CHANGED if (wtid is not None and htid is not None and wtid != htid) else 0
    else:
        wtid = None
        flags = TIMED_OUT
        if stale:
            # Nobody took the lock through us for the whole timeout, so the owner we read was
            # not stale: this thread holds it itself (a self-deadlock that the timeout ended).
            # Otherwise the last taker is the best holder we know.
            htid = tid if waker == me else tids.get(waker) if waker else None
            if waker != me:
                flags |= HOLDER_CHANGED
    a.emit(("W", t0, t1, tid, oid, kind, site, htid, hsite, wtid, flags))
    return ok  # type: ignore[no-any-return]


def install(h: Patches, threading: ModuleType) -> None:
    h.patch(threading, "Lock", Lock)
    h.patch(threading, "RLock", RLock)
