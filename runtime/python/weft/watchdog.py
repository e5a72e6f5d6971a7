"""The deadlock and hang watchdog: a bare OS thread of the agent that, every `PERIOD_S`, builds
the process's wait-for graph from `Agent.open_waits` and writes a `D` record (format: spec.ts)
for a cycle that lasted `watchdog_ms`, or for a process whose every thread has been blocked for
`hang_ms` with no cycle.

Edges, one per waiting thread at most, only from waits marked FOREVER (no timeout, and only a
thread of this process can end them; registry.py):
* a `threading.Lock`/`RLock` wait -> the thread holding the lock *now* (read at each check: the
  holder at the wait's start may have changed since); a Lock whose holder is the waiter itself
  is no edge, because any thread may release a plain Lock (the "lock as a signal" idiom);
* a `Thread.join` -> the joined thread.
A cycle must be seen with the same members, waits (thread, begin) and holders at every check
for `watchdog_ms` before it is written, once; it is written again only if it dissolves and
forms anew.

A hang: every thread of the process (all of `sys._current_frames()` but the agent's) is in a
FOREVER wait that began at least `hang_ms` ago, no cycle, and no Python signal handler of the
program's that could still wake a thread (a server that waits for SIGTERM is not hung). A thread
that sleeps, waits with a timeout, waits for another process (multiprocessing, subprocess), for
I/O, or runs, is not blocked for this purpose, so such a process is never reported: each of
those can end by itself or from outside. Condition, Event, Semaphore, Barrier and queue waits
count as blocked: while every thread is blocked, no thread is left to notify them.

Cost: nothing on the user's threads; the check itself reads a dict of the waits in progress
(empty in most programs most of the time) ten times a second, and reads stacks only to write a
`D`.
"""
from __future__ import annotations

import _thread
import signal
import threading
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

from . import frames
from .clock import block_signals_in_this_thread, now, raw_sleep
from .locks import _OWNER_RE
from .registry import AGENT_DIR, Agent, Where

PERIOD_S = 0.1
DEFAULT_WATCHDOG_MS = 1000
DEFAULT_HANG_MS = 5000

_LOCK_REASONS = ("lock", "rlock")


def _forever(entry: tuple) -> bool:
    return len(entry) > 6 and entry[6] is True


def _holder_ident(obj: Any) -> int:
    """The ident of the thread that holds a Lock/RLock wrapper now (0: free or unknown)."""
    kind = getattr(obj, "_weft_kind", None)
    if kind == "lock":
        raw = getattr(obj, "_raw", None)
        if raw is None or not raw.locked():
            return 0
        return obj._holder or 0
    if kind == "rlock":
        rep = getattr(obj, "_repr", None)
        if rep is None:
            return 0
        m = _OWNER_RE.search(rep())
        return int(m.group(1)) if m else 0
    return 0


