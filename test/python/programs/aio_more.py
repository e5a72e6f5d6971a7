"""Awaits on streams, sockets, subprocesses and (3.11+) a TaskGroup."""
import asyncio
import socket
import sys


async def serve(reader, writer):
    await asyncio.sleep(0.05)
    writer.write(b"hello\n")
    await writer.drain()
    writer.close()


async def child(d):
    await asyncio.sleep(d)


async def main():
    loop = asyncio.get_running_loop()
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await reader.readline()  # STREAM_LINE
    writer.close()
    server.close()
    a, b = socket.socketpair()
    a.setblocking(False)
    loop.call_later(0.05, b.send, b"x")
    await loop.sock_recv(a, 1)  # SOCK_LINE
    a.close()
    b.close()
    p = await asyncio.create_subprocess_exec(sys.executable, "-c", "import time; time.sleep(0.1)")
    await p.wait()  # SUBPROCESS_LINE
    if sys.version_info >= (3, 11):
        async with asyncio.TaskGroup() as tg:  # TASKGROUP_LINE
            tg.create_task(child(0.05))


asyncio.run(main())
