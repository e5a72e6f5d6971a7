"""Channels between processes: `multiprocessing` Queue, JoinableQueue, SimpleQueue and the
connections of `Pipe()`. A message put or sent by the user's code is one flow (the key travels
in the pickle, see weft.mp); a get on an empty queue, a put on a full one and a recv with
nothing to read are waits."""
from __future__ import annotations

import sys
from types import ModuleType
from typing import Any, Callable, Optional

from .. import registry
from ..clock import now
from ..hooks import Patches
from ..registry import get_ident, is_user_file, user_where
from . import Sent, agent, from_user, new_key, queue_channel, tls, work

# A multiprocessing.Queue() without maxsize has a semaphore of the platform's maximum value.
_UNBOUNDED = 1 << 30


def outgoing(a: registry.Agent, channel: Any, obj: Any, me: int) -> Any:
    """What to put instead of `obj` on `channel`: a work item's result, a message, or obj."""
    item = work.outgoing(a, channel, obj, me)
    if item is not None:
        return item
    # Frames: from_user, outgoing, the put wrapper, its caller.
    if not from_user(3) or isinstance(obj, Sent):
        return obj
    queue_channel(channel)
    key = new_key("msg")
    a.emit(["L", now(), a.tid(me), key, "s", "queue", a.oid(channel), None])
    return Sent(key, "queue", obj)


def _own_locks_internal(q: Any) -> None:
    """A queue's own locks are internal: no hold spans for them, waits go to the queue (made a
    recorded object here: in a process that unpickled it, no hook saw it made)."""
    for lk in ("_rlock", "_wlock"):
        lock = getattr(q, lk, None)
        if lock is not None:
            lock._weft_internal = True
            lock._weft_parent = queue_channel(q)
            lock._weft_role = lk[1:]


# ---------------------------------------------------------------------------------------
# Queues
# ---------------------------------------------------------------------------------------
def install_queues(h: Patches, queues: ModuleType) -> None:
    import queue as _std_queue

    def wrap_put(orig: Callable[..., Any]) -> Callable[..., Any]:
        def put(self: Any, obj: Any, block: bool = True, timeout: Optional[float] = None) -> None:
            a = agent()
            if a is None:
                return orig(self, obj, block, timeout)  # type: ignore[no-any-return]
            me = get_ident()
            try:
                obj = outgoing(a, self, obj, me)
            except Exception as e:
                a.fail("queue put", e)
            sem = getattr(self, "_sem", None)
            if (block and sem is not None and getattr(self, "_maxsize", 0) < _UNBOUNDED
                    and me not in a.open_waits and not self._closed):
                # Full? Take a slot without blocking and give it back; if there is none, the
                # put will block, and is recorded as a wait.
                if not sem.acquire(False):
                    queue_channel(self)
                    return a.record_wait(  # type: ignore[no-any-return]
                        me, self, "mp_queue_put", lambda: orig(self, obj, block, timeout), (_std_queue.Full,))
                sem.release()
            return orig(self, obj, block, timeout)  # type: ignore[no-any-return]

        return put

    def wrap_get(orig: Callable[..., Any]) -> Callable[..., Any]:
        def get(self: Any, block: bool = True, timeout: Optional[float] = None) -> Any:
            a = agent()
            if a is None:
                return orig(self, block, timeout)
            tls.channel = queue_channel(self)
            try:
                me = get_ident()
                if block and me not in a.open_waits and not self._closed and not self._poll():
                    return a.record_wait(me, self, "mp_queue_get", lambda: orig(self, block, timeout), (_std_queue.Empty,))
                return orig(self, block, timeout)
            finally:
                tls.channel = None

        return get

    Q = queues.Queue
    h.wrap(Q, "put", wrap_put)
    h.wrap(Q, "get", wrap_get)
    JQ = queues.JoinableQueue
    if "put" in JQ.__dict__:
        h.wrap(JQ, "put", wrap_put)

    def wrap_simple_put(sq_put: Callable[..., Any]) -> Callable[..., Any]:
        def put(self: Any, obj: Any) -> None:
            a = agent()
            if a is not None:
                try:
                    obj = outgoing(a, self, obj, get_ident())
                except Exception as e:
                    a.fail("queue put", e)
            return sq_put(self, obj)  # type: ignore[no-any-return]

        return put

    def wrap_simple_get(sq_get: Callable[..., Any]) -> Callable[..., Any]:
        def get(self: Any) -> Any:
            a = agent()
            if a is None:
                return sq_get(self)
            tls.channel = queue_channel(self)
            try:
                me = get_ident()
                if me not in a.open_waits and not self._poll():
                    return a.record_wait(me, self, "mp_queue_get", lambda: sq_get(self))
                return sq_get(self)
            finally:
                tls.channel = None

        return get

    SQ = queues.SimpleQueue
    h.wrap(SQ, "put", wrap_simple_put)
    h.wrap(SQ, "get", wrap_simple_get)

    if getattr(Q, "_reset", None) is not None:
        def wrap_reset(reset: Callable[..., None]) -> Callable[..., None]:
            def _reset(self: Any, *args: Any, **kwargs: Any) -> None:
                reset(self, *args, **kwargs)
                # The feeder thread's condition: it idles there between items, once per message.
                # Recording those waits cost more than the message itself and says nothing about
                # the program (its lane shows the time as not on CPU); the lock goes to the queue.
                cond = getattr(self, "_notempty", None)
                if cond is not None and hasattr(cond, "_weft_internal"):
                    cond._weft_internal = True
                    lock = getattr(cond, "_lock", None)
                    if lock is not None and hasattr(lock, "_weft_parent"):
                        lock._weft_parent = queue_channel(self)
                        lock._weft_role = "feeder"

            return _reset

        h.wrap(Q, "_reset", wrap_reset)

    def after_queue(q: Any) -> None:
        a = agent()
        if a is None:
            return
        where = user_where(1)
        if where is not None:
            q.__dict__["_weft_site"] = where
        _own_locks_internal(q)
        # Frames: from_user, after_queue, the __init__ wrapper, its caller, and that one's
        # caller (the user's `mp.Queue()` goes through multiprocessing.context).
        if where is not None and from_user(4):
            # Defined now, in the creating process: the processes it is handed to (spawn)
            # cannot know its line.
            a.oid(queue_channel(q))

    def wrap_setstate(setstate: Callable[..., Any]) -> Callable[..., Any]:
        def __setstate__(self: Any, state: Any) -> None:
            setstate(self, state)
            _own_locks_internal(self)

        return __setstate__

    for cls in (Q, SQ):
        h.wrap_init(cls, after_queue)
        h.wrap(cls, "__setstate__", wrap_setstate)


