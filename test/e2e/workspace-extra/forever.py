"""A program that never ends on its own: what "Weft: Stop Profiling" must be able to stop.

Two threads, `spinner` and `sleeper`, take turns on `forever_lock` for as long as the process
lives, and a child process (this file run again with --child) sleeps forever, so stopping has to
end a whole process tree, not just the process Weft started.

Once both threads have done some work and the child is alive, the parent writes
`forever.ready` next to this file, so the end-to-end test knows there is something to show
before it stops the run (it waits on that file instead of sleeping).
"""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
READY = HERE / "forever.ready"
CHILD_READY = HERE / "forever-child.ready"

forever_lock = threading.Lock()
turns = {"spinner": 0, "sleeper": 0}


def spinner() -> None:
    while True:
        with forever_lock:
            deadline = time.perf_counter() + 0.002
            while time.perf_counter() < deadline:  # a little CPU work while holding the lock
                pass
            turns["spinner"] += 1
        time.sleep(0.001)


def sleeper() -> None:
    while True:
        with forever_lock:
            time.sleep(0.003)  # holds the lock while blocked, so the spinner waits for it
            turns["sleeper"] += 1
        time.sleep(0.001)


def child() -> None:
    CHILD_READY.write_text(str(os.getpid()))
    while True:
        time.sleep(1)


def main() -> None:
    for path in (READY, CHILD_READY):
        path.unlink(missing_ok=True)
    for target in (spinner, sleeper):
        threading.Thread(target=target, name=target.__name__, daemon=True).start()
    kid = subprocess.Popen([sys.executable, __file__, "--child"])
    while not CHILD_READY.exists() or min(turns.values()) < 20:
        time.sleep(0.01)
    READY.write_text(f"{os.getpid()} {kid.pid}")
    print(f"forever: running as pid {os.getpid()} with child {kid.pid}", flush=True)
    kid.wait()  # never returns unless someone kills the child


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
