"""4 threads of CPU work, each taking a shared lock briefly: raw locks never contend here."""
import sys
import threading

lock = threading.RLock() if "rlock" in sys.argv else threading.Lock()
counter = [0]


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def worker():
    for _ in range(3000):
        fib(10)
        with lock:
            counter[0] += 1


threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(counter[0])
