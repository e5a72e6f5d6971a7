"""Greenlets as lanes (gevent, eventlet, plain `greenlet`): one row of session.HOOKS, installed
when the program imports `greenlet`.

greenlet calls a trace function on every switch (`greenlet.settrace`, per thread), with the
greenlet leaving and the one entering. That is the one hook: from it come

* lanes (`Y`, kind "greenlet") for every greenlet, a thread's main one too ("main greenlet",
  so that its waits are not the thread's): gevent's hub is "Hub", a gevent Greenlet has its name, its creation line
  (gevent keeps the spawning stack) and its creator (the spawning greenlet); others are named
  by their function;
* steps (`R`): the greenlet ran from the switch into it to the switch out of it;
* waits (`W`): a greenlet that switches to its hub blocks until something switches back to
  it. What it waits on is read from its suspended Python frames when the primitive is Python
  code (gevent.sleep → "sleep", gevent's RLock → "lock" with the holding greenlet, gevent's
  sockets → "socket", select → "select", a join → "join"); gevent's Semaphore, Event, Queue and
  AsyncResult are compiled (Cython) and leave no frame, so such a wait is "hub" at the user's
  line that reached it: true, and as much as can be seen;
* hub blocks (`B`): a greenlet that runs for the loop-block threshold without switching holds
  every other greenlet of its thread, like a coroutine that blocks an event loop;
* ends (`E` with outcome): a gevent Greenlet's `exception`, else "result".

Invisible: the program's own `greenlet.settrace` still works (it is chained: ours runs, then
theirs; `gettrace` returns theirs). The agent's own threads are real OS threads started before
monkey-patching and never call into gevent, so nothing of the agent blocks the hub.
Greenlets of threads other than the one that imported greenlet are not traced (settrace is per
thread); the README says so.
"""
from __future__ import annotations

import os
import sys
import weakref
from typing import Any, Dict, Optional

from . import contract, registry
from .clock import now
from .hooks import Patches
from .registry import is_user_file

_DEFAULT_BLOCK_MS = 50
# A hub idle shorter than this (a poll that returned at once) is not written as a wait.
_IDLE_MIN_NS = 50_000

# Per greenlet (by id): [lane, run start or 0, pending wait or None, weakref, agent, hub].
# A thread's main greenlet has a lane of its own ("main greenlet") like the others: its waits
# (a joinall) are not the thread's, which meanwhile runs other greenlets; the thread lane keeps
# only what the thread itself did (so a hub block is named by the thread's samples, not by the
# main greenlet's join).
# IDLE (hubs only): when the hub's prepare watcher ran and its poll is pending, the time the
# hub last resumed (0: not in that phase).
LANE, RUN, WAIT, REF, AGENT, HUB, IDLE = range(7)
_states: Dict[int, list] = {}

# Python functions a blocked greenlet can be suspended in, by (file tail, function name):
# the wait reason. Files are matched by their last two path parts ("gevent/hub.py").
_REASONS = {
    ("gevent/hub.py", "sleep"): "sleep",
    ("gevent/lock.py", "acquire"): "lock",
    ("gevent/select.py", "select"): "select",
    ("gevent/select.py", "poll"): "select",
    ("gevent/_socketcommon.py", None): "socket",
    ("gevent/_socket3.py", None): "socket",
    ("gevent/_ssl3.py", None): "socket",
    ("gevent/greenlet.py", "join"): "join",
    ("gevent/greenlet.py", "joinall"): "join",
    ("eventlet/greenthread.py", "sleep"): "sleep",
    ("eventlet/greenthread.py", "wait"): "join",
    ("eventlet/semaphore.py", "acquire"): "semaphore",
    ("eventlet/event.py", "wait"): "event",
    ("eventlet/queue.py", "get"): "queue_get",
    ("eventlet/queue.py", "put"): "queue_put",
    ("eventlet/greenio/base.py", None): "socket",
    ("eventlet/hubs/__init__.py", "trampoline"): "socket",
}
_OBJECT_KINDS = {"lock": "rlock", "semaphore": "semaphore", "event": "event", "queue_get": "queue", "queue_put": "queue"}


class _Thing:
    """A per-process singleton object of the trace for waits without an object of their own."""

    def __init__(self, kind: str, name: str) -> None:
        registry.recordable(self, kind, site=None, name=name)


_things: Dict[str, Any] = {}


