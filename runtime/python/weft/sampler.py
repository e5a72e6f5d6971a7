"""Stack sampler: a bare OS thread that, `sample_hz` times a second, records every user
thread's stack (`K`, with `F`/`S` definitions) and CPU clock (`C`).

It holds the GIL while it walks the stacks (tens of microseconds for a few threads), which is
the sampler's whole cost: nothing is added to the user's threads between samples. Each
sample's state says whether the thread was inside a recorded wait; a thread sampled RUNNING
whose CPU clock did not advance was runnable but not running (GIL wait, or native blocking
I/O): the model labels that time as an estimate.
"""
from __future__ import annotations

import _thread
import sys
import time

from . import core
from .core import now


def start(agent: core.Agent) -> None:
    if agent.sample_hz <= 0:
        return
    _thread.start_new_thread(_loop, (agent,))


def _loop(agent: core.Agent) -> None:
    agent.internal_idents.add(_thread.get_ident())
    period = 1.0 / agent.sample_hz
    sleep = core.raw_sleep
    next_t = time.perf_counter()
    while not agent.closed:
        next_t += period
        delay = next_t - time.perf_counter()
        if delay > 0:
            sleep(delay)
        else:
            next_t = time.perf_counter()  # fell behind (a busy machine): do not burst
        if agent.closed:
            break
        try:
            sample_once(agent)
        except Exception as e:  # pragma: no cover - keep sampling whatever happens
            agent.warn(f"sampler: {e!r}")


def sample_once(agent: core.Agent) -> None:
    frames = sys._current_frames()
    ts = now()
    internal = agent.internal_idents
    open_waits = agent.open_waits
    emit = agent.emit
    for ident, frame in frames.items():
        if ident in internal:
            continue
        tid = agent.tids.get(ident)
        if tid is None:
            tid = agent.tid(ident)
        leaf = agent.stack(frame)
        emit(["K", ts, tid, leaf, 1 if ident in open_waits else 0])
        cpu = core._cpu_clock_ns(agent.natives.get(ident))
        if cpu is not None:
            emit(["C", ts, tid, cpu])
