"""The hook framework (weft.hooks): a patch restores exactly what was there (an own attribute,
an inherited one, a staticmethod), a hook for a module not yet imported runs right after its
first import and can be undone on its own, a row of several modules runs once, and a failing
hook is undone, reported as a `!` record, and the others and the program run on."""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
import tempfile
import threading
import unittest
from typing import Any, List, Tuple

from tracefile import AGENT, only_trace

if AGENT not in sys.path:
    sys.path.insert(0, AGENT)

from weft.hooks import Hook, HookSet, Patches  # noqa: E402
from weft.session import HOOKS, Session  # noqa: E402


class Base:
    def method(self) -> str:
        return "base"


class Owner(Base):
    @staticmethod
    def helper() -> str:
        return "helper"

    def own(self) -> str:
        return "own"


def _watchers() -> List[Any]:
    return [f for f in sys.meta_path if type(f).__module__ == "weft.hooks"]


class Patching(unittest.TestCase):
    def test_an_own_attribute_is_restored_as_the_same_object(self) -> None:
        original = Owner.__dict__["own"]
        h = Patches("t")
        h.wrap(Owner, "own", lambda own: lambda self: "patched " + own(self))
        self.assertEqual(Owner().own(), "patched own")
        h.undo()
        self.assertIs(Owner.__dict__["own"], original)

    def test_an_inherited_attribute_is_deleted_again_so_inheritance_shows_through(self) -> None:
        h = Patches("t")
        p = h.patch(Owner, "method", lambda self: "patched")
        self.assertFalse(p.present)
        self.assertEqual(Owner().method(), "patched")
        h.undo()
        self.assertNotIn("method", Owner.__dict__)
        self.assertEqual(Owner().method(), "base")

    def test_a_staticmethod_stays_a_staticmethod(self) -> None:
        raw = Owner.__dict__["helper"]
        h = Patches("t")
        h.patch(Owner, "helper", staticmethod(lambda: "patched"))
        self.assertEqual(Owner.helper(), "patched")
        h.undo()
        self.assertIs(Owner.__dict__["helper"], raw)
        self.assertIsInstance(Owner.__dict__["helper"], staticmethod)

    def test_a_patch_that_someone_else_patched_over_is_left_to_them(self) -> None:
        original = Owner.__dict__["own"]
        self.addCleanup(setattr, Owner, "own", original)
        h = Patches("t")
        h.patch(Owner, "own", lambda self: "ours")
        theirs = lambda self: "theirs"  # noqa: E731
        Owner.own = theirs  # type: ignore[method-assign]
        h.undo()
        self.assertIs(Owner.__dict__["own"], theirs)

    def test_a_mapping_entry_is_restored_or_removed(self) -> None:
        table = {"kept": 1}
        h = Patches("t")
        h.item(table, "kept", 2)
        h.item(table, "added", 3)
        self.assertEqual(table, {"kept": 2, "added": 3})
        h.undo()
        self.assertEqual(table, {"kept": 1})

    def test_undo_runs_newest_first_and_once(self) -> None:
        order: List[str] = []
        h = Patches("t")
        first = h.on_undo(lambda: order.append("first"))
        h.on_undo(lambda: order.append("second"))
        first.undo()  # undone early (a forked child giving back SIGTERM)
        h.undo()
        self.assertEqual(order, ["first", "second"])


