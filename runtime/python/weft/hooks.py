"""Hooks on threading, queue, time and concurrent.futures that record waits (`W` records).

Design rule (the lock-convoy trap, see ARCHITECTURE.md): no Python code may run while the
user's thread holds a lock that it did not already hold before, on the uncontended path.
CPython can hand the GIL to another thread at any "eval breaker" check (function entry, the
end of a call, a backward jump). If that happens while a lock is held, the other threads block
on the lock, and on 3.11 the resulting hand-offs repeat forever (a convoy): a program that never
contended starts contending because of the profiler. So for `Lock`:

* `acquire` and `__enter__` are *properties*. Their getter runs before the lock is taken. If
  the lock is free it notes the would-be holder and returns the raw C method, so the acquire
  itself runs in C and the user's next bytecode runs with nothing of ours in between.
* `__exit__` is a property whose getter is C (attrgetter): `with` looks it up after the
  `__enter__` getter decided and before calling the chosen method, so no bytecode may run there.
* `release` is an instance attribute bound to the raw C method: no Python at all.
* Only when the getter sees the lock held does it return a Python slow path, which times the
  wait, reads the holder's current line, and records the waker (the last thread that took the
  lock before this one, i.e. the one whose release let it go).

The check-then-act in the getter is atomic on GIL builds (no eval-breaker check between the
getter's `locked()` and the C acquire). On a free-threaded build (3.13t) another thread can
take the lock in between: the acquire then blocks in C unrecorded. That loses a wait, never
invents one.

Waits on Condition-based primitives (Semaphore, Event, Barrier, Queue, Future) are recorded in
`Condition.wait`, attributed to the primitive through the Condition's `_weft_parent`.
A wait nested in another recorded wait (the lock re-acquired at the end of `Condition.wait`)
is not recorded separately, so per-thread wait time is not counted twice.
"""
from __future__ import annotations

import _thread
import operator
import queue as _queue_mod
import re
import sys
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import core
from .core import get_ident, now

TIMED_OUT = 1
OPEN = 2
HOLDER_CHANGED = 4

_raw_allocate = _thread.allocate_lock
_raw_rlock = _thread.RLock
_orig: Dict[str, Any] = {}


def _holder_site(agent: core.Agent, ident: int) -> Optional[int]:
    """The holder's current user line, read from its stack (only on the slow path)."""
    if not ident:
        return None
    f = sys._current_frames().get(ident)
    return agent.frame_site(f) if f is not None else None


def _record(agent: core.Agent, t0: int, t1: int, me: int, obj: Any, reason: str, site: Optional[int],
            holder: int, hsite: Optional[int], waker: int, flags: int) -> None:
    tids = agent.tids
    agent.emit(["W", t0, t1, agent.tid(me), agent.oid(obj), reason, site,
                tids.get(holder) if holder else None, hsite,
                tids.get(waker) if waker else None, flags])


def _begin(agent: core.Agent, me: int, t0: int, obj: Any, reason: str, site: Optional[int],
           holder: int, hsite: Optional[int]) -> None:
    # Kept so the sampler can mark the thread as waiting and the exit routine can write
    # waits that never ended (a hung program) with the OPEN flag.
    agent.open_waits[me] = [t0, obj, reason, site, holder, hsite]


