"""A process pipeline: a reader feeds lines through a queue to parser processes, a Pool
(spawn start method) scores the parsed records, and a `subprocess` call compresses the report.

Run it under Weft and the timeline shows one tree of processes with arrows for every message,
every Pool work item (submit -> worker -> result) and each process start:

    npx weft run examples/process_pipeline.py
"""
import multiprocessing as mp
import subprocess
import sys
import time

PARSERS = 2
LINES = 40


def reader(lines: "mp.Queue") -> None:
    for i in range(LINES):
        time.sleep(0.002)  # reading a slow source
        lines.put(f"{i},sensor-{i % 5},{i * 1.5}")
    for _ in range(PARSERS):
        lines.put(None)


def parser(lines: "mp.Queue", records: "mp.Queue") -> None:
    while True:
        line = lines.get()
        if line is None:
            break
        n, sensor, value = line.split(",")
        records.put((int(n), sensor, float(value)))
    records.put(None)


def score(record: tuple) -> float:
    _, _, value = record
    total = 0.0
    for k in range(20_000):  # CPU work in the pool
        total += (value * k) % 7
    return total


def main() -> None:
    ctx = mp.get_context("spawn")
    lines, records = ctx.Queue(maxsize=8), ctx.Queue()
    procs = [ctx.Process(target=reader, args=(lines,), name="reader")]
    procs += [ctx.Process(target=parser, args=(lines, records), name=f"parser-{i}") for i in range(PARSERS)]
    for p in procs:
        p.start()
    parsed, done = [], 0
    while done < PARSERS:
        r = records.get()
        if r is None:
            done += 1
        else:
            parsed.append(r)
    for p in procs:
        p.join()
    with ctx.Pool(3) as pool:
        scores = pool.map(score, sorted(parsed), chunksize=5)
    report = "\n".join(f"{r[0]} {r[1]} {s:.1f}" for r, s in zip(sorted(parsed), scores)).encode()
    packed = subprocess.run([sys.executable, "-c", "import sys, zlib; sys.stdout.buffer.write(zlib.compress(sys.stdin.buffer.read()))"],
                            input=report, capture_output=True, check=True).stdout
    print(f"{len(parsed)} records, {len(scores)} scores, report {len(report)} -> {len(packed)} bytes")


if __name__ == "__main__":
    main()
