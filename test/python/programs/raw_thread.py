"""A thread started with _thread.start_new_thread, seen only through what it does."""
import _thread
import time

done = []


def raw():
    time.sleep(0.15)  # RAW_SLEEP_LINE
    done.append(1)


_thread.start_new_thread(raw, ())
while not done:
    time.sleep(0.05)
time.sleep(0.3)  # the sampler sees the thread gone
