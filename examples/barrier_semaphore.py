"""Workers in phases: a Barrier synchronises each phase, a Semaphore limits a shared resource.

Six workers run three phases. In each phase they need one of two "connections" (a
BoundedSemaphore of 2), then meet at the Barrier. Uneven work makes the fast workers wait at the
barrier for the slowest one; the semaphore makes them queue for connections.

    npx weft run examples/barrier_semaphore.py
"""
import threading
import time

WORKERS = 6
PHASES = 3
connections = threading.BoundedSemaphore(2)
phase_done = threading.Barrier(WORKERS)
started = threading.Event()


def worker(n: int) -> None:
    started.wait()
    for phase in range(PHASES):
        with connections:
            time.sleep(0.01 * (1 + n % 3))  # use the connection
        phase_done.wait()


def main() -> None:
    threads = [threading.Thread(target=worker, args=(n,), name=f"worker-{n}") for n in range(WORKERS)]
    for t in threads:
        t.start()
    time.sleep(0.02)
    started.set()
    for t in threads:
        t.join()
    print(f"{WORKERS} workers finished {PHASES} phases")


if __name__ == "__main__":
    main()
