import os
import signal
import sys
import threading
import time

lock = threading.Lock()
mode = sys.argv[1]


def hog():
    with lock:
        time.sleep(0.3)


t = threading.Thread(target=hog, name="hog")
t.start()
time.sleep(0.05)
with lock:  # a 250 ms wait that ends well before the kill
    pass
time.sleep(0.3)  # let a flush happen
if mode == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
elif mode == "term":
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
elif mode == "os_exit":
    os._exit(5)
