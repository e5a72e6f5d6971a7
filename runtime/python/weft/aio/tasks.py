"""asyncio tasks as lanes (`Y` kind "task"), their steps (`R`), what they await between steps
(`W`), how they end (`E` with outcome), loop blocks (`B`), loop lag (`V loop_lag:<lane>`: the
scheduling delay of every callback, a timer's since it fell due, a plain handle's since
`_call_soon` made it) and the loop's idle time (`W` reason "select" on its thread).

Two points of asyncio are rebuilt in place (weft.aio.rebuild: same file, lines and columns,
so tracebacks read as without the agent):

* `BaseEventLoop.create_task` returns `_weft_new_task(self, task)`: every task made through a
  loop (ensure_future, gather, TaskGroup, asyncio.run's main task, `loop.create_task`, a user
  task factory) gets its lane with its creation line, creator and coroutine. Tasks made
  otherwise (`asyncio.Task(coro)` called directly) get one at their first step.
* `Handle._run` reads the clock before the callback and calls `_weft_step(self, t0)` after it
  (before its last statement). A callback whose `__self__` is a task (C `TaskStepMethWrapper`,
  `task_wakeup`, 3.9's `TaskWakeupMethWrapper`, the pure-Python task's bound `__step` and
  `__wakeup`) is a step of that task. Not a custom task factory: programs set their own.

Per-task state is a list in `_states`, keyed by `id(task)` and dropped by a weak reference's
callback when the task is collected (a strong key would keep pending tasks alive and silence
"Task was destroyed but it is pending"); the final step drops it too. The await of a step is
classified when the step ends, while the coroutine chain (`cr_await`/`gi_yieldfrom`) is still
suspended where it awaits; its `W` is written when the next step begins. `task.exception()`
and `task.result()` are never called (they mark an exception retrieved): outcomes are read from
`cancelled()` and the `_exception` attribute.
"""
from __future__ import annotations

import os
import sys
import weakref
from _thread import get_ident
from types import CoroutineType, GeneratorType
from typing import Any, Dict, List, Optional

from .. import registry
from ..clock import now
from . import handoffs
from .handoffs import returns as _returns, threadsafe as _threadsafe
from ..primitives import CLOCK
from ..registry import is_user_file

_OPEN = 2
_HOLDER_CHANGED = 4
MAX_DELAYED = 100
_MAX_SCHEDULED_SCAN = 2000

# Index of the fields of a task's state list.
LANE, WAIT, REF, AGENT, NAME = 0, 1, 2, 3, 4

# id(task) -> [lane, pending wait tuple or None, weakref, agent, name at definition or None
# once checked]: asyncio.create_task names a task after loop.create_task made it, so the name
# is compared once, at the first step (an `N` record when it changed).
_states: Dict[int, list] = {}
_task_types: Dict[type, bool] = {}
_user_code: Dict[int, tuple] = {}  # id(code) -> (code, in the user's files)
# id(code) of an asyncio coroutine -> wait reason (the codes are kept alive in _indexed).
_code_reason: Dict[int, str] = {}
_indexed: list = []
# (id(code), line) -> (code, agent, site id); the code is kept so that its id stays its own.
_site_ids: Dict[tuple, tuple] = {}
_things: Dict[int, "Thing"] = {}  # id(obj) -> its stand-in object of the trace
_lagging: Dict[int, tuple] = {}  # id(loop) -> (last lag written in ns, its ts) until back to 0
# id(handle) -> when the rebuilt `BaseEventLoop._call_soon` made it (perf_counter ns), popped
# when it runs: a plain Handle's scheduling delay. A cancelled handle never runs and leaves its
# entry: `_prune_enqueued` bounds the dict (ids of freed handles may be reused: the entry is
# overwritten at the next enqueue).
_enqueued: Dict[int, int] = {}
_ENQUEUED_MAX = 100_000
_ENQUEUED_STALE_NS = 10_000_000_000
_chain_codes: set = set()  # code of futures._chain_future's callback: run_in_executor futures
block_ns = 50_000_000

_Task: Any = None
_BaseEventLoop: Any = None
_TimerHandle: Any = None
_GatheringFuture: Any = None
_current_task: Any = None


