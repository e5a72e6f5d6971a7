"""PyTorch profiler (Kineto) traces read as Weft's GPU records: pure functions, no torch import,
unit-tested on hand-written traces of the documented format (test_gpu_cuda_libs.py).

A Kineto trace is Chrome trace JSON: `traceEvents` of complete events (`ph` "X", `ts` and `dur`
in microseconds since `baseTimeNanoseconds`, a Unix time in ns) plus `deviceProperties`
(`id`, `name`). The device's work has `cat` "kernel" (args: device, stream, grid, block,
correlation), "gpu_memcpy" (name "Memcpy HtoD (Pageable -> Device)" and kin; args: bytes) and
"gpu_memset"; the host's CUDA calls that launched them have `cat` "cuda_runtime" or
"cuda_driver" (`tid`: the launching thread's kernel thread id) and the same `correlation`.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from .common import size_text

_DIRECTIONS = {"HtoD": "host→device", "DtoH": "device→host", "DtoD": "device→device", "HtoH": "host→host",
               "PtoP": "device→device"}
_DIRECTION_RE = re.compile(r"\b(HtoD|DtoH|DtoD|HtoH|PtoP)\b")


class Op(NamedTuple):
    """One operation the device ran, on the wall clock (Unix ns)."""

    kind: str  # kernel, copy, fill
    label: str
    device: int
    stream: int
    begin: int
    end: int
    size: Optional[int]
    correlation: Optional[int]


class Launch(NamedTuple):
    """The host's CUDA call that enqueued an operation."""

    native_tid: int
    ts: int  # wall ns


def short_kernel_name(name: str) -> str:
    """"void at::native::vectorized_elementwise_kernel<4, ...>(int, ...)" ->
    "at::native::vectorized_elementwise_kernel": C++ kernel names without the return type,
    template arguments and parameters (what a person reads on a bar)."""
    s = name.strip()
    if s.startswith("void "):
        s = s[5:]
    for stop in ("<", "("):
        i = s.find(stop)
        if i > 0:
            s = s[:i]
    return s.strip() or name


def _dims(v: Any) -> str:
    try:
        t = [int(x) for x in v]
    except Exception:
        return str(v)
    while len(t) > 1 and t[-1] == 1:
        t.pop()
    return str(t[0]) if len(t) == 1 else "(" + ", ".join(map(str, t)) + ")"


def _int(v: Any) -> Optional[int]:
    try:
        return int(v)
    except Exception:
        return None


def parse(trace: Dict[str, Any]) -> Tuple[List[Op], Dict[int, Launch], Dict[int, str]]:
    """The device operations (in start order), the launches by correlation id, and the device
    names by id, of one Kineto trace. Events it does not know are skipped."""
    base = _int(trace.get("baseTimeNanoseconds")) or 0
    names: Dict[int, str] = {}
    for d in trace.get("deviceProperties") or []:
        i = _int(d.get("id")) if isinstance(d, dict) else None
        if i is not None:
            names[i] = str(d.get("name") or f"CUDA device {i}").strip()
    ops: List[Op] = []
    launches: Dict[int, Launch] = {}

    def ns(us: Any) -> int:
        return base + int(round(float(us) * 1000))

    for e in trace.get("traceEvents") or []:
        if not isinstance(e, dict) or e.get("ph") != "X":
            continue
        cat = e.get("cat")
        args = e.get("args") if isinstance(e.get("args"), dict) else {}
        corr = _int(args.get("correlation"))
        try:
            begin = ns(e["ts"])
            end = begin + int(round(float(e.get("dur", 0)) * 1000))
        except (KeyError, TypeError, ValueError):
            continue
        if cat in ("cuda_runtime", "cuda_driver"):
            tid = _int(e.get("tid"))
            if corr is not None and tid is not None:
                launches[corr] = Launch(tid, begin)
            continue
        if cat not in ("kernel", "gpu_memcpy", "gpu_memset"):
            continue
        device = _int(args.get("device"))
        if device is None:
            device = _int(e.get("pid")) or 0
        stream = _int(args.get("stream"))
        if stream is None:
            stream = _int(e.get("tid")) or 0
        name = str(e.get("name", ""))
        size = _int(args.get("bytes"))
        if cat == "kernel":
            label = short_kernel_name(name)
            if "grid" in args and "block" in args:
                label = f"{label}<<<{_dims(args['grid'])}, {_dims(args['block'])}>>>"
            ops.append(Op("kernel", label, device, stream, begin, end, None, corr))
        elif cat == "gpu_memcpy":
            m = _DIRECTION_RE.search(name)
            direction = _DIRECTIONS[m.group(1)] if m else "copy"
            ops.append(Op("copy", direction + size_text(size), device, stream, begin, end, size, corr))
        else:
            ops.append(Op("fill", "fill" + size_text(size), device, stream, begin, end, size, corr))
    ops.sort(key=lambda o: (o.begin, o.end))
    return ops, launches, names
