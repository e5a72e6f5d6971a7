"""uvloop: a few sleeps on uvloop's loop (its tasks are not traced; the trace says so)."""
import asyncio, uvloop
async def main():
    await asyncio.gather(*(asyncio.sleep(0.01) for _ in range(3)))
    print("ok")
uvloop.run(main())
