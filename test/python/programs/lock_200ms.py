import threading
import time

lock = threading.Lock()
held = threading.Event()


def holder():
    with lock:
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
