"""Waits on Condition and the primitives built on it (Semaphore, BoundedSemaphore, Event,
Barrier, concurrent.futures), and on `time.sleep`.

Semaphore, Event, Barrier and Future each keep a Condition; the waits are recorded once, in
`Condition.wait`, and attributed to the primitive the user sees through the Condition's
parent (`_weft_parent`) and role, which give the reason (`semaphore`, `event`, ...). The
thread that notified is the waker. A wait nested in a recorded wait (the lock re-acquired at
the end of `Condition.wait`) is not recorded again, so wait time is never counted twice.

Condition itself is subclassed because `Condition.__init__` caches `lock.acquire` and
`lock.release` as instance attributes, which would freeze the lock property's one-time
choice. The subclass forwards them (and `__enter__`/`__exit__`) to the lock through C getters
(`attrgetter`), so `cond.release()` and `with cond:` run no agent bytecode while held.
"""
from __future__ import annotations

import operator
import threading
from types import ModuleType
from typing import Any, Callable, Optional

from . import registry
from .clock import now
from .hooks import Patches
from .locks import TIMED_OUT, Method, _Wrapper
from .registry import get_ident, user_where
from .tracebacks import user_traceback

_ROLE_REASON = {"not_empty": "queue_get", "not_full": "queue_put", "all_tasks_done": "queue_join"}
_KIND_REASON = {
    "semaphore": "semaphore", "bounded_semaphore": "semaphore", "event": "event",
    "barrier": "barrier", "future": "future",
}


def _ignore_set(self: Any, value: Any) -> None:
    """Condition.__init__ assigns `self.acquire = lock.acquire`; the forwarders must stay."""


def _forward(path: str) -> Method:
    return Method(operator.attrgetter(path), _ignore_set)


def _positive_timeout(timeout: Any) -> bool:
    return timeout is None or (isinstance(timeout, (int, float)) and timeout > 0)


def make_condition(base: type) -> type:
    class Condition(base):  # type: ignore[misc, valid-type]
        """`threading.Condition` recording waits and the thread that notified."""

        _weft_kind = "condition"
        _weft_oid = 0
        _weft_parent: Any = None
        _weft_role: Optional[str] = None
        _weft_internal = False  # Thread._started: waits in Thread.start are not the user's
        _weft_notifier = 0

        acquire = _forward("_lock.acquire")
        release = _forward("_lock.release")
        __enter__ = _forward("_lock.__enter__")
        __exit__ = _forward("_lock.__exit__")

        def __init__(self, lock: Any = None) -> None:
            if lock is None:
                lock = threading.RLock()
            # The base __init__ reads `lock.acquire` once, which runs the lock's getter as
            # if acquiring: undo its bookkeeping so acquisition counts stay exact.
            saved = (lock._n, lock._holder) if isinstance(lock, _Wrapper) else None
            super().__init__(lock)
            if saved is not None:
                lock._n, lock._holder = saved
            a = registry.current
            self._weft_site = user_where(0) if a is not None and not a.closed else None

        def notify(self, n: int = 1) -> None:
            try:
                me = get_ident()
                self._weft_notifier = me
                a = registry.current
                # A thread seen for the first time is registered so the waiter can name it; not
                # a starting thread announcing itself (Thread._started), which registers itself.
                if a is not None and me not in a.tids and not self._weft_internal and not a.closed:
                    a.tid(me)
                super().notify(n)
            except BaseException as e:  # the traceback stays the user's (tracebacks.py)
                e.__traceback__ = user_traceback(e.__traceback__)
                raise

        def wait(self, timeout: Optional[float] = None) -> bool:
            try:
                a = registry.current
                me = get_ident()
                if (a is None or a.closed or self._weft_internal or me in a.open_waits
                        or not _positive_timeout(timeout)):
                    return super().wait(timeout)  # type: ignore[no-any-return]
                try:
                    parent = self._weft_parent
                    if parent is None:
                        reason = "condition"
                    else:
                        reason = _ROLE_REASON.get(self._weft_role or "") or _KIND_REASON.get(parent._weft_kind, "condition")
                    tid = a.tid(me)
                    oid = a.oid(self)
                    site = a.caller_site(0)
                except Exception as e:
                    a.fail("condition wait", e)
                    return super().wait(timeout)  # type: ignore[no-any-return]
                # Reset while this thread holds the lock: no notify can run before wait releases it.
                self._weft_notifier = 0
                t0 = now()
                a.open_waits[me] = (t0, self, reason, site, None, None, timeout is None)
                try:
                    ok = super().wait(timeout)
                except BaseException:
                    # Interrupted: written as ended without a notify, since the flush thread
                    # may already have written it as open.
                    a.open_waits.pop(me, None)
                    a.emit(["W", t0, now(), tid, oid, reason, site, None, None, None, TIMED_OUT])
                    raise
                finally:
                    a.open_waits.pop(me, None)
                t1 = now()
                try:
                    wtid = a.known_tid(self._weft_notifier) if ok else None
                    # For a future, the thread that set the result is also what the waiter waited on.
                    holder = wtid if parent is not None and parent._weft_kind == "future" else None
                    a.emit(["W", t0, t1, tid, oid, reason, site, holder, None, wtid, 0 if ok else TIMED_OUT])
                except Exception as e:
                    a.fail("condition wait", e)
                return ok  # type: ignore[no-any-return]
            except BaseException as e:  # the traceback stays the user's (tracebacks.py)
                e.__traceback__ = user_traceback(e.__traceback__)
                raise

    Condition.__qualname__ = Condition.__name__ = "Condition"
    Condition.__module__ = "threading"
    return Condition


