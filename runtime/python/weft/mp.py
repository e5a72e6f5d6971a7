"""multiprocessing across processes: messages, work items and cross-process waits.

What is recorded (records in runtime/src/format/spec.ts):

- **Messages.** A `put` on a `multiprocessing` Queue, JoinableQueue or SimpleQueue, or a `send`
  on a `Pipe()` connection, made from the user's code, is one flow: `L ... 's'` in the sending
  thread, `L ... 'f'` with the pickled size in the thread that takes it, in whatever process.
  The flow key has to travel with the message, and it does so inside the pickle: the object is
  put as a `_Sent` wrapper whose `__reduce__` makes the receiving `pickle.loads` call
  `_received(key, kind, obj)`, which records the arrival and returns `obj` itself. So the
  receiver gets exactly the object it would have got (same type, same value), the payload grows
  by about 40 bytes, and nothing changes in the queue's or pipe's own code paths. The receiver
  must be able to import `weft.mp`; every Python process below a traced one has the agent on
  its PYTHONPATH (processes.export_child_env). Connections from `Listener`/`Client` (possibly to
  another machine) are never tagged: only `Pipe()` ends and those rebuilt from them in a child.
- **Work items.** A `Pool` task (one `apply_async` call, or one chunk of `map`/`imap`/`starmap`)
  and a `ProcessPoolExecutor` call are flows of kind `task` from the submitting thread (at submit
  time) to the worker thread (when it takes the task), an `X` span of kind `task` while the
  function runs, and a flow of kind `result` back to the thread that receives the result in
  the submitting process. The same `_Sent` mechanism carries the keys.
- **Waits.** A blocking `get` on an empty queue (`mp_queue_get`), a `put` on a full one
  (`mp_queue_put`), a `recv` with nothing to read (`pipe_recv`), an `acquire` of a busy
  `multiprocessing` Lock/RLock (`mp_lock`) or Semaphore (`mp_semaphore`), and `Process.join` of a
  live process (`process_join`). Whether the call will block is checked first (a non-blocking
  try or a zero-timeout poll), so an available item costs one system call more and no record.
- **Holders across processes.** A process cannot see who holds a semaphore in another one. So
  each process records the holds of user-visible `multiprocessing` Lock/RLock objects as `X`
  spans of kind `hold`, keyed by the lock's global key, and the model attributes a wait to the
  hold (in any process) that covered its start. Objects shared by processes carry the same
  global key (the `O` record's 8th field): the semaphore's name, or for a semaphore inherited
  through fork (unnamed), the creating process and its handle.

Everything is installed when `multiprocessing`'s modules are first imported (never imports
them itself: a program that does not use multiprocessing pays nothing).
"""
from __future__ import annotations

import itertools
import os
import sys
import threading
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import registry
from .clock import now
from .primitives import Inits, unwrap_inits, wrap_init
from .registry import get_ident, is_user_file, recordable, user_where

# A multiprocessing.Queue() without maxsize has a semaphore of the platform's maximum value.
_UNBOUNDED = 1 << 30

_orig: List[Tuple[Any, str, Any]] = []  # (owner, attribute, original) for uninstall
_keys = itertools.count(1)
_tls = threading.local()
_inits: Inits = []  # __init__ wrappers (primitives.wrap_init), undone by uninstall


def _patch(owner: Any, name: str, value: Any) -> None:
    _orig.append((owner, name, owner.__dict__.get(name, getattr(owner, name, None))))
    setattr(owner, name, value)


def _from_user(depth: int = 2) -> bool:
    """Whether the caller `depth` frames up is the user's code (not multiprocessing itself)."""
    try:
        return is_user_file(sys._getframe(depth).f_code.co_filename)
    except ValueError:
        return False


def _agent() -> Optional[registry.Agent]:
    a = registry.current
    return None if a is None or a.closed else a


# ---------------------------------------------------------------------------------------
# Keys through the pickle
# ---------------------------------------------------------------------------------------
class _Sent:
    """What is put instead of `obj`: unpickles as `obj`, recording the arrival on the way."""

    __slots__ = ("key", "kind", "obj")

    def __init__(self, key: str, kind: str, obj: Any) -> None:
        self.key = key
        self.kind = kind
        self.obj = obj

    def __reduce__(self) -> Tuple[Callable[..., Any], Tuple[str, str, Any]]:
        return _received, (self.key, self.kind, self.obj)


