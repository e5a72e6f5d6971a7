"""Test helper (tests only, not part of the agent): runs programs under `python -m weft` and
reads their trace files back.

Every file read is checked against the format's one definition: the generated contract
runtime/python/weft/trace_format.json (record shapes, optional shapes, enums, and which fields
refer to which definitions) when it exists, else runtime/src/format/spec.ts itself, parsed
with regular expressions, plus the v2 records the design adds (until the contract is
generated on main). So these tests and the TypeScript contract test cannot disagree about the
format. Ids must be defined before they are used, the `Z` record must count the records before
it, and a v2 file's name and header must name its host.
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
SPEC = os.path.join(ROOT, "runtime", "src", "format", "spec.ts")
CONTRACT = os.path.join(AGENT, "weft", "trace_format.json")

# Records of format v2 (/work/design-v2.md) not yet in spec.ts: used only while the generated
# contract does not exist.
_V2_SHAPES = {"M": "isii"}
_V2_REFS: Dict[str, tuple] = {"M": ()}
_REF_CODES = {"site": "S", "object": "O", "frame": "F", "lane": "T"}


def _load_contract() -> Tuple[Dict[str, str], Dict[str, str], set, set, Dict[str, tuple]]:
    with open(CONTRACT, encoding="utf-8") as f:
        c = json.load(f)
    shapes = {code: r["shape"] for code, r in c["records"].items()}
    optional = {code: r.get("optional", "") for code, r in c["records"].items() if r.get("optional")}
    refs = {}
    for code, r in c["records"].items():
        refs[code] = tuple((i + 1, _REF_CODES[fl["ref"]]) for i, fl in enumerate(r.get("fields", []))
                           if fl.get("ref"))
    enums = c["enums"]
    return shapes, optional, set(enums["objectKinds"]), set(enums["waitReasons"]), refs


def _load_spec() -> Tuple[Dict[str, str], set, set]:
    with open(SPEC, encoding="utf-8") as f:
        text = f.read()
    shapes_block = re.search(r"RECORD_SHAPES[^=]*=\s*\{(.*?)\};", text, re.S)
    assert shapes_block, "RECORD_SHAPES not found in spec.ts"
    shapes = {m.group(1): m.group(2)
              for m in re.finditer(r"^\s*'?([A-Z!])'?:\s*'([a-zA-Z]+)'", shapes_block.group(1), re.M)}

    def const_list(name: str) -> set:
        block = re.search(name + r"\s*=\s*\[(.*?)\]\s*as const", text, re.S)
        assert block, f"{name} not found in spec.ts"
        body = re.sub(r"//[^\n]*", "", block.group(1))
        return set(re.findall(r"'([a-z_]+)'", body))

    return shapes, const_list("OBJECT_KINDS"), const_list("WAIT_REASONS")


if os.path.exists(CONTRACT):
    SHAPES, OPTIONAL, KINDS, REASONS, REFS = _load_contract()
else:
    SHAPES, KINDS, REASONS = _load_spec()
    SHAPES.update(_V2_SHAPES)
    OPTIONAL = {"O": "S", "X": "S"}
    REFS = {}  # filled below from the hand-kept table


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
    if shape == "b":
        return is_int and v in (0, 1)
    if shape == "k":
        return isinstance(v, str) and v in KINDS
    if shape == "r":
        return isinstance(v, str) and v in REASONS
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
    for i, s in enumerate(shape):
        if not _field_ok(s, rec[i + 1]):
            return f"record {rec[0]!r} field {i + 1} ({rec[i + 1]!r}) does not match shape {s!r}"
    for i, s in enumerate(OPTIONAL.get(rec[0], "")):
        j = len(shape) + 1 + i
        if j < len(rec) and not _field_ok(s, rec[j]):
            return f"record {rec[0]!r} optional field {j} ({rec[j]!r}) does not match shape {s!r}"
    return None


# Which fields of which record refer to which kind of definition (spec.ts, "defined before use").
_REFS = {
    "O": ((4, "S"), (5, "O")), "F": ((2, "F"), (3, "S")), "T": ((7, "S"),),
    "W": ((3, "T"), (4, "O"), (6, "S"), (7, "T"), (8, "S"), (9, "T")),
    "K": ((2, "T"), (3, "F")), "C": ((2, "T"),), "E": ((2, "T"),), "N": ((2, "T"),),
    "A": ((2, "O"),), "P": ((5, "T"), (6, "S")), "X": ((3, "T"), (6, "S")), "L": ((2, "T"), (6, "O")),
}
if not REFS:
    REFS = dict(_REFS, **_V2_REFS)

FILE_NAME = re.compile(r"^weft-(?:([0-9a-f]{12})-)?(\d+)-(\d+)\.jsonl$")


def check_header(path: str, header: Dict[str, Any]) -> None:
    """The header's version, and for v2 its host and clock domain, which the file name repeats."""
    assert header.get("format") == "weft-trace", header
    version = header.get("version")
    assert version in (1, 2), f"{path}: version {version!r}"
    m = FILE_NAME.match(os.path.basename(path))
    assert m, f"{path}: not a trace file name"
    assert int(m.group(2)) == header["pid"], f"{path}: pid {header['pid']} not in the name"
    if version == 2:
        host = header.get("host")
        assert isinstance(host, dict) and all(isinstance(host.get(k), str) for k in ("name", "id", "boot")), host
        assert re.fullmatch(r"[0-9a-f]{12}", host["id"]), host
        assert m.group(1) == host["id"], f"{path}: the name does not carry host id {host['id']}"
        assert header.get("clockDomain") == f"monotonic:{host['id']}:{host['boot']}", header.get("clockDomain")


