"""Contention-free threads: 4 threads of CPU work, each with its own lock, never contended."""
import threading

THREADS = 4


def fib(n: int) -> int:
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def worker() -> None:
    own = threading.Lock()
    for _ in range(40):
        with own:
            fib(18)


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
