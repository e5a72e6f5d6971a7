"""A producer/consumer pipeline: a bounded queue.Queue and a Condition-guarded results buffer.

The producer is faster than the two consumers, so it blocks on `put` when the queue is full
(back-pressure); the reporter waits on a Condition until enough results have arrived.

    npx weft run examples/producer_consumer.py
"""
import queue
import threading
import time

ITEMS = 60
work = queue.Queue(maxsize=5)
results = []
results_ready = threading.Condition()


def producer() -> None:
    for i in range(ITEMS):
        work.put(i)  # blocks while the queue is full
    for _ in range(2):
        work.put(None)


def consumer() -> None:
    while True:
        item = work.get()
        if item is None:
            break
        time.sleep(0.01)  # processing an item
        with results_ready:
            results.append(item * item)
            results_ready.notify_all()


def reporter() -> None:
    with results_ready:
        results_ready.wait_for(lambda: len(results) >= ITEMS)
    print(f"processed {len(results)} items, sum of squares {sum(results)}")


def main() -> None:
    threads = [
        threading.Thread(target=reporter, name="reporter"),
        threading.Thread(target=producer, name="producer"),
        threading.Thread(target=consumer, name="consumer-1"),
        threading.Thread(target=consumer, name="consumer-2"),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


if __name__ == "__main__":
    main()