def _thing(reason: str) -> Any:
    t = _things.get(reason)
    if t is None:
        kind, name = {
            "sleep": ("timer", ""), "socket": ("socket", "gevent sockets"), "select": ("socket", "select"),
            "join": ("thread", "greenlet join"), "hub": ("event", "gevent hub"),
        }.get(reason, ("event", reason))
        t = _things[reason] = _Thing(kind, name)
    return t


# Stand-ins for primitives that cannot carry the agent's attributes (gevent's RLock has
# __slots__), by id, with a weak reference that drops the entry when the primitive goes.
_standins: Dict[int, tuple] = {}


def _object_of(obj: Any, reason: str) -> Any:
    """What to give `Agent.oid` for a primitive a greenlet waits on."""
    if "_weft_kind" in getattr(obj, "__dict__", {}):
        return obj
    try:
        registry.recordable(obj, _OBJECT_KINDS[reason], site=None)
        return obj
    except (AttributeError, TypeError):
        pass
    k = id(obj)
    hit = _standins.get(k)
    if hit is not None and hit[0]() is obj:
        return hit[1]
    thing = _Thing(_OBJECT_KINDS[reason], "")
    try:
        ref = weakref.ref(obj, lambda r, k=k: _standins.pop(k, None))
    except TypeError:
        return thing
    _standins[k] = (ref, thing)
    return thing


# The green-thread libraries' own folders: installed packages count as the user's code
# (registry.is_user_file), but a wait is reported at the line that called into these.
_LIB_PARTS = tuple(os.sep + name + os.sep for name in ("gevent", "eventlet", "greenlet"))


def _is_user(filename: str) -> bool:
    return is_user_file(filename) and not any(part in filename for part in _LIB_PARTS)


def _tail(filename: str) -> str:
    parts = filename.replace("\\", "/").rsplit("/", 3)
    return "/".join(parts[-2:]) if len(parts) >= 2 else filename


def _tail3(filename: str) -> str:
    parts = filename.replace("\\", "/").rsplit("/", 4)
    return "/".join(parts[-3:]) if len(parts) >= 3 else filename