class Thing:
    """Stands for an object of the trace that cannot carry the agent's attributes (a C future,
    a socket) or that is not asyncio's to mark (a task): kept per id, dropped with the object."""

    __slots__ = ("_weft_kind", "_weft_oid", "_weft_name", "_weft_site", "_weft_parent",
                 "_weft_role", "_weft_gen", "ref", "__weakref__")

    def __init__(self, kind: str, name: str) -> None:
        self._weft_kind = kind
        self._weft_oid = 0
        self._weft_name = name
        self._weft_site = None
        self._weft_parent = None
        self._weft_role = None
        self._weft_gen = None
        self.ref: Any = None


def thing(obj: Any, kind: str, name: str) -> Thing:
    k = id(obj)
    t = _things.get(k)
    if t is not None and t.ref is not None and t.ref() is obj:
        return t
    t = Thing(kind, name)
    try:
        t.ref = weakref.ref(obj, lambda r, k=k: _things.pop(k, None))
    except TypeError:
        return t  # not weakly referenceable: one object per wait
    _things[k] = t
    return t


def is_task(obj: Any) -> bool:
    r = _task_types.get(type(obj))
    if r is None:
        r = _task_types[type(obj)] = isinstance(obj, _Task)
    return r


# ---------------------------------------------------------------------------------------
# Lanes
# ---------------------------------------------------------------------------------------
def define(a: registry.Agent, task: Any, loop: Any, where: Any, created: bool) -> list:
    """The task's `Y` record and state. `created`: called from create_task in the creating
    code (the creator is the running task, else the thread)."""
    me = a.tid()
    creator = None
    if created:
        try:
            cur = _current_task(loop)
        except Exception:
            cur = None
        if cur is not None:
            cst = _states.get(id(cur))
            if cst is None or cst[AGENT] is not a:
                cst = define(a, cur, loop, None, False)
            creator = cst[LANE]
        else:
            creator = me
    coro = getattr(task, "_coro", None)
    qual = getattr(coro, "__qualname__", None)
    if not isinstance(qual, str):
        qual = None
    code = getattr(coro, "cr_code", None) or getattr(coro, "gi_code", None)
    # A task-like object from a custom task factory may lack get_name (CPython's own
    # test_asyncio has such): it is named by its type, and never renamed.
    get_name = getattr(task, "get_name", None)
    name = get_name() if get_name is not None else None
    if code is not None and _in_framework(code.co_filename) and isinstance(name, str) and not name.startswith("Task-"):
        # anyio runs every task through its own wrapper coroutine and names the task after
        # the user's function ("app.handler"): that name, not the wrapper, is what groups it.
        qual = name
        code = None
    csite = None
    if code is not None:
        v = _site_ids.get((id(code), -1))  # the `def` line's site, under line -1
        if v is None or v[0] is not code or v[1] is not a:
            v = _site_ids[(id(code), -1)] = (code, a, a.site((code, code.co_firstlineno)))
        csite = v[2]
    site = _site(a, where) if where is not None else None
    label = name if isinstance(name, str) else type(task).__name__ if name is None else str(name)
    lane = a.new_lane("task", me, label, site, creator, qual, csite)
    k = id(task)
    st = [lane, None, weakref.ref(task, lambda r, k=k: _drop(k, r)), a, name]
    _states[k] = st
    return st


def _drop(k: int, ref: Any) -> None:
    st = _states.get(k)
    if st is not None and st[REF] is ref:
        del _states[k]


# Task frameworks on asyncio, installed packages like any other but never the line that made a
# task: their spawn helpers (anyio's TaskGroup.start_soon) stand between it and the user's code.
_FRAMEWORK_PARTS = tuple(os.sep + name + os.sep for name in ("anyio", "sniffio"))


def _in_framework(filename: str) -> bool:
    return any(part in filename for part in _FRAMEWORK_PARTS)


def _user_where(f: Any) -> Any:
    """registry.user_where with the user-or-not answer cached per code object."""
    uc = _user_code
    while f is not None:
        code = f.f_code
        u = uc.get(id(code))
        if u is None or u[0] is not code:
            fn = code.co_filename
            u = uc[id(code)] = (code, is_user_file(fn) and not _in_framework(fn))
        if u[1]:
            return code, f.f_lineno
        f = f.f_back
    return None


