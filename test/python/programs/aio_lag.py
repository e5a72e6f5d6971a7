"""A callback that blocks the loop 100 ms: a loop block that delays a sleeping task, and the
timer that ran late is the loop's lag, back to 0 once timers run on time."""
import asyncio
import time


def block():
    time.sleep(0.1)  # CALLBACK_BLOCK


async def sleeper():
    await asyncio.sleep(0.02)


async def main():
    loop = asyncio.get_running_loop()
    t = asyncio.create_task(sleeper(), name="delayed")
    await asyncio.sleep(0)  # the sleeper's timer is armed
    loop.call_soon(block)
    await t
    for _ in range(3):
        await asyncio.sleep(0.01)


asyncio.run(main())
