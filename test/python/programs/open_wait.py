"""The program ends while a daemon thread still waits for a lock the main thread holds."""
import threading
import time

lock = threading.Lock()
lock.acquire()


def stuck():
    with lock:  # STUCK_LINE
        pass


threading.Thread(target=stuck, name="stuck", daemon=True).start()
time.sleep(0.2)
print("leaving")
