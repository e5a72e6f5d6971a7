"""Trace file writer: records are appended to a list from any thread and written through by a
background thread every flush interval, so a killed process loses at most one interval.

`list.append` is atomic under the GIL and never blocks, so recording never takes a lock that
the user's threads could contend on.
"""
from __future__ import annotations

import json
import os
import sys
import _thread
import threading
import time
from typing import Any, List, Optional

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class TraceWriter:
    def __init__(self, out_dir: str, header: dict, flush_ms: int) -> None:
        os.makedirs(out_dir, exist_ok=True)
        serial = 0
        pid = header["pid"]
        while True:
            path = os.path.join(out_dir, f"weft-{pid}-{serial}.jsonl")
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                break
            except FileExistsError:
                serial += 1
        header["serial"] = serial
        self.path = path
        self._fd = fd
        self.buf: List[Any] = []
        self.count = 0
        self._flush_s = max(flush_ms, 5) / 1000.0
        self._closed = False
        # Raw locks: the agent's own synchronisation must never be instrumented.
        self._io_lock = _thread.allocate_lock()
        self._sleep = time.sleep
        self.internal: set = set()
        # Turns deferred tuples (recorded where time matters) into records, in this thread.
        self.convert: Optional[Any] = None  # the agent's thread idents (shared with the sampler)
        os.write(fd, (_dumps(header) + "\n").encode("utf-8"))

    def start(self) -> None:
        # A bare OS thread: no threading.Thread object, so it never shows as a user lane and
        # never keeps the interpreter alive at exit.
        _thread.start_new_thread(self._run, ())

    def _run(self) -> None:
        self.internal.add(_thread.get_ident())
        while not self._closed:
            self._sleep(self._flush_s)
            try:
                self.flush()
            except Exception:  # pragma: no cover - disk full etc.; keep the program running
                pass

    def flush(self) -> None:
        with self._io_lock:
            if self._fd < 0:
                return
            buf = self.buf
            if not buf:
                return
            self.buf = []
            lines = []
            convert = self.convert
            for rec in buf:
                if type(rec) is tuple and convert is not None:
                    rec = convert(rec)
                try:
                    lines.append(_dumps(rec))
                except (TypeError, ValueError):
                    lines.append(_dumps(["!", rec[1] if isinstance(rec[1], int) else 0, "warning",
                                         "unserialisable record dropped: %r" % (rec[0],)]))
            self.count += len(lines)
            data = ("\n".join(lines) + "\n").encode("utf-8", "replace")
            while data:
                n = os.write(self._fd, data)
                data = data[n:]

    def close(self, end_record: list) -> None:
        """Writes everything buffered plus the end record; idempotent."""
        if self._closed:
            return
        self._closed = True
        self.flush()
        with self._io_lock:
            if self._fd < 0:
                return
            end_record[-1] = self.count
            os.write(self._fd, (_dumps(end_record) + "\n").encode("utf-8"))
            os.close(self._fd)
            self._fd = -1
