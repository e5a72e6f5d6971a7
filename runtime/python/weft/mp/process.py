"""multiprocessing's processes: `Process.join` of a live process is a `process_join` wait,
children started by spawn or forkserver (through `util.spawnv_passfds`: `_posixsubprocess`
in C, neither os.fork nor subprocess) get their parent's `P` record here, `Process.start` names
the child on that record ("Pool worker 3"), and a signal sent through `terminate`/`kill` marks
the child's end as the parent's choice (processes.py)."""
from __future__ import annotations

from types import ModuleType
from typing import Any, Callable, Optional

from ..hooks import Patches
from .. import processes
from ..processes import emit_start
from ..registry import get_ident, recordable
from . import agent


def install_join(h: Patches, process: ModuleType) -> None:
    def make_join(join: Callable[..., None]) -> Callable[..., None]:
        def weft_join(self: Any, timeout: Optional[float] = None) -> None:
            a = agent()
            popen = getattr(self, "_popen", None)
            if a is None or popen is None or get_ident() in a.open_waits or popen.poll() is not None:
                return join(self, timeout)
            if "_weft_kind" not in self.__dict__:
                recordable(self, "process", None, f"{self.name} (pid {self.pid})")
            a.record_wait(get_ident(), self, "process_join", lambda: join(self, timeout))
            return None

        weft_join.__doc__ = join.__doc__
        return weft_join

    h.wrap(process.BaseProcess, "join", make_join)


def process_label(p: Any) -> str:
    """What a multiprocessing process is: "Pool worker 3", "ProcessPoolExecutor worker 1", or
    its name and target ("Process-2: crunch")."""
    target = getattr(p, "_target", None)
    func = getattr(target, "__qualname__", None) or getattr(target, "__name__", None)
    module = getattr(target, "__module__", "")
    identity = getattr(p, "_identity", ()) or ()
    n = identity[-1] if identity else "?"
    if module == "multiprocessing.pool" and func == "worker":
        return f"Pool worker {n}"
    if module == "concurrent.futures.process" and func == "_process_worker":
        return f"ProcessPoolExecutor worker {n}"
    name = str(getattr(p, "name", "") or "process")
    return f"{name}: {func}" if func else name


def install_start(h: Patches, process: ModuleType) -> None:
    def make_start(start: Callable[[Any], None]) -> Callable[[Any], None]:
        def weft_start(self: Any) -> None:
            me = get_ident()
            try:
                processes.starting[me] = process_label(self)
            except Exception:
                return start(self)
            try:
                return start(self)
            finally:
                processes.starting.pop(me, None)

        weft_start.__doc__ = start.__doc__
        return weft_start

    h.wrap(process.BaseProcess, "start", make_start)


def install_signals(h: Patches, popen_fork: ModuleType) -> None:
    """`Popen._send_signal` is where Process.terminate and kill (and so Pool.terminate) end, for
    every start method (the spawn and forkserver Popens inherit it)."""
    def make_send(send: Callable[[Any, int], None]) -> Callable[[Any, int], None]:
        def _send_signal(self: Any, sig: int) -> None:
            if getattr(self, "returncode", 0) is None:
                processes.note_signal(getattr(self, "pid", None), sig)
            return send(self, sig)

        return _send_signal

    if hasattr(popen_fork.Popen, "_send_signal"):
        h.wrap(popen_fork.Popen, "_send_signal", make_send)


def install_forkserver(h: Patches, popen_forkserver: ModuleType) -> None:
    """A forkserver child is forked by the fork server, whose records name no user process:
    the process that asked for it writes its `P` (when it learns the pid) and its `Q` (when the
    fork server reports the exit status through the sentinel), like a parent."""
    cls = popen_forkserver.Popen

    def make_launch(launch: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        def _launch(self: Any, process_obj: Any) -> None:
            launch(self, process_obj)
            try:
                emit_start(self.pid, "forkserver", [], processes.starting.get(get_ident()))
            except Exception as e:
                a = agent()
                if a is not None:
                    a.fail("forkserver start record", e)

        return _launch

    def make_poll(poll: Callable[..., Any]) -> Callable[..., Any]:
        def weft_poll(self: Any, *args: Any, **kwargs: Any) -> Any:
            before = self.returncode
            code = poll(self, *args, **kwargs)
            if before is None and code is not None:
                processes.emit_exit(self.pid, code)
            return code

        weft_poll.__doc__ = poll.__doc__
        return weft_poll

    h.wrap(cls, "_launch", make_launch)
    h.wrap(cls, "poll", make_poll)


def install_spawn(h: Patches, util: ModuleType) -> None:
    def make_spawnv(spawnv: Callable[..., int]) -> Callable[..., int]:
        def spawnv_passfds(path: Any, args: Any, passfds: Any) -> int:
            pid = spawnv(path, args, passfds)
            try:
                text = " ".join(str(a) for a in args)
                how = "helper" if ("forkserver" in text or "resource_tracker" in text) else "spawn"
                # A helper started on the way (the first start launches the resource tracker)
                # is not the process being started.
                label = processes.starting.get(get_ident()) if how == "spawn" else None
                emit_start(pid, how, list(args), label)
            except Exception as e:
                a = agent()
                if a is not None:
                    a.fail("spawn record", e)
            return pid

        return spawnv_passfds

    h.wrap(util, "spawnv_passfds", make_spawnv)
