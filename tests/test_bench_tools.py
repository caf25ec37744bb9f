"""The benchmark tools tests/bench/smtp-source and smtp-sink count right.

No timing is asserted here: these tests prove that what `make bench`
measures is real (every message sent arrives, byte counts match, errors are
counted), on private loopback addresses, in a few seconds.
"""
import os
import re
import signal
import smtplib
import socket
import subprocess

import pytest

from harness import BUILD, random_loopback, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    """Build the tools into a private directory (parallel-safe)."""
    out = tmp_path_factory.mktemp("benchbuild")
    r = subprocess.run(["make", "-s", "-C", os.path.join(HERE, "bench"),
                        "BUILD=%s" % out], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    assert r.returncode == 0, r.stdout.decode()
    return os.path.join(str(out), "bench")


class Sink:
    def __init__(self, tools, *args):
        self.proc = subprocess.Popen([os.path.join(tools, "smtp-sink")] + list(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.proc.stdout.readline().decode()
        m = re.search(r"listening on (\S+)$", line)
        assert m, line + self.proc.stderr.read().decode()
        self.where = m.group(1)

    def addr_port(self):
        host, port = self.where.rsplit(":", 1)
        return host, int(port)

    def finish(self, timeout=10):
        """Summary dict once the sink has exited (SIGTERM if still running)."""
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=10)
        return counts(out.decode())

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def counts(text):
    m = list(re.finditer(r"messages=(\d+) recipients=(\d+) bytes=(\d+) "
                         r"connections=(\d+)", text))
    assert m, text
    return dict(zip(("messages", "recipients", "bytes", "connections"),
                    map(int, m[-1].groups())))


def source(tools, *args, timeout=60):
    r = subprocess.run([os.path.join(tools, "smtp-source")] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    m = re.search(r"sent=(\d+) errors=(\d+) bytes=(\d+)", r.stdout.decode())
    assert m, r.stdout.decode() + r.stderr.decode()
    return r.returncode, int(m.group(1)), int(m.group(2)), int(m.group(3))


@pytest.fixture
def cleanup():
    sinks = []
    yield sinks
    for s in sinks:
        s.kill()


def test_source_to_sink_counts(tools, cleanup):
    """25 messages x 2 recipients over 4 sessions: all arrive, bytes agree."""
    sink = Sink(tools, "-l", random_loopback() + ":0", "-n", "25")
    cleanup.append(sink)
    rc, sent, errors, nbytes = source(tools, "-s", "4", "-m", "25", "-r", "2",
                                      "-l", "3000", sink.where)
    assert (rc, sent, errors) == (0, 25, 0)
    got = sink.finish()
    assert got["messages"] == 25 and got["recipients"] == 50
    assert got["bytes"] == nbytes
    assert 2950 * 25 < nbytes < 3050 * 25, nbytes
    assert 1 <= got["connections"] <= 4    # a late thread may find no work


def test_sessions_limits_and_no_pipelining(tools, cleanup):
    """-n caps messages per session; -P works against the same sink."""
    sink = Sink(tools, "-l", random_loopback() + ":0")
    cleanup.append(sink)
    rc, sent, errors, _ = source(tools, "-s", "1", "-m", "10", "-n", "3", "-P",
                                 "-D", "a.test,b.test", sink.where)
    assert (rc, sent, errors) == (0, 10, 0)
    got = sink.finish(timeout=0)
    assert got["messages"] == 10
    assert got["connections"] == 4       # 3 + 3 + 3 + 1


def test_lmtp_over_unix_socket(tools, tmp_path, cleanup):
    path = str(tmp_path / "lmtp.sock")
    sink = Sink(tools, "-L", "-u", path, "-n", "6")
    cleanup.append(sink)
    rc, sent, errors, _ = source(tools, "-L", "-s", "2", "-m", "6", "-r", "3",
                                 "unix:" + path)
    assert (rc, sent, errors) == (0, 6, 0)
    got = sink.finish()
    assert got["messages"] == 6 and got["recipients"] == 18


def test_sink_with_smtplib_and_dot_stuffing(tools, cleanup):
    """A real client: dots are counted as sent on the wire; SIGUSR1 reports."""
    sink = Sink(tools, "-l", random_loopback() + ":0")
    cleanup.append(sink)
    host, port = sink.addr_port()
    body = b"Subject: x\r\n\r\n.leading dot\r\n.\r\nend\r\n"
    with smtplib.SMTP(host, port, timeout=10) as s:
        code, resp = s.ehlo()
        assert code == 250 and b"PIPELINING" in resp
        s.sendmail("a@example.org", ["b@example.com", "c@example.com"], body)
        assert s.rcpt("d@example.com")[0] == 503     # no MAIL yet
    sink.proc.send_signal(signal.SIGUSR1)
    line = wait_for(lambda: sink.proc.stdout.readline().decode(), 10, "count line")
    assert "count" in line
    got = counts(line)
    assert got["messages"] == 1 and got["recipients"] == 2
    # smtplib dot-stuffs two lines: the wire carries two more bytes.
    assert got["bytes"] == len(body) + 2


def test_source_counts_errors(tools, cleanup):
    """Nothing listening: every message is an error, exit status 1."""
    addr = random_loopback()
    with socket.socket() as s:
        s.bind((addr, 0))
        port = s.getsockname()[1]      # bound, not listening: refused
        rc, sent, errors, _ = source(tools, "-s", "2", "-m", "5",
                                     "%s:%d" % (addr, port))
    assert (rc, sent, errors) == (1, 0, 5)


def test_sink_refuses_lhlo_in_smtp_mode_and_long_lines(tools, cleanup):
    sink = Sink(tools, "-l", random_loopback() + ":0")
    cleanup.append(sink)
    host, port = sink.addr_port()
    with socket.create_connection((host, port), timeout=10) as s:
        f = s.makefile("rb")
        assert f.readline().startswith(b"220")
        s.sendall(b"LHLO x\r\n")
        assert f.readline().startswith(b"500")
        try:
            s.sendall(b"X" * 70000 + b"\r\n")   # hostile: dropped, no crash
            assert f.readline() == b""
        except ConnectionResetError:
            pass
    with smtplib.SMTP(host, port, timeout=10) as s:   # still serving
        assert s.noop()[0] == 250
    assert sink.proc.poll() is None
