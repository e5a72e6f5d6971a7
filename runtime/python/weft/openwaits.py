"""Durable open waits: a wait still in progress at a flush, and older than one flush interval, is
written as a `W` record with the OPEN flag and `end` = now, so that a killed, crashed or hung
process leaves every wait that was open in its file (format: the `W` record in
runtime/src/format/spec.ts; the last `W` of one lane and begin wins).

Runs only in the writer's flush thread (and in the watchdog, under the writer's lock), never in
a user thread: the user's threads only put an entry into `Agent.open_waits` before they block
and take it out after, as they always did.

An open wait is written again at later flushes, at most once a second (`REWRITE_NS`), so a pool
of idle workers costs a few records a second, not ten per thread. The race with the end of the
wait: the flush thread may read an entry that its thread then removes and completes (appending
the complete `W`) before the flush thread appends the OPEN one, which would then wrongly be the
last. So the OPEN record is appended first and the entry checked after: if it is still the same
entry, the thread's complete record can only come later; if not, the OPEN record is taken out of
the buffer again (the complete record is there, or will be). Only the flush thread takes records
out of the buffer, and this runs under its lock, so the record is still there to be removed.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Optional, Tuple

from .clock import now
from .contract import OPEN

# How often a wait that stays open is written again, at most.
REWRITE_NS = 1_000_000_000


class OpenWaits:
    """What of `Agent.open_waits` has been written, and the writing itself."""

    def __init__(self, agent: Any, min_age_ns: int) -> None:
        self.agent = agent
        self.min_age_ns = min_age_ns
        # ident -> (the open_waits entry written, ts it was last written at)
        self.written: Dict[int, Tuple[tuple, int]] = {}

    def flush(self, ts: Optional[int] = None) -> None:
        """At a flush: the waits old enough that were not written within REWRITE_NS."""
        a = self.agent
        if a.closed:
            return  # the exit routine has written them, at the end record's time
        if ts is None:
            ts = now()
        waits = a.open_waits
        written = self.written
        oldest = ts - self.min_age_ns
        for ident, entry in list(waits.items()):
            if entry[0] > oldest:
                continue
            prev = written.get(ident)
            if prev is not None and prev[0] is entry and ts - prev[1] < REWRITE_NS:
                continue
            self.write(ident, entry, ts)
        for ident in [i for i, (e, _) in written.items() if waits.get(i) is not e]:
            written.pop(ident, None)

    def write_now(self, idents: Iterable[int], ts: int) -> None:
        """The given threads' open waits, whatever their age (before a `D` record)."""
        waits = self.agent.open_waits
        for ident in idents:
            entry = waits.get(ident)
            if entry is not None:
                self.write(ident, entry, ts)

    def write(self, ident: int, entry: tuple, ts: int) -> bool:
        a = self.agent
        tid = a.tids.get(ident)
        if tid is None or ident in a.internal:
            return False
        rec = ["W", entry[0], ts, tid, a.oid(entry[1]), entry[2], entry[3], entry[4], entry[5], None, OPEN]
        buf = a.writer.buf
        buf.append(rec)
        if a.open_waits.get(ident) is not entry:
            # It ended meanwhile: its complete record is in the buffer, or will be.
            try:
                buf.remove(rec)
            except (ValueError, IndexError, RuntimeError):
                pass
            return False
        self.written[ident] = (entry, ts)
        return True
