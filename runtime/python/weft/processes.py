"""Child processes: every Python child is traced into the same directory, and the parent
records the children it starts (`P`) and how they ended (`Q`).

- Forked children (os.fork, multiprocessing "fork", Pool workers, children of the fork server)
  continue in `session.Session._after_fork_child`, which gives them a file of their own.
- New interpreters (spawn, forkserver, subprocess, anything on PYTHONPATH) run
  `weft/_site/sitecustomize.py`, which starts the agent when WEFT_OUT is set. The agent puts that
  folder first on PYTHONPATH, and the sitecustomize chains to any other one.
- `os.waitpid` is where every way of waiting for a child ends (subprocess, multiprocessing,
  plain os.wait callers use it too), so it is where exit statuses are recorded.
- A child that dies of a signal this process sent it through multiprocessing (Process.terminate
  and kill, which Pool.terminate and a `with Pool()` block's exit use) or subprocess
  (Popen.send_signal, terminate, kill) ended as the program chose: its `Q` says so ("parent"),
  and readers do not report it as a crash.
"""
from __future__ import annotations

import os
import subprocess
from types import ModuleType
from typing import Any, Callable, Dict, Optional

from . import registry
from .registry import get_ident, recordable
from .clock import now
from .hooks import Patches

SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_site")
AGENT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def export_child_env() -> None:
    """Makes every Python child load the agent: the site folder and the agent on PYTHONPATH."""
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    parts = [SITE_DIR, AGENT_ROOT] + [p for p in parts if p not in (SITE_DIR, AGENT_ROOT)]
    os.environ["PYTHONPATH"] = os.pathsep.join(parts)


# Thread ident -> the label of the multiprocessing process that thread is starting (set by
# mp.process around BaseProcess.start), written on the `P` record of the child it forks or spawns.
starting: Dict[int, str] = {}
# Child pid -> the signal this process last sent it (multiprocessing and subprocess only).
signalled: Dict[int, int] = {}


def _forget_in_child() -> None:
    # A forked child starts its own children: nothing its parent was doing is its own.
    starting.clear()
    signalled.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def emit_start(pid: int, how: str, argv: list, label: Optional[str] = None) -> None:
    agent = registry.current
    if agent is None or agent.closed:
        return
    rec = ["P", now(), pid, how, [str(a) for a in argv], agent.tid(), agent.caller_site(0)]
    if label is not None:
        rec.append(label)
    agent.emit(rec)


def emit_exit(pid: int, code: int) -> None:
    """The `Q` of a child that ended with `code` (negative: the signal it died of), noting when
    that signal was this process's own."""
    agent = registry.current
    if agent is None or agent.closed:
        return
    if code < 0 and signalled.pop(pid, None) == -code:
        agent.emit(["Q", now(), pid, code, "parent"])
    else:
        agent.emit(["Q", now(), pid, code])


def note_signal(pid: Any, sig: Any) -> None:
    """Remembers that this process sent `sig` to its child `pid` (see the module docstring)."""
    if isinstance(pid, int) and pid > 0 and isinstance(sig, int) and sig > 0:
        signalled[pid] = sig


def _make_fork(fork: Callable[[], int], session: Any) -> Callable[[], int]:
    def weft_fork() -> int:
        pid = fork()
        if pid > 0:
            emit_start(pid, session.fork_method, [], starting.get(get_ident()))
        return pid

    weft_fork.__name__ = weft_fork.__qualname__ = "fork"
    weft_fork.__doc__ = fork.__doc__
    return weft_fork


def _make_waitpid(waitpid: Callable[[int, int], Any]) -> Callable[[int, int], Any]:
    def weft_waitpid(pid: int, options: int) -> Any:
        result = waitpid(pid, options)
        child, status = result
        if child > 0:
            try:
                code = os.waitstatus_to_exitcode(status)  # 3.9+
            except ValueError:
                code = status
            emit_exit(child, code)
        return result

    weft_waitpid.__name__ = weft_waitpid.__qualname__ = "waitpid"
    weft_waitpid.__doc__ = waitpid.__doc__
    return weft_waitpid


def _make_popen_init(orig_init: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: subprocess.Popen, args: Any, *a: Any, **kw: Any) -> None:
        orig_init(self, args, *a, **kw)
        try:
            argv = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
            emit_start(self.pid, "subprocess", argv)
        except Exception:
            pass

    __init__.__doc__ = orig_init.__doc__
    return __init__


def _make_popen_wait(orig_wait: Callable[..., Any]) -> Callable[..., Any]:
    def wait(self: subprocess.Popen, timeout: Any = None) -> Any:
        # Waiting for a child (subprocess.run, communicate, check_call all end here) is a wait
        # on that process, recorded when the child is still running.
        agent = registry.current
        if agent is None or agent.closed or self.returncode is not None:
            return orig_wait(self, timeout)
        me = get_ident()
        if me in agent.open_waits:
            return orig_wait(self, timeout)
        # No poll() first: subprocess reaps through a waitpid bound at import, which would
        # bypass the os.waitpid hook that records the child's exit status (`Q`). A wait under
        # 50 us found the child already ended: not written.
        if "_weft_kind" not in self.__dict__:
            recordable(self, "process", None, _process_name(self))
        return agent.record_wait(me, self, "process_join", lambda: orig_wait(self, timeout),
                                 (subprocess.TimeoutExpired,), min_ns=50_000)

    wait.__doc__ = orig_wait.__doc__
    return wait


def _make_send_signal(orig: Callable[..., None]) -> Callable[..., None]:
    def send_signal(self: subprocess.Popen, sig: int) -> None:
        # Noted before the call, which reaps nothing: its own errors pass through unchanged.
        if self.returncode is None:
            note_signal(self.pid, sig)
        return orig(self, sig)

    send_signal.__doc__ = orig.__doc__
    return send_signal


def install(h: Patches, os: ModuleType, subprocess: ModuleType) -> None:
    """Child processes: `P` from fork and Popen, `Q` from waitpid, waits in Popen.wait. The
    fork method of the `P` record is the session's (`h.context`): "forkserver" in the fork
    server, which is known only after the session starts."""
    session = h.context
    if hasattr(os, "fork"):
        h.wrap(os, "fork", lambda fork: _make_fork(fork, session))
    if hasattr(os, "waitpid"):
        h.wrap(os, "waitpid", _make_waitpid)
    h.wrap(subprocess.Popen, "__init__", _make_popen_init)
    h.wrap(subprocess.Popen, "wait", _make_popen_wait)
    h.wrap(subprocess.Popen, "send_signal", _make_send_signal)


def _process_name(p: subprocess.Popen) -> str:
    args = p.args
    first = args if isinstance(args, (str, bytes, os.PathLike)) else (list(args)[:1] or [""])[0]
    base = os.path.basename(os.fsdecode(first)).split() if first else []
    return f"{base[0] if base else 'process'} (pid {p.pid})"
