"""A wait that Ctrl+C ends: SIGINT reaches the main thread 0.6 s into a wait that nothing else
would end (join, lock, condition: argv[1]); the program catches it and goes on for 0.5 s more.
Ground truth: the wait lasted 0.6 s, then the thread ran on."""
import os
import signal
import sys
import threading
import time

mode = sys.argv[1]
release = threading.Event()
lock = threading.Lock()
cond = threading.Condition()


def interrupt_soon() -> None:
    time.sleep(0.6)
    os.kill(os.getpid(), signal.SIGINT)


def hold_lock() -> None:
    with lock:
        release.wait()


threading.Thread(target=interrupt_soon, daemon=True).start()
try:
    if mode == "join":
        t = threading.Thread(target=release.wait)
        t.start()
        t.join()  # marker: join
    elif mode == "lock":
        threading.Thread(target=hold_lock, daemon=True).start()
        time.sleep(0.05)
        lock.acquire()  # marker: lock
    else:
        with cond:
            cond.wait()  # marker: condition
except KeyboardInterrupt:
    print("interrupted")
release.set()
time.sleep(0.5)
