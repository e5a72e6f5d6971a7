"""One known wait on each primitive, each about 100 ms, in order."""
import concurrent.futures
import queue
import threading
import time

D = 0.1
cond = threading.Condition()
sem = threading.Semaphore(0)
bsem = threading.BoundedSemaphore(1)
event = threading.Event()
barrier = threading.Barrier(2)
jobs = queue.Queue(maxsize=1)
simple = queue.SimpleQueue()
ready = []


def notifier():
    time.sleep(D)
    with cond:
        ready.append(1)
        cond.notify()
    time.sleep(D)
    sem.release()
    time.sleep(D)
    event.set()
    time.sleep(D)
    barrier.wait()
    time.sleep(D)
    jobs.put("x")
    time.sleep(D)
    simple.put("y")
    time.sleep(D)
    jobs.get()  # frees the slot the main thread is waiting for
    time.sleep(D)  # the main thread joins this thread meanwhile


t = threading.Thread(target=notifier, name="notifier")
t.start()
with cond:
    cond.wait_for(lambda: ready)  # COND_LINE
sem.acquire()  # SEM_LINE
event.wait()  # EVENT_LINE
barrier.wait()  # BARRIER_LINE
jobs.get()  # GET_LINE
simple.get()  # SIMPLE_LINE
jobs.put(1)
jobs.put(2)  # PUT_LINE
t.join()  # JOIN_LINE
with concurrent.futures.ThreadPoolExecutor(max_workers=1) as ex:
    fut = ex.submit(time.sleep, D)
    fut.result()  # FUTURE_LINE
with bsem:
    pass