def adopt(obj: Any, kind: str, cond: Any, role: str, name: str = "") -> None:
    """Makes `obj` a recorded object and ties its internal Condition (and that Condition's
    lock) to it, so their waits are attributed to `obj`."""
    a = registry.current
    registry.recordable(obj, kind, user_where(0) if a is not None and not a.closed else None, name)
    if cond is not None and hasattr(cond, "_weft_internal"):
        cond._weft_parent = obj
        cond._weft_role = role
        lock = getattr(cond, "_lock", None)
        if isinstance(lock, _Wrapper):
            lock._weft_parent = obj
            lock._weft_role = "mutex"


def _after_semaphore(s: Any) -> None:
    kind = "bounded_semaphore" if isinstance(s, threading.BoundedSemaphore) else "semaphore"
    adopt(s, kind, s._cond, "cond")


# ---------------------------------------------------------------------------------------
# concurrent.futures (its own row of the hook table, installed when the program first imports
# it: importing it costs ~14 ms)
# ---------------------------------------------------------------------------------------
def install_futures(h: Patches, base: ModuleType) -> None:
    h.wrap_init(base.Future, lambda f: adopt(f, "future", f._condition, "result"))

    # wait() and as_completed() block on the Event of a private waiter: attribute those waits
    # to the futures (reason "future"), not to an anonymous event.
    def after_waiter(w: Any) -> None:
        name = "futures.as_completed" if type(w).__name__ == "_AsCompletedWaiter" else "futures.wait"
        adopt(w.event, "future", w.event._cond, "cond", name)

    if hasattr(base, "_Waiter"):
        h.wrap_init(base._Waiter, after_waiter)


# ---------------------------------------------------------------------------------------
# time.sleep
# ---------------------------------------------------------------------------------------
class _Clock:
    """The one object `sleep` waits on in a process."""

    _weft_kind = "timer"
    _weft_oid = 0
    _weft_name = "time.sleep"
    _weft_site = None
    _weft_parent = None
    _weft_role = None


CLOCK = _Clock()


def make_sleep(raw: Callable[[float], None]) -> Callable[[float], None]:
    """`time.sleep` recording a `sleep` wait; `raw` is the original."""

    def sleep(secs: float) -> None:
        try:
            a = registry.current
            if a is None or a.closed or not isinstance(secs, (int, float)) or not secs > 0:
                return raw(secs)
            me = get_ident()
            if me in a.open_waits:
                return raw(secs)
            try:
                tid = a.tid(me)
                oid = a.oid(CLOCK)
                site = a.caller_site(0)
            except Exception as e:
                a.fail("sleep", e)
                return raw(secs)
            t0 = now()
            a.open_waits[me] = (t0, CLOCK, "sleep", site, None, None)
            try:
                raw(secs)
            finally:
                a.open_waits.pop(me, None)
                a.emit(["W", t0, now(), tid, oid, "sleep", site, None, None, None, 0])
        except BaseException as e:  # the traceback stays the user's (tracebacks.py)
            e.__traceback__ = user_traceback(e.__traceback__)
            raise

    sleep.__doc__ = raw.__doc__
    return sleep


def install(h: Patches, threading: ModuleType, time: ModuleType) -> None:
    """Condition, the primitives built on it, and `time.sleep`."""
    h.wrap(threading, "Condition", make_condition)
    h.wrap(time, "sleep", make_sleep)
    h.wrap_init(threading.Semaphore, _after_semaphore)
    h.wrap_init(threading.Event, lambda e: adopt(e, "event", e._cond, "cond"))
    h.wrap_init(threading.Barrier, lambda b: adopt(b, "barrier", b._cond, "cond"))
