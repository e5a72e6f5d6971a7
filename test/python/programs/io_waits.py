"""Blocking I/O of known duration (test_io_waits): each wait below lasts about 200 ms."""
import os
import select
import socket
import subprocess
import sys
import threading
import time

which = sys.argv[1:] or ["socketpair", "tcp", "select", "subprocess", "pipe", "accept", "timeout"]


def later(fn, delay=0.2):
    t = threading.Thread(target=lambda: (time.sleep(delay), fn()), name="sender")
    t.start()
    return t


if "socketpair" in which:
    a, b = socket.socketpair()
    t = later(lambda: b.sendall(b"hello"))
    data = a.recv(100)  # SOCKETPAIR_RECV_LINE
    t.join()
    assert data == b"hello", data
    a.close(); b.close()

if "tcp" in which:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    port = srv.getsockname()[1]
    cli = socket.create_connection(("127.0.0.1", port))
    conn, _ = srv.accept()
    t = later(lambda: conn.sendall(b"pong"))
    data = cli.recv(100)  # TCP_RECV_LINE
    t.join()
    assert data == b"pong", data
    print(f"port {port}")
    for s in (cli, conn, srv):
        s.close()

if "accept" in which:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    port = srv.getsockname()[1]
    t = later(lambda: socket.create_connection(("127.0.0.1", port)).close())
    conn, _ = srv.accept()  # ACCEPT_LINE
    t.join()
    conn.close(); srv.close()
    print(f"accept port {port}")

if "timeout" in which:
    a, b = socket.socketpair()
    a.settimeout(0.2)
    try:
        a.recv(10)  # TIMEOUT_LINE
    except socket.timeout:
        print("timed out")
    a.close(); b.close()

if "select" in which:
    r, w = os.pipe()
    t = later(lambda: os.write(w, b"x"))
    ready, _, _ = select.select([r], [], [], 5)  # SELECT_LINE
    t.join()
    assert ready == [r]
    assert os.read(r, 1) == b"x"
    os.close(r); os.close(w)

if "pipe" in which:
    r, w = os.pipe()
    t = later(lambda: os.write(w, b"y"))
    assert os.read(r, 1) == b"y"  # PIPE_READ_LINE
    t.join()
    os.close(r); os.close(w)

if "subprocess" in which:
    p = subprocess.Popen(["sh", "-c", "sleep 0.2; echo done"], stdout=subprocess.PIPE)  # POPEN_LINE
    out, _ = p.communicate()  # COMMUNICATE_LINE
    assert out == b"done\n", out