@dataclass
class Trace:
    path: str
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
            for index, kind in REFS.get(r[0], ()):
                ref = r[index] if index < len(r) else None
                assert ref is None or ref in defined[kind], f"{path}: {kind} {ref} used before definition: {r}"
            if r[0] == "M":
                assert r[4] >= 0, f"{path}: negative clock error: {r}"
            if r[0] == "Z":
                assert n == len(records) - 1, f"{path}: records after the end record"
                assert r[4] == n, f"{path}: end record counts {r[4]} records, file has {n}"
        code = r[0]
        if code in defined:
            defined[code].add(r[1] if code != "T" else r[2])
        elif code == "Y":  # a lane that is not a thread: the same id space as T (v2)
            defined["T"].add(r[2])
        if code == "S":
            t.sites[r[1]] = (r[2], r[3], r[4])
        elif code == "O":
            t.objects[r[1]] = r
        elif code == "T":
            t.threads[r[2]] = r[4]
        elif code == "N":
            t.threads[r[2]] = r[3]
    return t


def run_agent(args: List[str], timeout: float = 60, env: Optional[dict] = None,
              agent_args: Optional[List[str]] = None, **kw: Any) -> Tuple[subprocess.CompletedProcess, str]:
    """Runs `python -m weft --out TMP [agent_args] args`; returns (CompletedProcess, out_dir)."""
    out = tempfile.mkdtemp(prefix="weft-test-")
    e = dict(os.environ)
    e["PYTHONPATH"] = AGENT + os.pathsep + e.get("PYTHONPATH", "")
    for var in ("WEFT_OUT", "WEFT_SAMPLE_HZ", "WEFT_FLUSH_MS"):
        e.pop(var, None)
    if env:
        e.update(env)
    cmd = [sys.executable, "-m", "weft", "--out", out, *(agent_args or []), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=e, **kw)
    return proc, out


def run_plain(args: List[str], timeout: float = 60, **kw: Any) -> subprocess.CompletedProcess:
    """The same program without Weft, for comparison."""
    e = dict(os.environ)
    for var in ("WEFT_OUT", "WEFT_SAMPLE_HZ", "WEFT_FLUSH_MS"):
        e.pop(var, None)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout, env=e, **kw)


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
