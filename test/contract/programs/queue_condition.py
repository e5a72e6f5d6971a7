"""A bounded queue and a Condition, for the contract test.

The producer fills a queue of size 1 faster than the consumer empties it, so it blocks in
put (queue_put waits, released by the consumer). The consumer tells `waiter` through a
Condition when it has seen every item (a condition wait, notified by the consumer).
"""
import queue
import threading
import time

ITEMS = 5
work = queue.Queue(maxsize=1)
cond = threading.Condition()
seen = 0


def producer():
    for i in range(ITEMS):
        work.put(i)
    work.put(None)


def consumer():
    global seen
    while True:
        item = work.get()
        if item is None:
            break
        time.sleep(0.01)
        with cond:
            seen += 1
            cond.notify_all()


def waiter():
    with cond:
        cond.wait_for(lambda: seen == ITEMS)


threads = [threading.Thread(target=f, name=f.__name__) for f in (producer, consumer, waiter)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("consumed", seen)
