"""An asyncio order service with the classic mistakes: a coroutine that blocks the event loop,
a lock held across an await, and fan-out with gather.

Forty order tasks share one `asyncio.Lock` around the stock table and hold it while they "write
to the database" (an `await asyncio.sleep`), so they queue behind each other; a report task
calls `time.sleep(0.3)` inside a coroutine, which stops every other task for 300 ms. Weft shows
each task as a lane under the loop's thread, who held the lock when each order waited, and
"event loop blocked 300 ms" at the `time.sleep` line.

    npx weft run examples/asyncio_orders.py
"""
import asyncio
import random
import time

ORDERS = 40


async def place_order(i: int, stock: dict, stock_lock: asyncio.Lock) -> int:
    await asyncio.sleep(random.uniform(0.0, 0.05))  # the request arriving
    async with stock_lock:
        stock["widgets"] -= 1
        await asyncio.sleep(0.004)  # writing to the database while holding the lock
    return i


def render_report(stock: dict) -> str:
    time.sleep(0.3)  # a blocking call inside a coroutine: the whole loop stops here
    return f"{stock['widgets']} widgets left"


async def report(stock: dict) -> str:
    await asyncio.sleep(0.05)
    return render_report(stock)


async def main() -> None:
    random.seed(7)
    stock = {"widgets": 1000}
    stock_lock = asyncio.Lock()
    reporter = asyncio.create_task(report(stock), name="reporter")
    done = await asyncio.gather(*(place_order(i, stock, stock_lock) for i in range(ORDERS)))
    print(f"{len(done)} orders placed; {await reporter}")


if __name__ == "__main__":
    asyncio.run(main())
