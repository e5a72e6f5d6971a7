"""Trace file writer: records are appended to a deque from any thread and written through by a
background OS thread every flush interval, so a killed process loses at most one interval.

`deque.append` is one C call that never blocks and is thread-safe even without the GIL, so
recording never takes a lock that the user's threads could contend on. The writer drains the
deque with `popleft` rather than swapping a list, so no append can land in a list that the
writer has already written.
"""
from __future__ import annotations

import _thread
import json
import os
import sys
from collections import deque
from itertools import repeat, starmap
from typing import Any, Callable, Deque, List, Optional, Set

from .clock import block_signals_in_this_thread, raw_sleep
from .contract import trace_file_name

def _make_dumps() -> Callable[[Any], str]:
    """`JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode`, with the C encoder made
    once instead of once per record (what `encode` does): 1.5 instead of 3.8 µs for a 4-field
    record on the bench machine, the writer's main cost for asyncio traces (a record per task
    step). No circular-reference check: records are flat lists of numbers and strings."""
    enc = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
    try:
        from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
    except ImportError:
        c_make_encoder = None
    if c_make_encoder is None:
        return enc.encode
    chunks = c_make_encoder(None, enc.default, encode_basestring, None, enc.key_separator,
                            enc.item_separator, False, False, True)
    join = "".join

    def dumps(o: Any) -> str:
        return join(chunks(o, 0))

    def dumps_lines(recs: List[Any]) -> str:
        # The records one a line, every loop in C (no Python frame per record).
        return "\n".join(map(join, map(chunks, recs, repeat(0))))

    dumps.lines = dumps_lines  # type: ignore[attr-defined]
    return dumps


_dumps = _make_dumps()


def open_trace_file(out_dir: str, pid: int, host_id: str) -> "tuple[int, int, str]":
    """Creates `<out_dir>/weft-<hostid>-<pid>-<serial>.jsonl` with the first free serial
    (from 0). The host id keeps apart the files of processes of several machines that write
    into one shared folder (their pids may be equal).

    O_EXCL makes the choice atomic: two processes that share a reused pid in one trace
    directory never write into the same file.
    """
    os.makedirs(out_dir, exist_ok=True)
    serial = 0
    while True:
        path = os.path.join(out_dir, trace_file_name(host_id, pid, serial))
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            return fd, serial, path
        except FileExistsError:
            serial += 1


class TraceWriter:
    """Owns one process file: header, records, end record."""

    def __init__(self, out_dir: str, header: dict, flush_ms: int) -> None:
        fd, serial, path = open_trace_file(out_dir, header["pid"], header["host"]["id"])
        header["serial"] = serial
        self.path = path
        self.serial = serial
        self._fd = fd
        self.buf: Deque[Any] = deque()
        self.count = 0
        self._flush_s = max(flush_ms, 5) / 1000.0
        self.flush_ns = int(self._flush_s * 1e9)
        self._closed = False
        # A raw re-entrant lock: the agent's own synchronisation is never instrumented, and
        # the SIGTERM handler may run `close` in a thread that is already inside `flush`.
        self._io_lock = _thread.RLock()
        # Idents of the agent's own threads, which must never appear as user lanes.
        self.internal: Set[int] = set()
        # Called at the start of every flush, in the writing thread (periodic `A` records).
        self.before_flush: Optional[Callable[[], None]] = None
        self._write(_dumps(header) + "\n")

    def start(self) -> None:
        # A bare OS thread: no threading.Thread object, so it never shows as a user lane and
        # never keeps the interpreter alive at exit.
        _thread.start_new_thread(self._run, ())

    def _run(self) -> None:
        self.internal.add(_thread.get_ident())
        block_signals_in_this_thread()
        while not self._closed:
            raw_sleep(self._flush_s)
            if self._closed:
                break
            self.flush()

    def flush(self) -> None:
        with self._io_lock:
            if self._fd < 0:
                return
            hook = self.before_flush
            if hook is not None:
                try:
                    hook()
                except Exception as e:  # never stop writing because of a bookkeeping error
                    self.buf.append(["!", 0, "error", f"periodic records: {e!r}"])
            buf = self.buf
            # What is buffered now, taken in one C loop (records added meanwhile wait for the
            # next flush), encoded in one C loop; one record at a time only when some record
            # does not serialise.
            recs = list(starmap(buf.popleft, repeat((), len(buf))))
            if not recs:
                return
            lines_of = getattr(_dumps, "lines", None)
            text = None
            if lines_of is not None:
                try:
                    text = lines_of(recs)
                except (TypeError, ValueError, RecursionError):
                    text = None
            if text is None:
                lines = []
                for rec in recs:
                    try:
                        lines.append(_dumps(rec))
                    except (TypeError, ValueError, RecursionError) as e:
                        lines.append(_dumps(["!", rec[1] if isinstance(rec[1], int) else 0, "error",
                                             f"unserialisable {rec[0]!r} record dropped: {e}"]))
                text = "\n".join(lines)
            self.count += len(recs)
            self._write(text + "\n")

    def _write(self, text: str) -> None:
        data = text.encode("utf-8", "surrogateescape")
        try:
            while data:
                n = os.write(self._fd, data)
                data = data[n:]
        except OSError as e:
            # Disk full, file removed with its directory, ...: say so once and let the
            # program run on untraced rather than fail it.
            try:
                sys.stderr.write(f"weft: cannot write the trace file {self.path}: {e}; "
                                 "tracing stops, the program goes on\n")
            except Exception:
                pass
            self._drop_fd()

    def _drop_fd(self) -> None:
        fd, self._fd = self._fd, -1
        self._closed = True
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass

    def close(self, end_record: list) -> None:
        """Writes everything buffered, then the end record with the record count; idempotent."""
        with self._io_lock:
            if self._closed and self._fd < 0:
                return
            self._closed = True
            self.flush()
            if self._fd < 0:
                return
            end_record[-1] = self.count
            self._write(_dumps(end_record) + "\n")
            self._drop_fd()

    def abandon(self) -> None:
        """In a forked child: drop the parent's file without writing to it (closing the child's
        copy of the descriptor leaves the parent's open)."""
        self._closed = True
        fd, self._fd = self._fd, -1
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass
        self.buf.clear()
        # The parent's writer thread may have held the lock at the fork; it does not exist here.
        self._io_lock = _thread.RLock()
