"""A producer/consumer pipeline on `asyncio.Queue`: one producer, three consumers, a bounded
queue (back-pressure), an `asyncio.Event` that tells the consumers to stop, and a thread-pool
call (`asyncio.to_thread`) for the one blocking step, so it does not block the loop.

Weft shows the producer waiting on `put` when the queue is full, consumers waiting on `get`
and woken by the producer's put (arrows), and each `to_thread` call leaving the loop for a
worker thread and coming back.

    npx weft run examples/asyncio_pipeline.py
"""
import asyncio
import hashlib

ITEMS = 30


def checksum(data: bytes) -> str:
    return hashlib.sha256(data * 20000).hexdigest()  # CPU work in a worker thread


async def producer(q: asyncio.Queue) -> None:
    for i in range(ITEMS):
        await q.put(i)  # waits while the queue is full
    await q.join()  # until every item is processed


async def consumer(name: str, q: asyncio.Queue, done: asyncio.Event, results: list) -> None:
    while not done.is_set():
        try:
            item = await asyncio.wait_for(q.get(), timeout=0.2)
        except asyncio.TimeoutError:
            continue
        await asyncio.sleep(0.01)  # an I/O call per item
        results.append((name, await asyncio.to_thread(checksum, str(item).encode())))
        q.task_done()


async def main() -> None:
    q: asyncio.Queue = asyncio.Queue(maxsize=4)
    done = asyncio.Event()
    results: list = []
    consumers = [asyncio.create_task(consumer(f"consumer-{k}", q, done, results), name=f"consumer-{k}") for k in range(3)]
    await producer(q)
    done.set()
    await asyncio.gather(*consumers)
    print(f"{len(results)} items processed by {len({n for n, _ in results})} consumers")


if __name__ == "__main__":
    asyncio.run(main())