def _received(key: str, kind: str, obj: Any) -> Any:
    """Called by `pickle.loads` in the receiving process; returns the original object."""
    a = _agent()
    if a is None:
        return obj
    try:
        ts = now()
        tid = a.tid()
        size = getattr(_tls, "size", None)
        channel = getattr(_tls, "channel", None)
        oid = a.oid(channel) if (channel is not None and kind in ("queue", "pipe")) else None
        a.emit(["L", ts, tid, key, "f", kind, oid, size])
        if kind == "task":
            # The worker runs it next: remember when it started, for the span and the result.
            _tls.task = (key, ts, _task_ident(obj), _task_func(obj))
    except Exception as e:
        a.fail("message arrival", e)
    return obj


def _loads_wrapper(loads: Callable[..., Any]) -> Callable[..., Any]:
    def weft_loads(data: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            _tls.size = data.nbytes if isinstance(data, memoryview) else len(data)
        except Exception:
            _tls.size = None
        return loads(data, *args, **kwargs)

    return weft_loads


_pid = [os.getpid()]  # refreshed in forked children: getpid() is a system call per message
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _pid.__setitem__(0, os.getpid()))


def _new_key(prefix: str) -> str:
    return f"{prefix}:{_pid[0]}:{next(_keys)}"


# ---------------------------------------------------------------------------------------
# Identity of shared objects
# ---------------------------------------------------------------------------------------
def _sem_gkey(semlock: Any) -> str:
    name = getattr(semlock, "name", None)
    if name:
        return str(name)
    return f"sem:{os.getpid()}:{semlock.handle}"


def _ensure_channel(obj: Any, kind: str, gkey: Optional[str] = None) -> Any:
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


def _queue_channel(q: Any) -> Any:
    if "_weft_kind" in q.__dict__:
        return q
    rlock = getattr(q, "_rlock", None)
    sl = getattr(rlock, "_semlock", None)
    gkey = getattr(rlock, "_weft_gkey", None) or (_sem_gkey(sl) if sl is not None else None)
    return _ensure_channel(q, _queue_kind(q), ("queue:" + gkey) if gkey else None)


class _PipeEnd:
    """The object a `Pipe()` connection's records refer to (Connection objects have slots-like
    C-level state on some platforms; a plain holder is always safe)."""

    _weft_kind = "mp_pipe"
    _weft_parent = None
    _weft_role = None

    def __init__(self, where: Any, name: str) -> None:
        self._weft_oid = 0
        self._weft_site = where
        self._weft_name = name


