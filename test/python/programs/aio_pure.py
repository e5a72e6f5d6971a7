"""aio_ground.py with the pure-Python asyncio Task and Future (no _asyncio)."""
import os
import runpy
import sys

sys.modules["_asyncio"] = None  # type: ignore[assignment]
import asyncio  # noqa: E402

assert asyncio.Task is asyncio.tasks._PyTask
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "aio_ground.py"), run_name="__main__")