def _site(a: registry.Agent, where: Any) -> int:
    """a.site(where), cached by the code's id: hashing a code object hashes its bytecode,
    names and constants every time (not cached by CPython), ~0.2 us a lookup."""
    code, line = where
    k = (id(code), line)
    v = _site_ids.get(k)
    if v is None or v[0] is not code or v[1] is not a:
        v = _site_ids[k] = (code, a, a.site(where))
    return v[2]  # type: ignore[no-any-return]


def new_task(loop: Any, task: Any) -> Any:
    """`BaseEventLoop.create_task` returns through this (see the module docstring)."""
    a = registry.current
    if a is None or a.closed:
        return task
    try:
        st = _states.get(id(task))
        if st is None or st[AGENT] is not a:
            st = define(a, task, loop, _user_where(sys._getframe(1)), True)
            if task.done():  # an eager task (3.12+) that finished inside the factory
                final(a, task, st, now())
    except Exception as e:
        a.fail("asyncio task", e)
    return task


def lane_of_current(a: registry.Agent) -> int:
    """The running task's lane, else the thread's (who released, set, notified, put)."""
    try:
        t = _current_task()
    except RuntimeError:  # no running loop in this thread
        t = None
    if t is not None:
        st = _states.get(id(t))
        if st is None or st[AGENT] is not a:
            loop = t.get_loop()
            if not isinstance(loop, _BaseEventLoop):
                return a.tid()  # uvloop: its steps are not seen, so its tasks are no lanes
            st = define(a, t, loop, None, False)
        return st[LANE]  # type: ignore[no-any-return]
    return a.tid()


# ---------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------
def step(handle: Any, t0: int) -> None:
    """Called by the rebuilt `Handle._run` after the callback ran (the hot path: a handful of
    attribute reads and one record for a task step whose await is already classified)."""
    t1 = now()
    a = registry.current
    if a is None or a.closed:
        return
    try:
        if type(handle) is _TimerHandle:
            # loop.time() is time.monotonic(): the same clock as now() on Linux, another unit.
            lag = int((handle._loop.time() - handle._when) * 1e9) - (t1 - t0)
        else:
            e = _enqueued.pop(id(handle), None)
            lag = t0 - e if e is not None else 0
            if len(_enqueued) > _ENQUEUED_MAX:
                _prune_enqueued(t1)
        if lag >= 1_000_000:
            # A burst of callbacks (thousands at once) lags alike or grows slowly: a value is
            # written when it moved by 1 ms or more since the last one, or 10 ms after it.
            last = _lagging.get(id(handle._loop))
            if last is None or lag - last[0] >= 1_000_000 or last[0] - lag >= 1_000_000 \
                    or t0 - last[1] >= 10_000_000:
                _lag(a, handle._loop, lag, t0)
        elif _lagging and id(handle._loop) in _lagging:
            _lag(a, handle._loop, 0, t0)
        if _threadsafe:
            handoffs.ran_threadsafe(a, handle, t0)
        task = getattr(handle._callback, "__self__", None)
        st = _states.get(id(task)) if task is not None else None
        if st is None or st[AGENT] is not a:
            if task is None or not (_task_types.get(type(task)) or is_task(task)):
                if t1 - t0 >= block_ns:
                    _block(a, handle, t0, t1, None)
                return
            st = define(a, task, handle._loop, None, False)
        lane = st[LANE]
        if st[NAME] is not None:
            _check_name(a, task, st, t0)
        w = st[WAIT]
        if w is not None:
            st[WAIT] = None
            if w[7] is None:  # no object to find the waker on: the record as classified
                a.emit(("W", w[0], t0, lane, w[1], w[2], w[3], w[4], w[5], w[6], 0))
            else:
                _end_wait(a, lane, w, t0)
        if _returns:
            handoffs.returned(a, lane, t0)
        a.emit(("R", t0, t1, lane))
        if t1 - t0 >= block_ns:
            _block(a, handle, t0, t1, lane)
        if task.done():
            final(a, task, st, t1)
        elif task._fut_waiter is not None:
            st[WAIT] = classify(a, task, t1)
    except Exception as e:
        a.fail("asyncio step", e)


