"""Per-process agent state: the record buffer, thread ids, and interning of sites, objects and
stack frames (the `S`, `O`, `F`, `T` records of runtime/src/format/spec.ts).

Everything here is called from the user's threads, so it must be cheap and must never block:
records go to a list with `append` (atomic under the GIL), interning uses dicts, and no lock
is taken. On a free-threaded build a rare duplicate definition can be written; readers accept
a redefinition with the same content.
"""
from __future__ import annotations

import linecache
import os
import re
import sys
import threading
import time
import weakref
from typing import Any, Dict, Optional, Tuple

from .writer import TraceWriter

now = time.perf_counter_ns
raw_sleep = time.sleep  # captured before hooks replace time.sleep
get_ident = threading.get_ident

# Files whose frames are never "the user's line": the stdlib modules we hook and the agent.
_AGENT_DIR = os.path.dirname(os.path.abspath(__file__))
_STDLIB = os.path.dirname(threading.__file__) + os.sep
_SKIP_FILES = {threading.__file__}
_SKIP_DIRS = (_AGENT_DIR + os.sep, _STDLIB)
# Installed packages live under the stdlib folder in most layouts but are the user's code.
_KEEP_DIRS = (_STDLIB + "site-packages" + os.sep, _STDLIB + "dist-packages" + os.sep)

_NAME_RE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:\[[^\]]*\])?)\s*(?::[^=]*)?=(?!=)")


