"""Reads lines from stdin and prints them in upper case; "quit" exits with status 3.

Used by session.test.ts to prove that the program terminal carries input to the program and
its output back, and that the exit status is reported.
"""
import sys

print("ready>", flush=True)
for line in sys.stdin:
    word = line.strip()
    if word == "quit":
        print("bye", flush=True)
        sys.exit(3)
    print(word.upper(), flush=True)
print("eof", flush=True)
