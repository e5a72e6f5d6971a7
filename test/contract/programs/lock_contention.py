"""Threads and one contended lock, with known ground truth for the contract and CLI tests.

`holder` takes `lock` and keeps it 200 ms in the sleep at BUSY_LINE; `waiter` starts waiting
at WAIT_LINE only once the lock is held (an Event, not a sleep), so it waits about 200 ms, and
the trace must name `holder`, busy at BUSY_LINE, as the thread it waited for. Prints a line to stdout and one to stderr, echoes one line of stdin
when asked, and exits with the code given as argv[1] (default 0).
"""
import sys
import threading
import time

lock = threading.Lock()
held = threading.Event()


def hold():
    with lock:
        held.set()
        time.sleep(0.2)  # BUSY_LINE


def wait():
    held.wait()
    with lock:  # WAIT_LINE
        pass


def main():
    threads = [threading.Thread(target=hold, name="holder"), threading.Thread(target=wait, name="waiter")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("done: 2 threads, argv", sys.argv[1:])
    print("to stderr", file=sys.stderr)
    if "--echo" in sys.argv:
        print("echo:", sys.stdin.readline().strip())
    sys.stdout.flush()
    code = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 0
    sys.exit(code)


if __name__ == "__main__":
    main()
