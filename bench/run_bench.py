"""Overhead benchmark: each workload with and without Weft, median of N runs, as ratios.

    python3 bench/run_bench.py [--runs 7] [--sample-hz 100] [--only mp_messages.py]

Wall time of the whole process is measured (interpreter start-up included), because that is
what a user waits for. Bytecode caching is on, as it is by default in Python. Runs alternate plain / Weft so that machine noise hits both alike.
This is a benchmark, not a test: it prints numbers and never fails on them.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKLOADS = ["lock_heavy.py", "contention_free.py", "call_dense.py", "mp_messages.py", "aio_tasks.py", "io_pingpong.py"]


def timed(cmd: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--sample-hz", type=int, default=100)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--only", action="append", help="run only this workload (repeatable)")
    args = ap.parse_args()

    env = dict(os.environ)
    # Python's default is to cache bytecode; some sandboxes turn it off, which would charge
    # Weft for compiling its own modules on every run. Measure the default.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(ROOT / "runtime" / "python") + os.pathsep + env.get("PYTHONPATH", "")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or WORKLOADS:
            script = str(HERE / "workloads" / name)
            plain, weft = [], []
            timed([args.python, script], env)  # warm-up: bytecode caches, page cache
            timed([args.python, "-m", "weft", "--out", os.path.join(tmp, "warm"), script], env)
            for i in range(args.runs):
                plain.append(timed([args.python, script], env))
                out = os.path.join(tmp, f"{name}-{i}")
                weft.append(timed([args.python, "-m", "weft", "--out", out,
                                   "--sample-hz", str(args.sample_hz), script], env))
            p, w = statistics.median(plain), statistics.median(weft)
            rows.append((name, p, w, w / p))
            print(f"{name}: plain {p:.3f}s  weft {w:.3f}s  ratio {w / p:.2f}x", file=sys.stderr)

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.runs} runs, "
          f"sample rate {args.sample_hz} Hz")
    print()
    print("| workload | plain (s) | under Weft (s) | ratio |")
    print("|---|---:|---:|---:|")
    for name, p, w, r in rows:
        print(f"| {name} | {p:.3f} | {w:.3f} | {r:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
