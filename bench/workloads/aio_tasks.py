"""asyncio-heavy: 20,000 tasks, each with three real awaits (a Queue hand-off, an Event, a
short timer), in batches so that the ready queue stays a realistic size.

Per task the loop runs a handful of steps and callbacks, so the agent's per-step work (the
rebuilt Handle._run, await classification, records) is a large share of the run time: the
worst case for the step hook.
"""
import asyncio

TASKS = 20_000
BATCH = 1_000


async def worker(q: asyncio.Queue, ev: asyncio.Event, out: list) -> None:
    item = await q.get()  # 1: a queue hand-off
    await ev.wait()  # 2: an event
    await asyncio.sleep(0.0001)  # 3: a timer
    out.append(item)


async def batch(n: int, out: list) -> None:
    q: asyncio.Queue = asyncio.Queue()
    ev = asyncio.Event()
    tasks = [asyncio.create_task(worker(q, ev, out)) for _ in range(n)]
    await asyncio.sleep(0)
    for i in range(n):
        q.put_nowait(i)
    await asyncio.sleep(0)
    ev.set()
    await asyncio.gather(*tasks)


async def main() -> None:
    out: list = []
    for _ in range(TASKS // BATCH):
        await batch(BATCH, out)
    assert len(out) == TASKS


asyncio.run(main())
