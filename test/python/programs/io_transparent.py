"""Exceptions, tracebacks and introspection of hooked I/O calls (test_io_waits compares this
program's output with and without Weft)."""
import inspect
import os
import re
import select
import selectors
import socket
import sys
import traceback


def show(label, fn):
    try:
        fn()
        print(label, "no exception")
    except BaseException as e:
        tb = "".join(traceback.format_exception(type(e), e, e.__traceback__))
        print(label, re.sub(r"0x[0-9a-f]+", "0x?", tb))


a, b = socket.socketpair()
a.settimeout(0.05)
show("timeout", lambda: a.recv(10))
a.setblocking(False)
show("nonblocking", lambda: a.recv(10))
a.setblocking(True)
b.sendall(b"x")
print("ready", a.recv(10))
free = socket.socket()
free.bind(("127.0.0.1", 0))
port = free.getsockname()[1]
free.close()
c = socket.socket()
show("refused", lambda: c.connect(("127.0.0.1", port)))
c.close()
show("bad fd read", lambda: os.read(987, 1))
show("bad select", lambda: select.select([987], [], [], 0.01))
show("closed recv", lambda: (b.close(), b.recv(1)))
sel = selectors.DefaultSelector()
show("empty selector", lambda: sel.select(0.01))
print("names", socket.socket.recv.__name__, a.recv.__name__, socket.socket.accept.__name__,
      os.read.__name__, select.select.__name__, os.write.__qualname__)
print("isinstance", isinstance(a, socket.socket), type(a).__name__)
for fn in (os.read, os.write, select.select):
    try:
        print("signature", fn.__name__, inspect.signature(fn))
    except ValueError as e:
        print("signature", fn.__name__, "ValueError", e)
print("docs", os.read.__doc__ == os.read.__wrapped__.__doc__ if hasattr(os.read, "__wrapped__") else True)
# select must not read its arguments before the call: a Python fileno() may have side effects
# (CPython's test_select_mutated), and an iterable may be a generator.
mutated = []


class Mutating:
    def fileno(self):
        del mutated[-1]
        return sys.__stdout__.fileno()


mutated[:] = [Mutating()] * 10
print("mutated", select.select([], mutated, [], 5) == ([], mutated[:5], []))
x, y = socket.socketpair()
y.sendall(b"!")
print("generator", select.select((s for s in [x]), [], [], 5)[0] == [x])
x.close(); y.close()
a.setblocking(False)
print("nb repr", re.sub(r"0x[0-9a-f]+", "0x?", repr(a.recv)))
print("class call", socket.socket.send(a, b"") if False else "skip")
a.close()
