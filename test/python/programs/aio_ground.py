"""asyncio ground truth: each await below has a known duration, line, holder and waker."""
import asyncio
import time


async def blocker():
    time.sleep(0.3)  # BLOCK_LINE


async def holder(lock):
    async with lock:  # HOLD_LINE
        await asyncio.sleep(0.1)


async def waiter(lock):
    async with lock:  # LOCK_WAIT_LINE
        pass


async def child():  # CHILD_DEF
    await asyncio.sleep(0.05)
    return 1


async def boom():
    raise ValueError("bad value")


async def sleeper():
    await asyncio.sleep(10)  # CANCELLED_LINE


async def producer(q, ev):
    await asyncio.sleep(0.05)
    q.put_nowait(1)
    await asyncio.sleep(0.05)
    ev.set()


async def consumer(q, ev):
    await q.get()  # QGET_LINE
    await ev.wait()  # EVENT_LINE


async def main():
    await asyncio.create_task(blocker(), name="blocker")
    lock = asyncio.Lock()  # LOCK_CREATE
    await asyncio.gather(holder(lock), waiter(lock))
    await asyncio.sleep(0.1)  # SLEEP_LINE
    kid = asyncio.create_task(child(), name="kid")  # CREATE_LINE
    await kid  # TASK_LINE
    await asyncio.gather(child(), child())  # GATHER_LINE
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, time.sleep, 0.05)  # EXEC_LINE
    await asyncio.to_thread(time.sleep, 0.05)  # THREAD_LINE
    b = asyncio.create_task(boom(), name="boom")
    try:
        await b
    except ValueError:
        pass
    s = asyncio.create_task(sleeper(), name="sleeper")
    await asyncio.sleep(0.01)
    s.cancel()
    try:
        await s
    except asyncio.CancelledError:
        pass
    q = asyncio.Queue()  # QUEUE_CREATE
    ev = asyncio.Event()
    await asyncio.gather(producer(q, ev), consumer(q, ev))
    await asyncio.sleep(0)  # a bare yield: no wait


asyncio.run(main())
