import os, signal, threading, time, _thread, traceback, sys, queue
kind = sys.argv[1]
def interrupt():
    time.sleep(0.3); os.kill(os.getpid(), signal.SIGINT)
threading.Thread(target=interrupt, daemon=True).start()
lock = threading.Lock(); rl = threading.RLock()
ev = threading.Event()
def hold(l):
    l.acquire(); time.sleep(5)
try:
    if kind == "lock":
        threading.Thread(target=hold, args=(lock,), daemon=True).start(); time.sleep(0.05)
        lock.acquire()
    elif kind == "rlock":
        threading.Thread(target=hold, args=(rl,), daemon=True).start(); time.sleep(0.05)
        with rl:
            pass
    elif kind == "join":
        t = threading.Thread(target=time.sleep, args=(5,), daemon=True); t.start(); t.join()
    elif kind == "event":
        ev.wait()
    elif kind == "queue":
        queue.Queue().get()
    elif kind == "simplequeue":
        queue.SimpleQueue().get()
    elif kind == "sleep":
        time.sleep(5)
    elif kind == "empty":
        queue.SimpleQueue().get_nowait()
    elif kind == "joinunstarted":
        threading.Thread(target=print).join()
except BaseException:
    print(traceback.format_exc())
