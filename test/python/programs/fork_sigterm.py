"""Forks children and sends each one SIGTERM at once, often before it has run any code of its
own. Without Weft every child dies of it; a child that lived on (the signal caught by the
handler inherited from the traced parent, then discarded by CPython after the fork) is
counted and killed."""
import os
import signal
import sys
import time

survivors = 0
for _ in range(int(sys.argv[1])):
    pid = os.fork()
    if pid == 0:
        time.sleep(5)  # only a child that missed its SIGTERM gets here and lives on
        os._exit(0)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 2
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            survivors += 1
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            break
        time.sleep(0.001)
print("survivors", survivors)