def _check_name(a: registry.Agent, task: Any, st: list, ts: int) -> None:
    name = task.get_name()
    if name != st[NAME] and isinstance(name, str):
        a.emit(("N", ts, st[LANE], name))
    st[NAME] = None


def final(a: registry.Agent, task: Any, st: list, ts: int) -> None:
    _states.pop(id(task), None)
    if _returns:  # a result that came back after the task stopped awaiting it: no `f`
        handoffs.forget(st[LANE])
    if st[NAME] is not None:
        _check_name(a, task, st, ts)
    detail = None
    if task.cancelled():
        outcome = "cancelled"
    else:
        exc = task._exception  # never task.exception(): that marks it retrieved
        if exc is None:
            outcome = "result"
        else:
            outcome = "exception"
            try:
                text = str(exc)
            except Exception:
                text = ""
            detail = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
            if len(detail) > 300:
                detail = detail[:299] + "…"
    a.emit(("E", ts, st[LANE], outcome, detail))


def _end_wait(a: registry.Agent, lane: int, w: tuple, t_end: int) -> None:
    t0, oid, reason, site, holder, hsite, waker, wobj, wattr = w
    flags = 0
    if waker is None and wobj is not None:
        for lane_ts in reversed(getattr(wobj, "__dict__", {}).get(wattr) or ()):
            if lane_ts[1] <= t_end:
                waker = lane_ts[0]
                break
        if reason == "lock" and holder is not None and waker is not None and waker != holder:
            flags = _HOLDER_CHANGED
    a.emit(("W", t0, t_end, lane, oid, reason, site, holder, hsite, waker, flags))


def classify(a: registry.Agent, task: Any, t1: int) -> Optional[tuple]:
    """What a task that just yielded waits for, as the tuple `_end_wait` completes."""
    fw = task._fut_waiter
    c = task._coro
    user = None
    prim = None
    n = 0
    while n < 64:
        # Frames are read only where needed (the user's line, a primitive's `self`): reading
        # `cr_frame` makes a frame object (3.11+) that lives as long as the coroutine and
        # changes the order in which the collector finalizes a destroyed pending task.
        tc = type(c)
        if tc is CoroutineType:
            code = c.cr_code
            nxt = c.cr_await
        elif tc is GeneratorType:
            code = c.gi_code
            nxt = c.gi_yieldfrom
        else:
            break
        u = _user_code.get(id(code))
        if u is None or u[0] is not code:
            u = _user_code[id(code)] = (code, is_user_file(code.co_filename))
        r = _code_reason.get(id(code)) if prim is None else None
        if r is not None:
            # A known await (asyncio's, or an installed library's such as aiohttp's streams,
            # which count as the user's code otherwise): what lies below it is its internals.
            prim = (r, c)
        elif u[1] and prim is None:
            frame = c.cr_frame if tc is CoroutineType else c.gi_frame
            if frame is not None:
                user = code
                uline = frame.f_lineno
        if nxt is None:
            break
        c = nxt
        n += 1
    site = None
    if user is not None:  # _site, inline
        v = _site_ids.get((id(user), uline))
        if v is None or v[0] is not user or v[1] is not a:
            v = _site_ids[(id(user), uline)] = (user, a, a.site((user, uline)))
        site = v[2]
    holder = hsite = waker = wobj = None
    wattr = "_weft_waker"
    child = _task_types.get(type(fw))
    if child is None:
        child = is_task(fw)
    if child:
        cst = _states.get(id(fw))
        waker = holder = cst[LANE] if cst is not None and cst[AGENT] is a else None
    if prim is not None:
        reason, pc = prim
        frame = None if reason == "sleep" else (pc.cr_frame if type(pc) is CoroutineType else pc.gi_frame)
        obj: Any = None
        if reason == "sleep":
            obj = CLOCK
        elif reason in _PRIMITIVE_REASONS:
            obj = frame.f_locals.get("self") if frame is not None else None
            if obj is not None and getattr(obj, "_weft_kind", None) is not None:
                wobj = obj
                if reason == "lock":
                    h = obj.__dict__.get("_weft_holder")
                    if h is not None:
                        holder, where = h
                        hsite = a.site(where) if where is not None else None
                elif reason == "barrier":
                    wobj = getattr(obj, "_cond", obj)
                elif reason in _QUEUE_WAKER:
                    wattr = _QUEUE_WAKER[reason]
            else:
                obj = None
        elif reason == "socket":
            sock = frame.f_locals.get("sock") if frame is not None else None
            if sock is not None:
                try:
                    name = f"socket fd {sock.fileno()}"
                except Exception:
                    name = "socket"
                obj = thing(sock, "socket", name)
        elif reason in ("stream_read", "stream_write"):
            s = frame.f_locals.get("self") if frame is not None else None
            if s is not None:
                obj = thing(s, "stream", type(s).__name__)
        elif reason == "subprocess":
            p = frame.f_locals.get("self") if frame is not None else None
            if p is not None:
                obj = thing(p, "subprocess", f"pid {getattr(p, 'pid', '?')}")
        elif reason == "gather":
            g = frame.f_locals.get("self") if frame is not None else None
            if g is not None:
                obj = thing(g, "task", type(g).__name__)
        if obj is None:
            obj = _future_thing(fw, child, reason)
        oid = obj._weft_oid if getattr(obj, "_weft_gen", None) is a else a.oid(obj)
        return (t1, oid, reason, site, holder, hsite, waker, wobj, wattr)
    if child:
        return (t1, a.oid(_future_thing(fw, True, "task")), "task", site, holder, None, waker, None, wattr)
    if type(fw) is _GatheringFuture:
        reason = "gather"
    elif _from_executor(fw):
        reason = "executor"
    else:
        reason = "future"
    return (t1, a.oid(_future_thing(fw, False, reason)), reason, site, None, None, None, None, wattr)


