"""Blocking I/O as waits: sockets (and ssl), select and selectors, `os.read`/`os.write` on
pipes, FIFOs and terminals, and `subprocess.Popen.communicate`.

A thread blocked in `recv` is waiting as surely as one blocked on a lock; without these hooks
it showed as "running" (or as estimated GIL wait). Each recorded call is a `W` with reason
`socket_recv`/`socket_send`/`socket_accept`/`socket_connect` on a `socket` object named by its
endpoint ("tcp 127.0.0.1:8080", "unix /tmp/s"), `fd_read`/`fd_write` on an `fd` object ("pipe
from subprocess 'ls'", "fd 5 (pipe)"), or `select` on an `fd` object naming what it watched.

Cost and invisibility, the two rules here:

* **Non-blocking sockets cost one property read.** asyncio, selectors-driven servers and gevent's
  sockets (timeout 0) are the common case. The socket methods are properties of
  `socket.socket` (`locks.Method`, like the lock fast path) whose getter reads the C `timeout`
  attribute and returns the raw C bound method when it is 0: no agent frame runs during the
  call, so a `BlockingIOError` has exactly the traceback it has without Weft. gevent's sockets
  wrap a `_socket.socket`, not a `socket.socket`, and never reach these properties.
* **Only calls that blocked are written.** A blocking call runs in a wrapper that puts the
  thread in `Agent.open_waits` (the sampler then sees it WAITING; the exit routine writes it
  OPEN if it never returns) and writes the `W` only when it lasted `MIN_NS` (50 us, the
  threshold of subprocess and event-loop select waits) or more, or timed out. A recv that
  finds data waiting is not a wait. The site is looked up through a cache keyed by the user
  frame's (code, instruction), and names (getpeername, fstat) are computed only when a wait
  is written: the blocking path adds well under a microsecond to a syscall that costs several
  (numbers in ARCHITECTURE.md).
* **Tracebacks stay the user's.** An exception raised through a wrapper (a timeout, a reset
  connection, Ctrl+C while blocked) leaves with the wrapper's own traceback entry removed
  (`_strip`, then a bare `raise`, which on 3.11+ adds no entry); the wrapper keeps the
  original's `__name__`, `__qualname__`, `__doc__` and `__wrapped__`. On 3.9 and 3.10 a bare
  `raise` re-uses the traceback caught at the `except`, so one agent entry remains there.

Not covered: `select.poll()` and `select.epoll()` objects used directly (C types that cannot be
subclassed; a proxy would change `type()` and `isinstance` for the program, so they are left
alone; `selectors` covers most users of them), and reads of a subprocess pipe through its file
object (`proc.stdout.readline()` is C from end to end), except through `communicate`.
"""
from __future__ import annotations

import os
import socket as _socket_mod
import stat
import sys
import weakref
from types import MethodType, ModuleType
from typing import Any, Callable, Dict, Optional, Tuple

from . import registry
from .clock import now
from .hooks import Patches
from .locks import TIMED_OUT, Method
from .registry import get_ident, is_user_file
from .tracebacks import user_traceback

# A call shorter than this that did not time out found its data ready: not a wait.
MIN_NS = 50_000


# ---------------------------------------------------------------------------------------
# Tracebacks
# ---------------------------------------------------------------------------------------
def _strip(e: BaseException) -> None:
    """Removes the agent's entries from `e`'s traceback (the wrapper's own), as every wrapper
    does (tracebacks.py)."""
    e.__traceback__ = user_traceback(e.__traceback__)


def _like(wrapper: Any, orig: Any, name: Optional[str] = None) -> Any:
    wrapper.__name__ = name or getattr(orig, "__name__", wrapper.__name__)
    wrapper.__qualname__ = getattr(orig, "__qualname__", wrapper.__name__)
    wrapper.__doc__ = getattr(orig, "__doc__", None)
    wrapper.__wrapped__ = orig
    mod = getattr(orig, "__module__", None)
    if mod:
        wrapper.__module__ = mod
    return wrapper