class Watchdog:
    def __init__(self, agent: Agent, watchdog_ms: int, hang_ms: int) -> None:
        self.agent = agent
        self.watchdog_ns = watchdog_ms * 1_000_000
        self.hang_ns = hang_ms * 1_000_000
        self._stopping = False
        self._round = _thread.allocate_lock()  # held during a check: raw, never instrumented
        # cycle key -> when first seen; keys written already (until the cycle dissolves)
        self._cycles: Dict[Tuple[Tuple[int, int, int], ...], int] = {}
        self._reported: set = set()
        self._hang_reported: Optional[FrozenSet[Tuple[int, int]]] = None

    def start(self) -> None:
        _thread.start_new_thread(self._loop, ())

    def stop(self, timeout: float = 0.5) -> None:
        """Returns once no check runs and none will start (as the sampler's stop)."""
        self._stopping = True
        self._round.acquire(True, timeout)

    def _loop(self) -> None:
        a = self.agent
        a.internal.add(_thread.get_ident())
        block_signals_in_this_thread()
        while not self._stopping and not a.closed:
            raw_sleep(PERIOD_S)
            with self._round:
                if self._stopping or a.closed:
                    break
                try:
                    self.check(now())
                except Exception as e:  # keep watching whatever happens
                    a.fail("watchdog", e)

    # -- the graph -------------------------------------------------------------------------
    def check(self, ts: int) -> None:
        a = self.agent
        waits = {i: e for i, e in list(a.open_waits.items()) if _forever(e) and i not in a.internal}
        if not waits:
            self._cycles.clear()
            self._reported.clear()
            self._hang_reported = None
            return
        edges = self._edges(waits)
        cycles = _cycles(edges)
        seen = {}
        for cycle in cycles:
            key = tuple((i, waits[i][0], edges[i]) for i in cycle)
            seen[key] = self._cycles.get(key, ts)
        self._cycles = seen
        self._reported &= set(seen)
        for key, first in seen.items():
            if key not in self._reported and ts - first >= self.watchdog_ns:
                self._reported.add(key)
                members = [k[0] for k in key]
                first_lane = min(range(len(members)), key=lambda j: a.tids.get(members[j]) or 0)
                self._report("deadlock", members[first_lane:] + members[:first_lane], waits, ts)
        if cycles or self.hang_ns <= 0:
            self._hang_reported = None
            return
        self._check_hang(waits, ts)

    def _edges(self, waits: Dict[int, tuple]) -> Dict[int, int]:
        """waiting ident -> ident of the thread it waits for."""
        a = self.agent
        idents: Optional[Dict[int, int]] = None
        edges = {}
        for ident, e in waits.items():
            reason = e[2]
            if reason in _LOCK_REASONS:
                h = _holder_ident(e[1])
                if h and h != ident:
                    edges[ident] = h
            elif reason == "join" and e[4] is not None:
                if idents is None:
                    idents = {t: i for i, t in list(a.tids.items()) if i not in a.gone}
                h = idents.get(e[4], 0)
                if h and h != ident:
                    edges[ident] = h
        return edges

    def _check_hang(self, waits: Dict[int, tuple], ts: int) -> None:
        oldest = ts - self.hang_ns
        if any(e[0] > oldest for e in waits.values()):
            self._hang_reported = None
            return
        a = self.agent
        internal = a.internal
        # Quick test first: a Python thread not in a FOREVER wait (not a thread made outside
        # Python, whose dummy Thread object stays in `_active` after it has ended).
        dummy = getattr(threading, "_DummyThread", ())
        for ident, t in list(getattr(threading, "_active", {}).items()):
            if ident not in waits and ident not in internal and not isinstance(t, dummy):
                self._hang_reported = None
                return
        key = frozenset((i, e[0]) for i, e in waits.items())
        if key == self._hang_reported:
            return
        # Every thread, raw `_thread` ones too; the stacks are read only here.
        if not frames.CURRENT_FRAMES_SAFE:
            return
        everyone = frames.inspect_threads(lambda fs: [i for i in fs if i not in internal])
        if any(i not in waits for i in everyone) or _signal_waker():
            return
        self._hang_reported = key
        main = threading.main_thread().ident
        members = sorted(waits, key=lambda i: (i != main, a.tids.get(i) or 0))
        self._report("hang", members, waits, ts)

    # -- the record ------------------------------------------------------------------------
    def _report(self, kind: str, members: List[int], waits: Dict[int, tuple], ts: int) -> None:
        a = self.agent
        stacks: Dict[int, List[Where]] = {}
        if frames.CURRENT_FRAMES_SAFE:
            stacks = frames.inspect_threads(lambda fs: {i: _walk(fs.get(i)) for i in members})
        lanes, objects, sites, leaves = [], [], [], []
        for ident in members:
            e = waits[ident]
            lanes.append(a.tid(ident))
            objects.append(a.oid(_visible(e[1])))
            sites.append(e[3] or 0)
            wheres = [w for w in stacks.get(ident, []) if not w[0].co_filename.startswith(AGENT_DIR)]
            leaves.append((a.stack(wheres) if wheres else None) or 0)
        writer = a.writer
        with writer._io_lock:  # no flush between the open waits, the D and the write-through
            ow = a.open_wait_writer
            if ow is not None:
                ow.write_now(members, ts)
            a.emit(["D", ts, kind, lanes, objects, sites, leaves])
            writer.flush()


def _visible(obj: Any) -> Any:
    """The object the user made (an Event, not its Condition; a Queue, not its mutex)."""
    while getattr(obj, "_weft_parent", None) is not None:
        obj = obj._weft_parent
    return obj


def _walk(f: Any, limit: int = 128) -> List[Where]:
    out = []
    while f is not None and len(out) < limit:
        out.append((f.f_code, f.f_lineno))
        f = f.f_back
    return out


def _cycles(edges: Dict[int, int]) -> List[List[int]]:
    """Every cycle of a graph with at most one edge per node, each from its smallest ident."""
    state: Dict[int, int] = {}  # 1: on the current path, 2: done
    found = []
    for start in edges:
        if start in state:
            continue
        path = []
        node: Optional[int] = start
        while node is not None and node not in state:
            state[node] = 1
            path.append(node)
            node = edges.get(node)
        if node is not None and state.get(node) == 1:
            cycle = path[path.index(node):]
            i = cycle.index(min(cycle))
            found.append(cycle[i:] + cycle[:i])
        for n in path:
            state[n] = 2
    return found


def _signal_waker() -> bool:
    """Whether the program has a Python signal handler of its own, which could still wake a
    blocked thread (Ctrl+C's default handler only raises KeyboardInterrupt)."""
    try:
        sigs = signal.valid_signals()
    except (AttributeError, ValueError):
        return False
    for s in sigs:
        try:
            h = signal.getsignal(s)
        except (ValueError, OSError):
            continue
        if callable(h) and h is not signal.default_int_handler:
            if getattr(h, "__module__", "") == "weft.shutdown" or (
                    getattr(getattr(h, "__func__", None), "__module__", "") == "weft.shutdown"):
                continue  # the exit routine's SIGTERM handler
            return True
    return False


def start(agent: Agent, watchdog_ms: int, hang_ms: int) -> Optional[Watchdog]:
    if watchdog_ms <= 0:
        return None
    w = Watchdog(agent, watchdog_ms, hang_ms)
    w.start()
    return w