# ---------------------------------------------------------------------------------------
# Waits
# ---------------------------------------------------------------------------------------
def _hook_queues(queues: Any) -> None:
    import queue as _std_queue

    def wrap_put(orig: Callable[..., Any]) -> Callable[..., Any]:
        def put(self: Any, obj: Any, block: bool = True, timeout: Optional[float] = None) -> None:
            a = _agent()
            if a is None:
                return orig(self, obj, block, timeout)  # type: ignore[no-any-return]
            me = get_ident()
            try:
                obj = _outgoing(a, self, obj, me)
            except Exception as e:
                a.fail("queue put", e)
            sem = getattr(self, "_sem", None)
            if (block and sem is not None and getattr(self, "_maxsize", 0) < _UNBOUNDED
                    and me not in a.open_waits and not self._closed):
                # Full? Take a slot without blocking and give it back; if there is none, the
                # put will block, and is recorded as a wait.
                if not sem.acquire(False):
                    _queue_channel(self)
                    return a.record_wait(  # type: ignore[no-any-return]
                        me, self, "mp_queue_put", lambda: orig(self, obj, block, timeout), (_std_queue.Full,))
                sem.release()
            return orig(self, obj, block, timeout)  # type: ignore[no-any-return]

        return put

    def wrap_get(orig: Callable[..., Any]) -> Callable[..., Any]:
        def get(self: Any, block: bool = True, timeout: Optional[float] = None) -> Any:
            a = _agent()
            if a is None:
                return orig(self, block, timeout)
            _tls.channel = _queue_channel(self)
            try:
                me = get_ident()
                if block and me not in a.open_waits and not self._closed and not self._poll():
                    return a.record_wait(me, self, "mp_queue_get", lambda: orig(self, block, timeout), (_std_queue.Empty,))
                return orig(self, block, timeout)
            finally:
                _tls.channel = None

        return get

    Q = queues.Queue
    _patch(Q, "put", wrap_put(Q.put))
    _patch(Q, "get", wrap_get(Q.get))
    JQ = queues.JoinableQueue
    if "put" in JQ.__dict__:
        _patch(JQ, "put", wrap_put(JQ.put))

    SQ = queues.SimpleQueue
    sq_put = SQ.put
    sq_get = SQ.get

    def simple_put(self: Any, obj: Any) -> None:
        a = _agent()
        if a is not None:
            try:
                obj = _outgoing(a, self, obj, get_ident())
            except Exception as e:
                a.fail("queue put", e)
        return sq_put(self, obj)  # type: ignore[no-any-return]

    def simple_get(self: Any) -> Any:
        a = _agent()
        if a is None:
            return sq_get(self)
        _tls.channel = _queue_channel(self)
        try:
            me = get_ident()
            if me not in a.open_waits and not self._poll():
                return a.record_wait(me, self, "mp_queue_get", lambda: sq_get(self))
            return sq_get(self)
        finally:
            _tls.channel = None

    _patch(SQ, "put", simple_put)
    _patch(SQ, "get", simple_get)

    reset = getattr(Q, "_reset", None)
    if reset is not None:
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
                    lock._weft_parent = _queue_channel(self)
                    lock._weft_role = "feeder"

        _patch(Q, "_reset", _reset)

    def after_queue(q: Any) -> None:
        a = _agent()
        if a is None:
            return
        where = user_where(1)
        if where is not None:
            q.__dict__["_weft_site"] = where
        # Its own locks are internal: no hold spans for them.
        for lk in ("_rlock", "_wlock"):
            lock = getattr(q, lk, None)
            if lock is not None:
                lock._weft_internal = True
                lock._weft_parent = q
                lock._weft_role = lk[1:]
        # Frames: _from_user, after_queue, the __init__ wrapper, its caller, and that one's
        # caller (the user's `mp.Queue()` goes through multiprocessing.context).
        if where is not None and _from_user(4):
            # Defined now, in the creating process: the processes it is handed to (spawn)
            # cannot know its line.
            a.oid(_queue_channel(q))

    for cls in (Q, SQ):
        wrap_init(cls, after_queue, _inits)
        setstate = cls.__setstate__

        def make_setstate(setstate: Callable[..., Any]) -> Callable[..., Any]:
            def __setstate__(self: Any, state: Any) -> None:
                setstate(self, state)
                for lk in ("_rlock", "_wlock"):
                    lock = getattr(self, lk, None)
                    if lock is not None:
                        lock._weft_internal = True
                        lock._weft_parent = self
                        lock._weft_role = lk[1:]

            return __setstate__

        _patch(cls, "__setstate__", make_setstate(setstate))


def _outgoing(a: registry.Agent, channel: Any, obj: Any, me: int) -> Any:
    """What to put instead of `obj` on `channel`: a work item's result, a message, or obj."""
    task = getattr(_tls, "task", None)
    if task is not None and _result_of(obj) == task[2]:
        _tls.task = None
        return _finish_task(a, task, obj, me)
    if getattr(channel, "_weft_exec", None) is not None:
        return _exec_call_item(channel, obj)
    if not _from_user(3) or isinstance(obj, _Sent):
        return obj
    _queue_channel(channel)
    key = _new_key("msg")
    a.emit(["L", now(), a.tid(me), key, "s", "queue", a.oid(channel), None])
    return _Sent(key, "queue", obj)


