"""The one way the agent changes the interpreter: patches kept in pairs, hooks that wait for a
module's first import, and the table that the session installs and uninstalls in order.

* A `Patch` replaces one attribute of a module or class and remembers exactly what was there:
  the raw entry of the owner's `__dict__` (a `staticmethod` or `property` stays one), or that
  there was none (the attribute was inherited or absent), in which case undoing deletes it.
  An `ItemPatch` does the same for one entry of a mapping (a pickler's reducer table).
* A `Hook` is one row of the table: a name, the modules it patches and its install function,
  which receives a `Patches` (the record of what it changes) and the modules. A row whose
  modules are all imported is installed at once; otherwise it waits, through one meta-path
  finder, for the first import of each missing module and is installed right after the last
  one has executed. A program that never imports multiprocessing never pays for its hooks, and
  the agent never imports a module the program did not.
* `HookSet.install` runs the rows in order and `uninstall` undoes them in reverse, each row's
  changes in reverse. A row that fails is undone as far as it got and reported as a `!`
  diagnostic; the other rows and the program run on.

Adding a hook (asyncio, a GPU library, mpi4py, Celery) is one module with an install function
and one row in `session.HOOKS`.
"""
from __future__ import annotations

import sys
import threading
from typing import Any, Callable, Dict, List, MutableMapping, NamedTuple, Optional, Tuple

_ABSENT: Any = object()


class Change:
    """Something the agent did to the interpreter that can be undone once."""

    done = False

    def undo(self) -> None:
        if not self.done:
            self.done = True
            self._undo()

    def _undo(self) -> None:
        raise NotImplementedError


class Patch(Change):
    """`setattr(owner, name, value)`, undone exactly.

    Undoing restores the original only while the attribute is still ours: if something else
    (the program, gevent, another tool) patched it after us, its value wraps ours and is left
    in place, because putting ours back would silently remove its patch; our value then keeps
    working as a pass-through (every hook checks that an agent is running)."""

    def __init__(self, owner: Any, name: str, value: Any) -> None:
        self.owner = owner
        self.name = name
        self.value = value
        self.original = vars(owner).get(name, _ABSENT)  # the raw entry, not a bound method
        setattr(owner, name, value)

    @property
    def present(self) -> bool:
        """Whether the owner had the attribute itself (not inherited) before the patch."""
        return self.original is not _ABSENT

    def _undo(self) -> None:
        if vars(self.owner).get(self.name, _ABSENT) is not self.value:
            return
        if self.original is _ABSENT:
            delattr(self.owner, self.name)
        else:
            setattr(self.owner, self.name, self.original)


class ItemPatch(Change):
    """`mapping[key] = value`, undone exactly (the key is deleted if it was absent)."""

    def __init__(self, mapping: MutableMapping[Any, Any], key: Any, value: Any) -> None:
        self.mapping = mapping
        self.key = key
        self.value = value
        self.original = mapping.get(key, _ABSENT)
        mapping[key] = value

    def _undo(self) -> None:
        if self.mapping.get(self.key, _ABSENT) is not self.value:
            return
        if self.original is _ABSENT:
            del self.mapping[self.key]
        else:
            self.mapping[self.key] = self.original


class Undo(Change):
    """Any other change (an atexit registration, a signal handler): undone by a function."""

    def __init__(self, undo: Callable[[], None]) -> None:
        self._fn = undo

    def _undo(self) -> None:
        self._fn()


# ---------------------------------------------------------------------------------------
# Post-import hooks
# ---------------------------------------------------------------------------------------
class _ImportWatcher:
    """The agent's one meta-path finder: runs callbacks right after a module's first import.

    It is in `sys.meta_path` only while some callback waits. It never removes itself to look
    the module up (another thread may import a watched module at that moment); instead a
    thread-local flag keeps it from answering its own lookup through the other finders. The
    loader is wrapped only while the module executes: afterwards the module's `__loader__`
    and `__spec__.loader` are the real loader again, as if the agent had never been there."""

    def __init__(self) -> None:
        self.waiting: Dict[str, List[Callable[[Any], None]]] = {}
        self._busy = threading.local()

    def add(self, module: str, callback: Callable[[Any], None]) -> None:
        self.waiting.setdefault(module, []).append(callback)
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)

    def remove(self, module: str, callback: Callable[[Any], None]) -> None:
        callbacks = self.waiting.get(module)
        if callbacks is not None and callback in callbacks:
            callbacks.remove(callback)
            if not callbacks:
                del self.waiting[module]
        if not self.waiting:
            try:
                sys.meta_path.remove(self)
            except ValueError:
                pass

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in self.waiting or getattr(self._busy, "on", False):
            return None
        self._busy.on = True
        try:
            spec = None
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._busy.on = False
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec  # nothing to run after (a namespace package, a legacy loader)
        spec.loader = _HookedLoader(spec.loader, fullname, self)
        return spec

    def imported(self, fullname: str, module: Any) -> None:
        for callback in self.waiting.pop(fullname, []):
            callback(module)  # each callback reports its own failures
        if not self.waiting:
            try:
                sys.meta_path.remove(self)
            except ValueError:
                pass


class _HookedLoader:
    """A loader that runs the real one, then the callbacks waiting for the module."""

    def __init__(self, loader: Any, fullname: str, watcher: _ImportWatcher) -> None:
        self._loader = loader
        self._fullname = fullname
        self._watcher = watcher

    def create_module(self, spec: Any) -> Any:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: Any) -> None:
        loader = self._loader
        spec = getattr(module, "__spec__", None)
        try:
            loader.exec_module(module)
        finally:
            if spec is not None and spec.loader is self:
                spec.loader = loader
            if getattr(module, "__loader__", None) is self:
                module.__loader__ = loader
        # Only after a successful import: a failed one leaves the callbacks waiting for the next try.
        self._watcher.imported(self._fullname, module)

    def __getattr__(self, name: str) -> Any:
        # get_source, get_resource_reader, is_package, ...: the module may ask its loader
        # while it executes.
        return getattr(self._loader, name)