# ---------------------------------------------------------------------------------------
# Sites: the user's line of a blocking call, cached by (code, instruction)
# ---------------------------------------------------------------------------------------
_is_user: Dict[Any, bool] = {}
_site_cache: Dict[Tuple[Any, int], int] = {}
_site_agent: list = [None]


def _site(a: registry.Agent, depth: int) -> Optional[int]:
    """Like `Agent.caller_site(depth)`, but a repeated call from the same instruction costs two
    dict lookups (the line table is not read again). Per agent: site ids are per file."""
    if _site_agent[0] is not a:
        _site_cache.clear()
        _site_agent[0] = a
    if len(_is_user) > 20_000:
        _is_user.clear()
    try:
        f: Any = sys._getframe(depth + 1)
    except ValueError:
        return None
    while f is not None:
        code = f.f_code
        u = _is_user.get(code)
        if u is None:
            u = _is_user[code] = is_user_file(code.co_filename)
        if u:
            key = (code, f.f_lasti)
            s = _site_cache.get(key)
            if s is None:
                s = _site_cache[key] = a.site((code, f.f_lineno))
            return s
        f = f.f_back
    return None


# ---------------------------------------------------------------------------------------
# Objects: one per socket, one per descriptor (checked against the file it is), one per
# select set. Names are computed when the object is first written.
# ---------------------------------------------------------------------------------------
class Endpoint:
    """A socket or descriptor as a trace object (`Agent.oid` reads these attributes)."""

    __slots__ = ("_weft_oid", "_weft_gen", "_weft_kind", "_name", "_namer", "ref", "ident", "__weakref__")
    _weft_parent = None
    _weft_role = None
    _weft_site = None

    def __init__(self, kind: str, namer: Callable[[], str], ref: Any = None, ident: Any = None) -> None:
        self._weft_oid = 0
        self._weft_gen = None
        self._weft_kind = kind
        self._name: Optional[str] = None
        self._namer = namer
        self.ref = ref
        self.ident = ident

    @property
    def _weft_name(self) -> str:
        if self._name is None:
            try:
                self._name = self._namer()
            except Exception:
                self._name = self._weft_kind
            self._namer = None  # type: ignore[assignment]
        return self._name


def _addr(family: int, addr: Any) -> str:
    if family == getattr(_socket_mod, "AF_UNIX", -1):
        if isinstance(addr, bytes):
            addr = addr.decode("utf-8", "backslashreplace")
        if not addr:
            return ""
        return addr if addr[0] != "\0" else "@" + addr[1:]
    if isinstance(addr, tuple) and len(addr) >= 2:
        host = addr[0]
        return f"[{host}]:{addr[1]}" if ":" in str(host) else f"{host}:{addr[1]}"
    return str(addr)


def socket_name(sock: Any, hint: Any = None) -> str:
    """"tcp 127.0.0.1:8080" (the peer, else the local address; a listening socket is named by
    the address it listens on), "udp ...", "unix /tmp/s", "unix socketpair"."""
    family = sock.family
    stype = sock.type
    if family == getattr(_socket_mod, "AF_UNIX", -1):
        proto = "unix"
    elif stype == _socket_mod.SOCK_DGRAM:
        proto = "udp"
    elif stype == _socket_mod.SOCK_STREAM:
        proto = "tcp"
    else:
        proto = "socket"
    where = ""
    for get in (sock.getpeername, sock.getsockname):
        try:
            where = _addr(family, get())
        except OSError:
            continue
        if where and not where.endswith(":0"):
            break
        where = ""
    if not where and hint is not None:
        where = _addr(family, hint)
    if not where:
        where = "socketpair" if proto == "unix" else f"fd {sock.fileno()}"
    tls = " (tls)" if type(sock).__name__ == "SSLSocket" else ""
    return f"{proto} {where}{tls}"


_sock_eps: Dict[int, Endpoint] = {}


def _forget_sock(key: int, ref: Any) -> None:
    ep = _sock_eps.get(key)
    if ep is not None and ep.ref is ref:
        del _sock_eps[key]


