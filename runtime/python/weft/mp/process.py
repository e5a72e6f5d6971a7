"""multiprocessing's processes: `Process.join` of a live process is a `process_join` wait, and
children started by spawn or forkserver (through `util.spawnv_passfds`: `_posixsubprocess`
in C, neither os.fork nor subprocess) get their parent's `P` record here."""
from __future__ import annotations

from types import ModuleType
from typing import Any, Callable, Optional

from ..hooks import Patches
from ..processes import emit_start
from ..registry import get_ident, recordable
from . import agent
from ..tracebacks import keeps_user_traceback


def install_join(h: Patches, process: ModuleType) -> None:
    def make_join(join: Callable[..., None]) -> Callable[..., None]:
        @keeps_user_traceback
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


def install_spawn(h: Patches, util: ModuleType) -> None:
    def make_spawnv(spawnv: Callable[..., int]) -> Callable[..., int]:
        def spawnv_passfds(path: Any, args: Any, passfds: Any) -> int:
            pid = spawnv(path, args, passfds)
            try:
                text = " ".join(str(a) for a in args)
                how = "helper" if ("forkserver" in text or "resource_tracker" in text) else "spawn"
                emit_start(pid, how, list(args))
            except Exception as e:
                a = agent()
                if a is not None:
                    a.fail("spawn record", e)
            return pid

        return spawnv_passfds

    h.wrap(util, "spawnv_passfds", make_spawnv)
