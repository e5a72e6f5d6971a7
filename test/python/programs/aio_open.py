"""A task still awaiting an Event when the program exits (its loop never finishes it)."""
import asyncio

ev = None


async def waits():
    await ev.wait()  # OPEN_LINE


loop = asyncio.new_event_loop()
asyncio.set_event_loop(loop)  # 3.9: the Event binds to the current loop when made
ev = asyncio.Event()
task = loop.create_task(waits())
loop.run_until_complete(asyncio.sleep(0.05))
