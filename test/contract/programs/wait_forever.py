"""Prints "ready" and sleeps: for signal forwarding tests (the test stops it)."""
import time

print("ready", flush=True)
time.sleep(60)
