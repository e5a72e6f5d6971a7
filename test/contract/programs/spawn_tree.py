"""Starts a child Python process and both sleep: for stop() of a whole process tree.

Prints "pids <parent> <child>" once the child is running, then waits to be stopped.
"""
import subprocess
import sys
import time

child = subprocess.Popen([sys.executable, "-c", "import time; print('child up', flush=True); time.sleep(60)"], stdout=subprocess.PIPE)
child.stdout.readline()
print("pids", __import__("os").getpid(), child.pid, flush=True)
time.sleep(60)
