"""The agent inside this test process: the replaced primitives behave exactly like the
originals (results, errors, context managers), patches are removed in pairs, and an agent
failure becomes a `!` record while the program's operation still succeeds."""
from __future__ import annotations

import _thread
import contextlib
import copy
import os
import pickle
import queue
import sys
import tempfile
import threading
import time
import unittest

from tracefile import AGENT, only_trace

if AGENT not in sys.path:
    sys.path.insert(0, AGENT)

from weft import registry  # noqa: E402
from weft.session import Session  # noqa: E402


def errors_of(fn):
    try:
        fn()
    except Exception as e:
        return type(e), str(e)
    return None


class UnderTheAgent(unittest.TestCase):
    def setUp(self) -> None:
        self.out = tempfile.mkdtemp(prefix="weft-test-")
        self.session = Session(self.out, 0, 20)
        self.session.start()

    def tearDown(self) -> None:
        self.session.stop()

    def trace(self):
        self.session.stop()
        return only_trace(self.out)

    def test_locks_are_replaced_while_tracing(self):
        self.assertIsNot(type(threading.Lock()), _thread.LockType)
        self.assertIsNot(type(threading.RLock()), type(_thread.RLock()))

    def test_lock_results_and_errors_are_those_of_the_raw_lock(self):
        raw, lock = _thread.allocate_lock(), threading.Lock()
        for lk in (raw, lock):
            self.assertTrue(lk.acquire())
            self.assertTrue(lk.locked())
            self.assertFalse(lk.acquire(False))
            self.assertFalse(lk.acquire(timeout=0.01))
            lk.release()
            self.assertTrue(lk.acquire(True, 0.5))
            lk.release()
        for bad in (lambda lk: lk.acquire(False, 1), lambda lk: lk.acquire(timeout=-5),
                    lambda lk: lk.release(), lambda lk: pickle.dumps(lk), lambda lk: copy.copy(lk)):
            self.assertEqual(errors_of(lambda: bad(lock)), errors_of(lambda: bad(raw)))
        self.assertRegex(repr(lock), r"^<unlocked _thread\.lock object at 0x[0-9a-f]+>$")

    def test_locks_work_in_with_exitstack_and_through_the_class(self):
        for lk in (threading.Lock(), threading.RLock()):
            with lk:
                pass
            with contextlib.ExitStack() as stack:
                self.assertTrue(stack.enter_context(lk))
            type(lk).__enter__(lk)
            type(lk).__exit__(lk, None, None, None)
            self.assertTrue(lk.acquire(blocking=False))
            lk.release()

    def test_rlock_re_entry_ownership_and_errors(self):
        r = threading.RLock()
        with r:
            with r:
                self.assertTrue(r._is_owned())
        self.assertFalse(r._is_owned())
        self.assertEqual(errors_of(r.release), errors_of(_thread.RLock().release))
        other = []
        r.acquire()
        t = threading.Thread(target=lambda: other.append(r.acquire(timeout=0.01)))
        t.start()
        t.join()
        r.release()
        self.assertEqual(other, [False])

    def test_conditions_over_each_lock_kind(self):
        for lock in (None, threading.Lock(), threading.RLock(), _thread.allocate_lock()):
            cond = threading.Condition(lock)
            got = []

            def consumer():
                with cond:
                    got.append(cond.wait_for(lambda: "go" in got, timeout=5))

            with cond:
                self.assertFalse(cond.wait(0.01))
            t = threading.Thread(target=consumer)
            t.start()
            time.sleep(0.02)
            cond.acquire()
            got.append("go")
            cond.notify_all()
            cond.release()
            t.join()
            self.assertEqual(got, ["go", True])
            self.assertEqual(errors_of(cond.notify), (RuntimeError, "cannot notify on un-acquired lock"))

    def test_primitives_keep_their_errors(self):
        b = threading.BoundedSemaphore(1)
        self.assertEqual(errors_of(b.release), (ValueError, "Semaphore released too many times"))
        sq = queue.SimpleQueue()
        self.assertIs(errors_of(lambda: sq.get(timeout=0.01))[0], queue.Empty)
        sq.put_nowait(1)
        self.assertEqual((sq.qsize(), sq.get_nowait(), sq.empty()), (1, 1, True))
        self.assertIs(errors_of(lambda: queue.Queue(1).get(timeout=0.01))[0], queue.Empty)
        self.assertEqual(errors_of(lambda: time.sleep(-1)), (ValueError, "sleep length must be non-negative"))
        self.assertIs(errors_of(lambda: time.sleep("1"))[0], TypeError)

    def test_an_agent_failure_is_a_diagnostic_and_the_acquire_still_succeeds(self):
        agent = registry.current
        lock = threading.Lock()

        def broken(obj):
            raise RuntimeError("interning broke")

        agent.oid = broken
        lock.acquire()
        t = threading.Timer(0.05, lock.release)
        t.start()
        self.assertTrue(lock.acquire(timeout=5))  # contended: goes through the recording path
        lock.release()
        t.join()
        diagnostics = self.trace().of("!")
        self.assertTrue(any("lock wait" in d[3] and "interning broke" in d[3] for d in diagnostics), diagnostics)

    def test_stop_restores_every_original(self):
        self.session.stop()
        self.assertIs(type(threading.Lock()), _thread.LockType)
        self.assertIs(type(threading.RLock()), type(_thread.RLock()))
        self.assertIs(type(queue.SimpleQueue()), type(queue.SimpleQueue()).__mro__[0])
        self.assertEqual(type(queue.SimpleQueue()).__module__, "_queue")
        self.assertIs(time.sleep.__class__, type(len))  # the C builtin again
        self.assertEqual(threading.Thread.start.__module__, "threading")
        self.assertEqual(threading.Thread.join.__module__, "threading")
        self.assertEqual(threading.Condition.__init__.__module__, "threading")
        self.assertEqual(threading.Event.__init__.__module__, "threading")
        self.assertEqual(queue.Queue.__init__.__module__, "queue")
        self.assertEqual(os._exit.__module__, "posix")
        self.assertEqual([f for f in sys.meta_path if type(f).__module__.startswith("weft")], [])
        self.assertIsNone(registry.current)


if __name__ == "__main__":
    unittest.main()
