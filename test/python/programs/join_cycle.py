"""The main thread holds a lock and joins a thread that waits for that lock: a cycle of a join
and a lock wait."""
import threading

lock = threading.RLock()


def child() -> None:
    with lock:  # CHILD_WAITS
        pass


with lock:
    t = threading.Thread(target=child, name="child")
    t.start()
    t.join()  # MAIN_JOINS