_PRIMITIVE_REASONS = frozenset(("lock", "semaphore", "event", "condition", "barrier",
                                "queue_get", "queue_put", "queue_join"))
_QUEUE_WAKER = {"queue_get": "_weft_waker_get", "queue_put": "_weft_waker_put",
                "queue_join": "_weft_waker_join"}
_FUTURE_NAMES = {"gather": "gather", "executor": "run_in_executor", "wait": "asyncio.wait"}


def _future_thing(fw: Any, child: bool, reason: str) -> Thing:
    if child:
        try:
            name = fw.get_name()
        except Exception:
            name = "task"
        return thing(fw, "task", name)
    return thing(fw, "task" if reason == "gather" else "future", _FUTURE_NAMES.get(reason, type(fw).__name__))


def _from_executor(fut: Any) -> bool:
    """A future of run_in_executor/to_thread/wrap_future: futures._chain_future put its
    `_call_check_cancel` among the asyncio future's callbacks."""
    try:
        for cb in fut._callbacks or ():
            f = cb[0] if type(cb) is tuple else cb
            if getattr(f, "__code__", None) in _chain_codes:
                return True
    except Exception:
        pass
    return False


# ---------------------------------------------------------------------------------------
# Loop lag and loop blocks
# ---------------------------------------------------------------------------------------
def _lag(a: registry.Agent, loop: Any, lag_ns: int, t0: int) -> None:
    """Writes the scheduling delay of a callback that starts at t0 (a timer: since it fell
    due; a plain handle: since call_soon made it) as `V loop_lag:<thread lane>` in ms, or the
    0 once it fell under 1 ms (the step decides when: see the throttling there)."""
    if lag_ns >= 1_000_000:
        _lagging[id(loop)] = (lag_ns, t0)
        a.emit(("V", t0, f"loop_lag:{a.tid()}", round(lag_ns * 1e-6, 3)))
    else:
        _lagging.pop(id(loop), None)
        a.emit(("V", t0, f"loop_lag:{a.tid()}", 0))


# ---------------------------------------------------------------------------------------
# The loop's idle time: its selector's select
# ---------------------------------------------------------------------------------------
SELECT_MIN_NS = 50_000
_selectors: Dict[int, tuple] = {}  # id(loop) -> (weakref to it, agent, object id, site)


