"""The user's traceback stays theirs: an exception that passes through one of the agent's
wrappers (a KeyboardInterrupt while a lock, join, Condition, queue or sleep blocks; a
RuntimeError from joining a thread that never started; `queue.Empty` from `get_nowait`) shows
the same frames as without Weft.

Each wrapper the user's code calls into ends in

    except BaseException as e:
        e.__traceback__ = user_traceback(e.__traceback__)
        raise

A bare `raise` re-raises the exception with the traceback it now carries and adds no entry
for the frame it is in (3.11+: only an explicit `raise e` or an error raised there does), so
the wrapper's entry and any agent entry below it are gone, and the caller's frame adds its own
as usual. A try block costs nothing until an exception is raised (3.11+: zero-cost exception
tables; `test_stalls.Tracebacks` measures the lock slow path both ways). On 3.9 and 3.10 a bare
`raise` restores the traceback saved when the handler was entered, so there the agent's frames
stay in the traceback, as before.
"""
from __future__ import annotations

import functools
import os
from types import TracebackType
from typing import Any, Callable, List, Optional

# registry.AGENT_DIR, computed here: registry imports this module.
AGENT_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _agent(tb: TracebackType) -> bool:
    return tb.tb_frame.f_code.co_filename.startswith(AGENT_DIR)


def user_traceback(tb: Optional[TracebackType]) -> Optional[TracebackType]:
    """`tb` without the agent's entries: the leading ones dropped, any further down rebuilt
    around (types.TracebackType), the others' frames and lines unchanged."""
    while tb is not None and _agent(tb):
        tb = tb.tb_next
    t = tb
    while t is not None and not _agent(t):
        t = t.tb_next
    if t is None:
        return tb
    kept: List[TracebackType] = []
    t = tb
    while t is not None:
        if not _agent(t):
            kept.append(t)
        t = t.tb_next
    out: Optional[TracebackType] = None
    for e in reversed(kept):
        out = TracebackType(out, e.tb_frame, e.tb_lasti, e.tb_lineno)
    return out


def keeps_user_traceback(fn: Callable[..., Any]) -> Callable[..., Any]:
    """For wrappers off the hot path (multiprocessing, subprocess): the same `except` around
    the whole call, for the price of one more (hidden) frame."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BaseException as e:  # the traceback stays the user's
            e.__traceback__ = user_traceback(e.__traceback__)
            raise

    return call
