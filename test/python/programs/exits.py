import sys

print("out:", sys.argv[1:], flush=True)
print("err line", file=sys.stderr, flush=True)
print("path0:", sys.path[0], flush=True)
mode = sys.argv[1] if len(sys.argv) > 1 else "ok"
if mode == "code":
    sys.exit(3)
if mode == "msg":
    sys.exit("fatal: bad input")
if mode == "raise":
    raise ValueError("boom")
