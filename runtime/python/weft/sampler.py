"""Stack sampler: a bare OS thread that, `sample_hz` times a second, records every user
thread's stack (`K`, with `F`/`S` definitions) and CPU clock (`C`).

It holds the GIL while it walks the stacks (tens of microseconds for a few threads), which is
the sampler's whole cost: nothing is added to the user's threads between samples. A sample's
state says whether the thread was inside a recorded wait; a thread sampled RUNNING whose CPU
clock did not advance was runnable but not running (waiting for the GIL, or blocked in native
code), which the model reports as an estimate. The agent's own threads are never sampled.
"""
from __future__ import annotations

import _thread
import threading
import time
from typing import Any, Dict, List, Optional, Set, Tuple

from . import registry
from .contract import RUNNING, WAITING
from .clock import block_signals_in_this_thread, now, raw_sleep, thread_cpu_ns
from .frames import Where, inspect_threads, read_stacks

_BOOTSTRAP = getattr(threading.Thread, "_bootstrap", None)
_BOOTSTRAP_CODE = getattr(_BOOTSTRAP, "__code__", None)


class Sampler:
    """The sampling thread, with a synchronous stop.

    Each round holds references to other threads' frames (and through them their locals).
    The exit routine must not let the interpreter finalize while a round is in progress: a
    daemon thread frozen mid-round keeps those objects alive into the final garbage
    collection, which crashed a multiprocessing child on 3.12 (a BytesIO freed while a
    memoryview of it was still alive, then a segfault). `stop` waits for the round to end."""

    def __init__(self, agent: registry.Agent) -> None:
        self.agent = agent
        self._round = _thread.allocate_lock()  # held during a round: raw, never instrumented
        self._stopping = False

    def start(self) -> None:
        _thread.start_new_thread(self._loop, ())

    def stop(self, timeout: float = 0.5) -> None:
        """Returns once no round is running and none will start (or after `timeout`: a
        signal handler may interrupt the thread that the round waits for)."""
        self._stopping = True
        self._round.acquire(True, timeout)

    def _loop(self) -> None:
        agent = self.agent
        agent.internal.add(_thread.get_ident())
        block_signals_in_this_thread()
        period = 1.0 / agent.sample_hz
        next_t = time.perf_counter()
        while not self._stopping and not agent.closed:
            next_t += period
            delay = next_t - time.perf_counter()
            if delay > 0:
                raw_sleep(delay)
            else:
                next_t = time.perf_counter()  # fell behind (a busy machine): do not burst
            with self._round:
                if self._stopping or agent.closed:
                    break
                try:
                    sample_once(agent)
                except Exception as e:  # keep sampling whatever happens
                    agent.fail("sampler", e)


def start(agent: registry.Agent) -> Optional[Sampler]:
    if agent.sample_hz <= 0:
        return None
    sampler = Sampler(agent)
    sampler.start()
    return sampler


def _bootstrapping(wheres: List[Where], complete: bool) -> bool:
    """True for a threading.Thread that has not reached its `run` wrapper yet (its T record
    comes from inside the thread a moment later, with its parent and start site)."""
    return complete and bool(wheres) and wheres[-1][0] is _BOOTSTRAP_CODE


def _hidden(ident: int) -> bool:
    """A thread that is no lane (the CUDA simulator's) seen before it hid itself: from its
    start, in threading's `_limbo` (keyed by Thread), until its `run` is entered, in `_active`.
    Only threads seen for the first time are looked up."""
    t = getattr(threading, "_active", {}).get(ident)
    if t is None:
        t = next((x for x in list(getattr(threading, "_limbo", ())) if getattr(x, "_ident", None) == ident), None)
    return bool(getattr(t, "_weft_hidden", False))


def sample_once(agent: registry.Agent) -> None:
    internal = agent.internal
    seen: Set[int] = set()

    def read(frames: Dict[int, Any]) -> List[Tuple[int, List[Where], bool]]:
        seen.update(frames)
        return read_stacks(frames, internal)

    stacks = inspect_threads(read)
    ts = now()
    ended = agent.ended
    open_waits = agent.open_waits
    tids = agent.tids
    natives = agent.natives
    emit = agent.emit
    gone = agent.gone
    for ident, wheres, complete in stacks:
        if ident in ended:
            continue
        tid = tids.get(ident) if ident not in gone else None
        if tid is None:
            if _bootstrapping(wheres, complete) and ident not in getattr(threading, "_active", {}):
                continue
            if _hidden(ident):
                continue
            tid = agent.tid(ident)
        leaf = agent.stack(wheres)
        emit(["K", ts, tid, leaf, WAITING if ident in open_waits else RUNNING])
        cpu = thread_cpu_ns(natives.get(ident))
        if cpu is not None:
            emit(["C", ts, tid, cpu])
    # Threads only seen lazily (raw `_thread` threads) end when they vanish; forgetting
    # their ident lets a new thread that reuses it get a lane of its own.
    if agent.lazy:
        for ident in [i for i in agent.lazy if i not in seen]:
            agent.end_thread(ident, ts)
            agent.lazy.pop(ident, None)
    # Ended threads that vanished: a thread that shows up with the same ident later (the OS
    # reuses them) is a new one.
    if ended:
        for ident in [i for i in ended if i not in seen]:
            ended.discard(ident)
            gone.add(ident)
