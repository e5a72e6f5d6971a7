"""The exit routine: writes waits still open, acquisition counts, final CPU clocks and the end
record `Z`, exactly once, from every way a process can end.

* atexit: CPython runs it after joining the non-daemon threads, so their events are in. It is
  registered before the user's program runs, so it runs after the user's own atexit handlers.
* SIGTERM: a handler is installed only if the disposition is still the default; it finishes,
  restores the default and re-sends the signal, so the exit status is the same as without Weft.
* `os._exit` (forked children, multiprocessing workers, RQ work horses) is wrapped.
* A forked child gets a file of its own (session.py) and rebinds this routine to it.
* An uncaught KeyboardInterrupt makes plain Python die of SIGINT after finalization; the
  runner asks for that here, as the very last step.
"""
from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from typing import Any, Optional

from .clock import now, thread_cpu_ns, wall_pair
from .hooks import Change, Patches
from .locks import OPEN
from . import registry
from .registry import Agent
from .tracebacks import user_traceback
from .writer import TraceWriter


class ExitRoutine:
    def __init__(self, agent: Agent, writer: TraceWriter) -> None:
        self.agent = agent
        self.writer = writer
        self.reason = "exit"
        # Known for the launched program (the runner sets it); unknown (null) in a child
        # process that Python runs on its own.
        self.code: Optional[int] = None
        # Signal to die of once the end record is written (uncaught KeyboardInterrupt).
        self.kill_signal: Optional[int] = None
        self.done = False
        self._orig_os_exit: Any = None
        self._sigterm: Optional[Change] = None  # the SIGTERM handler, when this routine set it
        self._raw_getsignal = signal.getsignal  # before _hide_handler wraps it
        # Whether to catch SIGTERM to write a clean end record: only in the process that Weft
        # launched. A Python-level handler runs only when the main thread next executes
        # bytecode, so a SIGTERM that lands just before the main thread blocks in C (a Pool
        # worker about to wait on its task queue's semaphore when Pool.terminate() signals it:
        # about 1 pool in 100 in a test) is never handled, and the process that would have died
        # lives on, and its parent waits for it forever. The launcher (CLI, extension) follows a
        # SIGTERM with SIGKILL, so the root cannot hang; children keep the default action and
        # lose at most their last flush interval (the reader then says they were cut short).
        self.catch_sigterm = True
        # A SIGTERM that arrived while the end record was being written (see _on_sigterm).
        self.deferred_signal: Optional[int] = None

    def install(self, h: Patches) -> None:
        """Registers every way out; `h` undoes them (session.stop in a process that goes on)."""
        atexit.register(self.at_exit)
        h.on_undo(lambda: atexit.unregister(self.at_exit))
        self._orig_os_exit = h.patch(os, "_exit", self._os_exit).original
        try:
            if (self.catch_sigterm and threading.current_thread() is threading.main_thread()
                    and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL):
                signal.signal(signal.SIGTERM, self._on_sigterm)
                self._sigterm = h.on_undo(self._default_sigterm)
                self._hide_handler(h)
                _ForkGuard.routine = self
                h.on_undo(_ForkGuard.release)
                _ForkGuard.register()
        except (ValueError, OSError, AttributeError):
            pass

    def _hide_handler(self, h: Patches) -> None:
        """`signal.getsignal` and `signal.signal` report SIG_DFL where the agent's SIGTERM handler
        is, as Python left it: a graceful-shutdown handler that chains to the previous one calls
        nothing, as without Weft, instead of the agent's handler, which ended the process by the
        signal (exit -15 instead of the program's own 0; `test_transparency`)."""
        mine = self._on_sigterm

        def seen(handler: Any) -> Any:
            return signal.SIG_DFL if handler == mine else handler

        def make_getsignal(orig: Any) -> Any:
            def getsignal(signalnum: Any) -> Any:
                try:
                    return seen(orig(signalnum))
                except BaseException as e:  # the traceback stays the user's
                    e.__traceback__ = user_traceback(e.__traceback__)
                    raise

            getsignal.__doc__ = orig.__doc__
            return getsignal

        def make_signal(orig: Any) -> Any:
            def signal_(signalnum: Any, handler: Any) -> Any:
                try:
                    return seen(orig(signalnum, handler))
                except BaseException as e:
                    e.__traceback__ = user_traceback(e.__traceback__)
                    raise

            signal_.__name__ = signal_.__qualname__ = "signal"
            signal_.__doc__ = orig.__doc__
            return signal_

        h.wrap(signal, "getsignal", make_getsignal)
        h.wrap(signal, "signal", make_signal)

    def _default_sigterm(self) -> None:
        """Gives SIGTERM back its default action, unless the program has set a handler since."""
        try:
            if self._raw_getsignal(signal.SIGTERM) == self._on_sigterm:
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
        except (ValueError, OSError):
            pass  # not the main thread: a forked child whose main thread is another one

    def at_exit(self) -> None:
        self.finish(self.reason, self.code)
        self._resend_deferred()
        sig = self.kill_signal
        if sig is not None:
            for stream in (sys.stdout, sys.stderr):
                try:
                    stream.flush()
                except Exception:
                    pass
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)

    def _os_exit(self, code: int) -> None:
        self.finish("os_exit", code)
        self._resend_deferred()
        self._orig_os_exit(code)

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        if self.done:
            # The end is being written (os._exit or interpreter exit, interrupted by this signal
            # in the same thread, e.g. a Pool worker that got its sentinel and then terminate()).
            # Dying now would lose the file's last flush; the exit that is in progress sends the
            # signal again once the file is complete, so the exit status is still the signal's.
            self.deferred_signal = signum
            return
        self.finish("signal", -signum)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def _resend_deferred(self) -> None:
        sig = self.deferred_signal
        if sig is not None:
            self.deferred_signal = None
            signal.signal(sig, signal.SIG_DFL)
            os.kill(os.getpid(), sig)

    def default_sigterm_in_child(self) -> None:
        """In a forked child: the default SIGTERM action again (see `catch_sigterm`)."""
        if self._sigterm is not None:
            self._sigterm.undo()
            self._sigterm = None

    def rebind(self, agent: Agent, writer: TraceWriter) -> None:
        """In a forked child: end the child's own file instead of the parent's, and give the
        child back the default SIGTERM action (see `catch_sigterm`)."""
        self.default_sigterm_in_child()
        self.agent = agent
        self.writer = writer
        self.reason = "exit"
        self.code = None
        self.kill_signal = None
        self.deferred_signal = None
        self.done = False

    def finish(self, reason: str, code: Optional[int]) -> None:
        """Idempotent: the first way out writes the end; the others find it done."""
        if self.done:
            return
        self.done = True
        a = self.agent
        if a.sampler is not None:
            a.sampler.stop()
        if a.watchdog is not None:
            a.watchdog.stop()
        mono, wall, err = wall_pair()  # before `ts`: no record is later than the end record
        ts = now()
        try:
            for ident, e in list(a.open_waits.items()):
                if ident in a.internal:  # not a lane (a CUDA simulator thread: gpu/numba_cuda.py)
                    continue
                a.emit(["W", e[0], ts, a.tid(ident), a.oid(e[1]), e[2], e[3], e[4], e[5], None, OPEN])
        except Exception as e:
            a.fail("exit routine: open waits", e)
        for finisher in list(registry.FINISHERS):
            try:
                finisher(a, ts)
            except Exception as e:
                a.fail("exit routine: open waits", e)
        try:
            a.emit_counts(final=True)
        except Exception as e:
            a.fail("exit routine: acquisition counts", e)
        try:
            for ident, tid in list(a.tids.items()):
                if ident in a.ended or ident in a.internal:
                    continue
                cpu = thread_cpu_ns(a.natives.get(ident))
                if cpu is not None:
                    a.emit(["C", ts, tid, cpu])
        except Exception as e:
            a.fail("exit routine: cpu clocks", e)
        a.emit(["M", mono, "wall", wall, err])
        a.closed = True
        self.writer.close(["Z", ts, reason, code, 0])


