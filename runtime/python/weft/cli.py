"""Command line of the agent (the TypeScript launcher relies on it exactly):

    python -m weft [--out DIR] [--sample-hz N] [--flush-ms N] [--loop-block-ms N] [--lock-order] [--] script.py [args...]
    python -m weft [options] [--] -m module [args...]

Options may also come from WEFT_OUT, WEFT_SAMPLE_HZ, WEFT_FLUSH_MS, WEFT_LOOP_BLOCK_MS and
WEFT_LOCK_ORDER (1 = on); the command line wins.
The effective values are exported to os.environ so that child processes can inherit them.
"""
from __future__ import annotations

import os
import sys
from typing import Any, List, Optional

# Kept light: child processes read their options through from_env at start-up, so this module
# must not import the runner (dataclasses, inspect) on that path.

USAGE = """usage: python -m weft [--out DIR] [--sample-hz N] [--flush-ms N] [--loop-block-ms N] [--lock-order] [--] script.py [args...]
       python -m weft [options] [--] -m module [args...]

Runs a Python program and records its threads, locks and waits into DIR (default .weft/trace),
one file per process. Options may also come from the environment variables WEFT_OUT,
WEFT_SAMPLE_HZ (stack samples per second, default 100, 0 = off), WEFT_FLUSH_MS (how often
records are written through, default 100) and WEFT_LOOP_BLOCK_MS (an asyncio callback or task
step at least this long is a loop block, default 50). --lock-order (WEFT_LOCK_ORDER=1) tracks the
order in which each thread takes its locks and reports locks taken in opposite orders (off by
default: it costs time on every acquisition). Read the trace with `weft summary DIR`.
"""

DEFAULT_OUT = os.path.join(".weft", "trace")
DEFAULT_SAMPLE_HZ = 100
DEFAULT_FLUSH_MS = 100
DEFAULT_LOOP_BLOCK_MS = 50
MAX_SAMPLE_HZ = 10_000
MIN_FLUSH_MS = 5


class UsageError(Exception):
    pass


class Options:
    def __init__(self) -> None:
        self.out = DEFAULT_OUT
        self.sample_hz = DEFAULT_SAMPLE_HZ
        self.flush_ms = DEFAULT_FLUSH_MS
        self.loop_block_ms = DEFAULT_LOOP_BLOCK_MS
        self.lock_order = False
        self.script: Optional[str] = None
        self.module: Optional[str] = None
        self.args: List[str] = []


def _int(text: str, what: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{what} needs a whole number, got {text!r}") from None


def _sample_hz(n: int) -> int:
    return max(0, min(n, MAX_SAMPLE_HZ))


def _flush_ms(n: int) -> int:
    return max(MIN_FLUSH_MS, n)


def _loop_block_ms(n: int) -> int:
    return max(1, n)


def from_env(environ: Any) -> "tuple[Options, List[str]]":
    """Options from the environment, and a warning for each value that is not usable."""
    o = Options()
    warnings = []
    if environ.get("WEFT_OUT"):
        o.out = environ["WEFT_OUT"]
    for var, attr, fix in (("WEFT_SAMPLE_HZ", "sample_hz", _sample_hz), ("WEFT_FLUSH_MS", "flush_ms", _flush_ms),
                          ("WEFT_LOOP_BLOCK_MS", "loop_block_ms", _loop_block_ms)):
        text = environ.get(var)
        if text:
            try:
                setattr(o, attr, fix(int(text)))
            except ValueError:
                warnings.append(f"weft: ignoring {var}={text!r} (not a whole number); "
                                f"using {getattr(o, attr)}\n")
    o.lock_order = environ.get("WEFT_LOCK_ORDER", "") not in ("", "0")
    return o, warnings


def parse(argv: List[str], environ: Any = os.environ) -> "tuple[Options, List[str]]":
    o, warnings = from_env(environ)
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            i += 1
            break
        if a == "-m" or not a.startswith("-"):
            break
        name, eq, value = a.partition("=")
        if a == "--lock-order":
            o.lock_order = True
            i += 1
            continue
        if name in ("--out", "--sample-hz", "--flush-ms", "--loop-block-ms"):
            if not eq:
                if i + 1 >= len(argv):
                    raise UsageError(f"{name} needs a value")
                value = argv[i + 1]
                i += 1
            if name == "--out":
                o.out = value
            elif name == "--sample-hz":
                o.sample_hz = _sample_hz(_int(value, name))
            elif name == "--loop-block-ms":
                o.loop_block_ms = _loop_block_ms(_int(value, name))
            else:
                o.flush_ms = _flush_ms(_int(value, name))
            i += 1
            continue
        raise UsageError(f"unknown option {a}")
    rest = argv[i:]
    if rest[:1] == ["-m"]:
        if len(rest) < 2:
            raise UsageError("-m needs a module name")
        o.module, o.args = rest[1], rest[2:]
    elif rest:
        o.script, o.args = rest[0], rest[1:]
    else:
        raise UsageError("no script given")
    return o, warnings


def main(argv: List[str]) -> Any:
    """Runs the program; returns what `python -m weft` passes to sys.exit."""
    if argv[:1] in (["-h"], ["--help"]):
        sys.stdout.write(USAGE)
        return 0
    try:
        opts, warnings = parse(argv)
    except UsageError as e:
        sys.stderr.write(f"weft: {e}\n{USAGE}")
        return 2
    for w in warnings:
        sys.stderr.write(w)

    from .runner import Target

    target = Target(opts.script, opts.module, opts.args)
    error = target.check()
    if error is not None:
        sys.stderr.write(f"weft: {error}\n")
        return 2

    out = os.path.abspath(opts.out)
    os.environ["WEFT_OUT"] = out
    os.environ["WEFT_SAMPLE_HZ"] = str(opts.sample_hz)
    os.environ["WEFT_FLUSH_MS"] = str(opts.flush_ms)
    os.environ["WEFT_LOOP_BLOCK_MS"] = str(opts.loop_block_ms)
    os.environ["WEFT_LOCK_ORDER"] = "1" if opts.lock_order else "0"
    from .processes import export_child_env
    export_child_env()
    target.set_argv_and_path()

    exit_routine = _start_session(out, opts)
    from .launcher_link import follow_launcher
    follow_launcher()  # after the session: its SIGTERM handler writes the end record
    outcome = target.run()
    if exit_routine is not None:
        exit_routine.reason = outcome.reason
        exit_routine.code = outcome.code
        exit_routine.kill_signal = outcome.kill_signal
    return outcome.exit


def _start_session(out: str, opts: Options) -> Any:
    """Starts tracing; if that fails the program still runs, untraced, with a warning."""
    from .session import Session
    session = None
    try:
        session = Session(out, opts.sample_hz, opts.flush_ms, loop_block_ms=opts.loop_block_ms,
                          lock_order=opts.lock_order)
        session.start()
        return session.exit
    except Exception as e:
        sys.stderr.write(f"weft: could not start tracing ({e!r}); running the program untraced\n")
        if session is not None:
            try:
                session.agent.fail("agent start", e)
                session.stop("exit", None)
            except Exception:
                pass
        return None
