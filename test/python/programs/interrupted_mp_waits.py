import multiprocessing as mp, traceback, sys, os, signal, threading, time, queue
kind = sys.argv[1]
def interrupt():
    time.sleep(0.5); os.kill(os.getpid(), signal.SIGINT)
if __name__ == "__main__":
    threading.Thread(target=interrupt, daemon=True).start()
    try:
        if kind == "queue_get":
            mp.Queue().get()
        elif kind == "queue_get_timeout":
            mp.Queue().get(timeout=0.1)
        elif kind == "lock":
            l = mp.Lock(); l.acquire(); l.acquire()
        elif kind == "release":
            mp.Lock().release()
        elif kind == "recv":
            a, b = mp.Pipe(); a.recv()
        elif kind == "popen":
            import subprocess; subprocess.Popen(["sleep", "5"]).wait()
    except BaseException:
        print(traceback.format_exc())