class PostImport(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="weft-hooks-")
        sys.path.insert(0, self.dir)
        self.addCleanup(sys.path.remove, self.dir)
        self.reports: List[Tuple[str, str]] = []
        self.names: List[str] = []

    def module(self, body: str = "VALUE = 1\n") -> str:
        name = f"weft_hooks_probe_{os.getpid()}_{len(self.names)}_{id(self)}"
        with open(os.path.join(self.dir, name + ".py"), "w") as f:
            f.write(body)
        importlib.invalidate_caches()
        self.names.append(name)
        self.addCleanup(sys.modules.pop, name, None)
        return name

    def hookset(self, *rows: Hook) -> HookSet:
        hs = HookSet(rows, None, lambda place, e: self.reports.append((place, repr(e))))
        hs.install()
        self.addCleanup(hs.uninstall)
        return hs

    def test_a_hook_runs_right_after_the_first_import_and_the_loader_is_the_real_one_again(self) -> None:
        name = self.module()
        seen: List[Any] = []
        self.hookset(Hook("probe", (name,), lambda h, m: seen.append(m.VALUE)))
        self.assertEqual(seen, [])
        module = importlib.import_module(name)
        self.assertEqual(seen, [1])
        self.assertIsInstance(module.__loader__, importlib.machinery.SourceFileLoader)
        self.assertIs(module.__spec__.loader, module.__loader__)
        self.assertEqual(_watchers(), [], "the finder stays only while something waits")

    def test_each_waiting_hook_is_undone_on_its_own(self) -> None:
        name = self.module()
        seen: List[str] = []
        first = self.hookset(Hook("first", (name,), lambda h, m: seen.append("first")))
        self.hookset(Hook("second", (name,), lambda h, m: seen.append("second")))
        first.uninstall()
        self.assertEqual(len(_watchers()), 1)
        importlib.import_module(name)
        self.assertEqual(seen, ["second"])

    def test_a_row_of_two_modules_runs_once_after_both(self) -> None:
        a, b = self.module(), self.module()
        seen: List[Tuple[int, int]] = []
        self.hookset(Hook("pair", (a, b), lambda h, ma, mb: seen.append((ma.VALUE, mb.VALUE))))
        importlib.import_module(a)
        self.assertEqual(seen, [])
        importlib.import_module(b)
        importlib.reload(sys.modules[a])
        self.assertEqual(seen, [(1, 1)])

    def test_a_module_importing_its_partner_runs_the_row_after_the_outer_one_finished(self) -> None:
        inner = self.module()
        outer = self.module(f"import {inner}\nVALUE = {inner}.VALUE + 1\n")
        seen: List[int] = []
        self.hookset(Hook("pair", (outer, inner), lambda h, mo, mi: seen.append(mo.VALUE)))
        importlib.import_module(outer)
        self.assertEqual(seen, [2])

    def test_a_failed_import_leaves_the_hook_waiting_for_the_next_try(self) -> None:
        name = self.module("raise ImportError('not yet')\n")
        seen: List[int] = []
        self.hookset(Hook("probe", (name,), lambda h, m: seen.append(m.VALUE)))
        with self.assertRaises(ImportError):
            importlib.import_module(name)
        with open(os.path.join(self.dir, name + ".py"), "w") as f:
            f.write("VALUE = 7\n")
        importlib.invalidate_caches()
        sys.modules.pop(name, None)
        importlib.import_module(name)
        self.assertEqual(seen, [7])

    def test_a_failing_hook_is_undone_and_reported_and_the_next_rows_install(self) -> None:
        def broken(h: Patches, threading_mod: Any) -> None:
            h.patch(Owner, "own", lambda self: "half-installed")
            raise RuntimeError("hook broke")

        seen: List[str] = []
        self.hookset(Hook("broken", ("threading",), broken),
                     Hook("next", ("threading",), lambda h, m: seen.append("next")))
        self.assertEqual(Owner().own(), "own")
        self.assertEqual(self.reports, [("hook broken", "RuntimeError('hook broke')")])
        self.assertEqual(seen, ["next"])

    def test_a_hook_failing_at_import_time_does_not_fail_the_import(self) -> None:
        name = self.module()

        def broken(h: Patches, m: Any) -> None:
            raise RuntimeError("hook broke")

        self.hookset(Hook("broken", (name,), broken))
        self.assertEqual(importlib.import_module(name).VALUE, 1)
        self.assertEqual([p for p, _ in self.reports], ["hook broken"])

    def test_concurrent_imports_of_watched_modules_each_run_their_hook(self) -> None:
        names = [self.module() for _ in range(6)]
        seen: List[str] = []
        self.hookset(*[Hook(n, (n,), lambda h, m: seen.append(m.__name__)) for n in names])
        threads = [threading.Thread(target=importlib.import_module, args=(n,)) for n in names]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(seen), sorted(names))


class InTheSession(unittest.TestCase):
    def test_a_failing_hook_is_a_diagnostic_in_the_trace_and_tracing_goes_on(self) -> None:
        out = tempfile.mkdtemp(prefix="weft-test-")

        def broken(h: Patches) -> None:
            raise RuntimeError("hook broke")

        session = Session(out, 0, 20, hooks=(Hook("broken", (), broken),) + HOOKS)
        session.start()
        try:
            self.assertEqual(type(threading.Lock()).__module__, "weft.locks")  # the next rows installed
        finally:
            session.stop()
        diagnostics = [r[3] for r in only_trace(out).of("!")]
        self.assertIn("hook broken: RuntimeError('hook broke')", diagnostics)

    def test_every_row_names_importable_modules_and_a_callable(self) -> None:
        self.assertEqual(len({row.name for row in HOOKS}), len(HOOKS))
        stdlib = getattr(sys, "stdlib_module_names", None)
        for row in HOOKS:
            self.assertTrue(callable(row.install), row.name)
            for m in row.modules:
                if stdlib is not None and m.split(".")[0] not in stdlib:
                    # A third-party library's row (greenlet, aiohttp, uvloop, the GPU libraries):
                    # installed only where the program has it; test_greenlets,
                    # test_aio_libraries, test_gpu_opencl and test_gpu_numba run them for real
                    # (torch, cupy and pycuda need a GPU: test_gpu_cuda_libs runs their pure parts).
                    self.assertIn(m.split(".")[0], ("greenlet", "aiohttp", "uvloop", "pyopencl", "numba", "torch", "cupy", "pycuda"),
                                  f"{row.name}: {m} is neither stdlib nor a known library")
                    continue
                self.assertIsNotNone(importlib.util.find_spec(m), f"{row.name}: {m}")


if __name__ == "__main__":
    unittest.main()
