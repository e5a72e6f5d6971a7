"""Runs until stopped, with a child process: writes "<parent pid> <child pid>" to the file named
by its first argument once both run, then sleeps. Used by session.test.ts to prove that Stop
ends the whole process tree and Ctrl+C reaches the program as KeyboardInterrupt.
"""
import subprocess
import sys
import time

child = subprocess.Popen([sys.executable, "-c", "import time\nwhile True: time.sleep(0.05)"])
with open(sys.argv[1], "w") as f:
    f.write(f"{__import__('os').getpid()} {child.pid}\n")
try:
    print("running", flush=True)
    while True:
        time.sleep(0.05)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    child.kill()
    raise
