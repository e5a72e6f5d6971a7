"""Every thread sleeps or waits with a timeout for a long time: slow, not hung."""
import threading
import time

ev = threading.Event()


def poller() -> None:
    while not ev.wait(timeout=0.3):
        pass


t = threading.Thread(target=poller, name="poller", daemon=True)
t.start()
time.sleep(float(__import__("sys").argv[1]))
ev.set()
t.join()
