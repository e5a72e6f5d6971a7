"""Hand-offs between the loop and other threads, as `L` flows of kind "future".

* `loop.run_in_executor(executor, fn, ...)` with a `ThreadPoolExecutor` (and `asyncio.to_thread`,
  which goes through it): the flow `future:<pid>:<n>` from the calling task's lane (`s`, when
  the work item is made in `executor.submit`) to the worker thread (`f`, when the worker starts
  the item), and back `future:<pid>:<n>:r` from the worker (`s`, when `fn` returned or raised:
  the concurrent future's `set_result`/`set_exception`, before its callbacks wake the loop) to
  the task (`f`, at its first step after that: where its await ended). Only when the caller is
  a task: a thread that submits gets the forward flow only.
* `loop.call_soon_threadsafe(cb)` from a thread other than the loop's: `future:<pid>:<n>` from
  that thread (`s`) to the loop's thread (`f`, when the callback starts). Not for the callback
  through which `futures.wrap_future` hands a finished concurrent future back (the return flow
  above says it for thread pools; process pools have their own `result` flows).

Nothing wraps `fn` or the callback (a wrapper would be a frame of every traceback that `fn`
raises): the points are rebuilt with statements added (weft.aio.rebuild), `run_in_executor`
after its `_check_closed()`, `_WorkItem.__init__` and `_WorkItem.run` with a prologue,
`Future.set_result`/`set_exception` (concurrent.futures) with a prologue, `call_soon_threadsafe`
after its `_call_soon`. Each prologue is one truth test of a dict while nothing is in flight.
"""
from __future__ import annotations

import itertools
import os
import threading
from _thread import get_ident
from typing import Any, Dict, List

from .. import registry
from ..clock import now

# thread ident -> (fn, lane, loop) between run_in_executor and the work item it makes
submitting: Dict[int, tuple] = {}
# id(concurrent future) -> [key, task lane or None, agent, the future]; the future is kept
# (its id must stay its own) until it is set.
work: Dict[int, list] = {}
# task lane -> return keys whose `s` is written, `f` at the lane's next step (under _lock)
returns: Dict[int, List[str]] = {}
# id(handle) -> key of a call_soon_threadsafe from another thread, `f` when it runs
threadsafe: Dict[int, str] = {}
_MAX_THREADSAFE = 10_000
_MAX_WORK = 100_000
_lock = threading.Lock()
_ids = itertools.count(1)
_skip_codes: set = set()  # futures._chain_future's _set_state

_ThreadPoolExecutor: Any = None


def _key() -> str:
    return f"future:{os.getpid()}:{next(_ids)}"


def submitting_fn(loop: Any, fn: Any) -> None:
    """In `run_in_executor`, after `_check_closed()`: the next work item this thread makes
    for `fn` is this call's."""
    a = registry.current
    if a is None or a.closed:
        return
    try:
        from .tasks import lane_of_current
        submitting[get_ident()] = (fn, lane_of_current(a), a)
    except Exception as e:
        a.fail("asyncio run_in_executor", e)


def work_item(future: Any, fn: Any) -> None:
    """Prologue of `_WorkItem.__init__` (in the submitting thread, inside `submit`)."""
    m = submitting.pop(get_ident(), None)
    if m is None or m[0] is not fn:
        return
    a = m[2]
    if a is not registry.current or a.closed:
        return
    key = _key()
    lane = m[1]
    a.emit(("L", now(), lane, key, "s", "future", None, None))
    if len(work) > _MAX_WORK:  # futures cancelled before they ran are never set
        work.clear()
    work[id(future)] = [key, lane if lane != a.tid() else None, a, future]


def work_run(item: Any) -> None:
    """Prologue of `_WorkItem.run` (in the worker thread): the forward flow's end."""
    w = work.get(id(item.future))
    if w is None or w[3] is not item.future or item.future.cancelled():
        return
    a = w[2]
    if a is registry.current and not a.closed:
        a.emit(("L", now(), a.tid(), w[0], "f", "future", None, None))


def work_done(future: Any) -> None:
    """Prologue of concurrent `Future.set_result`/`set_exception`: the return flow starts."""
    w = work.get(id(future))
    if w is None or w[3] is not future:
        return
    del work[id(future)]
    a = w[2]
    if w[1] is None or a is not registry.current or a.closed:
        return
    key = w[0] + ":r"
    a.emit(("L", now(), a.tid(), key, "s", "future", None, None))
    with _lock:
        returns.setdefault(w[1], []).append(key)


def returned(a: registry.Agent, lane: int, ts: int) -> None:
    """At a task step's begin (only while some return is pending): the return flows' ends."""
    with _lock:
        keys = returns.pop(lane, None)
    if keys:
        for key in keys:
            a.emit(("L", ts, lane, key, "f", "future", None, None))


def forget(lane: int) -> None:
    """The task ended: return flows still pending for it stay without their `f` end."""
    with _lock:
        returns.pop(lane, None)


def called_threadsafe(loop: Any, handle: Any) -> None:
    """In `call_soon_threadsafe`, after it made the handle."""
    a = registry.current
    if a is None or a.closed:
        return
    try:
        if getattr(loop, "_thread_id", None) == get_ident():
            return
        code = getattr(handle._callback, "__code__", None)
        if code is not None and code in _skip_codes:
            return
        key = _key()
        if len(threadsafe) > _MAX_THREADSAFE:  # cancelled handles never run
            threadsafe.clear()
        threadsafe[id(handle)] = key
        a.emit(("L", now(), a.tid(), key, "s", "future", None, None))
    except Exception as e:
        a.fail("asyncio call_soon_threadsafe", e)


def ran_threadsafe(a: registry.Agent, handle: Any, ts: int) -> None:
    key = threadsafe.pop(id(handle), None)
    if key is not None:
        a.emit(("L", ts, a.tid(), key, "f", "future", None, None))
