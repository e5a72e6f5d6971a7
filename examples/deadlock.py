"""Two threads take two locks in opposite order and deadlock: the program hangs for good.

`t1` takes `accounts_lock` and then wants `audit_lock`; `t2` takes `audit_lock` and then wants
`accounts_lock`. The short sleep makes sure each holds its first lock before it asks for the
second. While the program hangs, Weft's watchdog finds the cycle (about a second after it forms)
and `weft run` prints it, with the line where each thread is stuck:

    npx weft run examples/deadlock.py
    weft: deadlock: t1 waits for audit_lock (created at deadlock.py:19) held by t2 at deadlock.py:32;
          t2 waits for accounts_lock (created at deadlock.py:18) held by t1 at deadlock.py:25

Stop it with Ctrl+C twice (Python waits for the stuck threads at exit, with or without Weft);
the trace keeps the cycle and both open waits.
"""
import threading
import time

accounts_lock = threading.Lock()
audit_lock = threading.Lock()


def transfer() -> None:
    with accounts_lock:
        time.sleep(0.1)
        with audit_lock:  # t1 is stuck here
            print("transferred")


def audit() -> None:
    with audit_lock:
        time.sleep(0.1)
        with accounts_lock:  # t2 is stuck here
            print("audited")


t1 = threading.Thread(target=transfer, name="t1")
t2 = threading.Thread(target=audit, name="t2")
t1.start()
t2.start()
t1.join()
t2.join()
