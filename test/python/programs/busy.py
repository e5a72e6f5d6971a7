"""One thread burns CPU in spin() while another waits on an event for the same time."""
import threading
import time

stop = threading.Event()
stopped = [False]


def spin():
    n = 0
    while not stopped[0]:
        n += 1  # SPIN_LINE
    return n


def sleeper():
    stop.wait()  # SLEEPER_LINE


ts = [threading.Thread(target=spin, name="spinner"), threading.Thread(target=sleeper, name="sleeper")]
for t in ts:
    t.start()
time.sleep(0.6)
stopped[0] = True
stop.set()
for t in ts:
    t.join()
