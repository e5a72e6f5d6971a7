"""Work items: `Pool` tasks (one `apply_async`, or one chunk of `map`/`imap`/`starmap`) and
`ProcessPoolExecutor` calls.

Each is a `work` flow from the submitting thread (at submit time) to the worker thread that
takes it (key `work:<submitterPid>:<job>:<i>`, `e<executor>:<work id>` for an executor), an `X`
span of kind `work` while the function runs, and a `result` flow back to the
thread that receives the result. The keys travel inside the pickled task and result
(`weft.mp.Sent`); a task is unpickled through `_task_received`, which also remembers, per
worker thread, which task runs, so that the worker's next put of that task's result closes
the span (channels.outgoing calls `finish`).
"""
from __future__ import annotations

import itertools
import os
import weakref
from types import ModuleType
from typing import Any, Callable, Optional, Tuple

from .. import registry
from ..clock import now
from ..hooks import Patches
from ..contract import WORK
from . import Sent, agent, arrived, pid, queue_channel, tls


class TaskSent(Sent):
    """A submitted work item: unpickles as itself, noting which task the worker runs."""

    __slots__ = ()

    def __reduce__(self) -> Tuple[Callable[..., Any], Tuple[Any, ...]]:
        return _task_received, (self.key, self.obj)


def _task_received(key: str, obj: Any) -> Any:
    """Called by `pickle.loads` in the worker: the task's arrival, and the start of its run."""
    a = agent()
    if a is not None:
        try:
            ts = arrived(a, key, WORK)
            # The worker runs it next: remember when it started, for the span and the result.
            tls.task = (key, ts, _task_ident(obj), _task_func(obj))
        except Exception as e:
            a.fail("message arrival", e)
    return obj


# ---------------------------------------------------------------------------------------
# What multiprocessing puts on its queues
# ---------------------------------------------------------------------------------------
def _work_ident(obj: Any, pool_len: int, exec_type: str) -> Any:
    """What ties a worker's task to its result: `(job, i)` of a Pool task tuple (5 items) or
    result tuple (3 items), or the `work_id` of an executor's `_CallItem` / `_ResultItem`."""
    if type(obj) is tuple and len(obj) == pool_len and type(obj[0]) is int:
        return ("pool", obj[0], obj[1])
    work_id = getattr(obj, "work_id", None)
    if work_id is not None and type(obj).__name__ == exec_type:
        return ("exec", work_id)
    return None


def _task_ident(obj: Any) -> Any:
    return _work_ident(obj, 5, "_CallItem")


def _result_of(obj: Any) -> Any:
    return _work_ident(obj, 3, "_ResultItem")


def _unwrap(func: Any) -> Any:
    for _ in range(4):
        inner = getattr(func, "func", None)  # functools.partial
        if inner is None:
            break
        if getattr(inner, "__name__", "") == "_process_chunk" and getattr(func, "args", ()):
            func = func.args[0]
        else:
            func = inner
    return func


def _task_func(obj: Any) -> Any:
    """The user's function of a task, looking through Pool.map's and executor.map's helpers."""
    if type(obj) is tuple and len(obj) == 5:
        func, args = obj[2], obj[3]
        if getattr(func, "__name__", "") in ("mapstar", "starmapstar") and args:
            try:
                return args[0][0]
            except Exception:
                return func
        return func
    return _unwrap(getattr(obj, "fn", None))


# ---------------------------------------------------------------------------------------
# In the worker: the run and the result
# ---------------------------------------------------------------------------------------
def outgoing(a: registry.Agent, channel: Any, obj: Any, me: int) -> Optional[Any]:
    """What to put on `channel` instead of `obj` if it is a work item's result (in a worker)
    or an executor's call item (in the submitting process); None if it is neither."""
    task = getattr(tls, "task", None)
    if task is not None and _result_of(obj) == task[2]:
        tls.task = None
        return _finish(a, task, obj, me)
    if getattr(channel, "_weft_exec", None) is not None:
        return _exec_call_item(channel, obj)
    return None


def _finish(a: registry.Agent, task: Any, result: Any, me: int) -> Any:
    key, t0, _, func = task
    t1 = now()
    tid = a.tid(me)
    label = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or type(func).__name__
    code = getattr(func, "__code__", None)
    site = a.site((code, code.co_firstlineno)) if code is not None else None
    a.emit(["X", t0, t1, tid, WORK, label, site, key])
    rkey = "result:" + key.split(":", 1)[1]  # the same rest: work:<pid>:<job>:<i> -> result:...
    a.emit(["L", t1, tid, rkey, "s", "result", None, None])
    # Written through now: a worker may be ended by SIGTERM (Pool.terminate) at any moment
    # after this result is sent, and its last flush interval would be lost with it.
    a.writer.flush()
    return Sent(rkey, "result", result)


