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


def test_fsync_probe_counts_and_cleans_up(tools, tmp_path):
    """fsync-probe makes durable files for its time, reports them, leaves
    nothing behind, and refuses bad arguments."""
    probe = os.path.join(tools, "fsync-probe")
    r = subprocess.run([probe, "-t", "3", "-l", "100", "-T", "0.2", str(tmp_path)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, r.stderr
    m = re.match(r"fsync-probe: threads=3 files=(\d+) elapsed=([\d.]+) "
                 r"rate=([\d.]+) files/s$", r.stdout.decode().strip())
    assert m, r.stdout
    files, elapsed, rate = int(m.group(1)), float(m.group(2)), float(m.group(3))
    assert files > 0 and elapsed >= 0.2
    assert abs(rate - files / elapsed) <= 0.1 + rate * 0.01
    assert os.listdir(tmp_path) == []
    for bad in (["-t", "0"], ["-l", "0"], ["-T", "0"], []):
        r = subprocess.run([probe] + bad + ([str(tmp_path)] if bad else []),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        assert r.returncode == 2 and b"usage" in r.stderr


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


# ---- make bench-compare and make bench --callgrind, without running them ----

def load_script(name):
    """tests/bench/<name> (no .py) as a module."""
    import importlib.machinery
    import importlib.util
    import harness
    loader = importlib.machinery.SourceFileLoader(
        "bench_" + name, os.path.join(HERE, "bench", name))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    (mod.bench if name == "compare" else mod).harness = harness
    return mod


def test_compare_postfix_config_stays_on_loopback(tmp_path):
    """The private Postfix of bench-compare: its own queue and log, smtpd on
    127.x, relay only to the loopback sink, no DNS, no chroot, no local
    domains; postconf (when Postfix is installed) reads it as written."""
    compare = load_script("compare")
    inst = compare.PostfixInstance(str(tmp_path), "pf", "[127.9.8.7]:2525")
    with open(os.path.join(inst.config_dir, "main.cf")) as f:
        main = dict(l.split(" = ", 1) for l in f.read().splitlines()
                    if " = " in l and not l.startswith("#"))
    assert main["relayhost"] == "[127.9.8.7]:2525"
    assert main["default_transport"] == "smtp"
    assert main["mydestination"] == "" and main["relay_domains"] == ""
    assert main["disable_dns_lookups"] == "yes"
    assert main["smtp_host_lookup"] == "native"
    assert main["smtpd_peername_lookup"] == "no"
    assert main["inet_interfaces"] == "127.0.0.1"
    for key in ("queue_directory", "data_directory", "maillog_file"):
        assert main[key].startswith(str(tmp_path)), key
    with open(os.path.join(inst.config_dir, "master.cf")) as f:
        services = [l.split() for l in f if l.strip() and not l.startswith("#")]
    assert services[0][:2] == ["%s:%d" % (inst.addr, inst.port), "inet"]
    assert inst.addr.startswith("127.") and inst.addr != "127.0.0.1"
    assert all(s[4] == "n" for s in services)          # no chroot
    assert [s for s in services if s[1] == "inet"] == services[:1]
    if os.access(compare.POSTCONF, os.X_OK):
        r = subprocess.run([compare.POSTCONF, "-c", inst.config_dir, "-h",
                            "relayhost", "mydestination", "default_transport"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        assert r.stdout.decode().split("\n")[:3] == ["[127.9.8.7]:2525", "", "smtp"], \
            r.stderr.decode()


def test_compare_usage_and_queue_list_parsers():
    compare = load_script("compare")
    args = compare.parse_args(["build", "-r", "1,5", "--outage", "100"])
    assert args.recipients == [1, 5] and args.outage == 100 and args.rounds == 2
    for bad in (["build", "-r", "x"], ["build", "--outage", "-1"], ["build", "-m", "0"]):
        with pytest.raises(SystemExit) as e:
            compare.parse_args(bad)
        assert e.value.code == 2
    pf = compare.PostfixInstance.list_count
    listing = ("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n"
               "1A2B3C4D5E*    4322 Sat Dec  5 08:45:01  bench@example.org\n"
               "                                         rcpt@example.com\n\n"
               "1A2B3C4D5F     4322 Sat Dec  5 08:45:01  bench@example.org\n"
               "(connect to 127.1.2.3[127.1.2.3]:2525: Connection refused)\n"
               "                                         rcpt@example.com\n\n"
               # listed twice: moved from active to deferred during the scan
               "1A2B3C4D5E     4322 Sat Dec  5 08:45:01  bench@example.org\n"
               "                                         rcpt@example.com\n\n"
               "-- 12 Kbytes in 3 Requests.\n")
    assert pf(listing) == 2
    assert pf("Mail queue is empty\n") == 0
    assert pf("postqueue: fatal: whatever\n") == -1
    pn = compare.PosternInstance.list_count
    assert pn("a1|inet4|mta\nb2|inet4|mta\n\na1|inet4|mta\n") == 2
    assert compare.median([3, 1, 2]) == 2 and compare.median([1, 2]) == 1.5
    assert compare.ratio(4.0, 2.0) == "2.00x" and compare.ratio(1.0, 0) == "-"


def test_callgrind_profiles_are_summed_per_program(tmp_path):
    """make bench BENCH_FLAGS=--callgrind: per-program totals from the
    callgrind.out files (the format valgrind writes)."""
    run = load_script("run")
    cg = run.Callgrind.__new__(run.Callgrind)
    cg.outdir = str(tmp_path)
    for pid, prog, total in ((1, "smtpd", 1000), (2, "smtpd", 500), (3, "qmgr", 70)):
        with open(os.path.join(cg.outdir, "callgrind.out.%d" % pid), "w") as f:
            f.write("# callgrind format\nversion: 1\ncmd:  /x/bin/%s -n %s -t unix\n"
                    "events: Ir\nsummary: %d\n\nfn=(1) main\n1 %d\ntotals: %d\n"
                    % (prog, prog, total, total, total))
    counts = run.Callgrind.counts(cg)
    assert {p: c[:2] for p, c in counts.items()} == {"smtpd": (2, 1500), "qmgr": (1, 70)}
