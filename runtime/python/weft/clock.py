"""Clocks the agent reads, captured at import so that later patches (time.sleep) never apply
to the agent's own use of them.

Every timestamp of the trace is `time.perf_counter_ns()`: CLOCK_MONOTONIC on Linux, shared by
all processes of a machine, so the files of one run line up without adjustment.
"""
from __future__ import annotations

import sys
import time
from typing import Optional

now = time.perf_counter_ns
wall_ns = time.time_ns
raw_sleep = time.sleep  # the original, before the primitives hook replaces time.sleep
own_cpu_ns = time.thread_time_ns  # CPU time of the calling thread (portable)

_LINUX = sys.platform.startswith("linux")


def thread_cpu_ns(native_id: Optional[int]) -> Optional[int]:
    """Cumulative CPU time of another thread of this process, by its kernel thread id.

    Linux encodes a thread's CPU clock as a clock id derived from its kernel tid (what glibc's
    `pthread_getcpuclockid` returns). Building the id from the tid instead of calling
    `time.pthread_getcpuclockid(ident)` matters because the sampler reads threads that may
    exit at any moment: on a finished thread this fails cleanly with EINVAL, whereas
    `pthread_getcpuclockid` on a freed pthread_t reads freed memory. Elsewhere there is no
    safe way, and None means "unknown".
    """
    if not _LINUX or not native_id:
        return None
    try:
        return time.clock_gettime_ns(((~native_id) << 3) | 6)
    except (AttributeError, OSError, OverflowError):
        return None


def block_signals_in_this_thread() -> None:
    """Called first thing by the agent's own threads (writer, sampler).

    A signal sent to the process is handled by whichever thread the kernel picks; a Python
    handler (the user's, or the agent's SIGTERM handler) then runs only when the main thread
    next executes bytecode. If the kernel picked one of our threads while the main thread was
    blocked in a call that only a signal to itself would interrupt (a Pool worker waiting on
    its task queue's semaphore when Pool.terminate() sends SIGTERM), the handler never ran and
    the process never ended. Blocking every signal here keeps them for the program's threads,
    as without Weft (SIGKILL and SIGSTOP cannot be blocked and need not be).

    Signals raised by a fault in the thread itself stay unblocked: the kernel kills a process
    outright when a thread faults with SIGSEGV blocked, so faulthandler (and a core dump's
    handler) would never say where. That silence once hid which thread crashed.
    """
    try:
        import signal

        faults = {getattr(signal, n) for n in ("SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT", "SIGTRAP", "SIGSYS")
                  if hasattr(signal, n)}
        signal.pthread_sigmask(signal.SIG_BLOCK, signal.valid_signals() - faults)
    except (AttributeError, ValueError, OSError):
        pass  # platforms without pthread_sigmask
