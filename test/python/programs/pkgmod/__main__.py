import sys

print("module argv", sys.argv[1:])
print("path0", sys.path[0])
sys.exit(4)
