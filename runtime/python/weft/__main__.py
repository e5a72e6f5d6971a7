"""`python -m weft [options] script.py [args...]`: runs a program under the agent (see cli)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
