"""The asyncio hooks (one row of session.HOOKS, installed when the program imports asyncio).

* `tasks`: task lanes, steps, awaits, outcomes, loop blocks and lag, through the rebuilt
  methods `BaseEventLoop.create_task`, `Handle._run` and `BaseEventLoop._call_soon` (when a
  handle was enqueued: its scheduling delay), and the loop's idle time (a `select` wait of its
  thread) through `BaseEventLoop._run_once` (weft.aio.rebuild).
* `handoffs`: run_in_executor/to_thread and call_soon_threadsafe as `L` flows between the
  loop's tasks and other threads (`install_executor` is the worker half, its own hook row).
* primitives: Lock, Semaphore, BoundedSemaphore, Event, Condition, Barrier, Queue, LifoQueue,
  PriorityQueue become objects of the trace (kinds `aio_*`, creation line and name like the
  threading ones); a Lock remembers the task that holds it and its acquire line; the methods
  that wake a waiter (release, set, notify, put_nowait, get_nowait, task_done) note the lane
  that called them, which the woken task's wait names as its waker. Waking methods are rebuilt
  with a prologue (no extra frame); creation uses `wrap_init` like the threading primitives.
"""
from __future__ import annotations

import os
from typing import Any, Optional

from .. import registry
from ..clock import now
from ..hooks import Patches
from ..registry import user_where
from . import handoffs, tasks
from .rebuild import RebuildError, helpers, rebuild

DEFAULT_BLOCK_MS = 50


def block_ms_from_env(environ: Any = os.environ) -> int:
    try:
        return max(1, int(environ.get("WEFT_LOOP_BLOCK_MS") or DEFAULT_BLOCK_MS))
    except ValueError:
        return DEFAULT_BLOCK_MS


def _waking(obj: Any, attr: str = "_weft_waker") -> None:
    """Prologue of the methods that wake a waiter: who is waking it."""
    a = registry.current
    if a is None or a.closed:
        return
    try:
        # (lane, ts), the last few: the woken task's wait ends when its next step begins, and
        # takes the last waker before that (by then it may have released the lock itself).
        d = obj.__dict__
        wakers = d.get(attr)
        if wakers is None:
            wakers = d[attr] = []
        wakers.append((tasks.lane_of_current(a), now()))
        if len(wakers) > 8:
            del wakers[0]
    except Exception as e:
        a.fail("asyncio waker", e)


def _acquired(lock: Any) -> None:
    """After `Lock.acquire` set `_locked`: the holder task and its acquire line."""
    a = registry.current
    if a is None or a.closed:
        return
    try:
        lock.__dict__["_weft_holder"] = (tasks.lane_of_current(a), user_where(0))
    except Exception as e:
        a.fail("asyncio lock holder", e)


_KINDS = (
    # (class name in asyncio.locks / asyncio.queues, kind), most derived first
    ("BoundedSemaphore", "aio_bounded_semaphore"), ("Semaphore", "aio_semaphore"),
    ("Lock", "aio_lock"), ("Event", "aio_event"), ("Condition", "aio_condition"),
    ("Barrier", "aio_barrier"),
    ("PriorityQueue", "aio_priority_queue"), ("LifoQueue", "aio_lifo_queue"), ("Queue", "aio_queue"),
)


def _made(classes: "list[tuple[type, str]]") -> Any:
    def after(obj: Any) -> None:
        a = registry.current
        if a is None or a.closed or "_weft_kind" in obj.__dict__:
            return
        for cls, kind in classes:
            if isinstance(obj, cls):
                break
        else:
            return
        registry.recordable(obj, kind, user_where(0))
        inner = obj.__dict__.get("_lock") if kind == "aio_condition" else obj.__dict__.get("_cond")
        if inner is not None and kind in ("aio_condition", "aio_barrier"):
            inner_kind = "aio_lock" if kind == "aio_condition" else "aio_condition"
            if "_weft_kind" not in inner.__dict__:
                registry.recordable(inner, inner_kind, obj._weft_site)
            inner._weft_parent = obj
            inner._weft_role = "mutex" if kind == "aio_condition" else "cond"
        fin = obj.__dict__.get("_finished")
        if fin is not None and "_weft_kind" in fin.__dict__:
            fin._weft_parent = obj
            fin._weft_role = "finished"
    return after


def _rebuild(h: Patches, a: Optional[registry.Agent], owner: type, name: str, module: Any, **edit: Any) -> bool:
    try:
        h.patch(owner, name, rebuild(owner, name, module, **edit))
        return True
    except (RebuildError, SyntaxError) as e:
        if a is not None:
            a.warn(f"asyncio: {owner.__name__}.{name} not hooked ({e})", "info")
        return False


