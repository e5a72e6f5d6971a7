"""Test helper (tests only, not part of the agent): runs programs under `python -m weft` and
reads their trace files back.

Every file read is checked against the generated contract runtime/python/weft/trace_format.json
(written from runtime/src/format/spec.ts): record shapes, enums and id references, so these tests and the TypeScript contract
test cannot disagree about the format. Ids must be defined before they are used, and the `Z`
record must count the records before it, and a v2 file's name and header must name its host
(the contract's fileName pattern and header fields).
"""
from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AGENT = os.path.join(ROOT, "runtime", "python")
PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")
CONTRACT = os.path.join(AGENT, "weft", "trace_format.json")

# The generated contract (npm run gen:contract writes it from runtime/src/format/spec.ts), so
# these tests, the agent and the TypeScript reader cannot disagree about the format.
with open(CONTRACT, encoding="utf-8") as _f:
    FORMAT = json.load(_f)
SHAPES: Dict[str, str] = {code: r["shape"] for code, r in FORMAT["records"].items()}
OPTIONAL: Dict[str, str] = {code: r["optional"] for code, r in FORMAT["records"].items()}
KINDS = set(FORMAT["enums"]["objectKinds"])
REASONS = set(FORMAT["enums"]["waitReasons"])
LANE_KINDS = set(FORMAT["enums"]["laneKinds"])
# Which field (1-based index) of which record refers to which kind of definition, and which
# field defines one: from the contract's `ref` and `defines` entries.
_REF_CODE = {"site": "S", "object": "O", "frame": "F", "lane": "T"}
_REFS: Dict[str, Tuple[Tuple[int, str], ...]] = {
    code: tuple((i + 1, _REF_CODE[fl["ref"]]) for i, fl in enumerate(r["fields"]) if "ref" in fl)
    for code, r in FORMAT["records"].items()
}
_DEFINES: Dict[str, Tuple[int, str]] = {
    code: (i + 1, _REF_CODE[fl["defines"]])
    for code, r in FORMAT["records"].items() for i, fl in enumerate(r["fields"]) if "defines" in fl
}


FILE_NAME = re.compile(FORMAT["fileName"]["pattern"])


def check_header(path: str, header: Dict[str, Any]) -> None:
    """The header's required fields and version, and for v2 its host and clock domain, which
    the file name repeats."""
    assert header.get("format") == FORMAT["format"], header
    version = header.get("version")
    assert version in FORMAT["readsVersions"], f"{path}: version {version!r}"
    for name, spec in FORMAT["header"].items():
        if spec.get("required") or (version >= spec.get("since", 1) and name in ("host", "clockDomain")):
            assert name in header, f"{path}: header has no {name!r}"
    m = FILE_NAME.match(os.path.basename(path))
    assert m, f"{path}: not a trace file name"
    assert int(m.group(2)) == header["pid"], f"{path}: pid {header['pid']} not in the name"
    if version >= 2:
        host = header["host"]
        assert isinstance(host, dict) and all(isinstance(host.get(k), str) for k in ("name", "id", "boot")), host
        assert re.fullmatch(r"[0-9a-f]{12}", host["id"]), host
        assert m.group(1) == host["id"], f"{path}: the name does not carry host id {host['id']}"
        assert header["clockDomain"] == f"monotonic:{host['id']}:{host['boot']}", header["clockDomain"]


def _field_ok(shape: str, v: Any) -> bool:
    is_int = isinstance(v, int) and not isinstance(v, bool)
    if shape == "i":
        return is_int
    if shape == "I":
        return v is None or is_int
    if shape == "s":
        return isinstance(v, str)
    if shape == "S":
        return v is None or isinstance(v, str)
    if shape == "a":
        return isinstance(v, list) and all(isinstance(x, str) for x in v)
    if shape == "j":
        return isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in v)
    if shape == "b":
        return is_int and v in (0, 1)
    # The agent writes only the enum words it knows (readers accept newer ones).
    if shape == "k":
        return isinstance(v, str) and v in KINDS
    if shape == "r":
        return isinstance(v, str) and v in REASONS
    if shape == "y":
        return isinstance(v, str) and v in LANE_KINDS
    if shape == "p":
        return v in ("s", "t", "f")
    if shape == "n":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return False


def check_record(rec: Any) -> Optional[str]:
    """Python twin of validateRecord in spec.ts: None when valid, else what is wrong."""
    if not isinstance(rec, list) or not rec or not isinstance(rec[0], str):
        return "record is not an array starting with a type code"
    shape = SHAPES.get(rec[0])
    if shape is None:
        return f"unknown record type {rec[0]!r}"
    if len(rec) - 1 < len(shape):
        return f"record {rec[0]!r} has {len(rec) - 1} fields, expected {len(shape)}"
    for i, s in enumerate(shape + OPTIONAL.get(rec[0], "")):
        if i + 1 < len(rec) and not _field_ok(s, rec[i + 1]):
            return f"record {rec[0]!r} field {i + 1} ({rec[i + 1]!r}) does not match shape {s!r}"
    return None


