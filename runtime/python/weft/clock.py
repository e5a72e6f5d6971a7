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


def wall_pair(tries: int = 3) -> "tuple[int, int, int]":
    """(now, wall, error): this trace's clock and CLOCK_REALTIME read back to back, for an `M`
    record. Of `tries` reads, the pair whose read took least is kept (a thread switch between
    the two reads makes one pair much worse); the error is half that read's duration, so the
    true wall time at `now` is within `wall ± error`."""
    best = (0, 0, 0)
    shortest = -1
    for _ in range(tries):
        t0 = now()
        wall = wall_ns()
        t1 = now()
        if shortest < 0 or t1 - t0 < shortest:
            shortest = t1 - t0
            best = ((t0 + t1) // 2, wall, (shortest + 1) // 2)
    return best


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read().strip()
    except OSError:
        return ""


def host_identity() -> "dict[str, str]":
    """The header's `host`: hostname, a stable machine id (sha1 of the machine id, else of the
    hostname, 12 hex digits) and the boot id. CLOCK_MONOTONIC restarts at boot, so the trace's
    clock domain names the machine and the boot (design v2, "Hosts and clocks")."""
    import hashlib
    import socket

    name = socket.gethostname()
    machine = _read("/etc/machine-id") or _read("/var/lib/dbus/machine-id") or name
    return {
        "name": name,
        "id": hashlib.sha1(machine.encode("utf-8")).hexdigest()[:12],
        "boot": _read("/proc/sys/kernel/random/boot_id"),
    }


def clock_domain(host: "dict[str, str]") -> str:
    return f"monotonic:{host['id']}:{host['boot']}"
