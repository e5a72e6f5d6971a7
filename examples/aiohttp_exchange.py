"""An aiohttp server and client exchanging requests in one event loop (needs `aiohttp`:
`pip install aiohttp`).

The server has three routes: a fast one, a slow one that awaits a backend call, and one that
takes a shared `asyncio.Semaphore` limiting the backend to two concurrent calls. The client
fires 60 requests with a connection pool of 8. Weft shows every request handler as a task
under the loop's thread, the client tasks waiting on stream reads, and the handlers queueing on
the semaphore with the holders named.

    npx weft run examples/aiohttp_exchange.py
"""
import asyncio

from aiohttp import ClientSession, TCPConnector, web

REQUESTS = 60


async def fast(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(0.02)  # a backend call
    return web.json_response({"ok": True, "slow": True})


async def limited(request: web.Request) -> web.Response:
    async with request.app["backend_slots"]:  # at most two requests in the backend
        await asyncio.sleep(0.01)
    return web.json_response({"ok": True, "limited": True})


async def fetch(session: ClientSession, url: str) -> int:
    async with session.get(url) as resp:
        await resp.json()
        return resp.status


async def main() -> None:
    app = web.Application()
    app["backend_slots"] = asyncio.Semaphore(2)
    app.add_routes([web.get("/fast", fast), web.get("/slow", slow), web.get("/limited", limited)])
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # the port the OS gave
    routes = ["fast", "slow", "limited"]
    try:
        async with ClientSession(connector=TCPConnector(limit=8)) as session:
            statuses = await asyncio.gather(*(fetch(session, f"http://127.0.0.1:{port}/{routes[i % 3]}") for i in range(REQUESTS)))
    finally:
        await runner.cleanup()
    print(f"{len(statuses)} requests, {statuses.count(200)} OK")


if __name__ == "__main__":
    asyncio.run(main())
