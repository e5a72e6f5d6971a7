"""multiprocessing across processes: messages, work items and cross-process waits.

What is recorded (records in runtime/src/format/spec.ts), and where:

- **Messages** (`channels`). A `put` on a `multiprocessing` Queue, JoinableQueue or
  SimpleQueue, or a `send` on a `Pipe()` connection, made from the user's code, is one flow:
  `L ... 's'` in the sending thread, `L ... 'f'` with the pickled size in the thread that takes
  it, in whatever process. The flow key has to travel with the message, and it does so inside
  the pickle: the object is put as a `Sent` wrapper whose `__reduce__` makes the receiving
  `pickle.loads` call `weft.mp._received(key, kind, obj)`, which records the arrival and
  returns `obj` itself. So the receiver gets exactly the object it would have got (same type,
  same value), the payload grows by about 40 bytes, and nothing changes in the queue's or
  pipe's own code paths. Connections from `Listener`/`Client` (possibly to another machine)
  are never tagged: only `Pipe()` ends and those rebuilt from them in a child.
- **Work items** (`work`). A `Pool` task (one `apply_async` call, or one chunk of
  `map`/`imap`/`starmap`) and a `ProcessPoolExecutor` call are flows of kind `work` from the
  submitting thread (at submit time) to the worker thread (when it takes the task), an `X`
  span of kind `work` while the function runs, and a flow of kind `result` back to the thread
  that receives the result in the submitting process. The same `Sent` mechanism carries the keys.
- **Waits** (`channels`, `shared`, `process`). A blocking `get` on an empty queue
  (`mp_queue_get`), a `put` on a full one (`mp_queue_put`), a `recv` with nothing to read
  (`pipe_recv`), an `acquire` of a busy `multiprocessing` Lock/RLock (`mp_lock`) or Semaphore
  (`mp_semaphore`), and `Process.join` of a live process (`process_join`). Whether the call
  will block is checked first (a non-blocking try or a zero-timeout poll), so an available item
  costs one system call more and no record.
- **Holders across processes** (`shared`). A process cannot see who holds a semaphore in
  another one. So each process records the holds of user-visible `multiprocessing` Lock/RLock
  objects as `X` spans of kind `hold`, keyed by the lock's global key, and the model attributes
  a wait to the hold (in any process) that covered its start. Objects shared by processes carry
  the same global key (the `O` record's 8th field): the semaphore's name, or for a semaphore
  inherited through fork (unnamed), the creating process and its handle.
- **Children** (`process`): spawned and forkserver children get their parent's `P` record
  from `multiprocessing.util.spawnv_passfds`.

Each concern is one module with install functions, one row each in `session.HOOKS`, run when
the multiprocessing module it patches is first imported (the agent never imports them itself:
a program that does not use multiprocessing pays nothing).

This package module itself holds the keys: how two processes name the same message or the
same shared object. It is the one part of the agent that another process calls by name (the
pickles say `weft.mp._received`), so it stays here, importable by every Python process below
a traced one (processes.export_child_env puts the agent on PYTHONPATH), and light to import.
"""
from __future__ import annotations

import itertools
import os
import sys
import threading
from types import ModuleType
from typing import Any, Callable, Optional, Tuple

from .. import registry
from ..clock import now
from ..hooks import Patches
from ..registry import is_user_file, recordable

# Per thread, between a channel's get/recv wrapper and `_received` inside its unpickling:
# `channel` (the object being read), `size` (the pickled size, from the loads wrapper), and
# in a worker `task` (the work item it runs; see work.py).
tls = threading.local()

_keys = itertools.count(1)
_pid = [os.getpid()]  # refreshed in forked children: getpid() is a system call per message
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _pid.__setitem__(0, os.getpid()))


def agent() -> Optional[registry.Agent]:
    """The running agent, or None when none is (or it has stopped)."""
    a = registry.current
    return None if a is None or a.closed else a


