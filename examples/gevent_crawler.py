"""A gevent crawler (needs `gevent`: `pip install gevent`): 100 greenlets crawl a small site that
a gevent WSGI server serves from the same process.

`monkey.patch_all()` makes urllib, sockets and time.sleep cooperative. One greenlet per page,
at most 20 fetching at once (a BoundedSemaphore); the server answers some pages slowly; a shared gevent `RLock` guards the visited
set and is held across a (cooperative) sleep, so crawlers queue behind each other; one page is
parsed with a CPU-heavy loop that keeps the hub from running. Weft shows each greenlet as a lane
under the main thread, the waits on sockets and on the lock with its holder, and the hub block
at the parsing line.

    npx weft run examples/gevent_crawler.py
"""
from gevent import monkey

monkey.patch_all()

import re  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

import gevent  # noqa: E402
from gevent.lock import BoundedSemaphore, RLock  # noqa: E402
from gevent.pool import Group  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402

PAGES = 100


def site(environ, start_response):
    n = int(environ["PATH_INFO"].strip("/") or 0)
    if n % 10 == 0:
        gevent.sleep(0.05)  # a slow page
    links = "".join(f'<a href="/{(n * 7 + k) % PAGES}">' for k in range(1, 4))
    start_response("200 OK", [("Content-Type", "text/html")])
    return [f"<html><body>page {n} {links}</body></html>".encode()]


def parse(html: str) -> list:
    if "page 42 " in html:
        t = time.perf_counter()
        while time.perf_counter() - t < 0.15:  # a CPU-heavy parse: no greenlet switch
            pass
    return [int(x) for x in re.findall(r'href="/(\d+)"', html)]


def main() -> None:
    server = WSGIServer(("127.0.0.1", 0), site, log=None)
    server.start()
    base = f"http://127.0.0.1:{server.server_port}"
    visited, visited_lock = set(), RLock()
    fetching = BoundedSemaphore(20)
    crawlers = Group()

    def crawl(n: int) -> None:
        with fetching:
            with urllib.request.urlopen(f"{base}/{n}") as resp:
                html = resp.read().decode()
        for link in parse(html):
            with visited_lock:
                if link in visited:
                    continue
                visited.add(link)
                gevent.sleep(0.001)  # bookkeeping while holding the lock
            crawlers.spawn(crawl, link)

    visited.add(0)
    crawlers.spawn(crawl, 0)
    crawlers.join()
    server.stop()
    print(f"crawled {len(visited)} pages")


if __name__ == "__main__":
    main()