# ---------------------------------------------------------------------------------------
# Locks
# ---------------------------------------------------------------------------------------
class Lock:
    """A `threading.Lock` that records contended acquires (see the module docstring)."""

    _weft_kind = "lock"
    _weft_oid = 0

    def __init__(self) -> None:
        raw = _raw_allocate()
        self._raw = raw
        self.release = raw.release
        self.locked = raw.locked
        self._waiting: Dict[int, int] = {}
        self._holder = 0
        self._n = 0
        agent = core.A
        self._weft_site = agent.user_site_key(1) if agent is not None else None

    # `locked()` alone is not enough to decide: when a waiter is woken, it owns the lock in C
    # but the lock's `locked` flag stays 0 until that waiter gets the GIL back. A thread asking
    # in that window sees "free", takes the C path and blocks unrecorded (measured: most waits
    # of a lock hand-off chain were lost). So the fast path also requires that no recorded
    # waiter is queued (`_waiting`, a dict because its updates are atomic under the GIL).
    @property
    def acquire(self) -> Callable[..., bool]:
        raw = self._raw
        if raw.locked() or self._waiting:
            return self._slow_acquire
        self._holder = get_ident()
        self._n += 1
        return raw.acquire

    @property
    def __enter__(self) -> Callable[[], bool]:
        raw = self._raw
        if raw.locked() or self._waiting:
            return self._slow_acquire
        self._holder = get_ident()
        self._n += 1
        return raw.__enter__

    # A property whose getter is a C function: `with` looks `__exit__` up between the
    # `__enter__` getter's decision and the call to the chosen enter, and a Python getter there
    # would be an eval-breaker check in which another thread could take the lock (measured: the
    # waits of examples/bank_transfer.py went unrecorded). attrgetter runs no bytecode.
    __exit__ = property(operator.attrgetter("_raw.__exit__"))

    def _slow_acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        raw = self._raw
        me = get_ident()
        if raw.acquire(False):  # freed since the getter looked: no wait happened
            self._holder = me
            self._n += 1
            return True
        agent = core.A
        if not blocking or agent is None or agent.closed or me in agent.open_waits:
            ok = raw.acquire(blocking, timeout)
            if ok:
                self._holder = me
                self._n += 1
            return ok
        # Everything that can be prepared is prepared before blocking: once the lock is ours,
        # each extra call is a point where the GIL can move while we hold it (a convoy seed).
        t0 = now()
        holder = self._holder
        # In a hand-off chain the lock has just passed to a woken waiter that has not run yet,
        # so `_holder` still names the previous owner, which can be this very thread coming
        # back for the lock. The true holder is then the thread that wakes us (known later).
        stale = holder == me
        hsite = None if stale else _holder_site(agent, holder)
        site = agent.user_site(2)
        tid = agent.tid(me)
        oid = agent.oid(self)
        kind = self._weft_kind
        open_waits = agent.open_waits
        open_waits[me] = [t0, self, kind, site, holder, hsite]
        waiting = self._waiting
        waiting[me] = 1
        try:
            ok = raw.acquire(True, timeout)
        except BaseException:
            waiting.pop(me, None)
            open_waits.pop(me, None)
            raise
        t1 = now()
        waker = self._holder
        if ok:
            self._holder = me
            self._n += 1
        del waiting[me]
        del open_waits[me]
        # A tuple with raw thread idents: the writer thread turns it into a `W` record, so
        # no dictionary lookups run here while the lock is held.
        flags = 0 if ok else TIMED_OUT
        if stale:
            holder = waker if ok else 0
            flags |= HOLDER_CHANGED
        agent.writer.buf.append(  # not a captured `buf`: the writer swaps the list
            ("W", t0, t1, tid, oid, kind, site, holder, hsite, waker if ok else 0, flags))
        return ok

    def _at_fork_reinit(self) -> None:
        self._raw._at_fork_reinit()
        self._holder = 0
        self._waiting.clear()

    def __getattr__(self, name: str) -> Any:
        # Anything else the C lock has (private helpers of newer Pythons) is forwarded; only
        # called for names not found normally, so it costs nothing on the hot path.
        return getattr(self.__dict__["_raw"], name)

    def __repr__(self) -> str:
        return repr(self._raw)


_OWNER_RE = re.compile(r"owner=(\d+)")


