"""Runs the target program as `__main__`, exactly as `python3 script.py args` or
`python3 -m module args` would: same `sys.argv`, `sys.path[0]`, `__main__` module (also
registered as `__mp_main__`, so pickling and multiprocessing find the program's functions),
stdio, exit status, and tracebacks printed without the agent's frames.
"""
from __future__ import annotations

import builtins
import os
import signal
import sys
import types
from dataclasses import dataclass
from importlib.machinery import SourceFileLoader
from typing import Any, Callable, List, Optional

from .registry import AGENT_DIR


@dataclass
class Outcome:
    """How the program ended."""

    exit: Any  # what to pass to sys.exit: Python then prints messages and maps codes itself
    code: Optional[int]  # the exit status for the end record
    reason: str = "exit"
    kill_signal: Optional[int] = None  # die of this signal after finalization, as Python does


class Target:
    """The program to run, resolved before tracing starts so a bad path fails like Python."""

    def __init__(self, script: Optional[str], module: Optional[str], args: List[str]) -> None:
        self.script = script
        self.module = module
        self.args = args
        self.source: Optional[bytes] = None
        self.path = ""
        self.as_package = False  # a directory or zip file with a __main__.py

    def check(self) -> Optional[str]:
        """Reads the script; returns Python's error message if it cannot be opened."""
        if self.script is None:
            return None
        self.path = os.path.abspath(self.script)
        if os.path.isdir(self.script):
            self.as_package = True
            return None
        try:
            with open(self.script, "rb") as f:
                self.source = f.read()
        except OSError as e:
            return f"can't open file {self.path!r}: [Errno {e.errno}] {e.strerror}"
        if not self.script.endswith(".py"):
            import zipfile
            if zipfile.is_zipfile(self.script):
                self.as_package = True
        return None

    def set_argv_and_path(self) -> None:
        if self.script is not None:
            sys.argv = [self.script, *self.args]
            # Python puts the script's real directory first (symlinks resolved), or the
            # directory/zip itself when it runs its __main__.py.
            sys.path[0] = self.path if self.as_package else os.path.dirname(os.path.realpath(self.script))
        else:
            sys.argv = [str(self.module), *self.args]  # runpy replaces argv[0] by the file
            sys.path[0] = os.getcwd()

    def run(self) -> Outcome:
        main = types.ModuleType("__main__")
        main.__dict__["__builtins__"] = builtins
        main.__dict__["__annotations__"] = {}
        if self.script is not None and not self.as_package:
            main.__dict__.update({
                "__file__": self.path, "__cached__": None,
                "__loader__": SourceFileLoader("__main__", self.path),
            })
        sys.modules["__main__"] = main
        sys.modules["__mp_main__"] = main
        if self.module is not None:
            return _guard(lambda: _run_module_as_main(str(self.module), True))
        if self.as_package:
            return _guard(lambda: _run_module_as_main("__main__", False))
        source = self.source or b""
        path = self.path

        def exec_script() -> None:
            code = compile(source, path, "exec", dont_inherit=True)
            exec(code, main.__dict__)

        return _guard(exec_script)


def _run_module_as_main(name: str, alter_argv: bool) -> None:
    # What `python -m` and `python dir/` call; it runs the module in sys.modules["__main__"].
    import runpy
    runpy._run_module_as_main(name, alter_argv=alter_argv)  # type: ignore[attr-defined]


def _guard(body: Callable[[], None]) -> Outcome:
    try:
        body()
    except SystemExit as e:
        return Outcome(e.code, exit_status(e.code))
    except BaseException as e:
        _print_uncaught(e)
        if isinstance(e, KeyboardInterrupt):
            return Outcome(128 + signal.SIGINT, -signal.SIGINT, "signal", signal.SIGINT)
        return Outcome(1, 1)
    return Outcome(0, 0)


def exit_status(code: Any) -> int:
    """The process exit status Python gives `sys.exit(code)`."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    return 1


def _print_uncaught(e: BaseException) -> None:
    """Prints an uncaught exception as Python's top level does, without the agent's frames."""
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(AGENT_DIR):
        tb = tb.tb_next
    e.__traceback__ = tb
    sys.last_type, sys.last_value, sys.last_traceback = type(e), e, tb
    if sys.version_info >= (3, 12):
        sys.last_exc = e  # type: ignore[attr-defined]
    try:
        sys.excepthook(type(e), e, tb)
    except BaseException:
        sys.__excepthook__(type(e), e, tb)
