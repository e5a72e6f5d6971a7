"""Per-process agent state: thread ids, interning of sites, stack frames and objects (the `T`,
`S`, `F`, `O` records of runtime/src/format/spec.ts), open waits and the failure policy.

Everything here is called from the user's threads, so it must be cheap and never block on
anything a user thread holds. Recording is one C call (`deque.append`). A definition record
is always appended *before* its id is published (stored where other threads can find it), so
a record that uses an id can never precede the definition in the file. Sites and frames are
interned without a lock: two threads may rarely define the same location twice under two
ids, which is harmless. Threads and objects are defined under a private raw lock, because a
duplicate there would split one lane or one lock's statistics in two; that lock is taken
once per thread or object, never on a hot path.
"""
from __future__ import annotations

import _thread
import itertools
import os
import re
import sys
import threading
import weakref
from types import CodeType, FrameType
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from . import contract
from .clock import now
from .frames import innermost

get_ident = _thread.get_ident
get_native_id = getattr(threading, "get_native_id", None)

# A source location not yet interned: (code object, line). Creation sites are kept in this
# form and interned only if the object is ever used in a record, so idle objects cost no `S`.
Where = Tuple[CodeType, int]

# Frames in these folders are never "the user's line": the agent itself and the standard
# library (threading.py, queue.py, concurrent/futures, but also logging's or asyncio's locks
# are reported at the user line that reached them). Installed packages are the user's code.
AGENT_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_STDLIB = os.path.dirname(os.path.abspath(threading.__file__)) + os.sep
_SKIP_PREFIXES = (AGENT_DIR, _STDLIB, "<frozen ")
_KEEP_PREFIXES = (_STDLIB + "site-packages" + os.sep, _STDLIB + "dist-packages" + os.sep)

# `self.lock = threading.Lock()` -> "self.lock"; `locks[i]: Lock = Lock()` -> "locks[i]".
_NAME_RE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:\[[^\]]*\])?)\s*(?::[^=]*)?=(?!=)")

# Diagnostics per failure location before the agent stops repeating itself.
_MAX_FAILURES_PER_PLACE = 5


def is_user_file(filename: str) -> bool:
    return not filename.startswith(_SKIP_PREFIXES) or filename.startswith(_KEEP_PREFIXES)


def skip_string_frames() -> None:
    """In an interpreter that multiprocessing started (spawn, forkserver, its helpers), the
    `-c` code is multiprocessing's bootstrap, never the user's line."""
    global _SKIP_PREFIXES
    if "<string>" not in _SKIP_PREFIXES:
        _SKIP_PREFIXES = _SKIP_PREFIXES + ("<string>",)


def user_where(depth: int) -> Optional[Where]:
    """The innermost frame at or above `depth` callers up that is in the user's code."""
    try:
        f: Optional[FrameType] = sys._getframe(depth + 1)
    except ValueError:
        return None
    return frame_where(f)


def frame_where(frame: Optional[FrameType]) -> Optional[Where]:
    """Like user_where, from a frame of the calling thread (other threads' stacks are read
    only through frames.inspect_threads)."""
    return innermost(frame, is_user_file)


# The `flags` bit of a wait that ended without what it waited for.
TIMED_OUT = contract.TIMED_OUT

# The 7th item of an `Agent.open_waits` entry of a wait the watchdog may report.
FOREVER = True

# `recordable(site=KEEP)`: leave the object's creation line as it is (or None if it has none).
KEEP: Any = object()


def recordable(obj: Any, kind: str, site: Any = KEEP, name: str = "") -> Any:
    """Gives `obj` the attributes `Agent.oid` reads, making it an object of the trace: a
    top-level one (no parent) of `kind`, created at `site` ((code, line) or None)."""
    obj._weft_kind = kind
    obj._weft_oid = 0
    obj._weft_parent = None
    obj._weft_role = None
    if name:
        obj._weft_name = name
    if site is not KEEP:
        obj._weft_site = site
    elif "_weft_site" not in getattr(obj, "__dict__", {}):
        obj._weft_site = None
    return obj


