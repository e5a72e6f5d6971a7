"""One traced process: the trace file, the agent state, the patches (installed and uninstalled
in pairs), the sampler and the exit routine; also how a child process continues tracing
(a forked child opens a file of its own; a new interpreter starts through `start_child`)."""
from __future__ import annotations

import os
import sys
import threading
from typing import List, Optional

from . import __version__, frames, locks, mp, primitives, processes, queues, registry, sampler, threads
from .clock import now, wall_ns
from .shutdown import ExitRoutine
from .writer import TraceWriter

FORMAT_NAME = "weft-trace"
FORMAT_VERSION = 1

# Install order matters: Condition must exist before Queue/Event objects can be made, and
# uninstall runs in reverse.
_THREAD_PATCHES = (locks, primitives, queues, threads, mp)

# Processes that Python starts itself, whose sys.argv is not set yet when the agent starts.
_NEW_INTERPRETERS = ("spawn", "subprocess", "helper", "forkserver")


def command_line() -> List[str]:
    """The interpreter's own command line (sys.orig_argv is 3.10+; Linux has it in /proc)."""
    argv = getattr(sys, "orig_argv", None)
    if argv:
        return list(argv)
    try:
        with open("/proc/self/cmdline", "rb") as f:
            return [os.fsdecode(p) for p in f.read().split(b"\0") if p]
    except OSError:
        return list(sys.argv)


def make_header(sample_hz: int, start_method: str) -> dict:
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    if start_method in _NEW_INTERPRETERS:
        argv = command_line()
    else:
        argv = list(sys.argv)
    return {
        "format": FORMAT_NAME, "version": FORMAT_VERSION, "agent": __version__,
        "pid": os.getpid(), "ppid": os.getppid(), "serial": 0,
        "python": "%d.%d.%d" % sys.version_info[:3], "implementation": sys.implementation.name,
        "gil": bool(is_gil_enabled()) if is_gil_enabled is not None else True,
        "platform": sys.platform, "clock": "CLOCK_MONOTONIC",
        "startNs": now(), "wallNs": wall_ns(),
        "argv": [str(a) for a in argv], "cwd": os.getcwd(), "executable": sys.executable or "",
        "startMethod": start_method, "sampleHz": sample_hz,
    }


class Session:
    def __init__(self, out_dir: str, sample_hz: int, flush_ms: int, start_method: str = "main") -> None:
        self.out_dir = out_dir
        self.sample_hz = sample_hz if frames.CURRENT_FRAMES_SAFE else 0
        self.flush_ms = flush_ms
        # How children forked from this process began: "forkserver" in the fork server.
        self.fork_method = "fork"
        self._open(start_method)
        self.exit = ExitRoutine(self.agent, self.writer)
        self.exit.catch_sigterm = start_method == "main"
        self._installed: List[object] = []
        self._started = False

    def _open(self, start_method: str) -> None:
        """A new trace file and agent state for this process (at start, and after a fork)."""
        self.writer = TraceWriter(self.out_dir, make_header(self.sample_hz, start_method), self.flush_ms)
        self.agent = registry.Agent(self.writer, self.sample_hz)

    @property
    def path(self) -> str:
        return self.writer.path

    def _activate(self) -> None:
        agent = self.agent
        registry.current = agent
        if not frames.CURRENT_FRAMES_SAFE:
            agent.warn(frames.CURRENT_FRAMES_NOTE)
        # The calling thread is this process's main thread: tid 1.
        agent.register(threading.get_ident(), threading.current_thread())
        self.writer.before_flush = lambda: agent.emit_counts(final=False)
        self.writer.start()
        frames.install()  # before the first sys._current_frames() call
        agent.sampler = sampler.start(agent)

    def start(self) -> None:
        self._activate()
        try:
            for patch in _THREAD_PATCHES:
                patch.install()
                self._installed.append(patch)
            processes.install(self)
            self._installed.append(processes)
        except Exception:
            self.uninstall()
            raise
        self.exit.install()
        self._started = True
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork_child)

    def _after_fork_child(self) -> None:
        # The child has a copy of the parent's agent: its buffer and ids belong to the parent's
        # file. Drop that copy (closing only the child's descriptor) and start a file of its
        # own. Objects keep their parent-file ids, but registry.Agent.oid redefines any object
        # whose id belongs to another agent; acquisition counts restart from here.
        if not self._started:
            return
        try:
            old = self.agent
            old.closed = True
            self.writer.abandon()
            self._open(self.fork_method)
            self.agent.locks = old.locks
            for lock in list(old.locks):
                lock._weft_reported = lock._n
            self.exit.rebind(self.agent, self.writer)
            self._activate()
        except Exception as e:  # the child runs on untraced
            try:
                sys.stderr.write(f"weft: tracing of a forked child failed: {e!r}\n")
            except Exception:
                pass

    def uninstall(self) -> None:
        while self._installed:
            self._installed.pop().uninstall()  # type: ignore[attr-defined]
        frames.uninstall()

    def stop(self, reason: str = "exit", code: Optional[int] = 0) -> None:
        """Ends tracing in a process that goes on (tests, embedding): end record, patches off."""
        self.exit.finish(reason, code)
        self.exit.uninstall()
        self.uninstall()
        self._started = False
        if registry.current is self.agent:
            registry.current = None


def start_child() -> None:
    """Called by weft/_site/sitecustomize.py in every Python process started below a traced
    one (spawn, forkserver, subprocess): traces it into the same directory."""
    if registry.current is not None:
        return
    from .cli import from_env

    argv = " ".join(command_line())
    if "multiprocessing.spawn" in argv or "--multiprocessing-fork" in argv:
        method = "spawn"
    elif "multiprocessing.forkserver" in argv or "multiprocessing.resource_tracker" in argv:
        method = "helper"
    else:
        method = "subprocess"
    if method in ("spawn", "helper"):
        registry.skip_string_frames()
    opts, _ = from_env(os.environ)
    session = Session(os.path.abspath(opts.out), opts.sample_hz, opts.flush_ms, method)
    if "multiprocessing.forkserver" in argv:
        session.fork_method = "forkserver"
    session.start()
