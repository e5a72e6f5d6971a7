"""A task factory that returns a task-like Future without get_name (CPython's test_asyncio has such)."""
import asyncio
class MyTask(asyncio.Future):
    def __init__(self, coro, *, loop=None, **kw):
        super().__init__(loop=loop)
        self._coro = coro
        loop.call_soon(self._go)
    def set_name(self, name):  # Python 3.13's create_task names the task; no get_name to read it
        pass
    def _go(self):
        try:
            self._coro.send(None)
        except StopIteration as e:
            self.set_result(e.value)
async def f(): return 42
async def main():
    loop = asyncio.get_running_loop()
    loop.set_task_factory(lambda loop, coro, **kw: MyTask(coro, loop=loop))
    print(await loop.create_task(f()))
asyncio.run(main())