def sock_endpoint(sock: Any, hint: Any = None) -> Endpoint:
    key = id(sock)
    ep = _sock_eps.get(key)
    if ep is not None and ep.ref() is sock:
        return ep
    ref = weakref.ref(sock, lambda r, key=key: _forget_sock(key, r))

    def namer() -> str:
        s = ref()
        return socket_name(s, hint) if s is not None else "socket"

    ep = _sock_eps[key] = Endpoint("socket", namer, ref)
    return ep


# Descriptors that Popen made: fd -> ((st_dev, st_ino), name).
_fd_names: Dict[int, Tuple[Tuple[int, int], str]] = {}
_fd_eps: Dict[int, Endpoint] = {}


def _fd_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "terminal"
    return "file"


def fd_endpoint(fd: int) -> Optional[Endpoint]:
    """The object of descriptor `fd` as it is now, or None for a regular file or directory
    (a read of those is disk or page cache, not a wait for another party)."""
    try:
        st = os.fstat(fd)
    except (OSError, TypeError, ValueError, OverflowError):
        return None
    if stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode):
        return None
    ident = (st.st_dev, st.st_ino)
    ep = _fd_eps.get(fd)
    if ep is not None and ep.ident == ident:
        return ep
    known = _fd_names.get(fd)
    if known is not None and known[0] == ident:
        name = known[1]
    else:
        kind = _fd_kind(st.st_mode)
        if kind == "terminal":
            try:
                kind = os.ttyname(fd)
            except OSError:
                kind = "device"
        name = f"fd {fd} ({kind})"
    ep = _fd_eps[fd] = Endpoint("fd", lambda: name, None, ident)
    return ep


_named_eps: Dict[str, Endpoint] = {}


def named_endpoint(name: str) -> Endpoint:
    ep = _named_eps.get(name)
    if ep is None:
        if len(_named_eps) > 1000:
            _named_eps.clear()
        ep = _named_eps[name] = Endpoint("fd", lambda: name)
    return ep


_C_METHODS = (type(object.__dir__), type(len), type(object.__init__), type(_socket_mod.socket.fileno))


def _fd_of(obj: Any) -> Optional[int]:
    """The descriptor of `obj` without running the program's code: an int, or the result of a
    `fileno` implemented in C (sockets, io files). A Python `fileno` is user code with possible
    side effects (CPython's test_select_mutated deletes list items in one): never called."""
    if type(obj) is int:
        return obj
    if not isinstance(getattr(type(obj), "fileno", None), _C_METHODS):
        return None
    try:
        return obj.fileno()  # type: ignore[no-any-return]
    except Exception:
        return None


def _watched(*lists: Any) -> list:
    """The descriptors in select's arguments, read only from lists and tuples (any other
    iterable may be a generator, which the call has consumed)."""
    fds: list = []
    for items in lists:
        if type(items) in (list, tuple):
            fds.extend(_fd_of(x) for x in items[:64])
    return fds


def select_name(fds: list, what: str = "select") -> str:
    """"select on fd 5 (pipe from subprocess 'ls'), tcp 127.0.0.1:8080", at most three named."""
    names = []
    for fd in fds[:3]:
        ep = fd_endpoint(fd) if fd is not None else None
        if ep is None:
            names.append(f"fd {fd}")
            continue
        n = ep._weft_name
        if n.startswith("fd ") and n.endswith("(socket)"):
            try:
                s = _socket_mod.socket(fileno=os.dup(fd))
                try:
                    n = socket_name(s)
                finally:
                    s.close()
            except OSError:
                pass
        names.append(n)
    more = f" and {len(fds) - 3} more" if len(fds) > 3 else ""
    return f"{what} on {', '.join(names) or 'nothing'}{more}"


