"""The main thread joins a worker that waits for an Event nobody will set: no cycle, but every
thread is blocked and nothing in the process can wake them.

The worker waits for `ready`, which the main thread was meant to set before joining (the line
is missing). Weft's watchdog reports it as a hang once every thread has been blocked for the
hang time (5 s by default, `--hang-ms`), and `weft run` prints it while the program hangs:

    npx weft run examples/hang.py
    weft: hang: every thread is blocked; MainThread waits for worker (created at hang.py:25)
          at hang.py:27; worker waits for ready (created at hang.py:16) at hang.py:20

Stop it with Ctrl+C.
"""
import threading

ready = threading.Event()


def worker() -> None:
    ready.wait()  # the worker is stuck here
    print("working")


t = threading.Thread(target=worker, name="worker")
t.start()
# ready.set() was meant to be here
t.join()  # the main thread is stuck here