# ---------------------------------------------------------------------------------------
# Pipes
# ---------------------------------------------------------------------------------------
def _hook_connection(connection: Any) -> None:
    Conn = connection.Connection
    base = getattr(connection, "_ConnectionBase", Conn)  # where send and recv are defined
    send = base.send
    recv = base.recv

    def weft_send(self: Any, obj: Any) -> None:
        a = _agent()
        end = getattr(self, "_weft_end", None)
        if a is not None and end is not None and not isinstance(obj, _Sent):
            try:
                if _from_user(2):
                    key = _new_key("msg")
                    a.emit(["L", now(), a.tid(), key, "s", "pipe", a.oid(end), None])
                    obj = _Sent(key, "pipe", obj)
            except Exception as e:
                a.fail("pipe send", e)
        return send(self, obj)  # type: ignore[no-any-return]

    def weft_recv(self: Any) -> Any:
        a = _agent()
        end = getattr(self, "_weft_end", None)
        if a is None:
            return recv(self)
        _tls.channel = end
        try:
            me = get_ident()
            if (end is not None and me not in a.open_waits and not self.closed and self.readable
                    and not self.poll()):
                return a.record_wait(me, end, "pipe_recv", lambda: recv(self))
            return recv(self)
        finally:
            _tls.channel = None

    _patch(base, "send", weft_send)
    _patch(base, "recv", weft_recv)

    pipe = connection.Pipe

    def Pipe(duplex: bool = True) -> Any:
        c1, c2 = pipe(duplex)
        if _agent() is not None and _pipe_from_user():
            end = _PipeEnd(user_where(0), "")
            _mark(c1, end)
            _mark(c2, end)
        return c1, c2

    _patch(connection, "Pipe", Pipe)
    reduce = getattr(connection, "reduce_connection", None)
    if reduce is not None and getattr(connection, "rebuild_connection", None) is not None:
        from multiprocessing import reduction

        def reduce_connection(conn: Any) -> Any:
            fn, args = reduce(conn)
            # One end of a user's Pipe() handed to a child: it stays a traced pipe end there.
            if getattr(conn, "_weft_end", None) is not None and fn is connection.rebuild_connection:
                return _rebuild_pipe_end, args
            return fn, args

        reduction.register(Conn, reduce_connection)
        _orig.append((reduction, "_weft_reducer", (Conn, reduce)))


def _rebuild_pipe_end(*args: Any) -> Any:
    """Unpickles a connection that was one end of a user's Pipe() (see reduce_connection)."""
    from multiprocessing import connection

    conn = connection.rebuild_connection(*args)
    _mark(conn, _PipeEnd(None, "pipe"))
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


# ---------------------------------------------------------------------------------------
# Pools and executors
# ---------------------------------------------------------------------------------------
def _work_ident(obj: Any, pool_len: int, exec_type: str) -> Any:
    """What ties a worker's task to its result: `(job, i)` of a Pool task tuple (5 items) or
    result tuple (3 items), or the `work_id` of an executor's `_CallItem` / `_ResultItem`."""
    if type(obj) is tuple and len(obj) == pool_len and type(obj[0]) is int:
        return ("pool", obj[0], obj[1])
    work_id = getattr(obj, "work_id", None)
    if work_id is not None and type(obj).__name__ == exec_type:
        return ("exec", work_id)
    return None


def _task_ident(obj: Any) -> Any:
    return _work_ident(obj, 5, "_CallItem")


def _result_of(obj: Any) -> Any:
    return _work_ident(obj, 3, "_ResultItem")


def _unwrap(func: Any) -> Any:
    for _ in range(4):
        inner = getattr(func, "func", None)  # functools.partial
        if inner is None:
            break
        if getattr(inner, "__name__", "") == "_process_chunk" and getattr(func, "args", ()):
            func = func.args[0]
        else:
            func = inner
    return func


def _task_func(obj: Any) -> Any:
    """The user's function of a task, looking through Pool.map's and executor.map's helpers."""
    if type(obj) is tuple and len(obj) == 5:
        func, args = obj[2], obj[3]
        if getattr(func, "__name__", "") in ("mapstar", "starmapstar") and args:
            try:
                return args[0][0]
            except Exception:
                return func
        return func
    return _unwrap(getattr(obj, "fn", None))


def _finish_task(a: registry.Agent, task: Any, result: Any, me: int) -> Any:
    key, t0, _, func = task
    t1 = now()
    tid = a.tid(me)
    label = getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or type(func).__name__
    code = getattr(func, "__code__", None)
    site = a.site((code, code.co_firstlineno)) if code is not None else None
    a.emit(["X", t0, t1, tid, "task", label, site, key])
    rkey = "result" + key[4:]
    a.emit(["L", t1, tid, rkey, "s", "result", None, None])
    # Written through now: a worker may be ended by SIGTERM (Pool.terminate) at any moment
    # after this result is sent, and its last flush interval would be lost with it.
    a.writer.flush()
    return _Sent(rkey, "result", result)


