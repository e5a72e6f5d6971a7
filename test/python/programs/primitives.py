"""One known wait on each primitive, each at least 100 ms, in order. The main thread waits at
each line marked *_LINE; the thread "notifier" (or a pool worker) lets it go D seconds after
the main thread has reached that line, so each wait lasts at least D however late the main
thread gets there on a loaded machine."""
import concurrent.futures
import queue
import re
import sys
import threading
import time

D = 0.1
MAIN = threading.get_ident()
with open(__file__) as _f:
    LINES = {m: i for i, text in enumerate(_f, 1) for m in re.findall(r"# ([A-Z_]+_LINE)$", text)}


def release_after(marker):
    """Returns D seconds after the main thread reached the line marked `marker`."""
    while True:
        f = sys._current_frames().get(MAIN)
        while f is not None and f.f_code.co_name != "<module>":
            f = f.f_back
        if f is not None and f.f_lineno == LINES[marker]:
            break
        time.sleep(0.002)
    time.sleep(D)  # RELEASE_SLEEP


cond = threading.Condition()
sem = threading.Semaphore(0)
bsem = threading.BoundedSemaphore(1)
event = threading.Event()
barrier = threading.Barrier(2)
jobs = queue.Queue(maxsize=1)
simple = queue.SimpleQueue()
stack = queue.LifoQueue()
ranked = queue.PriorityQueue()
tasks = queue.Queue()
ready = []


def notifier():
    release_after("COND_LINE")
    with cond:
        ready.append(1)
        cond.notify()
    release_after("SEM_LINE")
    sem.release()
    release_after("EVENT_LINE")
    event.set()
    release_after("BARRIER_LINE")
    barrier.wait()
    release_after("GET_LINE")
    jobs.put("x")
    release_after("SIMPLE_LINE")
    simple.put("y")
    release_after("LIFO_LINE")
    stack.put("z")
    release_after("PRIORITY_LINE")
    ranked.put((1, "w"))
    tasks.get()
    release_after("JOIN_QUEUE_LINE")
    tasks.task_done()
    release_after("PUT_LINE")
    jobs.get()  # frees the slot the main thread is waiting for
    release_after("JOIN_LINE")  # the main thread joins this thread meanwhile


t = threading.Thread(target=notifier, name="notifier")
t.start()
with cond:
    cond.wait_for(lambda: ready)  # COND_LINE
sem.acquire()  # SEM_LINE
event.wait()  # EVENT_LINE
barrier.wait()  # BARRIER_LINE
jobs.get()  # GET_LINE
simple.get()  # SIMPLE_LINE
stack.get()  # LIFO_LINE
ranked.get()  # PRIORITY_LINE
tasks.put(1)
tasks.join()  # JOIN_QUEUE_LINE
jobs.put(1)
jobs.put(2)  # PUT_LINE
t.join()  # JOIN_LINE
with concurrent.futures.ThreadPoolExecutor(max_workers=1) as ex:
    fut = ex.submit(release_after, "FUTURE_LINE")
    fut.result()  # FUTURE_LINE
    pending = [ex.submit(release_after, "FUTURES_WAIT_LINE")]
    concurrent.futures.wait(pending)  # FUTURES_WAIT_LINE
with bsem:
    pass
timed = threading.Lock()
timed.acquire()
timed.acquire(timeout=D)  # TIMEOUT_LINE
event.clear()
event.wait(D)  # EVENT_TIMEOUT_LINE
