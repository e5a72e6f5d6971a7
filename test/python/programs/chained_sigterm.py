"""A graceful-shutdown SIGTERM handler that chains to the previous one, as libraries do: with
plain Python the previous handler is SIG_DFL (not callable), so the program exits 0; a
profiler that shows its own handler there makes the program die of the signal."""
import os
import signal
import sys
import time

previous = signal.getsignal(signal.SIGTERM)


def on_term(signum, frame):
    print("graceful; previous handler callable:", callable(previous))
    if callable(previous):
        previous(signum, frame)
    sys.exit(0)


returned = signal.signal(signal.SIGTERM, on_term)
print("signal() returned the default:", returned == signal.SIG_DFL)
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(5)
print("not reached")
