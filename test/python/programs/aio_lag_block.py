"""A coroutine that blocks the loop 300 ms (time.sleep) while another task ticks every 10 ms:
the ticker's timer fell due during the block and ran at once after it, but the wake-up of its
task (a plain handle) waited behind the block, so the loop lag reaches ~300 ms, then 0."""
import asyncio
import time


async def ticker():
    for _ in range(40):
        await asyncio.sleep(0.01)


async def blocker():
    await asyncio.sleep(0.05)
    time.sleep(0.3)  # LAG_BLOCK


async def main():
    await asyncio.gather(ticker(), blocker())


asyncio.run(main())
