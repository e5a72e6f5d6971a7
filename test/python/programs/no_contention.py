"""4 threads of CPU work, each taking a shared lock briefly with `with`: with raw locks this
never contends on 3.11+, because nothing in the critical section is a point where the
interpreter can switch threads (no call, no backward jump). First argument: lock, rlock or
condition (a Condition over a Lock, entered with `with cond:`)."""
import sys
import threading

N = 3000
mode = sys.argv[1] if len(sys.argv) > 1 else "lock"
if mode == "rlock":
    guard = threading.RLock()
elif mode == "condition":
    guard = threading.Condition(threading.Lock())
else:
    guard = threading.Lock()
counter = [0]


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def worker():
    for _ in range(N):
        fib(12)
        with guard:
            counter[0] += 1


threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(counter[0])