class RLock:
    """A `threading.RLock` that records contended acquires.

    Same scheme as Lock. When this thread already owns it, the raw method is returned
    (re-entry never blocks); whether another thread holds it is read from the C repr. The
    holder of a contended RLock is read from the repr's owner=ident on the slow path.
    """

    _weft_kind = "rlock"
    _weft_oid = 0

    def __init__(self) -> None:
        raw = _raw_rlock()
        self._raw = raw
        self.release = raw.release
        self._is_owned = raw._is_owned
        self._release_save = raw._release_save
        self._acquire_restore = raw._acquire_restore
        self._waiting: Dict[int, int] = {}
        self._holder = 0
        self._n = 0
        agent = core.A
        self._weft_site = agent.user_site_key(1) if agent is not None else None

    # The C repr starts "<locked" or "<unlocked": the only way 3.9-3.13 say whether another
    # thread holds an RLock without acquiring it. It costs a few hundred ns, and it runs
    # before the acquire, so it cannot create a convoy (a Python acquire that tried first did:
    # the contention test measured thousands of spurious waits).
    @property
    def acquire(self) -> Callable[..., bool]:
        raw = self._raw
        self._n += 1
        if raw._is_owned():
            return raw.acquire
        if self._waiting or repr(raw)[1] == "l":
            return self._acquire
        return raw.acquire

    @property
    def __enter__(self) -> Callable[[], bool]:
        raw = self._raw
        self._n += 1
        if raw._is_owned():
            return raw.__enter__
        if self._waiting or repr(raw)[1] == "l":
            return self._acquire
        return raw.__enter__

    # A property whose getter is a C function: `with` looks `__exit__` up between the
    # `__enter__` getter's decision and the call to the chosen enter, and a Python getter there
    # would be an eval-breaker check in which another thread could take the lock (measured: the
    # waits of examples/bank_transfer.py went unrecorded). attrgetter runs no bytecode.
    __exit__ = property(operator.attrgetter("_raw.__exit__"))

    def _acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        raw = self._raw
        if raw.acquire(False):
            return True
        agent = core.A
        me = get_ident()
        if not blocking or agent is None or agent.closed or me in agent.open_waits:
            return raw.acquire(blocking, timeout)
        t0 = now()
        m = _OWNER_RE.search(repr(raw))
        holder = int(m.group(1)) if m else 0
        hsite = _holder_site(agent, holder)
        site = agent.user_site(2)
        _begin(agent, me, t0, self, "rlock", site, holder, hsite)
        waiting = self._waiting
        waiting[me] = 1
        try:
            ok = raw.acquire(True, timeout)
        finally:
            waiting.pop(me, None)
            agent.open_waits.pop(me, None)
        t1 = now()
        _record(agent, t0, t1, me, self, "rlock", site, holder, hsite,
                holder if ok else 0, 0 if ok else TIMED_OUT)
        return ok

    def _at_fork_reinit(self) -> None:
        self._raw._at_fork_reinit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["_raw"], name)

    def __repr__(self) -> str:
        return repr(self._raw)


# ---------------------------------------------------------------------------------------
# Condition and the primitives built on it
# ---------------------------------------------------------------------------------------
_ROLE_REASON = {
    "not_empty": "queue_get", "not_full": "queue_put", "all_tasks_done": "queue_join",
}
_KIND_REASON = {
    "semaphore": "semaphore", "bounded_semaphore": "semaphore", "event": "event",
    "barrier": "barrier", "future": "future",
}


