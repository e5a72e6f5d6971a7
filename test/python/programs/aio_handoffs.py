"""Hand-offs to threads and back: run_in_executor, to_thread, call_soon_threadsafe, and a
function that raises in the executor (its traceback in the awaiting task)."""
import asyncio
import concurrent.futures
import threading
import time
import traceback


def work(x):
    time.sleep(0.02)
    return x * 2


def fails():
    raise ValueError("bad row")  # RAISE_LINE


async def submitter():
    loop = asyncio.get_running_loop()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        r = await loop.run_in_executor(pool, work, 21)  # EXECUTOR_LINE
    r2 = await asyncio.to_thread(work, 1)  # TO_THREAD_LINE
    try:
        await loop.run_in_executor(None, fails)
    except ValueError:
        print("TRACEBACK" + traceback.format_exc() + "END")
    return r + r2


async def main():
    loop = asyncio.get_running_loop()
    done = asyncio.Event()

    def poke():
        time.sleep(0.01)
        loop.call_soon_threadsafe(done.set)  # THREADSAFE_LINE

    t = threading.Thread(target=poke, name="poker")
    s = asyncio.create_task(submitter(), name="submitter")
    t.start()
    await done.wait()
    t.join()
    print(await s)


asyncio.run(main())