def _hook_pool(pool: Any) -> None:
    def wrap_result_init(cls: Any) -> None:
        init = cls.__init__

        def __init__(self: Any, pool_obj: Any, *args: Any, **kwargs: Any) -> None:
            init(self, pool_obj, *args, **kwargs)
            a = _agent()
            if a is not None and getattr(pool_obj, "_weft_pool", False):
                # Runs in the submitting thread, inside apply_async/map_async/imap.
                self._weft_submit = (now(), a.tid())
                taskqueue = getattr(pool_obj, "_taskqueue", None)
                if taskqueue is not None and getattr(taskqueue, "_weft_parent", 0) is None:
                    # The pool's thread-side queue of submitted tasks: part of its task channel.
                    taskqueue._weft_parent = pool_obj._inqueue
                    taskqueue._weft_role = "submitted"
                event = getattr(self, "_event", None)
                if event is not None and hasattr(event, "_cond"):
                    # Waiting for a Pool result (AsyncResult.get, map) is waiting on a future.
                    from .primitives import adopt

                    adopt(event, "future", event._cond, "result")

        _patch(cls, "__init__", __init__)

    wrap_result_init(pool.ApplyResult)
    wrap_result_init(pool.IMapIterator)

    P = pool.Pool
    setup = P._setup_queues

    def _setup_queues(self: Any) -> None:
        setup(self)
        a = _agent()
        if a is None or not hasattr(self._inqueue, "_writer"):
            return  # ThreadPool: tasks are not pickled
        try:
            _tag_pool(self)
        except Exception as e:  # the pool works untraced
            a.fail("pool setup", e)

    _patch(P, "_setup_queues", _setup_queues)


def _tag_pool(pool: Any) -> None:
    pool._weft_pool = True
    for q, name in ((pool._inqueue, "pool tasks"), (pool._outqueue, "pool results")):
        _queue_channel(q)._weft_name = name
    send = pool._quick_put
    # Weak: the task handler thread holds this function, and a strong reference would keep an
    # unclosed pool alive (and silence its ResourceWarning).
    ref = weakref.ref(pool)
    pid = os.getpid()

    def quick_put(task: Any) -> Any:
        a = _agent()
        if a is not None and type(task) is tuple and len(task) == 5:
            try:
                job, i = task[0], task[1]
                p = ref()
                result = p._cache.get(job) if p is not None else None
                ts, tid = getattr(result, "_weft_submit", None) or (now(), a.tid())
                key = f"task:{pid}:{job}:{i}"
                a.emit(["L", ts, tid, key, "s", "task", None, None])
                task = _Sent(key, "task", task)
            except Exception as e:
                a.fail("pool task", e)
        return send(task)

    pool._quick_put = quick_put


def _hook_executor(process: Any) -> None:
    E = process.ProcessPoolExecutor
    submit = E.submit
    serials = itertools.count(1)

    def weft_submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        a = _agent()
        if a is None:
            return submit(self, fn, *args, **kwargs)
        ts = now()
        serial = self.__dict__.get("_weft_serial")
        if serial is None:
            serial = self._weft_serial = next(serials)
        cq = getattr(self, "_call_queue", None)
        if cq is not None:
            cq._weft_exec = serial  # before submit: the manager thread may put the item at once
        f = submit(self, fn, *args, **kwargs)
        try:
            items = self._pending_work_items
            work_id = None
            for wid in reversed(list(items.keys())[-8:]):
                if items[wid].future is f:
                    work_id = wid
                    break
            if work_id is None and cq is not None:
                work_id = self._queue_count - 1  # already taken off the pending list
            if work_id is not None:
                key = _exec_key(serial, work_id)
                a.emit(["L", ts, a.tid(), key, "s", "task", None, None])
        except Exception as e:
            a.fail("executor submit", e)
        return f

    _patch(E, "submit", weft_submit)


def _exec_call_item(q: Any, obj: Any) -> Any:
    """A call item that the executor's manager thread puts on its call queue, tagged."""
    serial = getattr(q, "_weft_exec", None)
    if serial is None or type(obj).__name__ != "_CallItem":
        return obj
    return _Sent(_exec_key(serial, obj.work_id), "task", obj)