class Tracer:
    """The switch trace function of one thread (see the module docstring)."""

    def __init__(self, agent: registry.Agent, block_ms: int) -> None:
        self.agent = agent
        self.block_ns = block_ms * 1_000_000
        self.user: Optional[Any] = None  # the program's own trace function, chained
        self.hub_type: Optional[type] = None
        self.watchers: list = []  # the hubs' prepare/check watchers, stopped at uninstall

    def __call__(self, event: str, args: Any) -> None:
        a = registry.current
        if a is self.agent and not a.closed and (event == "switch" or event == "throw"):
            try:
                origin, target = args
                t = now()
                self._leave(a, origin, target, t)
                self._enter(a, target, t)
            except Exception as e:
                a.fail("greenlet switch", e)
        user = self.user
        if user is not None:
            user(event, args)

    # -- lanes ---------------------------------------------------------------------------
    def _state(self, a: registry.Agent, g: Any) -> Optional[list]:
        """The greenlet's state, defining its lane on first sight; None for a greenlet that
        has already finished (greenlet still names it in a switch or two after its end, and a
        lane made then would be a second, empty lane of the same greenlet)."""
        k = id(g)
        st = _states.get(k)
        if st is not None and st[AGENT] is a:
            return st
        if getattr(g, "dead", False):
            return None
        try:
            ref = weakref.ref(g, lambda r, k=k: _drop(k, r))
        except TypeError:
            ref = None
        if getattr(g, "parent", None) is None:
            lane = a.new_lane("greenlet", a.tid(), "main greenlet", None, a.tid(), "main greenlet", None)
            st = _states[k] = [lane, 0, None, ref, a, False, 0]
            return st
        # gevent names a Greenlet lazily, and its repr shows the name once one was made:
        # read it only when it exists already, so repr(greenlet) stays as without Weft.
        d = getattr(g, "__dict__", None) or {}
        name = d.get("name") if "name" in d else (g.name if getattr(g, "_ident", None) is not None else None)
        if not isinstance(name, str) or not name:
            run = getattr(g, "_run", None) or getattr(g, "run", None)
            # The function's own name ("crawl", not "main.<locals>.crawl"): it heads a row.
            name = getattr(run, "__name__", None) or type(g).__name__
        # Decided now: a greenlet's `run` is gone once it has started (eventlet's hub is a
        # plain greenlet known only by its run method).
        hub = _is_hub(g)
        if hub:
            name = "Hub"
        site = None
        stack = getattr(g, "spawning_stack", None)
        # gevent's spawning stack: frame-like records, innermost first; the user's line.
        for _ in range(50):
            if stack is None:
                break
            code = getattr(stack, "f_code", None)
            if code is not None and _is_user(code.co_filename):
                site = a.site((code, stack.f_lineno))
                break
            stack = getattr(stack, "f_back", None)
        creator = None
        spawner = getattr(g, "spawning_greenlet", None)
        if callable(spawner):
            sg = spawner()
            sst = self._state(a, sg) if sg is not None else None
            if sst is not None:
                creator = sst[LANE]
        run = getattr(g, "_run", None) or getattr(g, "run", None)
        fcode = getattr(run, "__code__", None)
        fsite = a.site((fcode, fcode.co_firstlineno)) if fcode is not None else None
        qual = getattr(run, "__qualname__", None)
        lane = a.new_lane("greenlet", a.tid(), name, site, creator, qual if isinstance(qual, str) else None, fsite)
        st = _states[k] = [lane, 0, None, ref, a, hub, 0]
        if hub:
            self._watch_idle(a, g, st)
        return st

    def _watch_idle(self, a: registry.Agent, hub: Any, st: list) -> None:
        """gevent's hub waits for I/O and timers inside libev (C), within one run of the hub
        greenlet: without this the Hub lane would read "running" while it sleeps in epoll. A
        prepare watcher (called just before the loop blocks) and a check watcher (just after)
        cut the hub's run there and record the time between as a `select` wait on the Hub lane.
        Both are unreferenced (`ref=False`), so they never keep the loop alive."""
        loop = getattr(hub, "loop", None)
        if loop is None or not hasattr(loop, "prepare") or not hasattr(loop, "check"):
            return  # eventlet's hub is Python: its poll is seen as the hub's own run for now
        obj = _Thing("socket", "gevent hub loop")
        thread_lane = a.tid()

        # gevent runs its own callbacks from a prepare watcher too, and they switch to other
        # greenlets: the idle wait starts when the hub last resumed before its poll (_enter
        # moves IDLE), and the hub's runs in between are steps (_leave).
        def before_poll() -> None:
            if registry.current is not a or a.closed:
                return
            t = now()
            t0 = st[RUN]
            if t0:
                st[RUN] = 0
                a.emit(("R", t0, t, st[LANE]))
            st[IDLE] = t

        def after_poll() -> None:
            if registry.current is not a or a.closed or not st[IDLE]:
                return
            t = now()
            t0, st[IDLE] = st[IDLE], 0
            if t - t0 >= _IDLE_MIN_NS:
                # Both are true: the hub waits, and its OS thread is blocked in the poll (as an
                # asyncio loop's thread in its selector), so the thread's time is not GIL wait.
                oid = a.oid(obj)
                a.emit(("W", t0, t, st[LANE], oid, "select", None, None, None, None, 0))
                a.emit(("W", t0, t, thread_lane, oid, "select", None, None, None, None, 0))
            st[RUN] = t

        try:
            prepare = loop.prepare(ref=False)
            prepare.start(before_poll)
            check = loop.check(ref=False)
            check.start(after_poll)
            self.watchers += [prepare, check]
        except Exception as e:
            a.fail("gevent hub idle", e)

    # -- switches ------------------------------------------------------------------------
    def _leave(self, a: registry.Agent, g: Any, target: Any, t: int) -> None:
        st = self._state(a, g)
        if st is None:
            return
        lane = st[LANE]
        if st[IDLE]:  # a hub switching out from a callback between its prepare and its poll
            a.emit(("R", st[IDLE], t, lane))
            st[IDLE] = t
            return
        t0 = st[RUN]
        if t0:
            st[RUN] = 0
            a.emit(("R", t0, t, lane))
            if t - t0 >= self.block_ns and not st[HUB]:
                a.emit(("B", t0, t, a.tid(), lane, []))
        if getattr(g, "dead", False):
            self._final(a, g, st, t)
        else:
            tst = self._state(a, target)
            if tst is not None and tst[HUB]:
                st[WAIT] = self._classify(a, g, t)

    def _enter(self, a: registry.Agent, g: Any, t: int) -> None:
        st = self._state(a, g)
        if st is None:
            return
        if st[IDLE]:  # back in the hub before its poll: the idle wait starts from here
            st[IDLE] = t
        else:
            st[RUN] = t
        w = st[WAIT]
        if w is not None:
            st[WAIT] = None
            t0, oid, reason, site, holder, hsite = w
            a.emit(("W", t0, t, st[LANE], oid, reason, site, holder, hsite, None, 0))

    def _classify(self, a: registry.Agent, g: Any, t: int) -> tuple:
        """What a greenlet that switched to its hub waits for (see the module docstring)."""
        f = getattr(g, "gr_frame", None)
        reason = None
        obj = None
        user = None
        holder = None
        for _ in range(60):
            if f is None:
                break
            code = f.f_code
            fn = code.co_filename
            if reason is None:
                r = _REASONS.get((_tail(fn), code.co_name)) or _REASONS.get((_tail(fn), None)) \
                    or _REASONS.get((_tail3(fn), code.co_name)) or _REASONS.get((_tail3(fn), None))
                if r is not None:
                    reason = r
                    me = f.f_locals.get("self") if r in _OBJECT_KINDS else None
                    if me is not None:
                        obj = me
            if user is None and _is_user(fn):
                user = (code, f.f_lineno)
                break
            f = f.f_back
        reason = reason or "hub"
        if reason == "lock" and obj is not None:
            owner = getattr(obj, "_owner", None)  # gevent's RLock: the holding greenlet
            ost = _states.get(id(owner)) if owner is not None else None
            holder = ost[LANE] if ost is not None and ost[AGENT] is a else None
        oid = a.oid(_object_of(obj, reason) if obj is not None else _thing(reason))
        return (t, oid, reason, a.site_or_none(user), holder, None)

    def _final(self, a: registry.Agent, g: Any, st: list, t: int) -> None:
        _states.pop(id(g), None)
        exc = getattr(g, "exception", None)  # gevent's Greenlet: the exception it raised
        detail = None
        if isinstance(exc, BaseException):
            name = type(exc).__name__
            outcome = "cancelled" if name == "GreenletExit" else "exception"
            if outcome == "exception":
                text = str(exc)
                detail = f"{name}: {text}"[:300] if text else name
        else:
            outcome = "result"
        a.emit(("E", t, st[LANE], outcome, detail))


