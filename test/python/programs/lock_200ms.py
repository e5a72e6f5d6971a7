"""Ground truth: "holder" keeps the lock for 200 ms while "waiter" waits for it.
`rlock` as first argument uses an RLock (taken twice by the holder: re-entry never waits)."""
import sys
import threading
import time

if "rlock" in sys.argv:
    lock = threading.RLock()  # CREATE_LINE
else:
    lock = threading.Lock()  # CREATE_LINE
held = threading.Event()


def holder():
    with lock:
        if "rlock" in sys.argv:
            lock.acquire()
            lock.release()
        held.set()
        time.sleep(0.2)  # HOLD_LINE


def waiter():
    held.wait()
    with lock:  # WAIT_LINE
        pass


h = threading.Thread(target=holder, name="holder")
w = threading.Thread(target=waiter, name="waiter")
h.start()
w.start()
h.join()
w.join()