def _exec_key(serial: int, work_id: int) -> str:
    return f"task:{_pid[0]}:e{serial}:{work_id}"


# ---------------------------------------------------------------------------------------
# Cross-process locks and semaphores
# ---------------------------------------------------------------------------------------
_SEM_KINDS = {"Lock": "mp_lock", "RLock": "mp_rlock", "Semaphore": "mp_semaphore",
              "BoundedSemaphore": "mp_bounded_semaphore"}


def _hook_synchronize(sync: Any) -> None:
    SL = sync.SemLock
    make_methods = SL._make_methods

    def _make_methods(self: Any) -> None:
        make_methods(self)
        if registry.current is None:
            return
        kind = _SEM_KINDS.get(type(self).__name__)
        if kind is None:
            return
        sl = self._semlock
        if "_weft_gkey" not in self.__dict__:
            self._weft_gkey = _sem_gkey(sl)
        recordable(self, kind)
        raw_acquire = sl.acquire
        raw_release = sl.release
        lockish = kind in ("mp_lock", "mp_rlock")
        reason = "mp_lock" if lockish else "mp_semaphore"
        count = sl._count
        obj = self

        def acquire(block: bool = True, timeout: Optional[float] = None) -> bool:
            a = _agent()
            if a is None:
                return raw_acquire(block, timeout)  # type: ignore[no-any-return]
            me = get_ident()
            if not block or me in a.open_waits:
                ok = raw_acquire(block, timeout)
            elif raw_acquire(False):
                ok = True  # it was free: no wait
            else:
                ok = a.record_wait(me, obj, reason, lambda: raw_acquire(block, timeout), false_is_timeout=True)
            if ok and lockish and count() == 1 and not getattr(obj, "_weft_internal", False):
                obj._weft_held = (now(), me)
            return ok  # type: ignore[no-any-return]

        def release() -> None:
            if lockish and not getattr(obj, "_weft_internal", False):
                held = obj.__dict__.get("_weft_held")
                if held is not None and count() <= 1:
                    obj._weft_held = None
                    raw_release()
                    a = _agent()
                    if a is not None:
                        try:
                            a.oid(obj)  # its O record carries the global key the model joins on
                            a.emit(["X", held[0], now(), a.tid(held[1]), "hold", "", None, obj._weft_gkey])
                        except Exception as e:
                            a.fail("mp lock hold", e)
                    return
            raw_release()

        self.acquire = acquire
        self.release = release

    _patch(SL, "_make_methods", _make_methods)

    def __enter__(self: Any) -> bool:
        return self.acquire()  # type: ignore[no-any-return]

    def __exit__(self: Any, *args: Any) -> None:
        self.release()

    _patch(SL, "__enter__", __enter__)
    _patch(SL, "__exit__", __exit__)
    _hook_sync_objects(sync)

    def after_semlock(lock: Any) -> None:
        if _agent() is not None:
            lock.__dict__.setdefault("_weft_site", None)
            if lock.__dict__["_weft_site"] is None:
                lock._weft_site = user_where(1)
            if lock._weft_site is None:
                lock._weft_internal = True  # made by multiprocessing itself

    for cls_name in ("Lock", "RLock", "Semaphore", "BoundedSemaphore"):
        wrap_init(getattr(sync, cls_name), after_semlock, _inits)


def _adopt_mp(obj: Any, kind: str, children: Tuple[Tuple[str, str], ...]) -> None:
    """Makes a multiprocessing Condition/Event/Barrier a recorded object and ties its internal
    semaphores and condition to it, so their waits are attributed to what the user made."""
    recordable(obj, kind, user_where(1))
    for attr, role in children:
        child = getattr(obj, attr, None)
        if child is not None and "_weft_kind" in getattr(child, "__dict__", {}):
            child._weft_parent = obj
            child._weft_role = role
            child._weft_internal = True
    lock = getattr(obj, "_lock", None)
    gkey = getattr(lock, "_weft_gkey", None) or getattr(getattr(obj, "_flag", None), "_weft_gkey", None)
    if gkey is not None:
        obj._weft_gkey = f"{kind}:{gkey}"


