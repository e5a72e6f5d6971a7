"""A Barrier and a Semaphore, for the contract test.

Three workers meet at a barrier (the early ones wait for the last), then take turns through
a semaphore of one slot (each holds it 20 ms, so the others wait).
"""
import threading
import time

barrier = threading.Barrier(3)
slot = threading.Semaphore(1)


def worker(delay):
    time.sleep(delay)
    barrier.wait()
    with slot:
        time.sleep(0.02)


threads = [threading.Thread(target=worker, args=(0.01 * i,), name=f"worker-{i}") for i in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("all through")
