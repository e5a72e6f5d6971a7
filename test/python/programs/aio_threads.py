"""Two event loops in two threads: each loop's tasks are under its own thread lane."""
import asyncio
import threading


async def job():
    await asyncio.sleep(0.02)


async def run(tag):
    await asyncio.gather(*(asyncio.create_task(job(), name=f"{tag}-{i}") for i in range(3)))


threads = [threading.Thread(target=asyncio.run, args=(run(tag),), name=f"loop-{tag}") for tag in "ab"]
for t in threads:
    t.start()
for t in threads:
    t.join()
