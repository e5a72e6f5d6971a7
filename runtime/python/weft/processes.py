"""Child processes: every Python child is traced into the same directory, and the parent
records the children it starts (`P`) and how they ended (`Q`).

- Forked children (os.fork, multiprocessing "fork", Pool workers, children of the fork server)
  continue in `session.Session._after_fork_child`, which gives them a file of their own.
- New interpreters (spawn, forkserver, subprocess, anything on PYTHONPATH) run
  `weft/_site/sitecustomize.py`, which starts the agent when WEFT_OUT is set. The agent puts that
  folder first on PYTHONPATH, and the sitecustomize chains to any other one.
- `os.waitpid` is where every way of waiting for a child ends (subprocess, multiprocessing,
  plain os.wait callers use it too), so it is where exit statuses are recorded.
"""
from __future__ import annotations

import os
import subprocess
from typing import Any, Dict

from . import registry
from .registry import get_ident, recordable
from .clock import now

SITE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_site")
AGENT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_orig: Dict[str, Any] = {}


def export_child_env() -> None:
    """Makes every Python child load the agent: the site folder and the agent on PYTHONPATH."""
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    parts = [SITE_DIR, AGENT_ROOT] + [p for p in parts if p not in (SITE_DIR, AGENT_ROOT)]
    os.environ["PYTHONPATH"] = os.pathsep.join(parts)


def _emit_start(pid: int, how: str, argv: list) -> None:
    agent = registry.current
    if agent is None or agent.closed:
        return
    agent.emit(["P", now(), pid, how, [str(a) for a in argv], agent.tid(), agent.caller_site(0)])


def install(session: Any) -> None:
    if hasattr(os, "fork"):
        _orig["fork"] = os.fork

        def fork() -> int:
            pid = _orig["fork"]()
            if pid > 0:
                _emit_start(pid, session.fork_method, [])
            return pid

        os.fork = fork  # type: ignore[assignment]

    if hasattr(os, "waitpid"):
        _orig["waitpid"] = os.waitpid

        def waitpid(pid: int, options: int) -> Any:
            result = _orig["waitpid"](pid, options)
            child, status = result
            agent = registry.current
            if child > 0 and agent is not None and not agent.closed:
                try:
                    code = os.waitstatus_to_exitcode(status)  # 3.9+
                except ValueError:
                    code = status
                agent.emit(["Q", now(), child, code])
            return result

        os.waitpid = waitpid  # type: ignore[assignment]

    orig_init = subprocess.Popen.__init__
    _orig["Popen.__init__"] = orig_init

    def popen_init(self: subprocess.Popen, args: Any, *a: Any, **kw: Any) -> None:
        orig_init(self, args, *a, **kw)
        try:
            argv = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
            _emit_start(self.pid, "subprocess", argv)
        except Exception:
            pass

    subprocess.Popen.__init__ = popen_init  # type: ignore[method-assign]

    orig_wait = subprocess.Popen.wait
    _orig["Popen.wait"] = orig_wait

    def popen_wait(self: subprocess.Popen, timeout: Any = None) -> Any:
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

    subprocess.Popen.wait = popen_wait  # type: ignore[method-assign]


def _process_name(p: subprocess.Popen) -> str:
    args = p.args
    first = args if isinstance(args, (str, bytes, os.PathLike)) else (list(args)[:1] or [""])[0]
    base = os.path.basename(os.fsdecode(first)).split() if first else []
    return f"{base[0] if base else 'process'} (pid {p.pid})"


def uninstall() -> None:
    if "fork" in _orig:
        os.fork = _orig["fork"]
    if "waitpid" in _orig:
        os.waitpid = _orig["waitpid"]
    if "Popen.__init__" in _orig:
        subprocess.Popen.__init__ = _orig["Popen.__init__"]  # type: ignore[method-assign]
    if "Popen.wait" in _orig:
        subprocess.Popen.wait = _orig.pop("Popen.wait")  # type: ignore[method-assign]