class Agent:
    """The one agent of this process. Module-level `A` holds it once installed."""

    def __init__(self, writer: TraceWriter, sample_hz: int) -> None:
        self.writer = writer
        self.sample_hz = sample_hz
        self.tids: Dict[int, int] = {}
        self.natives: Dict[int, int] = {}
        self.next_tid = 1
        self.sites: Dict[Tuple[Any, int], int] = {}
        self.site_code: Dict[int, Tuple[Any, int]] = {}
        self.site_names: Dict[int, str] = {}
        self.frames: Dict[Tuple[int, int], int] = {}
        self.next_oid = 1
        self.defined: Dict[int, Any] = {}  # oid -> weakref, for acquisition counts at exit
        self.open_waits: Dict[int, list] = {}  # ident -> partial W record of a wait in progress
        self.internal_idents: set = set()  # the agent's own threads
        self.closed = False
        writer.convert = self.convert

    # -- records -------------------------------------------------------------------------
    def emit(self, rec: list) -> None:
        self.writer.buf.append(rec)

    def convert(self, rec: tuple) -> list:
        """Finishes a deferred wait tuple: thread idents of holder and waker become tids."""
        tids = self.tids
        out = list(rec)
        out[7] = tids.get(rec[7]) if rec[7] else None
        out[9] = tids.get(rec[9]) if rec[9] else None
        return out

    def warn(self, message: str, level: str = "warning") -> None:
        self.emit(["!", now(), level, message])

    # -- threads -------------------------------------------------------------------------
    def tid(self, ident: Optional[int] = None) -> int:
        """Small per-process id of a thread; registers a thread seen for the first time."""
        if ident is None:
            ident = get_ident()
        t = self.tids.get(ident)
        if t is None:
            t = self.register_thread(ident, None, None)
        return t

    def register_thread(self, ident: int, parent: Optional[int], site: Optional[int]) -> int:
        t = self.next_tid
        self.next_tid += 1
        self.tids[ident] = t
        th = threading._active.get(ident)  # type: ignore[attr-defined]
        name = th.name if th is not None else f"thread-{ident}"
        daemon = 1 if th is not None and th.daemon else 0
        native = getattr(th, "native_id", None) if th is not None else None
        if native is None and ident == get_ident() and hasattr(threading, "get_native_id"):
            native = threading.get_native_id()
        self.natives[ident] = native or 0
        self.emit(["T", now(), t, native or 0, name, daemon, parent, site])
        return t

    # -- sites ---------------------------------------------------------------------------
    def site(self, code: Any, line: int) -> int:
        key = (code, line)
        s = self.sites.get(key)
        if s is None:
            s = len(self.sites) + 1
            self.sites[key] = s
            self.site_code[s] = key
            self.emit(["S", s, code.co_filename, line or 0, getattr(code, "co_qualname", code.co_name)])
        return s

    def user_site(self, depth: int = 2) -> Optional[int]:
        """Site of the first caller frame outside the hooked stdlib modules and the agent."""
        try:
            f = sys._getframe(depth)
        except ValueError:
            return None
        while f is not None:
            fn = f.f_code.co_filename
            if not fn.startswith(_SKIP_DIRS) or fn.startswith(_KEEP_DIRS):
                return self.site(f.f_code, f.f_lineno)
            f = f.f_back
        return None

    def user_site_key(self, depth: int = 2) -> Optional[Tuple[Any, int]]:
        """Like user_site, but the (code, line) itself: objects keep this, not a per-file id,
        because a forked child writes a new file with ids of its own."""
        try:
            f = sys._getframe(depth)
        except ValueError:
            return None
        while f is not None:
            fn = f.f_code.co_filename
            if not fn.startswith(_SKIP_DIRS) or fn.startswith(_KEEP_DIRS):
                return (f.f_code, f.f_lineno)
            f = f.f_back
        return None

    def frame_site(self, frame: Any) -> Optional[int]:
        """Site of the innermost user frame of a stack (for holders seen from another thread)."""
        f = frame
        while f is not None:
            fn = f.f_code.co_filename
            if not fn.startswith(_SKIP_DIRS) or fn.startswith(_KEEP_DIRS):
                return self.site(f.f_code, f.f_lineno)
            f = f.f_back
        return None

    def stack(self, frame: Any, limit: int = 64) -> Optional[int]:
        """Interns a stack as a path in the frame tree; returns the leaf frame id."""
        codes = []
        f = frame
        while f is not None and len(codes) < limit:
            fn = f.f_code.co_filename
            if not fn.startswith(_AGENT_DIR):
                codes.append((f.f_code, f.f_lineno))
            f = f.f_back
        parent: Optional[int] = None
        for code, line in reversed(codes):
            s = self.site(code, line)
            key = (parent or 0, s)
            fid = self.frames.get(key)
            if fid is None:
                fid = len(self.frames) + 1
                self.frames[key] = fid
                self.emit(["F", fid, parent, s])
            parent = fid
        return parent

    def name_at(self, site: Optional[int]) -> str:
        """A readable object name from its creation line (`self.lock = Lock()` -> self.lock)."""
        if site is None:
            return ""
        name = self.site_names.get(site)
        if name is None:
            name = ""
            code, line = self.site_code[site]
            m = _NAME_RE.match(linecache.getline(code.co_filename, line))
            if m:
                name = m.group(1)
            self.site_names[site] = name
        return name

    # -- objects -------------------------------------------------------------------------
    def oid(self, obj: Any) -> int:
        """Id of a hooked object, defining it (and its parent) on first use."""
        o = obj._weft_oid
        if o and getattr(obj, "_weft_gen", None) is self:
            return o
        parent = getattr(obj, "_weft_parent", None)
        poid = self.oid(parent) if parent is not None else None
        key = obj._weft_site
        site = self.site(key[0], key[1]) if key is not None else None
        name = getattr(obj, "_weft_name", "") or self.name_at(site)
        # Everything that can switch threads (reading the source line) is done above; the id
        # is taken and the definition emitted together, so a definition never follows a record
        # that uses its id, even when two threads define related objects at once.
        o = obj._weft_oid  # another thread may have defined it while we read the line
        if o and getattr(obj, "_weft_gen", None) is self:
            return o
        o = self.next_oid
        self.next_oid += 1
        obj._weft_oid = o
        obj._weft_gen = self  # ids are per file: a forked child's agent redefines the object
        self.emit(["O", o, obj._weft_kind, name, site, poid, getattr(obj, "_weft_role", None)])
        try:
            self.defined[o] = weakref.ref(obj)
        except TypeError:
            pass
        return o


A: Optional[Agent] = None


_LINUX = sys.platform.startswith("linux")


def _cpu_clock_ns(native_id: Optional[int]) -> Optional[int]:
    """CPU time of a thread of this process, by its kernel thread id.

    Linux encodes a thread's CPU clock as a clockid derived from its tid (what glibc's
    pthread_getcpuclockid does). Building it from the tid, rather than calling
    pthread_getcpuclockid on a pthread_t, is safe for a thread that has already exited:
    clock_gettime then fails with EINVAL instead of touching freed memory.
    """
    if not _LINUX or not native_id:
        return None
    try:
        return time.clock_gettime_ns(((~native_id) << 3) | 6)
    except (AttributeError, OSError, OverflowError):
        return None


def _sample_cpu_of(self: Agent, ident: int, tid: int) -> None:
    cpu = _cpu_clock_ns(self.natives.get(ident))
    if cpu is not None:
        self.emit(["C", now(), tid, cpu])


Agent.sample_cpu_of = _sample_cpu_of  # type: ignore[attr-defined]