# ---------------------------------------------------------------------------------------
# The one blocking path
# ---------------------------------------------------------------------------------------
def _wait(a: registry.Agent, me: int, ep: Any, reason: str, site: Optional[int],
          call: Callable[..., Any], args: tuple, kw: dict, timeouts: Tuple[type, ...],
          resolve: Optional[Callable[[], Any]] = None) -> Any:
    """Runs `call(*args, **kw)` as a possible wait of thread `me`; writes it if it blocked.
    `resolve` gives the object to write when it differs from `ep` (known only after)."""
    open_waits = a.open_waits
    t0 = now()
    open_waits[me] = (t0, ep, reason, site, None, None)
    flags = 0
    try:
        return call(*args, **kw)
    except timeouts:
        flags = TIMED_OUT
        raise
    finally:
        open_waits.pop(me, None)
        t1 = now()
        if flags or t1 - t0 >= MIN_NS:
            try:
                obj = resolve() if resolve is not None else ep
                if obj is not None:
                    a.emit(("W", t0, t1, a.tid(me), a.oid(obj), reason, site, None, None, None, flags))
            except Exception as e:
                a.fail(f"{reason} wait", e)


def _agent_for(me: int) -> Optional[registry.Agent]:
    a = registry.current
    if a is None or a.closed or me in a.open_waits:
        return None
    return a


_TIMEOUTS = (_socket_mod.timeout,)


def _site_here(a: registry.Agent, f: Any) -> Optional[int]:
    """The site of frame `f` if it is the user's and cached, else the full lookup."""
    code = f.f_code
    if _site_agent[0] is a and _is_user.get(code):
        s = _site_cache.get((code, f.f_lasti))
        if s is not None:
            return s
    try:
        return _site(a, 2)
    except Exception as e:
        a.fail("socket wait site", e)
        return None


def _endpoint_or_fail(a: registry.Agent, sock: Any, hint: Any) -> Optional[Endpoint]:
    try:
        return sock_endpoint(sock, hint)
    except Exception as e:
        a.fail("socket wait object", e)
        return None


def _write(a: registry.Agent, me: int, t0: int, t1: int, obj: Any, reason: str, site: Optional[int], flags: int) -> None:
    try:
        a.emit(("W", t0, t1, a.tid(me), a.oid(obj), reason, site, None, None, None, flags))
    except Exception as e:
        a.fail(f"{reason} wait", e)


def _socket_method(raw: Any, reason: str, connect: bool = False, python: bool = False) -> Method:
    """A `socket.socket` method as a property: the raw C bound method when the socket is
    non-blocking, else a bound wrapper that records the call if it blocked. `python`: `raw` is
    a Python method (ssl.SSLSocket.read), returned as itself when the socket is non-blocking.

    The blocking path is one flat function (every Python call costs ~100 ns here, on a path
    whose syscall costs ~2 us): the object and site come from caches keyed by the socket and
    by the calling instruction; the record is written only if the call blocked."""
    raw_get = raw.__get__
    getframe = sys._getframe
    eps = _sock_eps
    site_cache, site_agent, is_user = _site_cache, _site_agent, _is_user

    def blocking(self: Any, *args: Any, **kw: Any) -> Any:
        try:
            a = registry.current
            me = get_ident()
            if a is None or a.closed:
                return raw(self, *args, **kw)
            open_waits = a.open_waits
            if me in open_waits:
                return raw(self, *args, **kw)
            ep = eps.get(id(self))
            if ep is None or ep.ref() is not self:
                ep = _endpoint_or_fail(a, self, args[0] if connect and args else None)
                if ep is None:
                    return raw(self, *args, **kw)
            f = getframe(1)
            code = f.f_code
            site = site_cache.get((code, f.f_lasti)) if site_agent[0] is a and is_user.get(code) else None
            if site is None:
                site = _site_here(a, f)
            flags = 0
            t0 = now()
            open_waits[me] = (t0, ep, reason, site, None, None)
            try:
                return raw(self, *args, **kw)
            except _TIMEOUTS:
                flags = TIMED_OUT
                raise
            finally:
                open_waits.pop(me, None)
                t1 = now()
                if flags or t1 - t0 >= MIN_NS:
                    _write(a, me, t0, t1, ep, reason, site, flags)
        except BaseException as e:
            _strip(e)
            raise

    _like(blocking, raw)

    def get(self: Any) -> Any:
        if self.timeout == 0.0:
            return raw_get(self)
        return MethodType(blocking, self)

    m = Method(get, doc=raw.__doc__)
    m.__name__ = raw.__name__  # type: ignore[attr-defined]
    m.__qualname__ = getattr(raw, "__qualname__", raw.__name__)  # type: ignore[attr-defined]
    m.__wrapped__ = raw  # type: ignore[attr-defined]
    return m


