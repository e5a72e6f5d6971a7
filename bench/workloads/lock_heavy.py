"""Lock-heavy: 4 threads each take one shared lock 50,000 times around a short update.

Every iteration does a little work outside the lock and a dict update inside it, so lock
operations are a large share of the run time: the worst case for a lock wrapper's fast path.
"""
import threading

THREADS = 4
ITERATIONS = 50_000
lock = threading.Lock()
totals: dict = {}


def worker(n: int) -> None:
    key = n % 8
    acc = 0
    for i in range(ITERATIONS):
        acc += (i * 7) % 13  # work outside the lock
        with lock:
            totals[key] = totals.get(key, 0) + 1


threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
assert sum(totals.values()) == THREADS * ITERATIONS
