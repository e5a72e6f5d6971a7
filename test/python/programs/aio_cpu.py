"""CPU-bound tasks: the task steps should account for the loop thread's CPU time."""
import asyncio
import sys
import time


def spin(n):
    x = 0
    for i in range(n):
        x += i * i
    return x


async def worker(chunks):
    for _ in range(chunks):
        spin(20000)
        await asyncio.sleep(0)


async def main():
    c0 = time.thread_time_ns()
    w0 = time.perf_counter_ns()
    await asyncio.gather(*(worker(40) for _ in range(8)))
    print("cpu", c0, time.thread_time_ns(), w0, time.perf_counter_ns())


asyncio.run(main())