def selecting(loop: Any, timeout: Any) -> Any:
    """Before the rebuilt `BaseEventLoop._run_once` calls `self._selector.select(timeout)`
    with a timeout that may block: the loop's thread waits (`open_waits`, so the sampler
    sees it WAITING). Returns what `selected` needs, or 0."""
    a = registry.current
    if a is None or a.closed:
        return 0
    try:
        me = get_ident()
        if me in a.open_waits:
            return 0
        k = id(loop)
        info = _selectors.get(k)
        if info is None or info[1] is not a or info[0]() is not loop:
            obj = thing(loop, "socket", "event loop selector")
            # The user's line that runs the loop (asyncio.run, run_until_complete), once a loop.
            where = _user_where(sys._getframe(2))
            info = (weakref.ref(loop, lambda r, k=k: _selectors.pop(k, None)), a, a.oid(obj),
                    _site(a, where) if where is not None else None, obj)
            _selectors[k] = info
        t0 = now()
        a.open_waits[me] = (t0, info[4], "select", info[3], None, None)
        return (t0, me, info)
    except Exception as e:
        a.fail("asyncio select", e)
        return 0


def selected(loop: Any, s: tuple) -> None:
    """After that select: its `W` (reason select) when it lasted SELECT_MIN_NS or more."""
    t1 = now()
    a = registry.current
    t0, me, info = s
    if a is None:
        return
    a.open_waits.pop(me, None)
    if t1 - t0 >= SELECT_MIN_NS and info[1] is a and not a.closed:
        a.emit(("W", t0, t1, a.tid(me), info[2], "select", info[3], None, None, None, 0))


def _prune_enqueued(ts: int) -> None:
    """Drops the enqueue times of handles that never ran (cancelled): those older than 10 s,
    all of them if that is not enough."""
    cut = ts - _ENQUEUED_STALE_NS
    for k, t in list(_enqueued.items()):
        if t < cut:
            _enqueued.pop(k, None)
    if len(_enqueued) > _ENQUEUED_MAX // 2:
        _enqueued.clear()


def _task_lane_of(cb: Any, a: registry.Agent) -> Optional[int]:
    s = getattr(cb, "__self__", None)
    if s is None:
        return None
    st = _states.get(id(s))
    return st[LANE] if st is not None and st[AGENT] is a else None


def _block(a: registry.Agent, handle: Any, t0: int, t1: int, lane: Optional[int]) -> None:
    loop = handle._loop
    delayed: List[int] = []
    seen = set()

    def add(x: Optional[int]) -> None:
        if x is not None and x not in seen and x != lane:
            seen.add(x)
            delayed.append(x)

    for h in list(getattr(loop, "_ready", ()))[:1000]:
        if len(delayed) >= MAX_DELAYED:
            break
        add(_task_lane_of(getattr(h, "_callback", None), a))
    try:
        due = loop.time()
    except Exception:
        due = None
    if due is not None:
        for th in list(getattr(loop, "_scheduled", ()))[:_MAX_SCHEDULED_SCAN]:
            if len(delayed) >= MAX_DELAYED:
                break
            if getattr(th, "_cancelled", False) or th._when > due:
                continue
            add(_task_lane_of(th._callback, a))
            for arg in th._args or ():
                cbs = getattr(arg, "_callbacks", None)
                if cbs:
                    for cb in cbs:
                        add(_task_lane_of(cb[0] if type(cb) is tuple else cb, a))
    a.emit(("B", t0, t1, a.tid(), lane, delayed[:MAX_DELAYED]))


# ---------------------------------------------------------------------------------------
# Exit
# ---------------------------------------------------------------------------------------
def finish(a: registry.Agent, ts: int) -> None:
    """Awaits still pending when the process ends: `W` records with the OPEN flag."""
    for st in list(_states.values()):
        w = st[WAIT]
        if st[AGENT] is a and w is not None:
            st[WAIT] = None
            t0, oid, reason, site, holder, hsite, waker, _, _ = w
            a.emit(("W", t0, ts, st[LANE], oid, reason, site, holder, hsite, waker, _OPEN))