# ---------------------------------------------------------------------------------------
# Pipes
# ---------------------------------------------------------------------------------------
class PipeEnd:
    """The object a `Pipe()` connection's records refer to (Connection objects have slots-like
    C-level state on some platforms; a plain holder is always safe)."""

    _weft_kind = "mp_pipe"
    _weft_parent = None
    _weft_role = None

    def __init__(self, where: Any, name: str) -> None:
        self._weft_oid = 0
        self._weft_site = where
        self._weft_name = name


def install_pipes(h: Patches, connection: ModuleType, reduction: ModuleType) -> None:
    Conn = connection.Connection
    base = getattr(connection, "_ConnectionBase", Conn)  # where send and recv are defined

    def wrap_send(send: Callable[..., None]) -> Callable[..., None]:
        def weft_send(self: Any, obj: Any) -> None:
            a = agent()
            end = getattr(self, "_weft_end", None)
            if a is not None and end is not None and not isinstance(obj, Sent):
                try:
                    if from_user(2):
                        key = new_key("msg")
                        a.emit(["L", now(), a.tid(), key, "s", "pipe", a.oid(end), None])
                        obj = Sent(key, "pipe", obj)
                except Exception as e:
                    a.fail("pipe send", e)
            return send(self, obj)

        return weft_send

    def wrap_recv(recv: Callable[..., Any]) -> Callable[..., Any]:
        def weft_recv(self: Any) -> Any:
            a = agent()
            end = getattr(self, "_weft_end", None)
            if a is None:
                return recv(self)
            tls.channel = end
            try:
                me = get_ident()
                if (end is not None and me not in a.open_waits and not self.closed and self.readable
                        and not self.poll()):
                    return a.record_wait(me, end, "pipe_recv", lambda: recv(self))
                return recv(self)
            finally:
                tls.channel = None

        return weft_recv

    h.wrap(base, "send", wrap_send)
    h.wrap(base, "recv", wrap_recv)

    def wrap_pipe(pipe: Callable[..., Any]) -> Callable[..., Any]:
        def Pipe(duplex: bool = True) -> Any:
            c1, c2 = pipe(duplex)
            if agent() is not None and _pipe_from_user():
                end = PipeEnd(user_where(0), "")
                _mark(c1, end)
                _mark(c2, end)
            return c1, c2

        return Pipe

    h.wrap(connection, "Pipe", wrap_pipe)
    reduce = getattr(connection, "reduce_connection", None)
    reducers = getattr(reduction.ForkingPickler, "_extra_reducers", None)
    if reduce is not None and getattr(connection, "rebuild_connection", None) is not None and reducers is not None:
        def reduce_connection(conn: Any) -> Any:
            fn, args = reduce(conn)
            # One end of a user's Pipe() handed to a child: it stays a traced pipe end there.
            if getattr(conn, "_weft_end", None) is not None and fn is connection.rebuild_connection:
                return _rebuild_pipe_end, args
            return fn, args

        # What reduction.register(Conn, ...) does, kept undoable.
        h.item(reducers, Conn, reduce_connection)


def _rebuild_pipe_end(*args: Any) -> Any:
    """Unpickles a connection that was one end of a user's Pipe() (see reduce_connection)."""
    from multiprocessing import connection

    conn = connection.rebuild_connection(*args)
    _mark(conn, PipeEnd(None, "pipe"))
    return conn


def _pipe_from_user() -> bool:
    """Whether Pipe() was called by the user's code, directly or through multiprocessing.Pipe
    (multiprocessing's own queues make pipes too: those are not the user's channels)."""
    try:
        f = sys._getframe(2)
    except ValueError:
        return False
    if f.f_code.co_name == "Pipe" and f.f_code.co_filename.endswith("context.py") and f.f_back is not None:
        f = f.f_back
    return is_user_file(f.f_code.co_filename)


def _mark(conn: Any, end: Any) -> None:
    try:
        conn._weft_end = end
    except AttributeError:
        pass
