"""Primitives shared between processes: `multiprocessing` Lock, RLock, Semaphore and
BoundedSemaphore (waits `mp_lock`/`mp_semaphore`, and holds of user-visible locks as `X` spans
of kind `hold` keyed by the lock's global key), and Condition, Event and Barrier, whose
internal semaphores are attributed to the object the user made."""
from __future__ import annotations

from types import ModuleType
from typing import Any, Callable, Dict, Optional, Tuple

from .. import registry
from ..clock import now
from ..hooks import Patches
from ..registry import get_ident, recordable, user_where
from . import agent, sem_gkey
from ..tracebacks import keeps_user_traceback

_SEM_KINDS = {"Lock": "mp_lock", "RLock": "mp_rlock", "Semaphore": "mp_semaphore",
              "BoundedSemaphore": "mp_bounded_semaphore"}


def _instrument(self: Any) -> None:
    """Gives one SemLock recording `acquire`/`release` methods (instance attributes, as
    SemLock._make_methods makes them)."""
    kind = _SEM_KINDS.get(type(self).__name__)
    if kind is None:
        return
    sl = self._semlock
    if "_weft_gkey" not in self.__dict__:
        self._weft_gkey = sem_gkey(sl)
    recordable(self, kind)
    raw_acquire = sl.acquire
    raw_release = sl.release
    lockish = kind in ("mp_lock", "mp_rlock")
    reason = "mp_lock" if lockish else "mp_semaphore"
    count = sl._count
    obj = self

    @keeps_user_traceback
    def acquire(block: bool = True, timeout: Optional[float] = None) -> bool:
        a = agent()
        if a is None:
            return raw_acquire(block, timeout)  # type: ignore[no-any-return]
        me = get_ident()
        if not block or me in a.open_waits:
            ok = raw_acquire(block, timeout)
        elif raw_acquire(False):
            ok = True  # it was free: no wait
        else:
            ok = a.record_wait(me, obj, reason, lambda: raw_acquire(block, timeout), false_is_timeout=True)
        if ok and lockish and count() == 1 and not getattr(obj, "_weft_internal", False):
            obj._weft_held = (now(), me)
        return ok  # type: ignore[no-any-return]

    @keeps_user_traceback
    def release() -> None:
        if lockish and not getattr(obj, "_weft_internal", False):
            held = obj.__dict__.get("_weft_held")
            if held is not None and count() <= 1:
                obj._weft_held = None
                raw_release()
                a = agent()
                if a is not None:
                    try:
                        a.oid(obj)  # its O record carries the global key the model joins on
                        a.emit(["X", held[0], now(), a.tid(held[1]), "hold", "", None, obj._weft_gkey])
                    except Exception as e:
                        a.fail("mp lock hold", e)
                return
        raw_release()

    self.acquire = acquire
    self.release = release


def install(h: Patches, sync: ModuleType) -> None:
    def wrap_make_methods(make_methods: Callable[[Any], None]) -> Callable[[Any], None]:
        def _make_methods(self: Any) -> None:
            make_methods(self)
            if registry.current is not None:
                _instrument(self)

        return _make_methods

    SL = sync.SemLock
    h.wrap(SL, "_make_methods", wrap_make_methods)

    # SemLock's own __enter__/__exit__ are the C methods of the semaphore: these go through
    # the recording instance methods instead.
    def __enter__(self: Any) -> bool:
        return self.acquire()  # type: ignore[no-any-return]

    def __exit__(self: Any, *args: Any) -> None:
        self.release()

    h.patch(SL, "__enter__", __enter__)
    h.patch(SL, "__exit__", __exit__)
    _install_sync_objects(h, sync)

    def after_semlock(lock: Any) -> None:
        if agent() is not None:
            lock.__dict__.setdefault("_weft_site", None)
            if lock.__dict__["_weft_site"] is None:
                lock._weft_site = user_where(1)
            if lock._weft_site is None:
                lock._weft_internal = True  # made by multiprocessing itself

    for cls_name in ("Lock", "RLock", "Semaphore", "BoundedSemaphore"):
        h.wrap_init(getattr(sync, cls_name), after_semlock)


def _adopt_mp(obj: Any, kind: str, children: Tuple[Tuple[str, str], ...]) -> None:
    """Makes a multiprocessing Condition/Event/Barrier a recorded object and ties its internal
    semaphores and condition to it, so their waits are attributed to what the user made."""
    recordable(obj, kind, user_where(1))
    for attr, role in children:
        child = getattr(obj, attr, None)
        if child is not None and "_weft_kind" in getattr(child, "__dict__", {}):
            child._weft_parent = obj
            child._weft_role = role
            child._weft_internal = True
    lock = getattr(obj, "_lock", None)
    gkey = getattr(lock, "_weft_gkey", None) or getattr(getattr(obj, "_flag", None), "_weft_gkey", None)
    if gkey is not None:
        obj._weft_gkey = f"{kind}:{gkey}"


def _install_sync_objects(h: Patches, sync: ModuleType) -> None:
    cond_children = (("_lock", "lock"), ("_sleeping_count", "sleeping"), ("_woken_count", "woken"),
                     ("_wait_semaphore", "wait"))
    for cls_name, kind, children in (
            ("Condition", "mp_condition", cond_children),
            ("Event", "mp_event", (("_cond", "cond"), ("_flag", "flag"))),
            ("Barrier", "mp_barrier", (("_cond", "cond"), ("_state", "state")))):
        cls = getattr(sync, cls_name, None)
        if cls is None:
            continue

        def after(obj: Any, kind: str = kind, children: Tuple[Tuple[str, str], ...] = children) -> None:
            if agent() is not None:
                _adopt_mp(obj, kind, children)

        h.wrap_init(cls, after)
        if "__getstate__" not in cls.__dict__:
            # Event is pickled by its __dict__ (to spawned children): the agent's attributes
            # (a code object among them) must not travel.
            h.patch(cls, "__getstate__", _state_without_weft)


def _state_without_weft(self: Any) -> Dict[str, Any]:
    return {k: v for k, v in self.__dict__.items() if not k.startswith("_weft_")}
