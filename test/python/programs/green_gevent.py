"""gevent ground truth: 100 greenlets under monkey.patch_all(), a 100 ms gevent.sleep, a gevent
RLock held 100 ms by one greenlet while another waits, a greenlet that holds the hub for 200 ms
of CPU, one that raises, and the program's own greenlet.settrace."""
from gevent import monkey

monkey.patch_all()

import threading  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import greenlet  # noqa: E402
from gevent.lock import RLock  # noqa: E402

switches = []
greenlet.settrace(lambda event, args: switches.append(event))
shared = threading.Lock()  # gevent's lock after patch_all
rlock = RLock()


def worker(i):
    with shared:
        gevent.sleep(0.001)
    return i


def sleeper():
    gevent.sleep(0.1)  # SLEEP LINE


def holder():
    with rlock:
        gevent.sleep(0.1)  # HOLD LINE


def waiter():
    gevent.sleep(0.01)
    with rlock:  # WAIT LINE
        pass


def hog():
    t = time.perf_counter()
    while time.perf_counter() - t < 0.2:  # HOG LINE
        pass


def fails():
    raise ValueError("bad row")


jobs = [gevent.spawn(worker, i) for i in range(100)]  # SPAWN LINE
named = [gevent.spawn(f) for f in (sleeper, holder, waiter)]
bad = gevent.spawn(fails)
gevent.joinall(jobs + named + [bad])
gevent.spawn(hog).join()  # alone, so that it delays none of the waits above
print(sum(j.value for j in jobs), bool(switches), type(bad.exception).__name__)
