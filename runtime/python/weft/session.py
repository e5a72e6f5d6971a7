"""One traced process: the trace file, the agent state, the hooks (the table `HOOKS`, installed
and uninstalled in pairs through weft.hooks), the sampler and the exit routine; also how a
child process continues tracing (a forked child opens a file of its own; a new interpreter
starts through `start_child`)."""
from __future__ import annotations

import os
import sys
import threading
from typing import List, Optional, Tuple

from . import __version__, contract, frames, locks, primitives, processes, queues, registry, sampler, threads
from .clock import clock_domain, host_identity, now, wall_ns, wall_pair
from .hooks import Hook, HookSet, Patches, later
from .shutdown import ExitRoutine
from .writer import TraceWriter

FORMAT_NAME = contract.FORMAT_NAME
FORMAT_VERSION = contract.FORMAT_VERSION

_HOST: "dict[str, str] | None" = None


def host() -> "dict[str, str]":
    """This machine's identity, read once per interpreter (a forked child has the same)."""
    global _HOST
    if _HOST is None:
        _HOST = host_identity()
    return dict(_HOST)



def _install_exit(h: Patches) -> None:
    h.context.exit.install(h)


def _install_lock_order(h: Patches, threading: "object") -> None:
    if getattr(h.context, "lock_order", False):
        from . import lockorder
        lockorder.install(h, threading)


# Every change the agent makes to the interpreter, one row per concern: (name, the modules it
# patches, install function). A row runs when all its modules are imported: at start for the
# ones every program has, at the first import for the others (multiprocessing, concurrent
# futures), so the agent never imports them itself; `later` rows import their hook module only
# then. Rows are installed in this order and
# uninstalled in reverse. Order matters where one hook builds on another: the collector guard
# comes before anything reads other threads' stacks, and the lock replacements before
# Condition, Queue and Event objects are made (they make locks). The exit routine comes last.
HOOKS = (
    Hook("gc guard", ("gc",), frames.install),
    Hook("locks", ("threading",), locks.install),
    # Opt-in (--lock-order): lock classes that also track the order of acquisitions.
    Hook("lock order", ("threading",), _install_lock_order),
    Hook("primitives", ("threading", "time"), primitives.install),
    Hook("queues", ("queue",), queues.install),
    Hook("threads", ("threading",), threads.install),
    Hook("processes", ("os", "subprocess"), processes.install),
    # Blocking I/O as waits (weft.iowaits): sockets, ssl, select/selectors, pipes.
    Hook("socket waits", ("socket",), later("weft.iowaits", "install_sockets")),
    Hook("ssl waits", ("ssl",), later("weft.iowaits", "install_ssl")),
    Hook("select waits", ("select", "selectors"), later("weft.iowaits", "install_select")),
    Hook("fd waits", ("os", "subprocess"), later("weft.iowaits", "install_fds")),
    Hook("futures", ("concurrent.futures._base",), primitives.install_futures),
    Hook("mp spawn", ("multiprocessing.util",), later("weft.mp.process", "install_spawn")),
    Hook("mp sizes", ("multiprocessing.reduction",), later("weft.mp", "install_sizes")),
    Hook("mp shared", ("multiprocessing.synchronize",), later("weft.mp.shared", "install")),
    Hook("mp pipes", ("multiprocessing.connection", "multiprocessing.reduction"),
         later("weft.mp.channels", "install_pipes")),
    Hook("mp queues", ("multiprocessing.queues",), later("weft.mp.channels", "install_queues")),
    Hook("mp pool", ("multiprocessing.pool",), later("weft.mp.work", "install_pool")),
    Hook("mp join", ("multiprocessing.process",), later("weft.mp.process", "install_join")),
    Hook("mp start", ("multiprocessing.process",), later("weft.mp.process", "install_start")),
    Hook("mp signals", ("multiprocessing.popen_fork",), later("weft.mp.process", "install_signals")),
    Hook("mp forkserver", ("multiprocessing.popen_forkserver",), later("weft.mp.process", "install_forkserver")),
    Hook("mp executor", ("concurrent.futures.process",), later("weft.mp.work", "install_executor")),
    # The package, not its submodules: its __init__ has imported them all (taskgroups,
    # streams, subprocess, unix_events) by the time it is done, and the await reasons index
    # their coroutines.
    Hook("asyncio", ("asyncio",), later("weft.aio", "install")),
    Hook("aio executor", ("asyncio", "concurrent.futures._base", "concurrent.futures.thread"),
         later("weft.aio", "install_executor")),
    Hook("greenlets", ("greenlet",), later("weft.green", "install")),
    Hook("uvloop note", ("uvloop",), later("weft.aio", "note_uvloop")),
    Hook("opencl", ("pyopencl",), later("weft.gpu.opencl", "install")),
    Hook("aiohttp awaits", ("aiohttp.streams", "aiohttp.http_writer", "aiohttp.base_protocol"),
         later("weft.aio.tasks", "index_library")),
    Hook("exit", (), _install_exit),
)

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