@dataclass
class Trace:
    path: str
    header: Dict[str, Any]
    records: List[list]
    complete: bool
    sites: Dict[int, tuple] = field(default_factory=dict)
    objects: Dict[int, list] = field(default_factory=dict)
    threads: Dict[int, str] = field(default_factory=dict)
    # Lanes that are not threads (`Y` records), by lane id.
    lanes: Dict[int, list] = field(default_factory=dict)

    def tid(self, name: str) -> int:
        for t, n in self.threads.items():
            if n == name:
                return t
        raise KeyError(f"no thread named {name!r} in {sorted(self.threads.values())}")

    def of(self, code: str) -> List[list]:
        return [r for r in self.records if r[0] == code]

    def waits(self, reason: Optional[str] = None) -> List[list]:
        return [r for r in self.records if r[0] == "W" and (reason is None or r[5] == reason)]

    def line(self, site: Optional[int]) -> Optional[int]:
        return None if site is None else self.sites[site][1]

    def obj(self, oid: int) -> list:
        return self.objects[oid]

    def visible(self, oid: int) -> list:
        """The object the user sees: the top of the parent chain."""
        obj = self.objects[oid]
        while obj[5] is not None:
            obj = self.objects[obj[5]]
        return obj

    def acquisitions(self, oid: int) -> int:
        return sum(r[3] for r in self.records if r[0] == "A" and r[2] == oid)


def read_file(path: str, strict: bool = True) -> Trace:
    """Reads a trace file. A last line cut by a kill is dropped; everything else must be
    valid and every id defined before use (AssertionError otherwise)."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    header = json.loads(lines[0])
    check_header(path, header)
    body = [line for line in lines[1:] if line]
    records = []
    for i, line in enumerate(body):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            assert i == len(body) - 1, f"{path}: unreadable line {i + 2} that is not the last"
    complete = bool(records) and records[-1][0] == "Z"
    t = Trace(path, header, records, complete)
    defined: Dict[str, set] = {"S": set(), "O": set(), "F": set(), "T": set()}
    for n, r in enumerate(records):
        if strict:
            problem = check_record(r)
            assert problem is None, f"{path}: {problem}: {r}"
            for index, kind in _REFS.get(r[0], ()):
                ref = r[index] if index < len(r) else None
                assert ref is None or ref in defined[kind], f"{path}: {kind} {ref} used before definition: {r}"
            if r[0] == "M":
                assert r[4] >= 0, f"{path}: negative clock error: {r}"
            if r[0] == "Z":
                assert n == len(records) - 1, f"{path}: records after the end record"
                assert r[4] == n, f"{path}: end record counts {r[4]} records, file has {n}"
        code = r[0]
        if code in _DEFINES:
            index, kind = _DEFINES[code]
            defined[kind].add(r[index])
        if code == "S":
            t.sites[r[1]] = (r[2], r[3], r[4])
        elif code == "O":
            t.objects[r[1]] = r
        elif code == "T":
            t.threads[r[2]] = r[4]
        elif code == "Y":
            t.lanes[r[2]] = r
        elif code == "N":
            if r[2] in t.lanes:
                t.lanes[r[2]] = t.lanes[r[2]][:5] + [r[3]] + t.lanes[r[2]][6:]
            else:
                t.threads[r[2]] = r[3]
    return t


def run_agent(args: List[str], timeout: float = 60, env: Optional[dict] = None,
              agent_args: Optional[List[str]] = None, python: Optional[str] = None,
              **kw: Any) -> Tuple[subprocess.CompletedProcess, str]:
    """Runs `python -m weft --out TMP [agent_args] args` (`python`: another interpreter, e.g.
    the components venv's); returns (CompletedProcess, out_dir)."""
    out = tempfile.mkdtemp(prefix="weft-test-")
    e = dict(os.environ)
    e["PYTHONPATH"] = AGENT + os.pathsep + e.get("PYTHONPATH", "")
    for var in ("WEFT_OUT", "WEFT_SAMPLE_HZ", "WEFT_FLUSH_MS", "WEFT_LAUNCHER_PID"):
        e.pop(var, None)
    if env:
        e.update(env)
    cmd = [python or sys.executable, "-m", "weft", "--out", out, *(agent_args or []), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e, **kw)
    return proc, out


def run_plain(args: List[str], timeout: float = 60, python: Optional[str] = None, **kw: Any) -> subprocess.CompletedProcess:
    """The same program without Weft, for comparison."""
    e = dict(os.environ)
    for var in ("WEFT_OUT", "WEFT_SAMPLE_HZ", "WEFT_FLUSH_MS"):
        e.pop(var, None)
    return subprocess.run([python or sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=e, **kw)


def traces(out: str) -> List[Trace]:
    return [read_file(f) for f in sorted(glob.glob(os.path.join(out, "weft-*.jsonl")))]


def only_trace(out: str) -> Trace:
    files = glob.glob(os.path.join(out, "weft-*.jsonl"))
    assert len(files) == 1, files
    return read_file(files[0])


def program(name: str) -> str:
    return os.path.join(PROGRAMS, name)


def line_of(path: str, marker: str) -> int:
    """Line number of the first line of a program containing `marker`."""
    with open(path, encoding="utf-8") as f:
        for i, text in enumerate(f, 1):
            if marker in text:
                return i
    raise AssertionError(f"{marker!r} not in {path}")