def _make_condition(base: type) -> type:
    class Condition(base):  # type: ignore[misc, valid-type]
        """`threading.Condition` recording waits and the thread that notified."""

        _weft_kind = "condition"
        _weft_oid = 0
        _weft_internal = False
        _weft_notifier = 0

        def __init__(self, lock: Any = None) -> None:
            super().__init__(lock)
            # Condition.__init__ caches lock.acquire/release as instance attributes, which
            # would freeze the lock's property choice forever; drop them so every call goes
            # through the lock.
            self.__dict__.pop("acquire", None)
            self.__dict__.pop("release", None)
            agent = core.A
            self._weft_site = agent.user_site_key(1) if agent is not None else None

        def acquire(self, *args: Any, **kwargs: Any) -> bool:
            return self._lock.acquire(*args, **kwargs)

        def release(self) -> None:
            self._lock.release()

        def notify(self, n: int = 1) -> None:
            self._weft_notifier = get_ident()
            super().notify(n)

        def wait(self, timeout: Optional[float] = None) -> bool:
            agent = core.A
            me = get_ident()
            if (agent is None or agent.closed or self._weft_internal or me in agent.open_waits
                    or (timeout is not None and timeout <= 0)):
                return super().wait(timeout)
            parent = getattr(self, "_weft_parent", None)
            if parent is not None:
                reason = _ROLE_REASON.get(self._weft_role) or _KIND_REASON.get(parent._weft_kind, "condition")
            else:
                reason = "condition"
            site = agent.user_site(2)
            t0 = now()
            self._weft_notifier = 0
            _begin(agent, me, t0, self, reason, site, 0, None)
            try:
                ok = super().wait(timeout)
            finally:
                agent.open_waits.pop(me, None)
            t1 = now()
            waker = self._weft_notifier if ok else 0
            holder = waker if parent is not None and parent._weft_kind == "future" else 0
            _record(agent, t0, t1, me, self, reason, site, holder, None, waker, 0 if ok else TIMED_OUT)
            return ok

    return Condition


def _adopt(obj: Any, kind: str, cond: Any, role: str) -> None:
    """Ties a primitive's internal Condition to it so waits are attributed to the primitive."""
    obj._weft_kind = kind
    obj._weft_oid = 0
    if not hasattr(obj, "_weft_site"):
        agent = core.A
        obj._weft_site = agent.user_site_key(1) if agent is not None else None
    if cond is not None and hasattr(cond, "_weft_oid"):
        cond._weft_parent = obj
        cond._weft_role = role
        lock = getattr(cond, "_lock", None)
        if lock is not None and hasattr(lock, "_weft_oid"):
            lock._weft_parent = obj
            lock._weft_role = "mutex"


def _wrap_init(cls: type, after: Callable[[Any], None]) -> None:
    orig = cls.__init__
    _orig[f"{cls.__module__}.{cls.__qualname__}.__init__"] = (cls, orig)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        orig(self, *args, **kwargs)
        try:
            after(self)
        except Exception as e:  # never break the program
            a = core.A
            if a is not None:
                a.warn(f"hook on {cls.__name__} failed: {e!r}")

    __init__.__wrapped__ = orig  # type: ignore[attr-defined]
    cls.__init__ = __init__  # type: ignore[misc]


def _queue_kind(q: Any) -> str:
    if isinstance(q, _queue_mod.PriorityQueue):
        return "priority_queue"
    if isinstance(q, _queue_mod.LifoQueue):
        return "lifo_queue"
    return "queue"


def _after_queue(q: Any) -> None:
    kind = _queue_kind(q)
    _adopt(q, kind, q.not_empty, "not_empty")
    for cond, role in ((q.not_full, "not_full"), (q.all_tasks_done, "all_tasks_done")):
        if hasattr(cond, "_weft_oid"):
            cond._weft_parent = q
            cond._weft_role = role
    if hasattr(q.mutex, "_weft_oid"):
        q.mutex._weft_parent = q
        q.mutex._weft_role = "mutex"


class SimpleQueue(_queue_mod.SimpleQueue):  # type: ignore[misc]
    """`queue.SimpleQueue` recording blocking gets; the fast path is one C call."""

    _weft_kind = "simple_queue"
    _weft_oid = 0

    def __init__(self) -> None:
        super().__init__()
        agent = core.A
        self._weft_site = agent.user_site_key(1) if agent is not None else None
        self._weft_putter = 0

    def put(self, item: Any, block: bool = True, timeout: Optional[float] = None) -> None:
        self._weft_putter = get_ident()
        super().put(item, block, timeout)

    def put_nowait(self, item: Any) -> None:
        self.put(item, False)

    def get(self, block: bool = True, timeout: Optional[float] = None) -> Any:
        if not block:
            return super().get(False)
        try:
            return super().get(False)
        except _queue_mod.Empty:
            pass
        agent = core.A
        me = get_ident()
        if agent is None or agent.closed or me in agent.open_waits:
            return super().get(True, timeout)
        site = agent.user_site(2)
        t0 = now()
        _begin(agent, me, t0, self, "queue_get", site, 0, None)
        ok = False
        try:
            item = super().get(True, timeout)
            ok = True
            return item
        finally:
            agent.open_waits.pop(me, None)
            t1 = now()
            _record(agent, t0, t1, me, self, "queue_get", site, 0, None,
                    self._weft_putter if ok else 0, 0 if ok else TIMED_OUT)

    def get_nowait(self) -> Any:
        return super().get(False)