def install(h: Patches, asyncio: Any) -> None:
    events, base_events, tasks_mod = asyncio.events, asyncio.base_events, asyncio.tasks
    locks, queues = asyncio.locks, asyncio.queues
    a = registry.current
    ctx = h.context
    tasks.block_ns = int(getattr(ctx, "loop_block_ms", None) or block_ms_from_env()) * 1_000_000
    tasks._Task = tasks_mod.Task
    tasks._BaseEventLoop = base_events.BaseEventLoop
    tasks._TimerHandle = events.TimerHandle
    tasks._GatheringFuture = getattr(tasks_mod, "_GatheringFuture", None)
    tasks._current_task = tasks_mod.current_task
    for t in {tasks_mod.Task, getattr(tasks_mod, "_PyTask", tasks_mod.Task), getattr(tasks_mod, "_CTask", tasks_mod.Task)}:
        tasks._task_types[t] = True
    registry.FINISHERS.append(tasks.finish)
    h.on_undo(lambda: registry.FINISHERS.remove(tasks.finish) if tasks.finish in registry.FINISHERS else None)

    helpers(h, events, {"now": now, "step": tasks.step})
    helpers(h, base_events, {"new_task": tasks.new_task, "now": now, "enqueued": tasks._enqueued,
                             "selecting": tasks.selecting, "selected": tasks.selected})
    helpers(h, locks, {"waking": _waking, "acquired": _acquired})
    helpers(h, queues, {"waking": _waking})
    _rebuild(h, a, base_events.BaseEventLoop, "create_task", base_events, returns="_weft_new_task")
    # When a plain handle was made: its scheduling delay is the loop lag it saw.
    _rebuild(h, a, base_events.BaseEventLoop, "_call_soon", base_events,
             after=("handle = events.Handle(callback, args, self, context)",
                    "_weft_enqueued[id(handle)] = _weft_now()"))
    # The loop's idle time: a select that may block is a wait of the loop's thread.
    _rebuild(h, a, base_events.BaseEventLoop, "_run_once", base_events,
             blank_before=("event_list = self._selector.select(timeout)",
                           "_weft_sel = _weft_selecting(self, timeout) if timeout is None or timeout > 0 else 0"),
             after=("event_list = self._selector.select(timeout)", "_weft_sel and _weft_selected(self, _weft_sel)"))
    helpers(h, base_events, {"submitting": handoffs.submitting_fn, "threadsafe": handoffs.called_threadsafe})
    _rebuild(h, a, base_events.BaseEventLoop, "run_in_executor", base_events,
             after=("self._check_closed()", "_weft_submitting(self, func)"))
    _rebuild(h, a, base_events.BaseEventLoop, "call_soon_threadsafe", base_events,
             after=("handle = self._call_soon(callback, args, context)", "_weft_threadsafe(self, handle)"))
    # The step hook last: a loop running now sees either both or neither.
    _rebuild(h, a, events.Handle, "_run", events,
             prologue="_weft_t0 = _weft_now()", before_last="_weft_step(self, _weft_t0)")

    _rebuild(h, a, locks.Lock, "acquire", locks, after=("self._locked = True", "_weft_acquired(self)"))
    # Only when someone waits: Queue.get calls get_nowait for every item, waiter or not.
    for owner, name, waiters in ((locks.Lock, "release", "_waiters"), (locks.Semaphore, "release", "_waiters"),
                                 (locks.Event, "set", "_waiters"), (locks.Condition, "notify", "_waiters")):
        _rebuild(h, a, owner, name, locks, prologue=f"if self.{waiters}: _weft_waking(self)")
    _rebuild(h, a, queues.Queue, "put_nowait", queues, prologue="if self._getters: _weft_waking(self, '_weft_waker_get')")
    _rebuild(h, a, queues.Queue, "get_nowait", queues, prologue="if self._putters: _weft_waking(self, '_weft_waker_put')")
    _rebuild(h, a, queues.Queue, "task_done", queues, prologue="_weft_waking(self, '_weft_waker_join')")

    classes = [(getattr(locks if hasattr(locks, n) else queues, n), k) for n, k in _KINDS
               if hasattr(locks, n) or hasattr(queues, n)]
    made = _made(classes)
    for n in ("Lock", "Semaphore", "Event", "Condition", "Barrier"):
        if hasattr(locks, n):
            h.wrap_init(getattr(locks, n), made)
    h.wrap_init(queues.Queue, made)
    tasks.index_codes()
    h.on_undo(tasks._code_reason.clear)


def install_executor(h: Patches, asyncio: Any, base: Any, thread: Any) -> None:
    """The worker side of run_in_executor's flows (weft.aio.handoffs): the work item's creation
    and run, and the concurrent future's result. Installed with asyncio, whichever comes last."""
    a = registry.current
    helpers(h, thread, {"submits": handoffs.submitting, "work": handoffs.work,
                        "work_item": handoffs.work_item, "work_run": handoffs.work_run})
    helpers(h, base, {"work": handoffs.work, "work_done": handoffs.work_done})
    _rebuild(h, a, thread._WorkItem, "__init__", thread, prologue="if _weft_submits: _weft_work_item(future, fn)")
    _rebuild(h, a, thread._WorkItem, "run", thread, prologue="if _weft_work: _weft_work_run(self)")
    for name in ("set_result", "set_exception"):
        _rebuild(h, a, base.Future, name, base, prologue="if _weft_work: _weft_work_done(self)")


def note_uvloop(p: Patches, uvloop: Any) -> None:
    """uvloop's loop is compiled: it never runs asyncio's `Handle._run` nor its `create_task`,
    so its tasks are not lanes. Says so in the trace (an `!` info the summary shows) rather than
    leave the user wondering where the tasks went; changes nothing."""
    a = registry.current
    if a is not None and not a.closed:
        a.warn("uvloop is imported: the program runs unchanged, but tasks on uvloop event loops "
               "are not traced (uvloop's compiled loop bypasses the points Weft hooks); "
               "asyncio's own loop is traced", "info")
