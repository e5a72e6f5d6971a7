"""asyncio under the agent: task lanes, steps, awaits with their reasons, holders and wakers,
outcomes, loop blocks, and transparency, checked against programs whose timing and lines are
known (programs/aio_*.py). Runs on the interpreter that runs the tests (the suite is also run
with the pyenv 3.9 and 3.13 interpreters, see ARCHITECTURE.md)."""
from __future__ import annotations

import json
import os
import re
import sys
import unittest

from tracefile import AGENT, line_of, only_trace, program, run_agent, run_plain

MS = 1e6


def near(test: unittest.TestCase, ns: int, ms: float, rel: float = 0.05) -> None:
    test.assertGreaterEqual(ns / MS, ms * (1 - rel), f"{ns / MS:.1f} ms, expected {ms} ms")
    test.assertLessEqual(ns / MS, ms * (1 + rel), f"{ns / MS:.1f} ms, expected {ms} ms")


class GroundTruth(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.path = program("aio_ground.py")
        proc, out = run_agent([cls.path])
        assert proc.returncode == 0, proc.stderr
        cls.t = only_trace(out)

    def lane(self, name: str) -> int:
        ls = [lane for lane, y in self.t.lanes.items() if y[5] == name]
        self.assertEqual(len(ls), 1, (name, self.t.lanes))
        return ls[0]

    def lane_of_coro(self, coro: str) -> list:
        return [lane for lane, y in self.t.lanes.items() if y[9] == coro]

    def at(self, marker: str, reason: str) -> list:
        line = line_of(self.path, marker)
        ws = [w for w in self.t.waits(reason) if self.t.line(w[6]) == line]
        self.assertEqual(len(ws), 1, f"{reason} at line {line}: {self.t.waits(reason)}")
        return ws[0]

    def test_no_agent_failure(self):
        self.assertEqual([r for r in self.t.of("!") if r[2] == "error"], [])
        self.assertEqual([r for r in self.t.of("!") if "not hooked" in r[3]], [])
        self.assertEqual(self.t.header.get("loopBlockMs"), 50)

    def test_time_sleep_in_a_coroutine_is_a_loop_block_and_a_sleep_at_its_line(self):
        main = self.t.tid("MainThread")
        blocker = self.lane("blocker")
        bs = [b for b in self.t.of("B") if b[4] == blocker]
        self.assertEqual(len(bs), 1, self.t.of("B"))
        b = bs[0]
        self.assertEqual(b[3], main)
        w = self.at("BLOCK_LINE", "sleep")
        self.assertEqual(w[3], main)
        # 300 ms, or what the sleep really took on a loaded machine (the block is the sleep).
        self.assertGreaterEqual((b[2] - b[1]) / MS, 300 * 0.99)
        self.assertLessEqual(b[2] - b[1], max(300 * MS, w[2] - w[1]) * 1.05)
        self.assertLessEqual(b[1], w[1])
        self.assertGreaterEqual(b[2], w[2])
        # Only the blocker blocked: no other B of 50 ms or more.
        self.assertEqual(len(self.t.of("B")), 1, self.t.of("B"))

    def test_a_lock_held_100ms_names_the_holder_its_acquire_line_and_the_waker(self):
        w = self.at("LOCK_WAIT_LINE", "lock")
        holder = self.lane_of_coro("holder")[0]
        waiter = self.lane_of_coro("waiter")[0]
        self.assertEqual(w[3], waiter)
        # 100 ms: the holder's asyncio.sleep(0.1) (its own wait, measured, bounds it above).
        held = [x for x in self.t.waits("sleep") if x[3] == holder][0]
        self.assertGreaterEqual((w[2] - w[1]) / MS, 95)
        self.assertLessEqual(w[2] - w[1], max(100 * MS, held[2] - held[1]) * 1.05)
        self.assertEqual(w[7], holder)
        self.assertEqual(self.t.line(w[8]), line_of(self.path, "HOLD_LINE"))
        self.assertEqual(w[9], holder)
        self.assertEqual(w[10], 0)
        obj = self.t.obj(w[4])
        self.assertEqual((obj[2], obj[3]), ("aio_lock", "lock"))
        self.assertEqual(self.t.line(obj[4]), line_of(self.path, "LOCK_CREATE"))

    def test_asyncio_sleep_is_a_sleep_wait_at_the_await_line(self):
        w = self.at("SLEEP_LINE", "sleep")
        near(self, w[2] - w[1], 100)
        self.assertEqual(self.t.obj(w[4])[2], "timer")
        self.assertEqual(w[3], self.lane_of_coro("main")[0])

    def test_awaiting_a_task_names_it_and_its_lane_wakes_the_waiter(self):
        w = self.at("TASK_LINE", "task")
        kid = self.lane("kid")
        self.assertEqual(w[9], kid)
        obj = self.t.obj(w[4])
        self.assertEqual((obj[2], obj[3]), ("task", "kid"))
        near(self, w[2] - w[1], 50, 0.2)

    def test_task_lane_fields(self):
        y = self.t.lanes[self.lane("kid")]
        _, _, lane, kind, parent, name, site, clock, creator, coro, csite = y
        self.assertEqual(kind, "task")
        self.assertEqual(parent, self.t.tid("MainThread"))
        self.assertEqual(self.t.line(site), line_of(self.path, "CREATE_LINE"))
        self.assertEqual(creator, self.lane_of_coro("main")[0])
        self.assertEqual(coro, "child")
        self.assertEqual(self.t.line(csite), line_of(self.path, "CHILD_DEF"))
        self.assertIsNone(clock)
        # The main task: made by asyncio.run in the thread, so its creator is the thread.
        main = self.t.lanes[self.lane_of_coro("main")[0]]
        self.assertEqual(main[8], self.t.tid("MainThread"))

    def test_gather_and_executor_reasons(self):
        w = self.at("GATHER_LINE", "gather")
        near(self, w[2] - w[1], 50, 0.2)
        # The first executor call also starts the pool's thread: up to +100%.
        for marker in ("EXEC_LINE", "THREAD_LINE"):
            w = self.at(marker, "executor")
            self.assertGreaterEqual((w[2] - w[1]) / MS, 50 * 0.95)
            self.assertLessEqual((w[2] - w[1]) / MS, 100)

    def test_outcomes(self):
        ends = {r[2]: r for r in self.t.of("E")}
        self.assertEqual(ends[self.lane("boom")][3:5], ["exception", "ValueError: bad value"])
        self.assertEqual(ends[self.lane("sleeper")][3:5], ["cancelled", None])
        self.assertEqual(ends[self.lane("kid")][3:5], ["result", None])
        w = self.at("CANCELLED_LINE", "sleep")
        near(self, w[2] - w[1], 10, 0.5)

    def test_queue_and_event_waits_name_the_producer_as_waker(self):
        producer = self.lane_of_coro("producer")[0]
        consumer = self.lane_of_coro("consumer")[0]
        w = self.at("QGET_LINE", "queue_get")
        self.assertEqual((w[3], w[9]), (consumer, producer))
        near(self, w[2] - w[1], 50, 0.2)
        self.assertEqual(self.t.obj(w[4])[2:4], ["aio_queue", "q"])
        w = self.at("EVENT_LINE", "event")
        self.assertEqual((w[3], w[9]), (consumer, producer))
        self.assertEqual(self.t.obj(w[4])[2], "aio_event")

    def test_every_task_ends_and_steps_lie_between_its_waits(self):
        ends = {r[2] for r in self.t.of("E")}
        for lane in self.t.lanes:
            self.assertIn(lane, ends)
        # A task's steps and waits never overlap.
        for lane in self.t.lanes:
            spans = sorted([(r[1], r[2]) for r in self.t.of("R") if r[3] == lane]
                           + [(w[1], w[2]) for w in self.t.waits() if w[3] == lane])
            for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
                self.assertLessEqual(a1, b0, (lane, spans))


class CpuBound(unittest.TestCase):
    def test_task_steps_account_for_the_loop_threads_cpu_time(self):
        proc, out = run_agent([program("aio_cpu.py")])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        c0, c1, w0, w1 = (int(x) for x in proc.stdout.split()[1:5])
        t = only_trace(out)
        steps = sum(min(r[2], w1) - max(r[1], w0) for r in t.of("R") if r[2] > w0 and r[1] < w1)
        cpu, wall = c1 - c0, w1 - w0
        self.assertGreater(cpu, 100 * MS)
        what = f"steps {steps / MS:.1f} ms, cpu {cpu / MS:.1f} ms, wall {wall / MS:.1f} ms"
        # Steps are wall time: on an idle machine they are the thread's CPU time within 5%;
        # when the thread was preempted (other processes, the agent's own threads holding the
        # GIL) they are more, up to the phase's wall time, never less than the CPU time.
        self.assertGreaterEqual(steps, cpu * 0.95, what)
        self.assertLessEqual(steps, wall, what)
        if cpu >= 0.95 * wall:  # not preempted: the 5% ground truth
            self.assertLessEqual(abs(steps - cpu) / cpu, 0.05, what)


class TwoLoops(unittest.TestCase):
    def test_each_loops_tasks_are_under_its_thread(self):
        proc, out = run_agent([program("aio_threads.py")])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = only_trace(out)
        for tag in "ab":
            thread = t.tid(f"loop-{tag}")
            mine = [y for y in t.lanes.values() if y[5].startswith(f"{tag}-")]
            self.assertEqual(len(mine), 3)
            for y in mine:
                self.assertEqual(y[4], thread)
            steps = [r for r in t.of("R") if r[3] in {y[2] for y in mine}]
            self.assertGreaterEqual(len(steps), 6)


class Transparency(unittest.TestCase):
    def compare(self, *args: str) -> None:
        path = program("aio_transparent.py")
        plain = run_plain([path, *args])
        traced, out = run_agent([path, *args])
        # 3.9's TaskWakeupMethWrapper repr carries an address, different in every run. Whether
        # a destroyed pending task's coroutine reads "running at" or "done, defined at" depends
        # on which of the two the collector finalizes first, which any allocation by another
        # thread (the agent's writer) can change: ~1 run in 10 at 100 samples/s.
        def same(text: str) -> str:
            text = re.sub(r" at 0x[0-9a-f]+", " at 0x", text)
            return "\n".join(re.sub(r"coro=<(\w+)\(\) (?:running at|done, defined at) [^>]*>", r"coro=<\1() ...>", line)
                             if line.startswith("task: <Task pending") else line for line in text.split("\n"))
        self.assertEqual(same(traced.stdout), same(plain.stdout))
        self.assertEqual(same(traced.stderr), same(plain.stderr))
        self.assertEqual(traced.returncode, plain.returncode)
        only_trace(out)  # valid
        return traced

    def test_repr_stack_all_tasks_current_task_contextvars_and_messages_are_unchanged(self):
        r = self.compare()
        self.assertIn("Task exception was never retrieved", r.stderr)
        self.assertIn("Task was destroyed but it is pending", r.stderr)
        self.assertIn('events.py", line', r.stderr)  # the callback traceback passes Handle._run
        self.assertIn("main value", r.stdout)

    def test_an_uncaught_exception_in_a_task_prints_the_same_traceback(self):
        r = self.compare("raise")
        self.assertEqual(r.returncode, 1)
        self.assertIn("RuntimeError: uncaught in a task", r.stderr)
        self.assertNotIn("weft", r.stderr)


class PurePythonTasks(unittest.TestCase):
    """The pure-Python Task (no _asyncio): the same lanes and waits."""

    def test_pure_python_tasks_are_lanes_too(self):
        proc, out = run_agent([program("aio_pure.py")])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = only_trace(out)
        names = {y[5] for y in t.lanes.values()}
        self.assertTrue({"kid", "boom", "sleeper", "blocker"} <= names, names)
        self.assertTrue(t.waits("lock"))
        self.assertTrue(t.waits("task"))
        ends = {r[2]: r[3] for r in t.of("E") if len(r) > 3}
        self.assertEqual(sorted(set(ends.values())), ["cancelled", "exception", "result"])


if __name__ == "__main__":
    unittest.main()


class LoopLagAndBlocks(unittest.TestCase):
    def test_a_blocking_callback_is_a_block_that_names_the_delayed_task_and_the_lag(self):
        proc, out = run_agent([program("aio_lag.py")])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = only_trace(out)
        main = t.tid("MainThread")
        delayed = [lane for lane, y in t.lanes.items() if y[5] == "delayed"][0]
        bs = t.of("B")
        self.assertEqual(len(bs), 1, bs)
        b = bs[0]
        self.assertEqual((b[3], b[4]), (main, None))
        near(self, b[2] - b[1], 100, 0.1)
        self.assertIn(delayed, b[5])
        lags = [r for r in t.of("V") if r[2] == f"loop_lag:{main}"]
        self.assertTrue(lags, t.of("V"))
        self.assertGreaterEqual(max(r[3] for r in lags), 70)
        self.assertEqual(lags[-1][3], 0)

    def test_the_lag_is_the_scheduling_delay_of_every_callback_so_it_sees_a_block(self):
        # The ticker's timer falls due during the block and runs first after it (on time by
        # its own clock); the task wake-up it schedules is a plain handle that waited 300 ms.
        proc, out = run_agent([program("aio_lag_block.py")])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = only_trace(out)
        main = t.tid("MainThread")
        bs = t.of("B")
        self.assertEqual(len(bs), 1, bs)
        end = bs[0][2]
        lags = [r for r in t.of("V") if r[2] == f"loop_lag:{main}"]
        after = [r for r in lags if end <= r[1] <= end + 5 * MS]
        self.assertTrue(after, (end, lags))
        peak = max(r[3] for r in after)
        self.assertGreaterEqual(peak, 290, lags)
        self.assertLessEqual(peak, 330, lags)
        self.assertEqual(lags[-1][3], 0)
        self.assertTrue([r for r in lags if r[1] > end and r[3] == 0], lags)

    def test_the_threshold_comes_from_the_option_or_the_environment(self):
        proc, out = run_agent([program("aio_lag.py")], agent_args=["--loop-block-ms", "500"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = only_trace(out)
        self.assertEqual(t.header["loopBlockMs"], 500)
        self.assertEqual(t.of("B"), [])
        proc, out = run_agent([program("aio_lag.py")], env={"WEFT_LOOP_BLOCK_MS": "20"})
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(only_trace(out).header["loopBlockMs"], 20)


class LoopIdle(unittest.TestCase):
    def test_an_idle_loop_waits_in_select_on_its_thread_at_the_run_line(self):
        path = program("aio_select.py")
        proc, out = run_agent([path, "idle"], agent_args=["--sample-hz", "200"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = only_trace(out)
        main = t.tid("MainThread")
        ws = [w for w in t.waits("select") if w[3] == main]
        long = [w for w in ws if w[2] - w[1] >= 100 * MS]
        self.assertEqual(len(long), 1, ws)
        w = long[0]
        self.assertGreaterEqual((w[2] - w[1]) / MS, 190)
        self.assertLessEqual((w[2] - w[1]) / MS, 210)
        self.assertEqual(t.line(w[6]), line_of(path, "RUN_LINE"))
        objs = {o[1]: o for o in t.of("O")}
        self.assertEqual(objs[w[4]][2:4], ["socket", "event loop selector"])
        self.assertEqual(len({x[4] for x in ws}), 1)
        # The sampler calls the thread waiting meanwhile.
        with open(os.path.join(AGENT, "weft", "trace_format.json")) as f:
            waiting = json.load(f)["sampleStates"]["WAITING"]
        ks = [k for k in t.of("K") if k[2] == main and w[1] + 10 * MS <= k[1] <= w[2] - 10 * MS]
        self.assertTrue(ks)
        self.assertTrue(all(k[4] == waiting for k in ks), ks)

    def test_ctrl_c_in_the_idle_select_prints_the_same_traceback(self):
        path = program("aio_interrupt.py")
        plain = run_plain([path])
        traced, out = run_agent([path])
        self.assertIn("KeyboardInterrupt", plain.stderr)
        self.assertIn("self._selector.select(timeout)", plain.stderr)
        self.assertEqual(traced.stderr, plain.stderr)
        self.assertEqual(traced.returncode, plain.returncode)
        t = only_trace(out)
        # Interrupted, the select ended by an exception: written open at exit.
        self.assertTrue([w for w in t.waits("select") if w[10] & 2], t.waits("select"))

    def test_a_busy_loop_has_no_select_wait(self):
        proc, out = run_agent([program("aio_select.py"), "busy"])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(only_trace(out).waits("select"), [])


class HandOffs(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.path = program("aio_handoffs.py")
        cls.proc, out = run_agent([cls.path])
        assert cls.proc.returncode == 0, cls.proc.stderr
        cls.t = only_trace(out)
        cls.ends: dict = {}
        for r in cls.t.of("L"):
            cls.ends.setdefault(r[3], {})[r[4]] = r

    def task(self, name: str) -> int:
        return [lane for lane, y in self.t.lanes.items() if y[5] == name][0]

    def executor_flows_at(self, marker: str) -> None:
        sub = self.task("submitter")
        w = [w for w in self.t.waits("executor") if self.t.line(w[6]) == line_of(self.path, marker)]
        self.assertEqual(len(w), 1, self.t.waits())
        w = w[0]
        # The submit just before the await began.
        there = [e for k, e in self.ends.items() if not k.endswith(":r") and e.get("s", [0, 0, 0])[2] == sub
                 and e["s"][1] <= w[1]]
        self.assertTrue(there, self.ends)
        fwd = max(there, key=lambda e: e["s"][1])
        self.assertLessEqual(w[1] - fwd["s"][1], 50 * MS)
        self.assertEqual(fwd["s"][5], "future")
        self.assertTrue(fwd["s"][3].startswith("future:"))
        worker = fwd["f"][2]
        self.assertNotIn(worker, self.t.lanes)  # a thread
        self.assertGreaterEqual(fwd["f"][1], fwd["s"][1])
        back = self.ends[fwd["s"][3] + ":r"]
        self.assertEqual(back["s"][2], worker)
        self.assertEqual(back["f"][2], sub)
        # The return ends where the await ended: the task's next step begins.
        self.assertEqual(back["f"][1], w[2])
        self.assertLessEqual(back["s"][1], back["f"][1])
        near(self, back["s"][1] - fwd["f"][1], 20, 0.5)

    def test_run_in_executor_is_a_flow_to_the_worker_and_back(self):
        self.executor_flows_at("EXECUTOR_LINE")

    def test_to_thread_too(self):
        self.executor_flows_at("TO_THREAD_LINE")

    def test_call_soon_threadsafe_is_a_flow_from_the_calling_thread_to_the_loop(self):
        poker, main = self.t.tid("poker"), self.t.tid("MainThread")
        fs = [e for e in self.ends.values() if e.get("s", [0, 0, 0])[2] == poker]
        self.assertEqual(len(fs), 1, self.ends)
        self.assertEqual(fs[0]["f"][2], main)
        self.assertGreaterEqual(fs[0]["f"][1], fs[0]["s"][1])

    def test_every_flow_has_both_ends(self):
        self.assertTrue(all(set(e) == {"s", "f"} for e in self.ends.values()), self.ends)

    def test_the_traceback_of_a_function_that_raised_in_the_executor_is_as_without_weft(self):
        plain = run_plain([self.path])
        self.assertEqual(plain.returncode, 0, plain.stderr)
        tb = re.search(r"TRACEBACK(.*)END", self.proc.stdout, re.S)
        self.assertIsNotNone(tb, self.proc.stdout)
        self.assertIn("bad row", tb.group(1))
        self.assertEqual(tb.group(1), re.search(r"TRACEBACK(.*)END", plain.stdout, re.S).group(1))


class TaskLike(unittest.TestCase):
    def test_a_factory_task_without_get_name_is_a_lane_named_by_its_type_and_no_agent_error(self):
        prog = program("aio_task_like.py")
        proc, out = run_agent([prog])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, run_plain([prog]).stdout)
        t = only_trace(out)
        self.assertEqual([r for r in t.of("!") if r[2] == "error"], [])
        self.assertIn("MyTask", [r[5] for r in t.lanes.values() if r[3] == "task"])


class OpenAwaits(unittest.TestCase):
    def test_an_await_pending_at_exit_is_written_open(self):
        proc, out = run_agent([program("aio_open.py")])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = only_trace(out)
        ws = [w for w in t.waits("event") if w[10] & 2]
        self.assertEqual(len(ws), 1, t.waits())
        self.assertEqual(t.line(ws[0][6]), line_of(program("aio_open.py"), "OPEN_LINE"))


class Rebuild(unittest.TestCase):
    """weft.aio.rebuild keeps lines and columns, and refuses a source that is not the code."""

    def setUp(self) -> None:
        import importlib
        import os
        import tempfile
        from tracefile import AGENT
        sys.path.insert(0, AGENT)
        self.addCleanup(sys.path.remove, AGENT)
        self.rebuild_mod = importlib.import_module("weft.aio.rebuild")
        self.dir = tempfile.mkdtemp()
        self.path = os.path.join(self.dir, "weft_rebuild_sample.py")
        with open(self.path, "w") as f:
            f.write("import os\n\n\nclass K:\n    def f(self, x):\n        y = x + 1\n"
                    "        return os.fspath(y)  # raises TypeError\n")
        sys.path.insert(0, self.dir)
        self.addCleanup(sys.path.remove, self.dir)
        sys.modules.pop("weft_rebuild_sample", None)
        self.mod = importlib.import_module("weft_rebuild_sample")

    def frames(self, f):
        import traceback
        try:
            f(self.mod.K(), 1)
        except TypeError as e:
            return [(x.filename, x.lineno, x.name, getattr(x, "colno", None)) for x in traceback.extract_tb(e.__traceback__)[1:]]
        self.fail("no TypeError")

    def test_a_prologue_keeps_the_traceback(self):
        calls = []
        self.mod._weft_hit = lambda: calls.append(1)
        new = self.rebuild_mod.rebuild(self.mod.K, "f", self.mod, prologue="_weft_hit()")
        self.assertEqual(self.frames(new), self.frames(self.mod.K.f))
        self.assertEqual(calls, [1])
        self.assertEqual(new.__qualname__, "K.f")

    def test_a_changed_source_is_refused(self):
        import linecache
        import time
        time.sleep(0.01)
        with open(self.path, "w") as f:
            f.write("import os\n\n\nclass K:\n    def f(self, x):\n        y = x + 2\n"
                    "        return os.fspath(y)  # raises TypeError!\n")
        linecache.checkcache(self.path)
        with self.assertRaises(self.rebuild_mod.RebuildError):
            self.rebuild_mod.rebuild(self.mod.K, "f", self.mod, prologue="pass")


class MoreAwaits(unittest.TestCase):
    def test_streams_sockets_subprocesses_and_task_groups(self):
        from tracefile import traces
        path = program("aio_more.py")
        proc, out = run_agent([path])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = [x for x in traces(out) if x.header["startMethod"] == "main"][0]

        def at(marker: str, reason: str) -> list:
            line = line_of(path, marker)
            ws = [w for w in t.waits(reason) if t.line(w[6]) == line]
            self.assertEqual(len(ws), 1, f"{reason} at {line}: {t.waits()}")
            return ws[0]

        w = at("STREAM_LINE", "stream_read")
        self.assertEqual(t.obj(w[4])[2], "stream")
        near(self, w[2] - w[1], 50, 0.3)
        w = at("SOCK_LINE", "socket")
        self.assertEqual(t.obj(w[4])[2], "socket")
        near(self, w[2] - w[1], 50, 0.3)
        w = at("SUBPROCESS_LINE", "subprocess")
        self.assertEqual(t.obj(w[4])[2], "subprocess")
        self.assertGreaterEqual((w[2] - w[1]) / MS, 50)
        if sys.version_info >= (3, 11):
            w = at("TASKGROUP_LINE", "gather")
            near(self, w[2] - w[1], 50, 0.3)


class MorePrimitives(unittest.TestCase):
    def test_semaphores_condition_barrier_and_queues_name_their_waker(self):
        path = program("aio_prims.py")
        proc, out = run_agent([path])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        t = only_trace(out)
        lane = {y[5]: lane for lane, y in t.lanes.items()}
        cases = [("SEM_LINE", "semaphore", "aio_semaphore", "sem"),
                 ("BSEM_LINE", "semaphore", "aio_bounded_semaphore", "bsem"),
                 ("COND_LINE", "condition", "aio_condition", "cond"),
                 ("LIFO_LINE", "queue_get", "aio_lifo_queue", "lq"),
                 ("PRIO_LINE", "queue_get", "aio_priority_queue", "pq")]
        for marker, reason, kind, name in cases:
            line = line_of(path, marker)
            ws = [w for w in t.waits(reason) if t.line(w[6]) == line]
            self.assertEqual(len(ws), 1, (marker, t.waits()))
            w = ws[0]
            self.assertEqual(t.obj(w[4])[2:4], [kind, name], marker)
            self.assertEqual((w[3], w[9]), (lane["waiter"], lane["waker"]), marker)
            self.assertGreaterEqual((w[2] - w[1]) / MS, 45, marker)
        if sys.version_info >= (3, 11):
            line = line_of(path, "BARRIER_LINE")
            ws = [w for w in t.waits("barrier") if t.line(w[6]) == line]
            self.assertEqual(len(ws), 1, t.waits())
            w = ws[0]
            self.assertEqual(t.obj(w[4])[2], "aio_barrier")
            self.assertEqual((w[3], w[9]), (lane["first"], lane["second"]))
            self.assertGreaterEqual((w[2] - w[1]) / MS, 45)
