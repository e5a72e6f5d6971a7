"""Ways a program ends, chosen by the first argument; prints what the program sees."""
import contextlib
import sys
import threading

print("out:", sys.argv[1:], flush=True)
print("err line", file=sys.stderr, flush=True)
print("path0:", sys.path[0], flush=True)
print("file:", __file__, "name:", __name__, flush=True)
mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
if mode == "code":
    sys.exit(3)
if mode == "none":
    sys.exit(None)
if mode == "msg":
    sys.exit("fatal: bad input")
if mode == "raise":
    raise ValueError("boom")
if mode == "interrupt":
    raise KeyboardInterrupt
if mode == "thread_raise":
    def fail():
        raise RuntimeError("in a thread")
    t = threading.Thread(target=fail, name="failing")
    t.start()
    t.join()
if mode == "stdin":
    print("read:", sys.stdin.readline().strip())
if mode == "exitstack":
    lock = threading.Lock()
    with contextlib.ExitStack() as stack:
        stack.enter_context(lock)
        print("inside:", lock.locked())
    print("after:", lock.locked())