_SOCKET_METHODS = (
    ("recv", "socket_recv"), ("recv_into", "socket_recv"), ("recvfrom", "socket_recv"),
    ("recvfrom_into", "socket_recv"), ("recvmsg", "socket_recv"), ("recvmsg_into", "socket_recv"),
    ("send", "socket_send"), ("sendall", "socket_send"), ("sendto", "socket_send"),
    ("sendmsg", "socket_send"),
    # socket.socket.accept is Python (socket.py) and calls the C `_accept`: hooking that keeps
    # socket.py's frame as it is.
    ("_accept", "socket_accept"),
    ("connect", "socket_connect"), ("connect_ex", "socket_connect"),
)


def install_sockets(h: Patches, socket: ModuleType) -> None:
    cls = socket.socket
    for name, reason in _SOCKET_METHODS:
        raw = getattr(cls, name, None)
        if raw is None:
            continue
        h.patch(cls, name, _socket_method(raw, reason, connect=name.startswith("connect")))


def install_ssl(h: Patches, ssl: ModuleType) -> None:
    cls = ssl.SSLSocket
    for name, reason in (("read", "socket_recv"), ("write", "socket_send"), ("send", "socket_send")):
        orig = vars(cls).get(name)
        if orig is not None and callable(orig):
            h.patch(cls, name, _socket_method(orig, reason, python=True))


# ---------------------------------------------------------------------------------------
# select and selectors
# ---------------------------------------------------------------------------------------
def _may_block(timeout: Any) -> bool:
    return timeout is None or (isinstance(timeout, (int, float)) and timeout > 0)


def _make_select(raw: Callable[..., Any]) -> Callable[..., Any]:
    def select(rlist: Any, wlist: Any, xlist: Any, timeout: Any = None) -> Any:
        try:
            me = get_ident()
            a = _agent_for(me) if _may_block(timeout) else None
            if a is None:
                return raw(rlist, wlist, xlist, timeout)
            try:
                site = _site(a, 1)
                # Nothing of the arguments is read before the call (see _watched).
                placeholder = Endpoint("fd", lambda: select_name(_watched(rlist, wlist, xlist)))
            except Exception as e:
                a.fail("select wait", e)
                return raw(rlist, wlist, xlist, timeout)
            return _wait(a, me, placeholder, "select", site, raw, (rlist, wlist, xlist, timeout), {}, (),
                         lambda: named_endpoint(select_name(_watched(rlist, wlist, xlist))))
        except BaseException as e:
            _strip(e)
            raise

    return _like(select, raw)


def _make_selector_select(orig: Callable[..., Any]) -> Callable[..., Any]:
    def select(self: Any, timeout: Any = None) -> Any:
        try:
            me = get_ident()
            a = _agent_for(me) if _may_block(timeout) else None
            if a is None:
                return orig(self, timeout)
            try:
                site = _site(a, 1)

                def name() -> str:
                    try:
                        fds = list(self.get_map())
                    except Exception:
                        fds = []
                    return select_name(fds, type(self).__name__)
            except Exception as e:
                a.fail("select wait", e)
                return orig(self, timeout)
            return _wait(a, me, Endpoint("fd", name), "select", site, orig, (self, timeout), {}, (),
                         lambda: named_endpoint(name()))
        except BaseException as e:
            _strip(e)
            raise

    return _like(select, orig)


def install_select(h: Patches, select: ModuleType, selectors: ModuleType) -> None:
    h.wrap(select, "select", _make_select)
    for cls_name in ("SelectSelector", "_PollLikeSelector", "KqueueSelector"):
        cls = getattr(selectors, cls_name, None)
        if cls is not None and "select" in vars(cls):
            h.wrap(cls, "select", _make_selector_select)


