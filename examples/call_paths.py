"""Where the time went, by call path: f() burns 0.6 s of CPU and g() 0.3 s, both through the
same helper burn(). A profile of innermost lines shows one hotspot (burn, ~0.9 s); the flame
graph, the call tree, `weft summary` ("Time by function") and the CodeLens above each `def`
show f at twice g.

    python -m weft examples/call_paths.py          # or: weft run examples/call_paths.py
    weft summary weft-trace --json | jq '.functions[] | {name, totalMs, selfMs}'

`depth(n)` recurses n levels and then burns 0.1 s: its total time is counted once per sample,
not once per frame of the recursion.
"""
import time


def burn(seconds: float) -> None:
    """Busy-loops until this thread has used `seconds` of CPU (not wall) time."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def f() -> None:
    burn(0.6)


def g() -> None:
    burn(0.3)


def depth(n: int) -> None:
    if n == 0:
        burn(0.1)
    else:
        depth(n - 1)


def main() -> None:
    f()
    g()
    depth(5)


if __name__ == "__main__":
    main()
