"""Eight threads take three locks, always in the same order, many times, with short sleeps
and Condition/queue hand-offs between them: heavy contention, never a deadlock or a hang."""
import queue
import threading
import time

a, b, c = threading.Lock(), threading.RLock(), threading.Lock()
work: "queue.Queue[int]" = queue.Queue()
done = threading.Event()
total = [0]


def worker(n: int) -> None:
    for i in range(300):
        with a:
            with b:
                with b:
                    with c:
                        total[0] += 1
                        if i % 20 == 0:
                            time.sleep(0.002)  # holders sleep: the others queue up
        if i % 50 == 0:
            time.sleep(0.01)
    work.put(n)


def collector() -> None:
    for _ in range(8):
        work.get()
    done.set()


threads = [threading.Thread(target=worker, args=(n,), name=f"w{n}") for n in range(8)]
col = threading.Thread(target=collector, name="collector")
col.start()
for t in threads:
    t.start()
done.wait()
for t in threads:
    t.join()
col.join()
print(total[0])
