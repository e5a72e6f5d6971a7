"""Ties the launched program's life to the launcher's (`weft run`, the VS Code extension).

A launcher that is killed outright (SIGKILL of `weft run`, a crashed or reloaded extension
host) cannot stop the program it started: before this, the program ran on as an orphan,
writing its trace for nobody. The launcher passes its pid in WEFT_LAUNCHER_PID; the root
process asks Linux for SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG), so the program
ends as if the launcher had stopped it: the agent's SIGTERM handler writes the end record and
the exit status is the signal's. Only the root is tied (its children end with it as they
would under a terminal), only on Linux (elsewhere nothing changes), and the variable is removed
so that the program and its children do not see it.
"""
from __future__ import annotations

import os
import signal
import sys

ENV = "WEFT_LAUNCHER_PID"
_PR_SET_PDEATHSIG = 1


def follow_launcher() -> None:
    text = os.environ.pop(ENV, "")
    if not text or not sys.platform.startswith("linux"):
        return
    try:
        launcher = int(text)
        # Only a direct child: an interpreter started through a wrapper that forks (`conda
        # run`, a shell script) has the wrapper as its parent, whose death says nothing.
        if os.getppid() != launcher:
            return
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
            return
    except (ValueError, OSError, AttributeError):
        return
    # The launcher may have died between the check and the request: then no signal will come.
    if os.getppid() != launcher:
        os.kill(os.getpid(), signal.SIGTERM)
