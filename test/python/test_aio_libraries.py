"""asyncio libraries under the agent, on the real packages from the components venv
(test/python/components.py): anyio's tasks are grouped by the user's function and made at the
user's line, and the aiohttp example runs as without Weft with its requests as task lanes that
wait on sockets."""
from __future__ import annotations

import os
import unittest

from test.python import components
from test.python.tracefile import ROOT, line_of, only_trace, program


class AnyioTest(unittest.TestCase):
    def test_tasks_are_grouped_by_the_users_function_at_the_users_start_line(self) -> None:
        prog = program("aio_anyio.py")
        plain, proc, out = components.run_both(prog)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, plain.stdout)
        t = only_trace(out)
        children = [r for r in t.lanes.values() if r[3] == "task" and r[9] == "__main__.child"]
        self.assertEqual(len(children), 5, [r[9] for r in t.lanes.values()])
        for r in children:
            self.assertEqual(t.line(r[6]), line_of(prog, "START LINE"))
            self.assertEqual(t.sites[r[6]][0], prog)


class UvloopTest(unittest.TestCase):
    def test_a_uvloop_program_runs_unchanged_and_the_trace_says_its_tasks_are_not_traced(self) -> None:
        prog = program("aio_uvloop.py")
        plain, proc, out = components.run_both(prog)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, plain.stdout)
        notes = [r[3] for r in only_trace(out).of("!")]
        self.assertTrue(any("uvloop" in n and "not traced" in n for n in notes), notes)


class AiohttpTest(unittest.TestCase):
    def test_the_example_runs_as_without_weft_and_its_requests_wait_on_sockets_and_the_semaphore(self) -> None:
        prog = os.path.join(ROOT, "examples", "aiohttp_exchange.py")
        plain, proc, out = components.run_both(prog, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout, plain.stdout)
        self.assertEqual(proc.stdout.strip(), "60 requests, 60 OK")
        t = only_trace(out)
        tasks = [lane for lane, r in t.lanes.items() if r[3] == "task"]
        self.assertGreaterEqual(len(tasks), 60)
        reasons = {w[5] for w in t.of("W") if w[3] in tasks}
        # aiohttp reads through its own stream classes, which the agent indexes when aiohttp
        # is imported; connecting is a socket await.
        self.assertIn("stream_read", reasons)
        self.assertIn("socket", reasons)
        # The backend semaphore (two slots) made handlers wait, with its name.
        sem = [w for w in t.of("W") if w[3] in tasks and w[5] == "semaphore"]
        self.assertTrue(sem, reasons)
        self.assertEqual(t.visible(sem[0][4])[2], "aio_semaphore")


if __name__ == "__main__":
    unittest.main()
