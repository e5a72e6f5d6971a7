"""What the GPU hooks share: the user's line of a launch (library frames skipped, cached per
file), the text of a size, and the trace object a queue or stream stands for."""
from __future__ import annotations

import os
import sys
from typing import Any, Callable, Dict, Iterable, Optional

from .. import registry
from ..frames import innermost
from ..registry import is_user_file


def user_lines(libraries: Iterable[str]) -> Callable[[str], bool]:
    """A test for "the user's file": not the agent's nor the standard library's (registry),
    not in one of `libraries` (package folder names), not code a library generated
    ("<generated ...>"); cached per file name, since it runs on every launch."""
    parts = tuple(os.sep + name + os.sep for name in libraries)
    cache: Dict[str, bool] = {}

    def is_user(filename: str) -> bool:
        hit = cache.get(filename)
        if hit is None:
            hit = cache[filename] = (
                is_user_file(filename) and not filename.startswith("<generated")
                and not any(part in filename for part in parts)
            )
        return hit

    return is_user


def site_of(a: registry.Agent, is_user: Callable[[str], bool], depth: int = 2) -> Optional[int]:
    """The site of the innermost user frame `depth` callers up from the caller."""
    return a.site_or_none(innermost(sys._getframe(depth), is_user))


def size_text(n: Optional[int]) -> str:
    """" 4.0 MB", " 12.0 KB", " 64 B" (binary units, as the labels of copy spans read)."""
    if n is None:
        return ""
    if n >= 1 << 20:
        return f" {n / (1 << 20):.1f} MB"
    if n >= 1 << 10:
        return f" {n / (1 << 10):.1f} KB"
    return f" {n} B"


class Anchor:
    """The trace object (kind `gpu_queue`) of a queue or stream, named as its lane, which the
    host's gpu_sync waits and the launches' flows name (the library's own object may refuse
    attributes)."""

    def __init__(self, name: str, where: Any) -> None:
        registry.recordable(self, "gpu_queue", site=where, name=name)
