"""Reading other threads' stacks (`sys._current_frames()`) without crashing or hanging the
program. The sampler and the lock holder's line are the only readers; both go through
`inspect_threads`, which holds three rules.

1. No garbage collection during the call. Up to 3.11, `_PyThread_CurrentFrames` holds the
   runtime's thread-list lock (HEAD_LOCK) while it allocates a frame object per thread; an
   allocation may start a collection, which runs finalizers (multiprocessing's `Finalize`
   closes descriptors, releasing the GIL). Another thread then takes the GIL and blocks on
   HEAD_LOCK (to start or end a thread) while the collector waits for the GIL: the process
   hangs for good (CPython gh-106883, fixed only in 3.12). Seen here: a loop of 200
   `with Pool(2)` blocks hung in 1 run of 4 under Weft.
2. Frames are read at once and dropped before anything else runs. Since 3.11 a frame object of
   another thread is a view of that thread's live frame; holding one while that thread runs
   on, returns from it and ends is where CPython has had crash after crash. With a sampler
   that walked the stacks between other work (interning sites, writing records: points where
   the GIL can pass, and where a collection's finalizer can release it), a loop of 100 pools
   at 1000 samples/s segfaulted in 1 run of 5 on 3.11.7 (in `PyFrame_GetBack`, on a frame that
   had returned). Reading every stack into (code, line) pairs right after the call, with the
   collector off, did not crash in 60 runs. No other thread can run in that window: the GIL
   only moves when its holder blocks, or after a waiter has waited a whole switch interval
   (5 ms) since the holder took it, and the walk takes tens of microseconds.
3. The collector's on/off state stays the user's. The agent switches it off around the read and
   back on only if it was on. So that a user thread's `gc.disable()`/`gc.enable()` cannot fall
   between the two and be undone, those functions are wrapped to take the same reentrant lock
   (held for microseconds; a signal handler in the same thread may take it again), and a fork
   waits for it, so that a child never starts with the collector off because of a sampler that
   does not exist there.
"""
from __future__ import annotations

import _thread
import gc
import os
import sys
from types import FrameType, ModuleType
from typing import Any, Callable, Dict, List, Optional, Set, Tuple, TypeVar

from .hooks import Patches

T = TypeVar("T")
Where = Tuple[Any, int]  # (code object, line)

# On CPython 3.12.0-3.12.1, calling sys._current_frames() at all (it materializes every
# thread's current frame object) made a multiprocessing child crash in its final garbage
# collection ("deallocated BytesIO object has exported buffers", then a segfault) in about
# half of the runs of test_spawned_child_can_unpickle_functions_of_main; a sampler that woke
# up without calling it never did, and 3.10, 3.11 and 3.13 never did. Later 3.12 releases
# could not be tried here. On those versions the agent does without it: no stack samples
# and no holder's line (everything else is recorded), and says so in a `!` record.
CURRENT_FRAMES_SAFE = not (sys.implementation.name == "cpython" and (3, 12, 0) <= sys.version_info[:3] < (3, 12, 2))
CURRENT_FRAMES_NOTE = ("stack sampling and holder lines are off: sys._current_frames() crashes "
                       f"multiprocessing children on Python {sys.version.split()[0]}; upgrade to 3.12.2 or later")

NEEDS_GUARD = sys.implementation.name == "cpython"

_lock = _thread.RLock()
_gc_isenabled, _gc_disable, _gc_enable = gc.isenabled, gc.disable, gc.enable
_fork_hook_registered = False


def _guarded(original: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return original(*args, **kwargs)

    call.__name__ = original.__name__
    call.__qualname__ = original.__name__
    call.__doc__ = original.__doc__
    call.__wrapped__ = original  # type: ignore[attr-defined]
    return call


def inspect_threads(read: Callable[[Dict[int, FrameType]], T]) -> T:
    """Calls `read` with `sys._current_frames()` under the rules above. `read` must copy what
    it needs out of the frames (codes, lines) and return no frame object."""
    with _lock:
        was_on = NEEDS_GUARD and _gc_isenabled()
        if was_on:
            _gc_disable()
        try:
            frames = sys._current_frames()
            try:
                return read(frames)
            finally:
                frames.clear()
        finally:
            if was_on:
                _gc_enable()


def read_stacks(frames: Dict[int, FrameType], skip: Set[int], limit: int = 128
                ) -> List[Tuple[int, List[Where], bool]]:
    """For `inspect_threads`: every thread's stack but those in `skip`, innermost first, as
    (ident, [(code, line)...], complete) where `complete` says the walk reached the bottom."""
    out = []
    for ident, f in frames.items():
        if ident in skip:
            continue
        wheres = []
        while f is not None and len(wheres) < limit:
            wheres.append((f.f_code, f.f_lineno))
            f = f.f_back
        out.append((ident, wheres, f is None))
    return out


def first_where(frames: Dict[int, FrameType], ident: int, wanted: Callable[[str], bool]) -> Optional[Where]:
    """For `inspect_threads`: the innermost (code, line) of thread `ident` in a file `wanted`."""
    return innermost(frames.get(ident), wanted)


def innermost(frame: Optional[FrameType], wanted: Callable[[str], bool]) -> Optional[Where]:
    """The (code, line) of `frame` or the nearest caller in a file `wanted`."""
    f = frame
    while f is not None:
        code = f.f_code
        if wanted(code.co_filename):
            return code, f.f_lineno
        f = f.f_back
    return None


def _before_fork() -> None:
    _lock.acquire()


def _after_fork() -> None:
    # The forking thread owns the lock in both processes (fork keeps the calling thread).
    _lock.release()


def install(h: Patches, gc: ModuleType) -> None:
    """Wraps gc.enable/disable to take the lock of `inspect_threads` (rule 3)."""
    global _fork_hook_registered
    if not NEEDS_GUARD:
        return
    for name in ("enable", "disable"):
        h.wrap(gc, name, _guarded)
    if hasattr(os, "register_at_fork") and not _fork_hook_registered:
        # Cannot be undone, and need not be: without the wrappers nothing else takes the lock.
        os.register_at_fork(before=_before_fork, after_in_parent=_after_fork, after_in_child=_after_fork)
        _fork_hook_registered = True