class _ForkGuard:
    """Keeps a forked child from losing a SIGTERM that arrives before it is set up.

    A child inherits the parent's SIGTERM handler. A SIGTERM that reaches the child before
    CPython's own after-fork code runs is caught by that handler and then discarded, because
    CPython clears the signals it caught in a child that early (they may have been meant for
    the parent, bpo-9535). Without Weft the default action would have ended the child. Pool
    workers are the case: a loaded machine may not run a new worker before the pool is
    terminated, and the worker lived on while its parent waited for it in `join` for good
    (with two CPU hogs beside it, 7 runs in 8 of 200 `with Pool(2)` blocks hung; none with
    this guard). test_lifecycle's fork_sigterm.py: 7 and 14 children of 20 lived on without.
    So the forking thread blocks SIGTERM over the fork: the kernel keeps a SIGTERM sent to
    the child pending, and the child unblocks it only after restoring the default action,
    which then ends it at once. The parent unblocks right after the fork."""

    routine: Optional["ExitRoutine"] = None  # the routine whose handler is installed
    _registered = False
    _blocked = threading.local()  # per forking thread: whether this guard blocked SIGTERM

    @classmethod
    def register(cls) -> None:
        if not cls._registered and hasattr(os, "register_at_fork") and hasattr(signal, "pthread_sigmask"):
            os.register_at_fork(before=cls._before, after_in_parent=cls._after_in_parent,
                                after_in_child=cls._after_in_child)
            cls._registered = True

    @classmethod
    def release(cls) -> None:
        cls.routine = None

    @classmethod
    def _before(cls) -> None:
        blocked = False
        if cls.routine is not None:
            try:
                old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
                blocked = signal.SIGTERM not in old
            except (OSError, ValueError):
                pass
        cls._blocked.on = blocked

    @classmethod
    def _unblock(cls) -> None:
        if getattr(cls._blocked, "on", False):
            cls._blocked.on = False
            try:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
            except (OSError, ValueError):
                pass

    @classmethod
    def _after_in_parent(cls) -> None:
        cls._unblock()

    @classmethod
    def _after_in_child(cls) -> None:
        routine = cls.routine
        if routine is not None:
            routine.default_sigterm_in_child()
        cls.routine = None
        cls._unblock()  # a SIGTERM kept pending since the fork ends the child here