_watcher = _ImportWatcher()


class WaitForImport(Change):
    """A callback waiting for the first import of one module; undoing stops the wait."""

    def __init__(self, module: str, callback: Callable[[Any], None]) -> None:
        self.module = module
        self.callback = callback
        _watcher.add(module, callback)

    def _undo(self) -> None:
        _watcher.remove(self.module, self.callback)


def imported(name: str) -> Optional[Any]:
    """The module if it is imported and has finished executing, else None."""
    module = sys.modules.get(name)
    if module is None:
        return None
    spec = getattr(module, "__spec__", None)
    if spec is not None and getattr(spec, "_initializing", False):
        return None
    return module


# ---------------------------------------------------------------------------------------
# What one hook changes
# ---------------------------------------------------------------------------------------
Report = Callable[[str, BaseException], None]


def report_to_agent(place: str, exc: BaseException) -> None:
    """Reports a failure of a hook to the running agent as a `!` record (none: silent)."""
    from . import registry

    agent = registry.current
    if agent is not None:
        agent.fail(place, exc)


class Patches:
    """The changes one hook made, undone in reverse order by `undo`.

    `context` is what the session gives every install function (the session itself)."""

    def __init__(self, name: str, context: Any = None, report: Report = report_to_agent) -> None:
        self.name = name
        self.context = context
        self.report = report
        self.changes: List[Change] = []

    def add(self, change: Change) -> Change:
        self.changes.append(change)
        return change

    def patch(self, owner: Any, name: str, value: Any) -> Patch:
        """Sets `owner.name` to `value`, for `undo` to restore."""
        p = Patch(owner, name, value)
        self.changes.append(p)
        return p

    def wrap(self, owner: Any, name: str, make: Callable[[Any], Any]) -> Patch:
        """Sets `owner.name` to `make(current)`, where current is what `owner.name` reads as
        now (a class's function, a property object, an inherited method)."""
        return self.patch(owner, name, make(getattr(owner, name)))

    def item(self, mapping: MutableMapping[Any, Any], key: Any, value: Any) -> ItemPatch:
        p = ItemPatch(mapping, key, value)
        self.changes.append(p)
        return p

    def on_undo(self, undo: Callable[[], None]) -> Undo:
        """Records a change made by other means, undone by calling `undo`."""
        u = Undo(undo)
        self.changes.append(u)
        return u

    def wrap_init(self, cls: type, after: Callable[[Any], None]) -> Patch:
        """Runs `after(self)` at the end of `cls.__init__` (and of subclasses that call it).
        A failure of `after` is reported and the object is still made."""
        report = self.report

        def make(orig: Any) -> Any:
            def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
                orig(self, *args, **kwargs)
                try:
                    after(self)
                except Exception as e:  # never break the program
                    report(f"{cls.__name__} hook", e)

            __init__.__wrapped__ = orig  # type: ignore[attr-defined]
            __init__.__qualname__ = getattr(orig, "__qualname__", "__init__")
            __init__.__doc__ = orig.__doc__
            return __init__

        return self.wrap(cls, "__init__", make)

    def undo(self, keep: int = 0) -> None:
        """Undoes every change after the first `keep`, newest first; a change that cannot be
        undone is reported and the others are still undone."""
        while len(self.changes) > keep:
            change = self.changes.pop()
            try:
                change.undo()
            except Exception as e:
                self.report(f"uninstall of hook {self.name}", e)


# ---------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------
class Hook(NamedTuple):
    """One row of the hook table: `install(patches, *modules)` runs once every module in
    `modules` is imported (at once if they already are), and changes the interpreter only
    through `patches`."""

    name: str
    modules: Tuple[str, ...]
    install: Callable[..., None]


def later(module: str, function: str) -> Callable[..., None]:
    """An install function imported only when its row runs: a hook module for something the
    program may never import (multiprocessing) costs no start-up time until it does."""

    def install(*args: Any) -> None:
        import importlib

        getattr(importlib.import_module(module), function)(*args)

    install.__qualname__ = install.__name__ = f"{module}.{function}"
    return install


class HookSet:
    """The hooks of one session: installed in table order, uninstalled in reverse."""

    def __init__(self, table: Tuple[Hook, ...], context: Any = None, report: Report = report_to_agent) -> None:
        self.table = table
        self.context = context
        self.report = report
        self.installed: List[Patches] = []

    def install(self) -> None:
        for row in self.table:
            patches = Patches(row.name, self.context, self.report)
            self.installed.append(patches)
            missing = [m for m in row.modules if imported(m) is None]
            if not missing:
                self._run(row, patches)
                continue
            state = {"ran": False}

            def when_imported(module: Any, row: Hook = row, patches: Patches = patches,
                              state: Dict[str, bool] = state) -> None:
                if not state["ran"] and all(imported(m) is not None or m == module.__name__ for m in row.modules):
                    state["ran"] = True
                    self._run(row, patches)

            for m in missing:
                patches.add(WaitForImport(m, when_imported))

    def _run(self, row: Hook, patches: Patches) -> None:
        keep = len(patches.changes)
        try:
            row.install(patches, *[sys.modules[m] for m in row.modules])
        except Exception as e:
            patches.undo(keep)
            self.report(f"hook {row.name}", e)

    def uninstall(self) -> None:
        while self.installed:
            self.installed.pop().undo()

    def names(self) -> List[str]:
        return [p.name for p in self.installed]
