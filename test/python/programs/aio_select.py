"""`idle`: the loop has nothing to do for 200 ms (its selector's select waits); `busy`: every
iteration has a ready task, so select is called with timeout 0 and never waits."""
import asyncio
import sys


async def idle():
    await asyncio.sleep(0.2)


async def busy():
    for _ in range(20_000):
        await asyncio.sleep(0)


asyncio.run(idle() if sys.argv[1] == "idle" else busy())  # RUN_LINE
