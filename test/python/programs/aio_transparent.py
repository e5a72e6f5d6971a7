"""What asyncio shows the program must be the same with and without Weft."""
import asyncio
import contextvars
import gc
import sys

var = contextvars.ContextVar("var", default="unset")


async def child():
    await asyncio.sleep(0.01)


async def reads_var():
    return var.get()


async def fails():
    raise ValueError("never retrieved")


def bad_callback():
    raise KeyError("in a callback")


async def main():
    t = asyncio.create_task(child())
    await asyncio.sleep(0)
    print(repr(t))
    print([f"{f.f_code.co_name}:{f.f_lineno}" for f in t.get_stack()])
    print(sorted(x.get_name() for x in asyncio.all_tasks()))
    print(asyncio.current_task().get_name(), repr(asyncio.current_task()))
    var.set("main value")
    print(await asyncio.create_task(reads_var()))
    await t
    print(repr(t))
    f = asyncio.create_task(fails())
    await asyncio.sleep(0.01)
    del f
    gc.collect()
    asyncio.get_running_loop().call_soon(bad_callback)
    await asyncio.sleep(0.01)
    print(type(asyncio.events.Handle._run).__name__, asyncio.events.Handle._run.__qualname__)
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "raise":
        await asyncio.create_task(deep())


async def deep():
    await asyncio.sleep(0)
    raise RuntimeError("uncaught in a task")


def pending_destroyed():
    loop = asyncio.new_event_loop()
    loop.create_task(asyncio.sleep(10))
    loop.run_until_complete(asyncio.sleep(0.01))
    loop.close()
    del loop
    gc.collect()


pending_destroyed()
asyncio.run(main())
