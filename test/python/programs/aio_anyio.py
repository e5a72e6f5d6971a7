"""anyio on asyncio: a task group of five children that share an anyio Lock."""
import anyio


async def child(i, lock):
    async with lock:
        await anyio.sleep(0.02)
    return i


async def main():
    lock = anyio.Lock()
    async with anyio.create_task_group() as tg:
        for i in range(5):
            tg.start_soon(child, i, lock)  # START LINE
    print("ok")


anyio.run(main)