def _is_hub(g: Any) -> bool:
    """gevent's hub is a greenlet of class Hub; eventlet's is a plain greenlet running a
    hub's `run` method."""
    if type(g).__name__ == "Hub":
        return True
    hubs = sys.modules.get("eventlet.hubs")
    if hubs is not None:
        hub = getattr(getattr(hubs, "_threadlocal", None), "hub", None)
        if hub is not None and getattr(hub, "greenlet", None) is g:
            return True
    return False


def _drop(k: int, ref: Any) -> None:
    st = _states.get(k)
    if st is not None and st[REF] is ref:
        del _states[k]


def _block_ms() -> int:
    try:
        return max(1, int(os.environ.get("WEFT_LOOP_BLOCK_MS") or _DEFAULT_BLOCK_MS))
    except ValueError:
        return _DEFAULT_BLOCK_MS


def install(p: Patches, greenlet_mod: Any) -> None:
    a = registry.current
    if a is None or not hasattr(greenlet_mod, "settrace"):
        return
    tracer = Tracer(a, _block_ms())
    tracer.user = greenlet_mod.settrace(tracer)
    settrace = greenlet_mod.settrace
    gettrace = greenlet_mod.gettrace

    def user_settrace(callback: Any) -> Any:
        """`greenlet.settrace` for the program: its function runs after ours (per thread:
        in another thread it is greenlet's own)."""
        if gettrace() is tracer:
            previous, tracer.user = tracer.user, callback
            return previous
        return settrace(callback)

    def user_gettrace() -> Any:
        current = gettrace()
        return tracer.user if current is tracer else current

    user_settrace.__doc__ = settrace.__doc__
    user_gettrace.__doc__ = gettrace.__doc__
    p.patch(greenlet_mod, "settrace", user_settrace)
    p.patch(greenlet_mod, "gettrace", user_gettrace)

    def restore() -> None:
        if gettrace() is tracer:
            settrace(tracer.user)
        for w in tracer.watchers:
            try:
                w.stop()
            except Exception:
                pass
    p.on_undo(restore)


def finish(a: registry.Agent, ts: int) -> None:
    """Exit: the steps still running and waits still open, as open waits."""
    for st in list(_states.values()):
        if st[AGENT] is not a:
            continue
        if st[RUN]:
            a.emit(("R", st[RUN], ts, st[LANE]))
            st[RUN] = 0
        w = st[WAIT]
        if w is not None:
            st[WAIT] = None
            t0, oid, reason, site, holder, hsite = w
            a.emit(("W", t0, ts, st[LANE], oid, reason, site, holder, hsite, None, contract.OPEN))


registry.FINISHERS.append(finish)