def make_header(sample_hz: int, start_method: str, loop_block_ms: Optional[int] = None,
                lock_order: bool = False) -> dict:
    is_gil_enabled = getattr(sys, "_is_gil_enabled", None)
    if start_method in _NEW_INTERPRETERS:
        argv = command_line()
    else:
        argv = list(sys.argv)
    h = host()
    return {
        "format": FORMAT_NAME, "version": FORMAT_VERSION, "agent": __version__,
        "host": h, "clockDomain": clock_domain(h),
        "pid": os.getpid(), "ppid": os.getppid(), "serial": 0,
        "python": "%d.%d.%d" % sys.version_info[:3], "implementation": sys.implementation.name,
        "gil": bool(is_gil_enabled()) if is_gil_enabled is not None else True,
        "platform": sys.platform, "clock": "CLOCK_MONOTONIC",
        "startNs": now(), "wallNs": wall_ns(),
        "argv": [str(a) for a in argv], "cwd": os.getcwd(), "executable": sys.executable or "",
        "startMethod": start_method, "sampleHz": sample_hz,
        **({"loopBlockMs": loop_block_ms} if loop_block_ms is not None else {}),
        **({"lockOrder": True} if lock_order else {}),
    }


def emit_wall_clock(agent: registry.Agent) -> None:
    """An `M` record: where this file's clock stood against CLOCK_REALTIME (at start and end),
    so that files of several machines can be put on one timeline."""
    ts, wall, err = wall_pair()
    agent.emit(["M", ts, "wall", wall, err])


class Session:
    def __init__(self, out_dir: str, sample_hz: int, flush_ms: int, start_method: str = "main",
                 hooks: Tuple[Hook, ...] = HOOKS, loop_block_ms: Optional[int] = None,
                 lock_order: Optional[bool] = None) -> None:
        self.out_dir = out_dir
        # The asyncio loop-block threshold (weft.aio): the option, else WEFT_LOOP_BLOCK_MS;
        # lock-order mode (weft.lockorder): the option, else WEFT_LOCK_ORDER.
        if loop_block_ms is None or lock_order is None:
            from .cli import from_env
            env = from_env(os.environ)[0]
            loop_block_ms = env.loop_block_ms if loop_block_ms is None else loop_block_ms
            lock_order = env.lock_order if lock_order is None else lock_order
        self.loop_block_ms = loop_block_ms
        self.lock_order = bool(lock_order)
        self.sample_hz = sample_hz if frames.CURRENT_FRAMES_SAFE else 0
        self.flush_ms = flush_ms
        # How children forked from this process began: "forkserver" in the fork server.
        self.fork_method = "fork"
        self._open(start_method)
        self.exit = ExitRoutine(self.agent, self.writer)
        self.exit.catch_sigterm = start_method == "main"
        # A failing hook is reported in the file of the agent that is current when it runs
        # (a post-import hook may run in a forked child, after _open made a new one).
        self.hooks = HookSet(hooks, self, lambda place, e: self.agent.fail(place, e))
        self._started = False

    def _open(self, start_method: str) -> None:
        """A new trace file and agent state for this process (at start, and after a fork)."""
        self.writer = TraceWriter(self.out_dir, make_header(self.sample_hz, start_method, self.loop_block_ms, self.lock_order), self.flush_ms)
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
        emit_wall_clock(agent)
        self.writer.start()

    def start(self) -> None:
        self._activate()
        # A hook that fails is a `!` record; the others and the program run on.
        self.hooks.install()
        self.agent.sampler = sampler.start(self.agent)  # after the collector guard
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
            # The hooks are the parent's, inherited with its memory; the sampler thread is not.
            self.agent.sampler = sampler.start(self.agent)
        except Exception as e:  # the child runs on untraced
            try:
                sys.stderr.write(f"weft: tracing of a forked child failed: {e!r}\n")
            except Exception:
                pass

    def uninstall(self) -> None:
        self.hooks.uninstall()

    def stop(self, reason: str = "exit", code: Optional[int] = 0) -> None:
        """Ends tracing in a process that goes on (tests, embedding): end record, hooks off."""
        self.exit.finish(reason, code)
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
