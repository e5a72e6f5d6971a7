"""Test helper: runs a program under the agent and reads its trace back (tests only)."""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AGENT = os.path.join(ROOT, "runtime", "python")
PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")


@dataclass
class Trace:
    header: Dict[str, Any]
    records: List[list]
    complete: bool
    sites: Dict[int, tuple] = field(default_factory=dict)
    objects: Dict[int, list] = field(default_factory=dict)
    threads: Dict[int, str] = field(default_factory=dict)

    def tid(self, name: str) -> int:
        for t, n in self.threads.items():
            if n == name:
                return t
        raise KeyError(name)

    def waits(self, reason: Optional[str] = None) -> List[list]:
        return [r for r in self.records if r[0] == "W" and (reason is None or r[5] == reason)]

    def line(self, site: Optional[int]) -> Optional[int]:
        return None if site is None else self.sites[site][1]

    def obj(self, oid: int) -> list:
        return self.objects[oid]


def read_file(path: str) -> Trace:
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    header = json.loads(lines[0])
    records = []
    for line in lines[1:]:
        if not line:
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line cut by a kill
    t = Trace(header, records, bool(records) and records[-1][0] == "Z")
    for r in records:
        if r[0] == "S":
            t.sites[r[1]] = (r[2], r[3], r[4])
        elif r[0] == "O":
            t.objects[r[1]] = r
        elif r[0] == "T":
            t.threads[r[2]] = r[4]
        elif r[0] == "N":
            t.threads[r[2]] = r[3]
    return t


def run_agent(args: List[str], timeout: float = 60, env: Optional[dict] = None, **kw: Any):
    """Runs `python -m weft --out TMP args`; returns (CompletedProcess, out_dir)."""
    out = tempfile.mkdtemp(prefix="weft-test-")
    e = dict(os.environ)
    e["PYTHONPATH"] = AGENT + os.pathsep + e.get("PYTHONPATH", "")
    if env:
        e.update(env)
    proc = subprocess.run([sys.executable, "-m", "weft", "--out", out, *args], capture_output=True,
                          text=True, timeout=timeout, env=e, **kw)
    return proc, out


def only_trace(out: str) -> Trace:
    files = glob.glob(os.path.join(out, "weft-*.jsonl"))
    assert len(files) == 1, files
    return read_file(files[0])


def program(name: str) -> str:
    return os.path.join(PROGRAMS, name)
