"""`python -m weft [options] script.py [args...]`: run a program under the agent."""
import sys

from .runner import run

if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
