"""Queue waits: `queue.Queue`, `LifoQueue`, `PriorityQueue` (through their Conditions) and
`queue.SimpleQueue` (a C type, replaced by a subclass).

A Queue's three Conditions and its mutex get the queue as parent, with the roles `not_empty`,
`not_full`, `all_tasks_done` and `mutex`; a blocking get, put or join is then recorded by
`Condition.wait` as `queue_get`, `queue_put` or `queue_join` on the queue, with the thread that
put, got or finished the task as the waker.
"""
from __future__ import annotations

import queue as _queue_mod
from types import ModuleType
from typing import Any, Optional

from . import registry
from .clock import now
from .locks import TIMED_OUT, _Wrapper
from .hooks import Patches
from .primitives import adopt
from .registry import get_ident, user_where
from .tracebacks import user_traceback

def _kind(q: Any) -> str:
    if isinstance(q, _queue_mod.PriorityQueue):
        return "priority_queue"
    if isinstance(q, _queue_mod.LifoQueue):
        return "lifo_queue"
    return "queue"


def _after_queue(q: Any) -> None:
    adopt(q, _kind(q), q.not_empty, "not_empty")
    for cond, role in ((q.not_full, "not_full"), (q.all_tasks_done, "all_tasks_done")):
        if hasattr(cond, "_weft_internal"):
            cond._weft_parent = q
            cond._weft_role = role
    if isinstance(q.mutex, _Wrapper):
        q.mutex._weft_parent = q
        q.mutex._weft_role = "mutex"


class SimpleQueue(_queue_mod.SimpleQueue):  # type: ignore[misc]
    """`queue.SimpleQueue` recording blocking gets; an available item costs one C call more."""

    _weft_kind = "simple_queue"
    _weft_oid = 0
    _weft_parent = None
    _weft_role = None
    _weft_putter = 0

    def __init__(self) -> None:
        super().__init__()
        a = registry.current
        self._weft_site = user_where(0) if a is not None and not a.closed else None

    def put(self, item: Any, block: bool = True, timeout: Optional[float] = None) -> None:
        try:
            me = get_ident()
            self._weft_putter = me
            a = registry.current
            if a is not None and me not in a.tids and not a.closed:
                a.tid(me)  # a thread seen for the first time: so the getter can name it
            super().put(item, block, timeout)
        except BaseException as e:  # the traceback stays the user's (tracebacks.py)
            e.__traceback__ = user_traceback(e.__traceback__)
            raise

    def put_nowait(self, item: Any) -> None:
        try:
            self.put(item, False)
        except BaseException as e:  # the traceback stays the user's (tracebacks.py)
            e.__traceback__ = user_traceback(e.__traceback__)
            raise

    def get(self, block: bool = True, timeout: Optional[float] = None) -> Any:
        try:
            if not block:
                return super().get(False)
            try:
                return super().get(False)
            except _queue_mod.Empty:
                pass
            a = registry.current
            me = get_ident()
            if (a is None or a.closed or me in a.open_waits
                    or not (timeout is None or (isinstance(timeout, (int, float)) and timeout > 0))):
                return super().get(True, timeout)
            try:
                tid = a.tid(me)
                oid = a.oid(self)
                site = a.caller_site(0)
            except Exception as e:
                a.fail("simple queue get", e)
                return super().get(True, timeout)
            t0 = now()
            a.open_waits[me] = (t0, self, "queue_get", site, None, None, timeout is None)
            ok = False
            try:
                item = super().get(True, timeout)
                ok = True
                return item
            finally:
                a.open_waits.pop(me, None)
                t1 = now()
                try:
                    wtid = a.known_tid(self._weft_putter) if ok else None
                    a.emit(["W", t0, t1, tid, oid, "queue_get", site, None, None, wtid, 0 if ok else TIMED_OUT])
                except Exception as e:
                    a.fail("simple queue get", e)
        except BaseException as e:  # the traceback stays the user's (tracebacks.py)
            e.__traceback__ = user_traceback(e.__traceback__)
            raise

    def get_nowait(self) -> Any:
        try:
            return super().get(False)
        except BaseException as e:  # the traceback stays the user's (tracebacks.py)
            e.__traceback__ = user_traceback(e.__traceback__)
            raise


SimpleQueue.__module__ = "queue"


def install(h: Patches, queue: ModuleType) -> None:
    h.patch(queue, "SimpleQueue", SimpleQueue)
    h.wrap_init(queue.Queue, _after_queue)
