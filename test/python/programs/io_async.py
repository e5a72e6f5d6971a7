"""asyncio over TCP and a socketpair: every socket is non-blocking, so the agent must record no
socket or fd wait (the loop's idle time is its own `select` wait)."""
import asyncio
import socket


async def handle(reader, writer):
    while data := await reader.read(100):
        writer.write(data)
        await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    for i in range(200):
        writer.write(b"ping %d" % i)
        await writer.drain()
        await reader.read(100)
    await asyncio.sleep(0.05)
    writer.close()
    await writer.wait_closed()
    server.close()
    await server.wait_closed()
    loop = asyncio.get_running_loop()
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    loop.call_later(0.1, b.send, b"late")
    print(await loop.sock_recv(a, 10))
    a.close(); b.close()


asyncio.run(main())
print("done")
