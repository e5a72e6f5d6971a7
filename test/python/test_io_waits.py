"""Blocking I/O is recorded as waits (weft/iowaits.py): a thread blocked 200 ms in recv, accept,
select, os.read or communicate shows a 200 ms wait of the right reason at the right line on an
object named by its endpoint; calls that did not block, and non-blocking sockets (asyncio),
record nothing; exceptions, tracebacks and introspection stay as without Weft."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from tracefile import line_of, only_trace, program, run_agent, run_plain

MS = 1_000_000


class GroundTruth(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.path = program("io_waits.py")
        proc, out = run_agent([cls.path])
        assert proc.returncode == 0, proc.stderr
        cls.stdout = proc.stdout
        cls.t = only_trace(out)

    def only(self, reason: str, marker: str) -> list:
        line = line_of(self.path, marker)
        waits = [w for w in self.t.waits(reason) if self.t.line(w[6]) == line]
        self.assertEqual(len(waits), 1, (reason, marker, self.t.waits(reason)))
        return waits[0]

    def check(self, reason: str, marker: str, name: str, kind: str = "socket", timed_out: bool = False) -> list:
        w = self.only(reason, marker)
        self.assertGreaterEqual((w[2] - w[1]) / MS, 190, w)
        self.assertLessEqual((w[2] - w[1]) / MS, 400, w)
        obj = self.t.obj(w[4])
        self.assertEqual((obj[2], obj[3]), (kind, name))
        self.assertEqual(w[3], 1)  # the main thread
        self.assertEqual(w[10], 1 if timed_out else 0)
        return w

    def port(self, word: str) -> str:
        return next(line.split()[-1] for line in self.stdout.splitlines() if line.startswith(word))

    def test_a_200ms_recv_on_a_socketpair_is_a_200ms_socket_recv_wait_at_its_line(self):
        self.check("socket_recv", "SOCKETPAIR_RECV_LINE", "unix socketpair")

    def test_a_200ms_tcp_recv_names_the_peer_endpoint(self):
        self.check("socket_recv", "TCP_RECV_LINE", f"tcp 127.0.0.1:{self.port('port')}")

    def test_accept_waits_on_the_listening_address(self):
        self.check("socket_accept", "ACCEPT_LINE", f"tcp 127.0.0.1:{self.port('accept port')}")

    def test_a_recv_that_times_out_is_flagged(self):
        self.check("socket_recv", "TIMEOUT_LINE", "unix socketpair", timed_out=True)

    def test_select_on_a_pipe_is_a_select_wait_naming_the_pipe(self):
        w = self.only("select", "SELECT_LINE")
        self.assertGreaterEqual((w[2] - w[1]) / MS, 190)
        name = self.t.obj(w[4])[3]
        self.assertRegex(name, r"^select on fd \d+ \(pipe\)$")

    def test_os_read_on_a_pipe_is_an_fd_read_wait(self):
        w = self.only("fd_read", "PIPE_READ_LINE")
        self.assertGreaterEqual((w[2] - w[1]) / MS, 190)
        self.assertRegex(self.t.obj(w[4])[3], r"^fd \d+ \(pipe\)$")
        self.assertEqual(self.t.obj(w[4])[2], "fd")

    def test_communicate_is_an_fd_read_wait_on_the_subprocess_pipe_and_not_also_a_join(self):
        self.check("fd_read", "COMMUNICATE_LINE", "pipe from subprocess 'sh'", kind="fd")
        line = line_of(self.path, "COMMUNICATE_LINE")
        self.assertEqual([w for w in self.t.waits("process_join") if self.t.line(w[6]) == line], [])
        # Popen itself reads its exec error pipe while the child starts: not a wait.
        popen = line_of(self.path, "POPEN_LINE")
        self.assertEqual([w for w in self.t.waits() if self.t.line(w[6]) == popen], [])

    def test_calls_that_found_data_ready_write_no_long_wait(self):
        # The sender threads' sendall and write calls found room in the buffer. Such a call can
        # still last a while: the syscall wakes the receiver, which may take the GIL first, and
        # the call's time includes taking the GIL back (as every wait Weft times does).
        sender = {t for t, n in self.t.threads.items() if n == "sender"}
        slow = [w for w in self.t.waits() if w[3] in sender and w[5] in ("fd_write", "socket_send")
                and w[2] - w[1] > 20 * MS]
        self.assertEqual(slow, [])
        for w in self.t.waits():
            if w[5].startswith(("socket_", "fd_")) or w[5] == "select":
                self.assertGreaterEqual(w[2] - w[1], 50_000, w)


class NonBlocking(unittest.TestCase):
    def test_asyncio_sockets_record_no_socket_or_fd_wait(self):
        proc, out = run_agent([program("io_async.py")])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn("b'late'", proc.stdout)
        t = only_trace(out)
        io = [w for w in t.waits() if w[5].startswith(("socket_", "fd_"))]
        self.assertEqual(io, [])
        self.assertEqual([r for r in t.of("!") if r[2] == "error"], [])


class Tls(unittest.TestCase):
    def setUp(self) -> None:
        # A missing tool fails with what to install: the TLS hook is only proven by this test.
        self.assertIsNotNone(shutil.which("openssl"),
                             "the TLS test needs the openssl command to make a certificate: apt-get install openssl")

    def test_a_200ms_tls_read_is_a_socket_recv_wait_on_the_tls_endpoint(self):
        d = tempfile.mkdtemp(prefix="weft-tls-")
        cert = os.path.join(d, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-keyout", cert, "-out", cert + ".crt"], check=True, capture_output=True)
        with open(cert, "a") as f, open(cert + ".crt") as c:
            f.write(c.read())
        path = program("io_tls.py")
        proc, out = run_agent([path, cert])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        port = proc.stdout.split()[-1]
        t = only_trace(out)
        line = line_of(path, "TLS_RECV_LINE")
        waits = [w for w in t.waits("socket_recv") if t.line(w[6]) == line]
        self.assertEqual(len(waits), 1, t.waits())
        self.assertGreaterEqual((waits[0][2] - waits[0][1]) / MS, 150)
        self.assertEqual(t.obj(waits[0][4])[3], f"tcp 127.0.0.1:{port} (tls)")


class Transparency(unittest.TestCase):
    def test_exceptions_tracebacks_and_names_are_as_without_weft(self):
        path = program("io_transparent.py")
        plain = run_plain([path])
        traced, out = run_agent([path])
        self.assertEqual(traced.returncode, plain.returncode)
        if sys.version_info < (3, 11):
            # 3.9/3.10: a bare `raise` re-uses the traceback caught at the `except`, so one
            # agent entry remains in an exception raised through a blocking wrapper (iowaits).
            self.skipTest("tracebacks through the I/O wrappers keep one agent entry before 3.11")
        self.assertEqual(traced.stdout, plain.stdout)
        self.assertEqual(traced.stderr, plain.stderr)
        self.assertNotIn("weft", traced.stdout)

    def test_ctrl_c_in_a_blocked_recv_prints_the_same_traceback_and_the_wait_is_recorded_up_to_it(self):
        path = program("io_interrupt.py")
        plain = run_plain([path])
        traced, out = run_agent([path])
        self.assertEqual(traced.returncode, plain.returncode)
        self.assertIn("KeyboardInterrupt", traced.stderr)
        if sys.version_info >= (3, 11):
            self.assertEqual(traced.stderr, plain.stderr)
        t = only_trace(out)
        line = line_of(path, "INTERRUPTED_LINE")
        waits = [w for w in t.waits("socket_recv") if t.line(w[6]) == line]
        self.assertEqual(len(waits), 1, t.waits())
        self.assertGreaterEqual((waits[0][2] - waits[0][1]) / MS, 250)


if __name__ == "__main__":
    unittest.main()