def _hook_sync_objects(sync: Any) -> None:
    cond_children = (("_lock", "lock"), ("_sleeping_count", "sleeping"), ("_woken_count", "woken"),
                     ("_wait_semaphore", "wait"))
    for cls_name, kind, children in (
            ("Condition", "mp_condition", cond_children),
            ("Event", "mp_event", (("_cond", "cond"), ("_flag", "flag"))),
            ("Barrier", "mp_barrier", (("_cond", "cond"), ("_state", "state")))):
        cls = getattr(sync, cls_name, None)
        if cls is None:
            continue

        def after(obj: Any, kind: str = kind, children: Tuple[Tuple[str, str], ...] = children) -> None:
            if _agent() is not None:
                _adopt_mp(obj, kind, children)

        wrap_init(cls, after, _inits)
        if "__getstate__" not in cls.__dict__:
            # Event is pickled by its __dict__ (to spawned children): the agent's attributes
            # (a code object among them) must not travel.
            _patch(cls, "__getstate__", _state_without_weft)


def _state_without_weft(self: Any) -> Dict[str, Any]:
    return {k: v for k, v in self.__dict__.items() if not k.startswith("_weft_")}


def _hook_process(process: Any) -> None:
    BP = process.BaseProcess
    join = BP.join

    def weft_join(self: Any, timeout: Optional[float] = None) -> None:
        a = _agent()
        popen = getattr(self, "_popen", None)
        if a is None or popen is None or get_ident() in a.open_waits or popen.poll() is not None:
            return join(self, timeout)  # type: ignore[no-any-return]
        if "_weft_kind" not in self.__dict__:
            recordable(self, "process", None, f"{self.name} (pid {self.pid})")
        a.record_wait(get_ident(), self, "process_join", lambda: join(self, timeout))
        return None

    _patch(BP, "join", weft_join)


# ---------------------------------------------------------------------------------------
# Installation
# ---------------------------------------------------------------------------------------
def _hook_util(util: Any) -> None:
    """spawn and forkserver start interpreters through util.spawnv_passfds (fork_exec in C, not
    os.fork or subprocess): the parent's `P` record of those children is written here."""
    spawnv = util.spawnv_passfds

    def spawnv_passfds(path: Any, args: Any, passfds: Any) -> int:
        pid = spawnv(path, args, passfds)
        try:
            from .processes import _emit_start

            text = " ".join(str(a) for a in args)
            how = "helper" if ("forkserver" in text or "resource_tracker" in text) else "spawn"
            _emit_start(pid, how, list(args))
        except Exception as e:
            a = registry.current
            if a is not None:
                a.fail("spawn record", e)
        return pid  # type: ignore[no-any-return]

    _patch(util, "spawnv_passfds", spawnv_passfds)


def _hook_reduction(reduction: Any) -> None:
    FP = reduction.ForkingPickler
    _patch(FP, "loads", staticmethod(_loads_wrapper(FP.__dict__["loads"] if "loads" in FP.__dict__ else FP.loads)))


_HOOKS = (
    ("multiprocessing.util", _hook_util),
    ("multiprocessing.reduction", _hook_reduction),
    ("multiprocessing.synchronize", _hook_synchronize),
    ("multiprocessing.connection", _hook_connection),
    ("multiprocessing.queues", _hook_queues),
    ("multiprocessing.pool", _hook_pool),
    ("multiprocessing.process", _hook_process),
    ("concurrent.futures.process", _hook_executor),
)


def _safely(name: str, hook: Callable[[Any], None]) -> Callable[[Any], None]:
    def run(module: Any) -> None:
        try:
            hook(module)
        except Exception as e:
            a = registry.current
            if a is not None:
                a.fail(f"hook on {name}", e)

    return run


def install() -> None:
    from .primitives import PostImport

    for name, hook in _HOOKS:
        module = sys.modules.get(name)
        if module is not None:
            _safely(name, hook)(module)
        else:
            sys.meta_path.insert(0, PostImport(name, _safely(name, hook)))


def uninstall() -> None:
    from .primitives import PostImport

    for finder in [f for f in sys.meta_path if isinstance(f, PostImport) and f.name in dict(_HOOKS)]:
        sys.meta_path.remove(finder)
    unwrap_inits(_inits)
    while _orig:
        owner, name, value = _orig.pop()
        if name == "_weft_reducer":
            owner.register(*value)
            continue
        if value is None:
            try:
                delattr(owner, name)
            except AttributeError:
                pass
        else:
            setattr(owner, name, value)
