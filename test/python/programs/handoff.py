"""Tellers hand a lock to each other while an auditor holds it for long stretches. The program
measures its own slow acquisitions (over 2 ms from before `with` to inside it)."""
import threading
import time

lock = threading.Lock()
slow = [0]


def teller():
    for _ in range(100):
        t0 = time.perf_counter()
        with lock:
            if time.perf_counter() - t0 > 0.002:
                slow[0] += 1
            time.sleep(0.0005)


def auditor():
    for _ in range(5):
        with lock:
            time.sleep(0.02)
        time.sleep(0.03)


ts = [threading.Thread(target=teller) for _ in range(4)] + [threading.Thread(target=auditor)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(slow[0])
