"""Ctrl+C while the main thread is blocked in recv (test_io_waits): the KeyboardInterrupt's
traceback is the same with and without Weft."""
import os
import signal
import socket
import threading
import time

a, b = socket.socketpair()
threading.Thread(target=lambda: (time.sleep(0.3), os.kill(os.getpid(), signal.SIGINT)), daemon=True).start()
a.recv(10)  # INTERRUPTED_LINE
