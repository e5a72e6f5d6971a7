"""Test helper: a private virtual environment with the third-party libraries that tests run real
programs on (aiohttp, uvloop, anyio, ...), listed in test/components/requirements.txt.

Made on first use in .cache/components-venv (from PyPI, about 20 s) and reused while the
requirements file is unchanged (a stamp holds its hash). A machine where it cannot be made
fails the test with the command to run, never skips it: the tests that need a library are the
only proof that Weft works with it.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REQUIREMENTS = os.path.join(ROOT, "test", "components", "requirements.txt")
VENV = os.path.join(ROOT, ".cache", "components-venv")
_lock = threading.Lock()


def _digest() -> str:
    with open(REQUIREMENTS, "rb") as f:
        return hashlib.sha256(f.read() + sys.version.encode()).hexdigest()


def python() -> str:
    """The interpreter of the components venv, making or updating the venv when needed."""
    exe = os.path.join(VENV, "bin", "python")
    stamp = os.path.join(VENV, ".weft-requirements")
    with _lock:
        want = _digest()
        try:
            with open(stamp, encoding="utf-8") as f:
                if f.read() == want and os.path.exists(exe):
                    return exe
        except OSError:
            pass
        cmd = f"{sys.executable} -m venv {VENV} && {exe} -m pip install -r {REQUIREMENTS}"
        try:
            subprocess.run([sys.executable, "-m", "venv", "--clear", VENV], check=True, capture_output=True, timeout=300)
            subprocess.run([exe, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", REQUIREMENTS],
                           check=True, capture_output=True, timeout=900)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as e:
            out = getattr(e, "stderr", b"") or b""
            raise AssertionError(
                f"could not install the test components ({e}); run: {cmd}\n{out.decode(errors='replace')[-2000:]}"
            ) from e
        with open(stamp, "w", encoding="utf-8") as f:
            f.write(want)
        return exe


def run_both(prog: str, timeout: float = 60) -> "tuple":
    """Runs `prog` with the components venv's interpreter, plain and under the agent: returns
    (plain CompletedProcess, agent CompletedProcess, the agent's trace directory)."""
    from test.python.tracefile import run_agent, run_plain

    py = python()
    plain = run_plain([prog], python=py, timeout=timeout)
    proc, out = run_agent([prog], python=py, timeout=timeout)
    return plain, proc, out