# ---------------------------------------------------------------------------------------
# Descriptors: os.read / os.write, subprocess pipes
# ---------------------------------------------------------------------------------------
def _make_fd_call(raw: Callable[..., Any], reason: str) -> Callable[..., Any]:
    def call(fd: Any, arg: Any) -> Any:
        try:
            me = get_ident()
            a = _agent_for(me)
            # The agent's writer thread writes through here; Popen.__init__ reads its error pipe
            # while the child execs (not a wait on anything the user sees).
            if a is None or me in a.internal or me in _in_popen:
                return raw(fd, arg)
            try:
                site = _site(a, 1)
                ep = _fd_eps.get(fd) if type(fd) is int else None
                placeholder = ep if ep is not None else Endpoint("fd", lambda: f"fd {fd}")
            except Exception as e:
                a.fail(f"{reason} wait", e)
                return raw(fd, arg)
            return _wait(a, me, placeholder, reason, site, raw, (fd, arg), {}, (), lambda: fd_endpoint(fd))
        except BaseException as e:
            _strip(e)
            raise

    return _like(call, raw)


def _program(p: Any) -> str:
    args = p.args
    first = args if isinstance(args, (str, bytes, os.PathLike)) else (list(args)[:1] or [""])[0]
    base = os.path.basename(os.fsdecode(first)).split() if first else []
    return base[0] if base else "process"


def _note_pipes(p: Any) -> None:
    """Names the descriptors of a new Popen's pipes after the program."""
    prog = _program(p)
    for f, name in ((p.stdout, f"pipe from subprocess {prog!r}"), (p.stderr, f"stderr pipe from subprocess {prog!r}"),
                    (p.stdin, f"pipe to subprocess {prog!r}")):
        fd = _fd_of(f) if f is not None else None
        if fd is None:
            continue
        try:
            st = os.fstat(fd)
        except OSError:
            continue
        _fd_names[fd] = ((st.st_dev, st.st_ino), name)
        _fd_eps.pop(fd, None)
    if len(_fd_names) > 10_000:
        _fd_names.clear()


def _make_communicate(orig: Callable[..., Any]) -> Callable[..., Any]:
    def communicate(self: Any, input: Any = None, timeout: Any = None) -> Any:
        # Output of the child is read here (one pipe: the buffered file's C read; several:
        # selectors and os.read, nested and so not recorded again). Waiting for the child to
        # exit after its output ended is the nested Popen.wait: not recorded again either.
        try:
            me = get_ident()
            a = _agent_for(me)
            pipe = self.stdout if self.stdout is not None else self.stderr
            if a is None or pipe is None or self.returncode is not None:
                return orig(self, input, timeout)
            try:
                site = _site(a, 1)
                fd = _fd_of(pipe)
                ep = fd_endpoint(fd) if fd is not None else None
                if ep is None:
                    ep = named_endpoint(f"pipe from subprocess {_program(self)!r}")
            except Exception as e:
                a.fail("fd_read wait", e)
                return orig(self, input, timeout)
            import subprocess
            return _wait(a, me, ep, "fd_read", site, orig, (self, input, timeout), {}, (subprocess.TimeoutExpired,))
        except BaseException as e:
            _strip(e)
            raise

    return _like(communicate, orig)


# Threads inside Popen.__init__ (its os.read of the exec error pipe is not recorded).
_in_popen: Dict[int, int] = {}


def _make_popen_init(orig: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: Any, *args: Any, **kw: Any) -> None:
        me = get_ident()
        outer = me in _in_popen
        _in_popen[me] = 1
        try:
            orig(self, *args, **kw)
        except BaseException as e:
            _strip(e)
            raise
        finally:
            if not outer:
                _in_popen.pop(me, None)
        try:
            _note_pipes(self)
        except Exception as e:
            registry.current is not None and registry.current.fail("subprocess pipes", e)

    return _like(__init__, orig)


def install_fds(h: Patches, os: ModuleType, subprocess: ModuleType) -> None:
    h.wrap(os, "read", lambda raw: _make_fd_call(raw, "fd_read"))
    h.wrap(os, "write", lambda raw: _make_fd_call(raw, "fd_write"))
    h.wrap(subprocess.Popen, "__init__", _make_popen_init)
    h.wrap(subprocess.Popen, "communicate", _make_communicate)