class Agent:
    """The one agent of this process; `current` holds it while installed."""

    def __init__(self, writer: Any, sample_hz: int) -> None:
        self.writer = writer
        self.sample_hz = sample_hz
        # Recording is this one C call, safe from any thread and signal handler.
        self.emit = writer.buf.append
        self.closed = False
        self.internal: Set[int] = writer.internal  # the agent's own threads
        self.tids: Dict[int, int] = {}  # thread ident -> small tid (1 = main)
        self.natives: Dict[int, int] = {}  # thread ident -> kernel thread id (0: unknown)
        # Threads registered on first sight rather than by the Thread.start hook (raw
        # `_thread` threads): no hook sees them end, so the sampler ends them when they vanish.
        self.lazy: Dict[int, int] = {}
        # Threads whose `E` is written; they may still run a little (bootstrap teardown).
        self.ended: Set[int] = set()
        # Ended threads that have vanished. Their ids stay in `tids` so late records (a waiter
        # that wakes after its waker exited) still name them; the OS may reuse the ident,
        # and a thread seen with it again is a new thread.
        self.gone: Set[int] = set()
        # ident -> (begin, object, reason, site, holder tid, holder site[, forever]) of a wait
        # in progress: the sampler marks such threads WAITING, the flush thread writes those
        # older than a flush interval as OPEN waits (openwaits.py), and so does the exit
        # routine for the waits that never ended. Also makes nested waits (the lock that
        # Condition.wait re-acquires) count once. `forever` (a 7th item, FOREVER) marks a wait
        # without timeout that only a thread of this process can end (a threading lock,
        # Condition, Event, queue, join): the only waits the watchdog (watchdog.py) builds
        # deadlocks and hangs from. Entries without it (sleep, other processes, I/O) never are.
        self.open_waits: Dict[int, tuple] = {}
        # Lane ids (threads and other lanes, one namespace): `next` is atomic under the GIL.
        self._lane_ids = itertools.count(1)
        self._def_lock = _thread.RLock()  # re-entrant: a signal handler may define objects too
        self._sites: Dict[Where, int] = {}
        self._site_ids = itertools.count(1)
        self._frames: Dict[Tuple[int, int], int] = {}
        self._frame_ids = itertools.count(1)
        self._names: Dict[Where, str] = {}
        self._oids = itertools.count(1)
        # Every lock wrapper (acquisition counts at exit), and the defined ones by id
        # (periodic counts). Weak: the agent must not keep the program's objects alive.
        self.locks: "weakref.WeakSet[Any]" = weakref.WeakSet()
        self.counted: Dict[int, Any] = {}
        self._count_lock = _thread.RLock()
        self._failures: Dict[str, int] = {}
        self.sampler: Optional[Any] = None  # sampler.Sampler, stopped by the exit routine
        self.watchdog: Optional[Any] = None  # watchdog.Watchdog, stopped by the exit routine
        # openwaits.OpenWaits: writes `open_waits` at flushes (the flush thread, the watchdog).
        self.open_wait_writer: Optional[Any] = None

    # -- diagnostics ---------------------------------------------------------------------
    def warn(self, message: str, level: str = "warning") -> None:
        self.emit(["!", now(), level, message])

    def fail(self, place: str, exc: BaseException) -> None:
        """Records an agent failure as a `!` record; the caller then carries on untraced."""
        n = self._failures.get(place, 0) + 1
        self._failures[place] = n
        if n <= _MAX_FAILURES_PER_PLACE:
            more = " (further failures here are not reported)" if n == _MAX_FAILURES_PER_PLACE else ""
            self.emit(["!", now(), "error", f"{place}: {exc!r}{more}"])

    # -- threads -------------------------------------------------------------------------
    def tid(self, ident: Optional[int] = None) -> int:
        """Small id of a thread, registering it (a `T` record) when first seen."""
        if ident is None:
            ident = get_ident()
        t = self.tids.get(ident)
        if t is None or ident in self.gone:
            t = self.register(ident, None)
        return t

    def record_wait(self, me: int, obj: Any, reason: str, call: Callable[[], Any],
                    timed_out: Tuple[type, ...] = (), false_is_timeout: bool = False,
                    min_ns: int = 0) -> Any:
        """Runs `call`, which is about to block, as a wait of thread `me` on `obj` with no
        holder or waker known here (multiprocessing and subprocess waits: those are in other
        processes). An exception in `timed_out`, or a false result with `false_is_timeout`,
        flags it TIMED_OUT; a wait shorter than `min_ns` that did not time out is not written."""
        try:
            tid = self.tid(me)
            oid = self.oid(obj)
            site = self.caller_site(1)
        except Exception as e:
            self.fail(f"{reason} wait", e)
            return call()
        t0 = now()
        self.open_waits[me] = (t0, obj, reason, site, None, None)
        flags = 0
        try:
            result = call()
            if false_is_timeout and not result:
                flags = TIMED_OUT
            return result
        except timed_out:
            flags = TIMED_OUT
            raise
        finally:
            self.open_waits.pop(me, None)
            t1 = now()
            if flags or t1 - t0 >= min_ns:
                self.emit(["W", t0, t1, tid, oid, reason, site, None, None, None, flags])

    def known_tid(self, ident: int) -> Optional[int]:
        """Tid of a thread seen before (even if it has ended since); never registers."""
        return self.tids.get(ident) if ident else None

    def register(self, ident: int, thread: Optional[threading.Thread]) -> int:
        """Writes a thread's `T` record. `thread` is given by the Thread.start hook, from
        inside the new thread: then the registration is always fresh (the OS reuses the
        idents of finished threads), unless this very Thread object was already registered
        by a first sight a moment earlier."""
        lazy = thread is None
        if thread is None:
            thread = _active_threads().get(ident)
        name = thread.name if thread is not None else ""
        daemon = 1 if thread is not None and thread.daemon else 0
        native = getattr(thread, "native_id", None) if thread is not None else None
        if native is None and ident == get_ident() and get_native_id is not None:
            native = get_native_id()
        start = getattr(thread, "_weft_start", None) if thread is not None else None
        parent, where = start if start is not None else (None, None)
        site = self.site(where) if where is not None else None
        with self._def_lock:
            # Checked again under the lock: the thread itself (at start) and another thread
            # (a join, a sample) may register it at the same moment.
            t = self.tids.get(ident)
            if t is not None and ident not in self.gone and (lazy or t == getattr(thread, "_weft_tid", None)):
                return t
            t = next(self._lane_ids)
            self.emit(["T", now(), t, native or 0, name or f"_thread-{t}", daemon, parent, site])
            self.natives[ident] = native or 0
            self.tids[ident] = t
            self.ended.discard(ident)
            self.gone.discard(ident)
            if start is None and ident != threading.main_thread().ident:
                self.lazy[ident] = t  # no Thread.start hook will see it end
            else:
                self.lazy.pop(ident, None)
            if thread is not None:
                try:
                    thread._weft_tid = t  # type: ignore[attr-defined]
                except AttributeError:
                    pass
        return t

    def new_lane(self, kind: str, parent: Optional[int], name: str, site: Optional[int],
                 creator: Optional[int] = None, coroutine: Optional[str] = None,
                 coroutine_site: Optional[int] = None, clock_domain: Optional[str] = None) -> int:
        """A lane that is not a thread (an asyncio task): a new id in the threads' namespace
        and its `Y` record (sites are interned by the caller, before). `clock_domain`: the
        clock of the lane's other records (a GPU queue's device clock; see `M`)."""
        t = next(self._lane_ids)
        self.emit(("Y", now(), t, kind, parent, name, site, clock_domain, creator, coroutine, coroutine_site))
        return t

    def end_thread(self, ident: int, ts: int) -> None:
        t = self.tids.get(ident)
        if t is not None and ident not in self.ended:
            self.ended.add(ident)
            self.emit(["E", ts, t])

    # -- sites and frames ----------------------------------------------------------------
    def site(self, where: Where) -> int:
        s = self._sites.get(where)
        if s is None:
            code, line = where
            s = next(self._site_ids)
            # The 6th field is the def line (co_firstlineno): time per function is shown there.
            self.emit(["S", s, code.co_filename, line or 0, getattr(code, "co_qualname", code.co_name), code.co_firstlineno])
            self._sites[where] = s
        return s

    def site_or_none(self, where: Optional[Where]) -> Optional[int]:
        return None if where is None else self.site(where)

    def caller_site(self, depth: int) -> Optional[int]:
        """Site of the user's line `depth` callers up (skipping library and agent frames)."""
        where = user_where(depth + 1)
        return None if where is None else self.site(where)

    def stack(self, wheres: List[Where]) -> Optional[int]:
        """Interns a stack ((code, line) pairs, innermost first; the agent's own frames are
        left out) as a path in the frame tree; returns the leaf frame id."""
        parent: Optional[int] = None
        frames = self._frames
        for where in reversed(wheres):
            if where[0].co_filename.startswith(AGENT_DIR):
                continue
            s = self._sites.get(where) or self.site(where)
            key = (parent or 0, s)
            fid = frames.get(key)
            if fid is None:
                fid = next(self._frame_ids)
                self.emit(["F", fid, parent, s])
                frames[key] = fid
            parent = fid
        return parent

    def name_at(self, where: Optional[Where]) -> str:
        """A readable object name from its creation line, cached per line."""
        if where is None:
            return ""
        name = self._names.get(where)
        if name is None:
            import linecache  # only once an object is recorded: it costs start-up time
            m = _NAME_RE.match(linecache.getline(where[0].co_filename, where[1]))
            name = m.group(1) if m else ""
            self._names[where] = name
        return name

    # -- objects -------------------------------------------------------------------------
    def defines(self, obj: Any) -> bool:
        """True when `obj` has an id in this agent's file. Ids are per file: an object that a
        forked child inherited carries its parent's id and is defined again in the child."""
        return bool(getattr(obj, "_weft_oid", 0)) and getattr(obj, "_weft_gen", None) is self

    def oid(self, obj: Any) -> int:
        """Id of a hooked object, writing its `O` record (and its parent's) on first use."""
        o = getattr(obj, "_weft_oid", 0)
        if o and getattr(obj, "_weft_gen", None) is self:
            return o  # type: ignore[no-any-return]
        parent = getattr(obj, "_weft_parent", None)
        poid = self.oid(parent) if parent is not None else None
        where = getattr(obj, "_weft_site", None)
        site = self.site(where) if where is not None else None
        name = getattr(obj, "_weft_name", "") or self.name_at(where)
        with self._def_lock:
            if self.defines(obj):
                return obj._weft_oid  # type: ignore[no-any-return]
            o = next(self._oids)
            rec = ["O", o, obj._weft_kind, name, site, poid, getattr(obj, "_weft_role", None)]
            gkey = getattr(obj, "_weft_gkey", None)
            if gkey is not None:  # shared with other processes (multiprocessing objects)
                rec.append(gkey)
            self.emit(rec)
            obj._weft_gen = self
            obj._weft_oid = o
        if hasattr(obj, "_n"):
            try:
                self.counted[o] = weakref.ref(obj)
            except TypeError:
                pass
        return o

    # -- acquisition counts --------------------------------------------------------------
    def emit_counts(self, final: bool, limit: int = 10_000) -> None:
        """`A` records: acquisitions since the last report, per lock.

        Periodically only for locks that are already defined (they contended), so a killed
        process still has their counts; at exit also for every other live lock the user
        can see (no parent, or a parent that is defined), capped to keep the file bounded.
        Counts of a lock collected before exit and never contended are not reported.
        """
        with self._count_lock:
            ts = now()
            if final:
                candidates = list(self.locks)
            else:
                candidates = [r() for r in list(self.counted.values())]
            added = 0
            for lock in candidates:
                if lock is None:
                    continue
                n = lock._n
                done = lock._weft_reported
                if n <= done:
                    continue
                if not self.defines(lock):
                    parent = lock._weft_parent
                    if parent is None and lock._weft_site is None:
                        continue  # made outside any user code
                    if parent is not None and not self.defines(parent):
                        continue  # internal lock of a primitive that never waited
                    if added >= limit:
                        self.warn(f"acquisition counts of more than {limit} locks not written", "info")
                        break
                    added += 1
                oid = self.oid(lock)
                self.emit(["A", ts, oid, n - done])
                lock._weft_reported = n


def _active_threads() -> Dict[int, threading.Thread]:
    return getattr(threading, "_active", {})  # type: ignore[no-any-return]


current: Optional[Agent] = None

# Called by the exit routine with (agent, end ts) before the end record: hooks with state of
# their own (asyncio's pending awaits) write what is still open.
FINISHERS: List[Callable[[Agent, int], None]] = []
