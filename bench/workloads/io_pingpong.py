"""I/O-heavy: two threads play 20,000 rounds of ping-pong over a blocking socketpair, then one
thread makes 100,000 recv calls that find their data waiting, and 100,000 on a non-blocking
socket that find none (the asyncio pattern).

Every round trip blocks each thread in recv until the other answers, so the blocking path of
the socket hooks (weft/iowaits.py) runs 40,000 times; the ready and non-blocking calls measure
what a call that does not block costs.
"""
import socket
import threading

ROUNDS = 20_000
CALLS = 100_000
a, b = socket.socketpair()


def echo() -> None:
    for _ in range(ROUNDS):
        b.sendall(b.recv(64))


t = threading.Thread(target=echo)
t.start()
for i in range(ROUNDS):
    a.sendall(b"ping")
    assert a.recv(64) == b"ping"
t.join()

for i in range(CALLS):  # data ready: a blocking socket whose recv never waits
    b.send(b"x")
    a.recv(64)

a.setblocking(False)
for i in range(CALLS):  # nothing to read on a non-blocking socket
    try:
        a.recv(64)
    except BlockingIOError:
        pass
a.close()
b.close()