def _codes_of(module: Any) -> Dict[str, list]:
    """Code objects of a module's functions and methods (and their nested functions), by
    qualified name."""
    out: Dict[str, list] = {}

    def add(qual: str, code: Any) -> None:
        out.setdefault(qual, []).append(code)
        for c in code.co_consts:
            if hasattr(c, "co_code"):
                add(f"{qual}.<locals>.{c.co_name}", c)

    def fn(qual: str, f: Any) -> None:
        f = getattr(f, "__func__", f)
        code = getattr(f, "__code__", None)
        if code is not None:
            add(qual, code)

    for name, obj in vars(module).items():
        if isinstance(obj, type) and obj.__module__ == module.__name__:
            for mname, m in vars(obj).items():
                fn(f"{obj.__qualname__}.{mname}", m)
        elif getattr(obj, "__module__", None) == module.__name__:
            fn(getattr(obj, "__qualname__", name), obj)
    return out


# What an await on asyncio's own coroutines is, by module and qualified name.
_REASONS = {
    "asyncio.tasks": {"sleep": "sleep", "wait": "wait", "_wait": "wait", "wait_for": "wait",
                      "as_completed.<locals>._wait_for_one": "wait",
                      "_AsCompletedIterator._wait_for_one": "wait"},
    "asyncio.taskgroups": {"TaskGroup.__aexit__": "gather", "TaskGroup._aexit": "gather"},
    "asyncio.locks": {"Lock.acquire": "lock", "Semaphore.acquire": "semaphore",
                      "Event.wait": "event", "Condition.wait": "condition",
                      "Condition.wait_for": "condition", "Barrier.wait": "barrier"},
    "asyncio.queues": {"Queue.get": "queue_get", "Queue.put": "queue_put", "Queue.join": "queue_join"},
    "asyncio.streams": {"StreamReader._wait_for_data": "stream_read", "StreamWriter.drain": "stream_write",
                        "FlowControlMixin._drain_helper": "stream_write"},
    "asyncio.subprocess": {"Process.wait": "subprocess", "Process.communicate": "subprocess"},
    "asyncio.base_subprocess": {"BaseSubprocessTransport._wait": "subprocess"},
    "asyncio.threads": {"to_thread": "executor"},
    "asyncio.base_events": {"BaseEventLoop.getaddrinfo": "executor", "BaseEventLoop.getnameinfo": "executor"},
    # aiohttp reads and writes through its own stream classes (indexed when it is imported,
    # session.HOOKS "aiohttp awaits"): without them its reads were "future".
    "aiohttp.streams": {"StreamReader._wait": "stream_read", "DataQueue.read": "stream_read"},
    "aiohttp.http_writer": {"StreamWriter.drain": "stream_write"},
    "aiohttp.base_protocol": {"BaseProtocol._drain_helper": "stream_write"},
}


def index_library(p: Any, *modules: Any) -> None:
    """A HOOKS row's install for a library with awaits of its own (aiohttp): indexes again,
    now that its modules are loaded. Changes nothing in the interpreter."""
    if _code_reason:  # the asyncio row has run (it always has: aiohttp imports asyncio)
        index_codes()


def index_codes() -> None:
    """Fills `_code_reason` from the live modules (after the rebuilt methods are in place:
    a rebuilt coroutine has a new code object)."""
    _code_reason.clear()
    del _indexed[:]
    for modname, table in _REASONS.items():
        mod = sys.modules.get(modname)
        if mod is None:
            continue
        codes = _codes_of(mod)
        for qual, reason in table.items():
            for code in codes.get(qual, ()):
                _code_reason[id(code)] = reason
                _indexed.append(code)
    for modname in ("asyncio.base_events", "asyncio.selector_events", "asyncio.proactor_events"):
        mod = sys.modules.get(modname)
        if mod is None:
            continue
        for qual, codes in _codes_of(mod).items():
            if qual.rsplit(".", 1)[-1].startswith("sock_") and "<locals>" not in qual:
                for code in codes:
                    if code.co_flags & 0x80:  # CO_COROUTINE
                        _code_reason[id(code)] = "socket"
                        _indexed.append(code)
    fut = sys.modules.get("asyncio.futures")
    if fut is not None:
        for qual, codes in _codes_of(fut).items():
            if qual.endswith("_chain_future.<locals>._call_check_cancel"):
                _chain_codes.update(codes)
            elif qual.endswith("_chain_future.<locals>._set_state"):
                handoffs._skip_codes.update(codes)