# ---------------------------------------------------------------------------------------
# Threads, join, sleep
# ---------------------------------------------------------------------------------------
class _ThreadObj:
    """Stand-in object for the `thread` kind (what a join waits on)."""

    _weft_kind = "thread"
    _weft_oid = 0

    def __init__(self, name: str, site: Optional[Tuple[Any, int]]) -> None:
        self._weft_name = name
        self._weft_site = site


class _Clock:
    """The one object `sleep` waits on in a process."""

    _weft_kind = "timer"
    _weft_oid = 0
    _weft_name = "time.sleep"
    _weft_site = None


_CLOCK = _Clock()


def _patched_start(self: threading.Thread) -> None:
    agent = core.A
    if agent is not None and not agent.closed:
        try:
            parent = agent.tid()
            key = agent.user_site_key(2)
            site = agent.site(key[0], key[1]) if key is not None else None
            self._weft_obj = _ThreadObj(self.name, key)  # type: ignore[attr-defined]
            self._started._cond._weft_internal = True  # type: ignore[attr-defined]
            run = self.run

            def run_traced() -> None:
                a = core.A
                if a is not None:
                    a.register_thread(get_ident(), parent, site)
                try:
                    run()
                finally:
                    a = core.A
                    if a is not None:
                        t = a.tids.get(get_ident())
                        if t is not None:
                            a.emit(["E", now(), t])
                            a.sample_cpu_of(get_ident(), t)

            self.run = run_traced  # type: ignore[method-assign]
        except Exception as e:
            agent.warn(f"thread start hook failed: {e!r}")
    _orig["Thread.start"](self)


def _patched_join(self: threading.Thread, timeout: Optional[float] = None) -> None:
    agent = core.A
    if (agent is None or agent.closed or not self.is_alive() or self is threading.current_thread()
            or (timeout is not None and timeout <= 0)):
        return _orig["Thread.join"](self, timeout)
    me = get_ident()
    if me in agent.open_waits:
        return _orig["Thread.join"](self, timeout)
    obj = getattr(self, "_weft_obj", None)
    if obj is None:
        obj = self._weft_obj = _ThreadObj(self.name, None)  # type: ignore[attr-defined]
    site = agent.user_site(2)
    target = self.ident or 0
    t0 = now()
    _begin(agent, me, t0, obj, "join", site, target, None)
    try:
        _orig["Thread.join"](self, timeout)
    finally:
        agent.open_waits.pop(me, None)
    t1 = now()
    done = not self.is_alive()
    _record(agent, t0, t1, me, obj, "join", site, target, None, target if done else 0,
            0 if done else TIMED_OUT)


def _name_setter(self: threading.Thread, name: str) -> None:
    _orig["Thread.name"].fset(self, name)
    agent = core.A
    if agent is not None and self.ident is not None:
        t = agent.tids.get(self.ident)
        if t is not None:
            agent.emit(["N", now(), t, str(name)])


def _patched_sleep(secs: float) -> None:
    agent = core.A
    me = get_ident()
    if agent is None or agent.closed or secs <= 0 or me in agent.open_waits:
        return _orig["sleep"](secs)
    site = agent.user_site(2)
    t0 = now()
    _begin(agent, me, t0, _CLOCK, "sleep", site, 0, None)
    try:
        _orig["sleep"](secs)
    finally:
        agent.open_waits.pop(me, None)
        _record(agent, t0, now(), me, _CLOCK, "sleep", site, 0, None, 0, 0)


