"""Runs the target program as `__main__` under the agent, exactly as `python3 script.py` or
`python3 -m module` would: same argv, sys.path[0], stdio and exit status.

The end record is written by an idempotent exit routine reached from every way out: atexit
(which CPython runs after joining non-daemon threads, so their events are in), a SIGTERM
handler (only if the program has none), and a wrapper of `os._exit`.
"""
from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
import time
import types
from typing import List, Optional

from . import __version__, core, hooks, processes, sampler
from .writer import TraceWriter

USAGE = """usage: python -m weft [--out DIR] [--sample-hz N] [--flush-ms N] [--] script.py [args...]
       python -m weft [options] [--] -m module [args...]

Runs a Python program and records its threads, locks and waits into DIR (default: .weft/trace).
Options may also come from WEFT_OUT, WEFT_SAMPLE_HZ (default 100, 0 = off), WEFT_FLUSH_MS
(default 100). Read the trace with `weft summary DIR`.
"""


class Options:
    def __init__(self) -> None:
        self.out = os.environ.get("WEFT_OUT") or os.path.join(".weft", "trace")
        self.sample_hz = _int_env("WEFT_SAMPLE_HZ", 100)
        self.flush_ms = _int_env("WEFT_FLUSH_MS", 100)
        self.module: Optional[str] = None
        self.target: List[str] = []


def _int_env(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def parse(argv: List[str]) -> Options:
    o = Options()
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if a in ("-h", "--help"):
            sys.stdout.write(USAGE)
            sys.exit(0)
        if a in ("--out", "--sample-hz", "--flush-ms") and i + 1 < len(argv):
            v = argv[i + 1]
            if a == "--out":
                o.out = v
            else:
                try:
                    n = int(v)
                except ValueError:
                    _usage_error(f"{a} needs an integer, got {v!r}")
                if a == "--sample-hz":
                    o.sample_hz = max(0, min(n, 10_000))
                else:
                    o.flush_ms = max(5, n)
            i += 2
            continue
        if a.startswith("--") and a != "-m":
            _usage_error(f"unknown option {a}")
        break
    rest = argv[i:]
    if rest[:1] == ["-m"]:
        if len(rest) < 2:
            _usage_error("-m needs a module name")
        o.module = rest[1]
        o.target = rest[2:]
    else:
        if not rest:
            _usage_error("no script given")
        o.target = rest
    return o


def _usage_error(msg: str) -> None:
    sys.stderr.write(f"weft: {msg}\n{USAGE}")
    sys.exit(2)


class Session:
    """One traced process: writer, agent, hooks and the exit routine."""

    def __init__(self, opts: Options, start_method: str = "main") -> None:
        self.opts = opts
        # How children forked from this process began: "forkserver" in the fork server.
        self.fork_method = "fork"
        self._open(start_method)

    def _open(self, start_method: str) -> None:
        """A new trace file and agent state for this process (at start, and after fork)."""
        self.exit_code: Optional[int] = None
        self.end_reason = "exit"
        t0 = time.perf_counter_ns()
        # A new interpreter's sys.argv is not set yet when sitecustomize runs; a forked child's
        # is its parent's program.
        if start_method in ("spawn", "subprocess", "helper", "forkserver"):
            argv = list(getattr(sys, "orig_argv", sys.argv))
        else:
            argv = list(sys.argv)
        header = {
            "format": "weft-trace", "version": 1, "agent": __version__,
            "pid": os.getpid(), "ppid": os.getppid(), "serial": 0,
            "python": "%d.%d.%d" % sys.version_info[:3], "implementation": sys.implementation.name,
            "gil": bool(getattr(sys, "_is_gil_enabled", lambda: True)()),
            "platform": sys.platform, "clock": "CLOCK_MONOTONIC",
            "startNs": t0, "wallNs": time.time_ns(),
            "argv": argv, "cwd": os.getcwd(), "executable": sys.executable,
            "startMethod": start_method, "sampleHz": self.opts.sample_hz,
        }
        self.writer = TraceWriter(self.opts.out, header, self.opts.flush_ms)
        self.agent = core.Agent(self.writer, self.opts.sample_hz)
        self.agent.internal_idents = self.writer.internal

    def _activate(self) -> None:
        core.A = self.agent
        self.agent.register_thread(threading.get_ident(), None, None)
        self.writer.start()
        sampler.start(self.agent)

    def start(self) -> None:
        self._activate()
        hooks.install()
        processes.install(self)
        atexit.register(self.finish)
        self._orig_exit = os._exit
        os._exit = self._os_exit  # type: ignore[assignment]
        try:
            if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
                signal.signal(signal.SIGTERM, self._on_sigterm)
        except ValueError:
            pass
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self._after_fork_child)

    def _after_fork_child(self) -> None:
        # The child has a copy of the parent's agent: its buffer and ids belong to the parent's
        # file. Stop that copy (without writing: the fd is shared) and start a file of our own.
        # Objects keep their parent-file ids, but core.Agent.oid redefines any object whose id
        # belongs to another agent.
        try:
            old = self.agent
            old.closed = True
            self.writer._closed = True
            try:
                os.close(self.writer._fd)
            except OSError:
                pass
            self.writer._fd = -1
            self._open(self.fork_method)
            self._activate()
        except Exception as e:  # the child runs on untraced
            try:
                sys.stderr.write(f"weft: tracing of forked child failed: {e!r}\n")
            except Exception:
                pass

    def _os_exit(self, code: int) -> None:
        self.exit_code = code
        self.end_reason = "os_exit"
        self.finish()
        self._orig_exit(code)

    def _on_sigterm(self, signum: int, frame: object) -> None:
        self.end_reason = "signal"
        self.exit_code = -signum
        self.finish()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def finish(self) -> None:
        """Writes open waits, acquisition counts and the end record; safe to call twice."""
        agent = self.agent
        if agent.closed:
            return
        ts = time.perf_counter_ns()
        try:
            for ident, w in list(agent.open_waits.items()):
                t0, obj, reason, site, holder, hsite = w
                tids = agent.tids
                agent.emit(["W", t0, ts, agent.tid(ident), agent.oid(obj), reason, site,
                            tids.get(holder) if holder else None, hsite, None, hooks.OPEN])
            for oid, ref in list(agent.defined.items()):
                obj = ref()
                n = getattr(obj, "_n", 0) if obj is not None else 0
                if n:
                    agent.emit(["A", ts, oid, n])
            for ident, tid in list(agent.tids.items()):
                cpu = core._cpu_clock_ns(agent.natives.get(ident))
                if cpu is not None:
                    agent.emit(["C", ts, tid, cpu])
        except Exception as e:
            agent.warn(f"exit routine: {e!r}")
        agent.closed = True
        self.writer.close(["Z", ts, self.end_reason, self.exit_code, 0])


