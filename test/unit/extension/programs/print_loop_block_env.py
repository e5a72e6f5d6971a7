"""Prints the event-loop block threshold the extension passed to the agent."""
import os

print("loop block ms:", os.environ.get("WEFT_LOOP_BLOCK_MS"))
