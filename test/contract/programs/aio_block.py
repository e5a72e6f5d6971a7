"""asyncio ground truth for Weft's end-to-end test (test/contract, enabled once the agent
records asyncio): a task that calls time.sleep(0.3) blocks the event loop for 300 ms at
BLOCK_LINE while two other tasks are due; a task holds an asyncio.Lock for 100 ms
(HOLD_LINE) while another waits for it (WAIT_LINE); one task fails, one is cancelled."""
import asyncio
import time

lock = asyncio.Lock()


async def blocker():
    time.sleep(0.3)  # BLOCK_LINE


async def holder():
    async with lock:
        await asyncio.sleep(0.1)  # HOLD_LINE


async def waiter():
    await asyncio.sleep(0.01)
    async with lock:  # WAIT_LINE
        pass


async def ticker():
    for _ in range(10):
        await asyncio.sleep(0.01)


async def failing():
    raise ValueError("bad row")


async def forever():
    await asyncio.sleep(60)


async def main():
    await asyncio.gather(holder(), waiter())
    tickers = [asyncio.create_task(ticker()) for _ in range(2)]
    await asyncio.sleep(0.005)
    await asyncio.create_task(blocker())
    await asyncio.gather(*tickers)
    bad = asyncio.create_task(failing())
    await asyncio.gather(bad, return_exceptions=True)
    cancelled = asyncio.create_task(forever())
    await asyncio.sleep(0.01)
    cancelled.cancel()
    await asyncio.gather(cancelled, return_exceptions=True)
    print("done")


asyncio.run(main())