def run(argv: List[str]) -> int:
    opts = parse(argv)
    os.environ["WEFT_OUT"] = os.path.abspath(opts.out)
    os.environ["WEFT_SAMPLE_HZ"] = str(opts.sample_hz)
    os.environ["WEFT_FLUSH_MS"] = str(opts.flush_ms)
    opts.out = os.environ["WEFT_OUT"]
    processes.export_child_env()

    if opts.module is None:
        script = opts.target[0]
        try:
            with open(script, "rb") as f:
                source = f.read()
        except OSError as e:
            sys.stderr.write(f"{sys.executable}: can't open file {os.path.abspath(script)!r}: "
                             f"[Errno {e.errno}] {e.strerror}\n")
            return 2
        sys.argv = list(opts.target)
        sys.path[0] = os.path.dirname(os.path.realpath(script))
    else:
        sys.argv = [opts.module] + list(opts.target)
        sys.path[0] = os.getcwd()

    session = Session(opts)
    try:
        session.start()
    except Exception as e:  # the program runs even if the agent cannot
        sys.stderr.write(f"weft: agent failed to start ({e!r}); running without tracing\n")

    code = 0
    try:
        if opts.module is None:
            main = types.ModuleType("__main__")
            main.__dict__.update({"__file__": script, "__builtins__": __builtins__,
                                  "__spec__": None, "__loader__": None, "__package__": None,
                                  "__cached__": None})
            sys.modules["__main__"] = main
            sys.modules["__mp_main__"] = main
            code_obj = compile(source, script, "exec", dont_inherit=True)
            exec(code_obj, main.__dict__)
        else:
            import runpy
            sys.argv[0] = "-m"  # runpy sets the real path, as python -m does
            runpy._run_module_as_main(opts.module, alter_argv=True)  # type: ignore[attr-defined]
    except SystemExit as e:
        code = _exit_code(e)
    except BaseException as e:
        # Print the traceback as plain Python would, without the agent's frames.
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename.startswith(core._AGENT_DIR):
            tb = tb.tb_next
        e.__traceback__ = tb  # the default hook prints the exception's own traceback
        if isinstance(e, KeyboardInterrupt):
            sys.excepthook(type(e), e, tb)
            code = 130
        else:
            sys.excepthook(type(e), e, tb)
            code = 1
    session.exit_code = code
    return code


def _exit_code(e: SystemExit) -> int:
    c = e.code
    if c is None:
        return 0
    if isinstance(c, int):
        return c & 0xFF if c >= 0 else c & 0xFF
    try:
        sys.stderr.write(f"{c}\n")
    except Exception:
        pass
    return 1


def start_child() -> None:
    """Called by weft/_site/sitecustomize.py in every Python process started below a traced
    one (spawn, forkserver, subprocess): traces it into the same directory."""
    if core.A is not None:
        return
    argv = " ".join(getattr(sys, "orig_argv", sys.argv))
    if "multiprocessing.spawn" in argv or "--multiprocessing-fork" in argv:
        method = "spawn"
    elif "multiprocessing.forkserver" in argv or "multiprocessing.resource_tracker" in argv:
        method = "helper"
    else:
        method = "subprocess"
    session = Session(Options(), method)
    if "multiprocessing.forkserver" in argv:
        session.fork_method = "forkserver"
    session.start()