def from_user(depth: int = 2) -> bool:
    """Whether the caller `depth` frames up is the user's code (not multiprocessing itself)."""
    try:
        return is_user_file(sys._getframe(depth).f_code.co_filename)
    except ValueError:
        return False


def new_key(prefix: str) -> str:
    """A flow key unique on this host: `<prefix>:<pid>:<n>`."""
    return f"{prefix}:{_pid[0]}:{next(_keys)}"


def pid() -> int:
    return _pid[0]


# ---------------------------------------------------------------------------------------
# Flow keys through the pickle
# ---------------------------------------------------------------------------------------
class Sent:
    """What is put instead of `obj`: unpickles as `obj`, recording the arrival on the way."""

    __slots__ = ("key", "kind", "obj")

    def __init__(self, key: str, kind: str, obj: Any) -> None:
        self.key = key
        self.kind = kind
        self.obj = obj

    def __reduce__(self) -> Tuple[Callable[..., Any], Tuple[Any, ...]]:
        return _received, (self.key, self.kind, self.obj)


def arrived(a: registry.Agent, key: str, kind: str) -> int:
    """Writes the arrival end (`L ... 'f'`) of flow `key` in the calling thread; returns its time."""
    ts = now()
    channel = getattr(tls, "channel", None)
    oid = a.oid(channel) if (channel is not None and kind in ("queue", "pipe")) else None
    a.emit(["L", ts, a.tid(), key, "f", kind, oid, getattr(tls, "size", None)])
    return ts


def _received(key: str, kind: str, obj: Any) -> Any:
    """Called by `pickle.loads` in the receiving process; returns the original object."""
    a = agent()
    if a is not None:
        try:
            arrived(a, key, kind)
        except Exception as e:
            a.fail("message arrival", e)
    return obj


def _make_loads(loads: Callable[..., Any]) -> Callable[..., Any]:
    """`ForkingPickler.loads` noting the pickled size for the `_received` calls inside it."""

    def weft_loads(data: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            tls.size = data.nbytes if isinstance(data, memoryview) else len(data)
        except Exception:
            tls.size = None
        return loads(data, *args, **kwargs)

    return weft_loads


def install_sizes(h: Patches, reduction: ModuleType) -> None:
    """Message sizes: every multiprocessing channel unpickles through ForkingPickler.loads."""
    FP = reduction.ForkingPickler
    h.patch(FP, "loads", staticmethod(_make_loads(FP.__dict__["loads"] if "loads" in FP.__dict__ else FP.loads)))


# ---------------------------------------------------------------------------------------
# Global keys of shared objects
# ---------------------------------------------------------------------------------------
def sem_gkey(semlock: Any) -> str:
    """The global key of a multiprocessing semaphore: its name, or for an unnamed one (made
    in a fork context, inherited by fork) the creating process and its handle."""
    name = getattr(semlock, "name", None)
    if name:
        return str(name)
    return f"sem:{os.getpid()}:{semlock.handle}"


def ensure_channel(obj: Any, kind: str, gkey: Optional[str] = None) -> Any:
    """Gives a queue or pipe the attributes the agent's object records need (once)."""
    if "_weft_kind" not in getattr(obj, "__dict__", {}):
        recordable(obj, kind)
        if gkey is not None:
            obj._weft_gkey = gkey
    return obj


def _queue_kind(q: Any) -> str:
    name = type(q).__name__
    if name == "JoinableQueue":
        return "mp_joinable_queue"
    if name == "SimpleQueue":
        return "mp_simple_queue"
    return "mp_queue"


def queue_channel(q: Any) -> Any:
    """A multiprocessing queue as a recorded object, keyed by its read lock's semaphore."""
    if "_weft_kind" in q.__dict__:
        return q
    rlock = getattr(q, "_rlock", None)
    sl = getattr(rlock, "_semlock", None)
    gkey = getattr(rlock, "_weft_gkey", None) or (sem_gkey(sl) if sl is not None else None)
    return ensure_channel(q, _queue_kind(q), ("queue:" + gkey) if gkey else None)
