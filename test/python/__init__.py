"""Python agent tests. Run with `python3 -m unittest discover -s test/python -t .` (or with
`-s test/python` alone). The test modules import their helper as `tracefile`, so this folder
is put on sys.path when it is loaded as the package `test.python`."""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
