"""Semaphore, BoundedSemaphore, Condition, Barrier (3.11+), LifoQueue, PriorityQueue waits,
each about 50 ms, woken by a task named "waker"."""
import asyncio
import sys


async def waker(sem, bsem, cond, lq, pq):
    await asyncio.sleep(0.05)
    sem.release()
    await asyncio.sleep(0.05)
    bsem.release()
    await asyncio.sleep(0.05)
    async with cond:
        cond.notify()
    await asyncio.sleep(0.05)
    lq.put_nowait(1)
    await asyncio.sleep(0.05)
    pq.put_nowait(1)


async def waiter(sem, bsem, cond, lq, pq):
    await sem.acquire()  # SEM_LINE
    await bsem.acquire()  # BSEM_LINE
    async with cond:
        await cond.wait()  # COND_LINE
    await lq.get()  # LIFO_LINE
    await pq.get()  # PRIO_LINE


async def party(barrier):
    await barrier.wait()  # BARRIER_LINE


async def main():
    sem = asyncio.Semaphore(0)
    bsem = asyncio.BoundedSemaphore(1)
    await bsem.acquire()
    cond = asyncio.Condition()
    lq = asyncio.LifoQueue()
    pq = asyncio.PriorityQueue()
    await asyncio.gather(asyncio.create_task(waiter(sem, bsem, cond, lq, pq), name="waiter"),
                         asyncio.create_task(waker(sem, bsem, cond, lq, pq), name="waker"))
    if sys.version_info >= (3, 11):
        barrier = asyncio.Barrier(2)
        first = asyncio.create_task(party(barrier), name="first")
        await asyncio.sleep(0.05)
        await asyncio.create_task(party(barrier), name="second")
        await first


asyncio.run(main())
