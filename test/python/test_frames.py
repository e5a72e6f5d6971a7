"""Reading other threads' stacks (weft.frames): no garbage collection while the frames are
read, the collector's on/off state left as the user set it (even when a user thread switches
it at that moment, or the process forks at that moment), and stacks copied out as (code, line)."""
from __future__ import annotations

import gc
import os
import sys
import threading
import time
import unittest

from tracefile import AGENT

if AGENT not in sys.path:
    sys.path.insert(0, AGENT)

from weft import frames  # noqa: E402
from weft.hooks import Patches  # noqa: E402

GUARDED = frames.NEEDS_GUARD


@unittest.skipUnless(GUARDED, "the collector guard is for CPython (frames are plain objects elsewhere)")
class CollectorGuard(unittest.TestCase):
    def setUp(self) -> None:
        patches = Patches("gc guard")
        frames.install(patches, gc)
        self.addCleanup(patches.undo)
        self.was_on = gc.isenabled()
        self.addCleanup(lambda: gc.enable() if self.was_on else gc.disable())

    def test_no_collection_can_run_while_frames_are_read_and_it_is_back_on_after(self):
        gc.enable()
        self.assertFalse(frames.inspect_threads(lambda _: gc.isenabled()))
        self.assertTrue(gc.isenabled())

    def test_a_collector_the_user_switched_off_stays_off(self):
        gc.disable()
        frames.inspect_threads(lambda _: None)
        self.assertFalse(gc.isenabled())

    def test_a_users_gc_disable_during_a_read_is_not_undone(self):
        gc.enable()
        calling = threading.Event()

        def user() -> None:
            calling.set()
            gc.disable()

        t = threading.Thread(target=user)

        def read(_: object) -> None:
            t.start()
            calling.wait(5)
            time.sleep(0.05)  # the user's call is under way (it must wait for the read to end)

        frames.inspect_threads(read)
        t.join(5)
        self.assertFalse(gc.isenabled(), "the agent switched the collector back on over the user's gc.disable()")

    @unittest.skipUnless(hasattr(os, "fork"), "needs fork")
    def test_a_fork_during_a_read_gives_a_child_whose_collector_is_on_and_usable(self):
        gc.enable()
        inside = threading.Event()

        def read(_: object) -> None:
            inside.set()
            time.sleep(0.1)

        reader = threading.Thread(target=lambda: frames.inspect_threads(read))
        reader.start()
        inside.wait(5)
        pid = os.fork()
        if pid == 0:  # the child: the collector must be on, and the wrapped functions must not block
            try:
                ok = gc.isenabled()
                gc.disable()
                gc.enable()
                os._exit(0 if ok else 3)
            except BaseException:
                os._exit(4)
        reader.join(5)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(os.waitstatus_to_exitcode(status), 0, "3: collector off in the child")
        self.assertTrue(gc.isenabled())


class Stacks(unittest.TestCase):
    def test_stacks_are_copied_innermost_first_without_frame_objects(self):
        here = sys._getframe()
        stacks = frames.inspect_threads(lambda fr: frames.read_stacks(fr, set()))
        mine = next(w for ident, w, complete in stacks if ident == threading.get_ident())
        # inspect_threads' own frames are on top; this test's frame is below them.
        codes = [code for code, _ in mine]
        self.assertIn(here.f_code, codes)
        self.assertTrue(all(isinstance(line, int) for _, line in mine))
        self.assertTrue(all(not hasattr(code, "f_back") for code in codes))
        self.assertTrue(all(complete for _, _, complete in stacks))

    def test_a_threads_innermost_user_line_is_found(self):
        release = threading.Event()
        started = threading.Event()

        def parked() -> None:
            started.set()
            release.wait(5)

        t = threading.Thread(target=parked)
        t.start()
        started.wait(5)
        try:
            where = frames.inspect_threads(
                lambda fr: frames.first_where(fr, t.ident, lambda name: name == __file__))
        finally:
            release.set()
            t.join(5)
        self.assertIsNotNone(where)
        self.assertEqual(where[0].co_name, "parked")


if __name__ == "__main__":
    unittest.main()
