import sys

print("module argv", sys.argv[1:])
sys.exit(4)