# ---------------------------------------------------------------------------------------
# install / uninstall
# ---------------------------------------------------------------------------------------
def install() -> None:
    """Patches everything, keeping the originals so uninstall() restores them exactly."""
    _orig["threading.Lock"] = threading.Lock
    _orig["threading.RLock"] = threading.RLock
    _orig["threading.Condition"] = threading.Condition
    _orig["queue.SimpleQueue"] = _queue_mod.SimpleQueue
    _orig["Thread.start"] = threading.Thread.start
    _orig["Thread.join"] = threading.Thread.join
    _orig["Thread.name"] = threading.Thread.name
    _orig["sleep"] = time.sleep

    threading.Lock = Lock  # type: ignore[misc, assignment]
    threading.RLock = RLock  # type: ignore[misc, assignment]
    threading.Condition = _make_condition(_orig["threading.Condition"])  # type: ignore[misc]
    _queue_mod.SimpleQueue = SimpleQueue  # type: ignore[misc]
    threading.Thread.start = _patched_start  # type: ignore[method-assign]
    threading.Thread.join = _patched_join  # type: ignore[method-assign]
    threading.Thread.name = property(_orig["Thread.name"].fget, _name_setter)  # type: ignore[assignment]
    time.sleep = _patched_sleep  # type: ignore[assignment]

    _wrap_init(threading.Semaphore, lambda s: _adopt(
        s, "bounded_semaphore" if isinstance(s, threading.BoundedSemaphore) else "semaphore",
        s._cond, "cond"))
    _wrap_init(threading.Event, lambda e: _adopt(e, "event", e._cond, "cond"))
    _wrap_init(threading.Barrier, lambda b: _adopt(b, "barrier", b._cond, "cond"))
    _wrap_init(_queue_mod.Queue, _after_queue)
    # concurrent.futures costs ~14 ms to import (it pulls in logging): hook it only when the
    # program imports it, or now if something already did.
    if "concurrent.futures._base" in sys.modules:
        _hook_futures(sys.modules["concurrent.futures._base"])
    else:
        sys.meta_path.insert(0, _PostImport("concurrent.futures._base", _hook_futures))


def _hook_futures(cf: Any) -> None:
    _wrap_init(cf.Future, lambda f: _adopt(f, "future", f._condition, "result"))


class _PostImport:
    """A meta-path finder that runs `then(module)` right after one module is first loaded."""

    def __init__(self, name: str, then: Callable[[Any], None]) -> None:
        self.name = name
        self.then = then

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)
        import importlib.util
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module
        then = self.then

        def exec_and_hook(module: Any) -> None:
            exec_module(module)
            try:
                then(module)
            except Exception as e:  # never break the import
                a = core.A
                if a is not None:
                    a.warn(f"hook on {fullname} failed: {e!r}")

        loader.exec_module = exec_and_hook  # type: ignore[method-assign]
        return spec


def uninstall() -> None:
    threading.Lock = _orig["threading.Lock"]
    threading.RLock = _orig["threading.RLock"]
    threading.Condition = _orig["threading.Condition"]
    _queue_mod.SimpleQueue = _orig["queue.SimpleQueue"]
    threading.Thread.start = _orig["Thread.start"]  # type: ignore[method-assign]
    threading.Thread.join = _orig["Thread.join"]  # type: ignore[method-assign]
    threading.Thread.name = _orig["Thread.name"]  # type: ignore[method-assign]
    time.sleep = _orig["sleep"]
    for finder in [f for f in sys.meta_path if isinstance(f, _PostImport)]:
        sys.meta_path.remove(finder)
    for key, val in list(_orig.items()):
        if key.endswith(".__init__"):
            cls, orig = val
            cls.__init__ = orig
