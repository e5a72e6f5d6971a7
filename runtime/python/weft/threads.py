"""Thread lifecycle (`T` start, `N` rename, `E` end) and `Thread.join` waits.

`Thread.start` is wrapped to note the parent thread and the start() call site, and to wrap
that one instance's `run`, so the start and end are recorded inside the new thread. This
works for subclasses that override `run` and for pool workers. Threads started with
`_thread.start_new_thread` are registered when first seen (a wait or a sample), and ended by
the sampler when they vanish.

The `run` wrapper handles an uncaught exception itself and reports it through
`threading.excepthook` with the agent's frame removed, so the traceback printed on stderr is
exactly the one plain Python prints.
"""
from __future__ import annotations

import sys
import threading
from types import FrameType, ModuleType, TracebackType
from typing import Any, Callable, Optional

from . import registry
from .clock import now, own_cpu_ns
from .hooks import Patches
from .locks import TIMED_OUT, holder_of
from .registry import AGENT_DIR, get_ident, user_where
from .tracebacks import user_traceback

class ThreadObject:
    """What a join waits on: an object of kind `thread` standing for one Thread."""

    _weft_kind = "thread"
    _weft_oid = 0
    _weft_parent = None
    _weft_role = None

    def __init__(self, name: str, site: Any) -> None:
        self._weft_name = name
        self._weft_site = site


def thread_object(t: threading.Thread) -> ThreadObject:
    obj = t.__dict__.get("_weft_obj")
    if obj is None:
        start = t.__dict__.get("_weft_start")
        obj = t._weft_obj = ThreadObject(t.name, start[1] if start else None)  # type: ignore[attr-defined]
    return obj  # type: ignore[no-any-return]


def _make_start(start: Callable[[threading.Thread], None]) -> Callable[[threading.Thread], None]:
    def _start(self: threading.Thread) -> None:
        try:
            a = registry.current
            if a is not None and not a.closed:
                try:
                    self._weft_start = (a.tid(), user_where(0))  # type: ignore[attr-defined]
                    # Thread.start waits on the `_started` Event: that is not a wait of the user's.
                    cond = getattr(getattr(self, "_started", None), "_cond", None)
                    if cond is not None and hasattr(cond, "_weft_internal"):
                        cond._weft_internal = True
                    _wrap_run(self)
                except Exception as e:
                    a.fail("thread start", e)
            start(self)
        except BaseException as e:  # the traceback stays the user's (tracebacks.py)
            e.__traceback__ = user_traceback(e.__traceback__)
            raise

    _start.__doc__ = start.__doc__
    # The plain start, for threads that must not be lanes (the CUDA simulator's, gpu/numba_cuda.py).
    _start.__wrapped__ = start  # type: ignore[attr-defined]
    return _start


def _wrap_run(thread: threading.Thread) -> None:
    run = thread.run

    def run_traced() -> None:
        ident = get_ident()
        a = registry.current
        if a is not None and not a.closed:
            try:
                a.register(ident, thread)
            except Exception as e:
                a.fail("thread start", e)
        try:
            run()
        except BaseException as e:
            _ended(thread, ident)
            _report(thread, e, sys._getframe(0).f_back)
        else:
            _ended(thread, ident)

    thread.run = run_traced  # type: ignore[method-assign]


def _ended(thread: threading.Thread, ident: int) -> None:
    # Drop the wrapper: it also breaks the cycle thread -> run_traced -> thread.
    thread.__dict__.pop("run", None)
    a = registry.current
    if a is None or a.closed:
        return
    try:
        ts = now()
        t = a.tids.get(ident)
        if t is not None and ident not in a.ended:
            a.end_thread(ident, ts)
            a.emit(["C", ts, t, own_cpu_ns()])
    except Exception as e:
        a.fail("thread end", e)


def _report(thread: threading.Thread, exc: BaseException, caller: Optional[FrameType]) -> None:
    """What Thread._bootstrap_inner does with an uncaught exception, minus our frame.

    Plain Python catches it in `_bootstrap_inner`, so its traceback starts with that frame at
    the `self.run()` call: the same entry is put back in front of the user's frames."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(AGENT_DIR):
        tb = tb.tb_next
    if caller is not None and caller.f_code.co_name == "_bootstrap_inner":
        try:
            tb = TracebackType(tb, caller, caller.f_lasti, caller.f_lineno)
        except (TypeError, ValueError):
            pass
    exc.__traceback__ = tb
    try:
        hook = threading.excepthook or threading.__excepthook__
        hook(threading.ExceptHookArgs([type(exc), exc, tb, thread]))
    except Exception:
        # threading's own fallback when the hook fails.
        if sys.excepthook is not None:
            sys.excepthook(*sys.exc_info())
        else:  # pragma: no cover - interpreter shutdown
            sys.__excepthook__(*sys.exc_info())


def _make_join(join: Callable[..., None]) -> Callable[..., None]:
    def _join(self: threading.Thread, timeout: Optional[float] = None) -> None:
        try:
            a = registry.current
            if (a is None or a.closed or self is threading.current_thread() or not self.is_alive()
                    or not (timeout is None or (isinstance(timeout, (int, float)) and timeout > 0))):
                return join(self, timeout)
            me = get_ident()
            if me in a.open_waits:
                return join(self, timeout)
            try:
                obj = thread_object(self)
                tid = a.tid(me)
                oid = a.oid(obj)
                site = a.caller_site(0)
                # The joined thread is what the join waits on; its current line says what it does.
                htid, hsite = holder_of(a, self.ident or 0)
            except Exception as e:
                a.fail("join", e)
                return join(self, timeout)
            t0 = now()
            a.open_waits[me] = (t0, obj, "join", site, htid, hsite, timeout is None)
            try:
                join(self, timeout)
            except BaseException:
                # Interrupted (Ctrl+C): ended without the thread ending, written so, since the
                # flush thread may already have written it as open.
                a.open_waits.pop(me, None)
                a.emit(["W", t0, now(), tid, oid, "join", site, htid, hsite, None, TIMED_OUT])
                raise
            finally:
                a.open_waits.pop(me, None)
            t1 = now()
            done = not self.is_alive()
            a.emit(["W", t0, t1, tid, oid, "join", site, htid, hsite, htid if done else None,
                    0 if done else TIMED_OUT])
        except BaseException as e:  # the traceback stays the user's (tracebacks.py)
            e.__traceback__ = user_traceback(e.__traceback__)
            raise

    _join.__doc__ = join.__doc__
    return _join


def _make_name(name: property) -> property:
    """The `name` property, writing an `N` record when the program renames a traced thread."""

    def _set_name(self: threading.Thread, value: str) -> None:
        name.fset(self, value)  # type: ignore[misc]
        a = registry.current
        t = self.__dict__.get("_weft_tid")
        # The tid must be this agent's (a forked child's Thread objects carry their parent's).
        if (a is not None and not a.closed and t is not None and a.tids.get(self.ident) == t
                and self.ident not in a.ended):
            a.emit(["N", now(), t, str(value)])

    return property(name.fget, _set_name, doc=name.__doc__)


def install(h: Patches, threading: ModuleType) -> None:
    Thread = threading.Thread
    h.wrap(Thread, "start", _make_start)
    h.wrap(Thread, "join", _make_join)
    h.wrap(Thread, "name", _make_name)
