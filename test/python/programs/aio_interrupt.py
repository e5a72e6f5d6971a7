"""Ctrl-C while the loop is idle in its selector's select: the KeyboardInterrupt's traceback
passes `_run_once` at its select line (rebuilt by the agent) and must read as without it.
run_until_complete, not asyncio.run: 3.11's runner turns SIGINT into a cancellation."""
import asyncio
import os
import signal
import threading

threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
loop = asyncio.new_event_loop()
loop.run_until_complete(asyncio.sleep(5))