# ---------------------------------------------------------------------------------------
# multiprocessing.pool
# ---------------------------------------------------------------------------------------
def install_pool(h: Patches, pool: ModuleType) -> None:
    def wrap_result_init(cls: Any) -> None:
        def make(init: Callable[..., None]) -> Callable[..., None]:
            def __init__(self: Any, pool_obj: Any, *args: Any, **kwargs: Any) -> None:
                init(self, pool_obj, *args, **kwargs)
                a = agent()
                if a is not None and getattr(pool_obj, "_weft_pool", False):
                    # Runs in the submitting thread, inside apply_async/map_async/imap.
                    self._weft_submit = (now(), a.tid())
                    taskqueue = getattr(pool_obj, "_taskqueue", None)
                    if taskqueue is not None and getattr(taskqueue, "_weft_parent", 0) is None:
                        # The pool's thread-side queue of submitted tasks: part of its task channel.
                        taskqueue._weft_parent = pool_obj._inqueue
                        taskqueue._weft_role = "submitted"
                    event = getattr(self, "_event", None)
                    if event is not None and hasattr(event, "_cond"):
                        # Waiting for a Pool result (AsyncResult.get, map) is waiting on a future.
                        from ..primitives import adopt

                        adopt(event, "future", event._cond, "result")

            return __init__

        h.wrap(cls, "__init__", make)

    wrap_result_init(pool.ApplyResult)
    wrap_result_init(pool.IMapIterator)

    def make_setup(setup: Callable[[Any], None]) -> Callable[[Any], None]:
        def _setup_queues(self: Any) -> None:
            setup(self)
            a = agent()
            if a is None or not hasattr(self._inqueue, "_writer"):
                return  # ThreadPool: tasks are not pickled
            try:
                _tag_pool(self)
            except Exception as e:  # the pool works untraced
                a.fail("pool setup", e)

        return _setup_queues

    h.wrap(pool.Pool, "_setup_queues", make_setup)


def _tag_pool(pool: Any) -> None:
    pool._weft_pool = True
    for q, name in ((pool._inqueue, "pool tasks"), (pool._outqueue, "pool results")):
        queue_channel(q)._weft_name = name
    send = pool._quick_put
    # Weak: the task handler thread holds this function, and a strong reference would keep an
    # unclosed pool alive (and silence its ResourceWarning).
    ref = weakref.ref(pool)
    submitter = os.getpid()

    def quick_put(task: Any) -> Any:
        a = agent()
        if a is not None and type(task) is tuple and len(task) == 5:
            try:
                job, i = task[0], task[1]
                p = ref()
                result = p._cache.get(job) if p is not None else None
                ts, tid = getattr(result, "_weft_submit", None) or (now(), a.tid())
                key = f"{WORK}:{submitter}:{job}:{i}"
                a.emit(["L", ts, tid, key, "s", WORK, None, None])
                task = TaskSent(key, WORK, task)
            except Exception as e:
                a.fail("pool task", e)
        return send(task)

    # An attribute of this one pool (not a patch of the class): it ends with the pool.
    pool._quick_put = quick_put


# ---------------------------------------------------------------------------------------
# concurrent.futures.process
# ---------------------------------------------------------------------------------------
def install_executor(h: Patches, process: ModuleType) -> None:
    serials = itertools.count(1)

    def make_submit(submit: Callable[..., Any]) -> Callable[..., Any]:
        def weft_submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            a = agent()
            if a is None:
                return submit(self, fn, *args, **kwargs)
            ts = now()
            serial = self.__dict__.get("_weft_serial")
            if serial is None:
                serial = self._weft_serial = next(serials)
            cq = getattr(self, "_call_queue", None)
            if cq is not None:
                cq._weft_exec = serial  # before submit: the manager thread may put the item at once
            f = submit(self, fn, *args, **kwargs)
            try:
                items = self._pending_work_items
                work_id = None
                for wid in reversed(list(items.keys())[-8:]):
                    if items[wid].future is f:
                        work_id = wid
                        break
                if work_id is None and cq is not None:
                    work_id = self._queue_count - 1  # already taken off the pending list
                if work_id is not None:
                    key = _exec_key(serial, work_id)
                    a.emit(["L", ts, a.tid(), key, "s", WORK, None, None])
            except Exception as e:
                a.fail("executor submit", e)
            return f

        return weft_submit

    h.wrap(process.ProcessPoolExecutor, "submit", make_submit)


def _exec_call_item(q: Any, obj: Any) -> Any:
    """A call item that the executor's manager thread puts on its call queue, tagged."""
    serial = getattr(q, "_weft_exec", None)
    if serial is None or type(obj).__name__ != "_CallItem":
        return obj
    return TaskSent(_exec_key(serial, obj.work_id), WORK, obj)


def _exec_key(serial: int, work_id: int) -> str:
    return f"{WORK}:{pid()}:e{serial}:{work_id}"
