"""The trace format's constants, from the generated contract `trace_format.json` beside this
file (`npm run gen:contract` writes it from runtime/src/format/spec.ts), read once at import.
The agent restates none of them, so what it writes and what the TypeScript reader expects
come from one definition."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, List

_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trace_format.json")

with open(_PATH, encoding="utf-8") as _f:
    CONTRACT: Dict[str, Any] = json.load(_f)

FORMAT_NAME: str = CONTRACT["format"]
FORMAT_VERSION: int = CONTRACT["version"]
FILE_TEMPLATE: str = CONTRACT["fileName"]["template"]  # weft-{host}-{pid}-{serial}.jsonl

_flags: Dict[str, int] = CONTRACT["waitFlags"]
TIMED_OUT: int = _flags["TIMED_OUT"]
OPEN: int = _flags["OPEN"]
HOLDER_CHANGED: int = _flags["HOLDER_CHANGED"]

_states: Dict[str, int] = CONTRACT["sampleStates"]
RUNNING: int = _states["RUNNING"]
WAITING: int = _states["WAITING"]

# The flow and span kind of a work item ("task" in v1, the word asyncio needs).
WORK: str = CONTRACT["workWord"]["current"]

ENUMS: Dict[str, List[str]] = CONTRACT["enums"]


def trace_file_name(host: str, pid: int, serial: int) -> str:
    return FILE_TEMPLATE.format(host=host, pid=pid, serial=serial)
