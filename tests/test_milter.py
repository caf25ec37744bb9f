"""Milters: smtpd_milters against a real libmilter milter (python3-milter,
tests/milter_py.py) started on loopback, and against milters that are down,
slow or talk garbage (milter_default_action, timeouts: never a hang)."""

import os
import smtplib
import socket
import subprocess
import threading
import time

import pytest

from harness import BIN, free_port, random_loopback, relay_instance, wait_for
from test_smtpd_lib import send_message

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"

pytestmark = pytest.mark.skipif(
    not all(os.path.exists(os.path.join(BIN, p)) for p in ("smtp", "smtpd", "qmgr", "master")),
    reason="programs not built")


def have_pymilter():
    return subprocess.run([PY, "-c", "import Milter"], capture_output=True).returncode == 0


class PyMilter:
    """tests/milter_py.py on a free loopback port (or a UNIX socket);
    .events() reads its log."""

    def __init__(self, tmp_path, unix=False):
        self.addr = random_loopback()
        self.port = free_port(self.addr)
        self.log = str(tmp_path / "milter.log")
        open(self.log, "w").close()
        os.chmod(self.log, 0o666)
        if unix:
            # A directory the unprivileged daemons can reach.
            sdir = tmp_path / "msock"
            sdir.mkdir()
            os.chmod(str(tmp_path), 0o755)
            os.chmod(str(sdir), 0o777)
            self.path = str(sdir / "milter")
            where = "unix:%s" % self.path
        else:
            where = "inet:%d@%s" % (self.port, self.addr)
        self.proc = subprocess.Popen(
            [PY, os.path.join(HERE, "milter_py.py"), where, self.log],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def up():
            try:
                if unix:
                    s = socket.socket(socket.AF_UNIX)
                    s.settimeout(0.5)
                    s.connect(self.path)
                    s.close()
                else:
                    socket.create_connection((self.addr, self.port), 0.5).close()
                return True
            except OSError:
                return False
        wait_for(up, 10, "python milter listening")
        if unix:
            os.chmod(self.path, 0o666)
            self.spec = "unix:%s" % self.path
        else:
            self.spec = "inet:%s:%d" % (self.addr, self.port)

    def events(self):
        with open(self.log) as f:
            return f.read()

    def stop(self):
        self.proc.kill()
        self.proc.wait(10)


@pytest.fixture
def pymilter(tmp_path):
    if not have_pymilter():
        pytest.skip("python3-milter not installed")
    m = PyMilter(tmp_path)
    yield m
    m.stop()


def test_smtp_events_and_rcpt_reject(make_instance, sink, pymilter):
    inst = relay_instance(make_instance, sink.nexthop, smtpd_milters=pymilter.spec)
    with inst.smtp() as s:
        s.ehlo("client.test")
        assert s.mail("a@client.test")[0] == 250
        code, text = s.rcpt("reject@x.test")
        assert (code, text) == (550, b"5.7.1 milter says no")
        assert s.rcpt("tempfail@x.test")[0] == 451
        assert s.rcpt("ok@x.test")[0] == 250
        s.rset()
        code, _ = s.mail("reject-mail@client.test")
        assert code == 550
    inst.wait_log(r"NOQUEUE: milter-reject: RCPT from \S+\[[\d.]+\]: "
                  r"550 5\.7\.1 milter says no; from=<a@client\.test> "
                  r"to=<reject@x\.test> proto=ESMTP helo=<client\.test>")
    wait_for(lambda: "close" in pymilter.events(), 10, "milter close")
    ev = pymilter.events()
    assert "connect" in ev and "helo client.test" in ev
    assert "mail <a@client.test> a@client.test" in ev
    assert "rcpt <ok@x.test> ok@x.test" in ev
    assert "abort" in ev
    # Macros with Postfix's defaults: j and {daemon_name} at connect.
    assert "connect " in ev and " localhost localhost" in ev


def raw_reply(f):
    """One SMTP reply, every line as sent (CRLF removed)."""
    lines = []
    while True:
        line = f.readline()
        assert line.endswith(b"\r\n"), line
        lines.append(line[:-2])
        if line[3:4] != b"-":
            return lines


def test_multi_line_milter_replies(make_instance, sink, pymilter):
    """A milter's multi-line reply (libmilter smfi_setmlreply) reaches the
    client as one SMTP reply of several lines, "-" after the code on all
    but the last (RFC 5321 4.2.1), at RCPT and at the end of the message;
    the log line keeps it on one line."""
    inst = relay_instance(make_instance, sink.nexthop, smtpd_milters=pymilter.spec)
    with socket.create_connection((inst.addr, inst.port), timeout=20) as c:
        f = c.makefile("rb")
        assert raw_reply(f)[0].startswith(b"220 ")
        for cmd in (b"EHLO client.test", b"MAIL FROM:<a@client.test>"):
            c.sendall(cmd + b"\r\n")
            assert raw_reply(f)[-1].startswith(b"250 ")
        c.sendall(b"RCPT TO:<multi@x.test>\r\n")
        assert raw_reply(f) == [b"550-5.7.1 first line", b"550-5.7.1 second line",
                                b"550 5.7.1 third line"]
        c.sendall(b"RCPT TO:<ok@x.test>\r\n")
        assert raw_reply(f) == [b"250 2.1.5 Ok"]
        c.sendall(b"DATA\r\n")
        assert raw_reply(f)[0].startswith(b"354 ")
        c.sendall(b"Subject: multi-eom\r\n\r\nbody\r\n.\r\n")
        assert raw_reply(f) == [b"554-5.7.1 refused, line one",
                                b"554 5.7.1 see line two"]
        c.sendall(b"QUIT\r\n")
        assert raw_reply(f)[0].startswith(b"221 ")
    inst.wait_log(r"NOQUEUE: milter-reject: RCPT from \S+: 550-5\.7\.1 first "
                  r"line\?\?550-5\.7\.1 second line\?\?550 5\.7\.1 third line; ")
    assert not sink.messages


def test_milter_down_default_actions(make_instance, sink):
    dead = "inet:127.0.0.1:%d" % free_port("127.0.0.1")
    inst = relay_instance(make_instance, sink.nexthop, smtpd_milters=dead)
    with inst.smtp() as s:
        code, text = s.ehlo("client.test")
        assert code == 451 and b"4.7.1" in text
    inst.wait_log(r"warning: milter %s: cannot connect" % dead)
    inst.stop()
    inst.write_main_cf({"default_transport": "smtp", "relayhost": sink.nexthop,
                        "smtpd_milters": dead, "milter_default_action": "accept"})
    inst.start()
    with inst.smtp() as s:
        s.sendmail("a@client.test", ["b@x.test"], b"Subject: t\r\n\r\nhi\r\n")
    sink.wait_for(1, timeout=20)


def test_milter_per_milter_settings_and_maps(make_instance, sink, tmp_path):
    dead = "inet:127.0.0.1:%d" % free_port("127.0.0.1")
    maps = tmp_path / "milter_maps"
    maps.write_text("0.0.0.0/0 DISABLE\n")
    # The list's own setting wins over main.cf; smtpd_milter_maps DISABLE
    # turns milters off for matching clients.
    inst = relay_instance(make_instance, sink.nexthop,
                          smtpd_milters="{ %s, default_action=reject }" % dead)
    with inst.smtp() as s:
        code, _ = s.ehlo("client.test")
        assert code == 550
    inst.stop()
    inst.write_main_cf({"default_transport": "smtp", "relayhost": sink.nexthop,
                        "smtpd_milters": dead,
                        "smtpd_milter_maps": "cidr:%s" % maps})
    inst.start()
    with inst.smtp() as s:
        s.sendmail("a@client.test", ["b@x.test"], b"Subject: t\r\n\r\nhi\r\n")
    sink.wait_for(1, timeout=20)


class GarbageMilter:
    """Accepts, answers the negotiation with garbage, or never answers."""

    def __init__(self, mode):
        self.addr = random_loopback()
        self.sock = socket.socket()
        self.sock.bind((self.addr, 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.mode = mode
        self.stop_ev = threading.Event()
        self.conns = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while not self.stop_ev.is_set():
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            self.conns.append(c)
            c.settimeout(5)
            try:
                c.recv(4096)
                if self.mode == "garbage":
                    c.sendall(b"\x7f\xff\xff\xffHELLO I AM NOT A MILTER")
            except OSError:
                pass

    def close(self):
        self.stop_ev.set()
        for c in self.conns:
            c.close()
        self.sock.close()


@pytest.mark.parametrize("mode", ["garbage", "silent"])
def test_milter_garbage_or_slow_gets_default(make_instance, sink, mode):
    g = GarbageMilter(mode)
    try:
        inst = relay_instance(make_instance, sink.nexthop,
                              smtpd_milters="inet:%s:%d" % (g.addr, g.port),
                              milter_connect_timeout="2s", milter_default_action="accept")
        t0 = time.time()
        with inst.smtp(timeout=20) as s:
            s.sendmail("a@client.test", ["b@x.test"], b"Subject: t\r\n\r\nhi\r\n")
        assert time.time() - t0 < 15
        inst.wait_log(r"warning: milter inet:%s:%d: negotiation: (bad packet length|timeout)"
                      % (g.addr.replace(".", r"\."), g.port))
        sink.wait_for(1, timeout=20)
    finally:
        g.close()


def test_milter_command_timeout(make_instance, sink, pymilter):
    inst = relay_instance(make_instance, sink.nexthop, smtpd_milters=pymilter.spec,
                          milter_command_timeout="2s")
    t0 = time.time()
    with inst.smtp(timeout=20) as s:
        s.ehlo("client.test")
        code, text = s.mail("slow@client.test")
        assert code == 451 and b"4.7.1" in text
    assert time.time() - t0 < 9
    inst.wait_log(r"warning: milter %s: timeout waiting for a reply at mail"
                  % pymilter.spec.replace(".", r"\."))


def send(inst, subject, **kw):
    """send_message (test_smtpd_lib); with MILTER_TEST_DEBUG set, the log
    tail is printed when the message is not accepted."""
    r = send_message(inst, subject, **kw)
    if r[0] != 250 and os.environ.get("MILTER_TEST_DEBUG"):
        print(r, inst.log_tail(40))
    return r


def test_content_edits(make_instance, sink, pymilter):
    inst = relay_instance(make_instance, sink.nexthop, smtpd_milters=pymilter.spec)
    code, text = send(inst, "chgsubj addrcpt delrcpt chgfrom",
                      rcpts=("r@x.test", "gone@x.test"))
    assert code == 250
    qid = text.split()[-1].decode()
    msgs = sink.wait_for(1, timeout=20)
    wait_for(lambda: sum(len(m.rcpts) for m in sink.messages) >= 2, 20,
             "both recipients")
    data = msgs[0].data
    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"X-Milter: seen " + qid.encode() in head
    assert b"Subject: changed by milter" in head
    assert b"chgsubj" not in head
    rcpts = sorted(r.strip("<> ") for m in sink.messages for r in m.rcpts)
    assert rcpts == ["added@x.test", "r@x.test"]
    assert all("new-sender@x.test" in m.mail for m in sink.messages)
    ev = pymilter.events()
    assert "header Subject chgsubj addrcpt delrcpt chgfrom" in ev
    assert "eoh" in ev and "body " in ev


def test_content_replbody_reject_discard_quarantine(make_instance, sink, pymilter):
    inst = relay_instance(make_instance, sink.nexthop, smtpd_milters=pymilter.spec)
    code, text = send(inst, "please reject-eom")
    assert (code, text) == (554, b"5.7.1 content refused by milter")
    inst.wait_log(r"milter-reject: END-OF-MESSAGE from localhost\[127\.0\.0\.1\]; "
                  r"from=<s@client\.test> to=<r@x\.test> proto=ESMTP "
                  r"helo=<client\.test>: 554 5\.7\.1 content refused by milter")
    assert send(inst, "discard")[0] == 250
    inst.wait_log(r"milter-discard: END-OF-MESSAGE")
    code, text = send(inst, "quarantine")
    assert code == 250
    qid = text.split()[-1].decode()
    inst.wait_log(r"%s: milter-hold: END-OF-MESSAGE from .*: test quarantine" % qid)
    wait_for(lambda: inst.queue_files("hold"), 10, "file in hold/")
    assert qid.lower() in inst.smtpctl(["show", "queue"]).stdout.decode().lower()
    assert send(inst, "replbody", body="original\r\n")[0] == 250
    msgs = sink.wait_for(1, timeout=20)
    assert msgs[0].data.split(b"\r\n\r\n", 1)[1] == b"replaced body\r\n"
    assert len(sink.messages) == 1


def test_two_milters_in_chain_and_non_smtpd(make_instance, sink, tmp_path, pymilter):
    second = PyMilter(tmp_path / "m2") if False else None
    (tmp_path / "m2").mkdir()
    second = PyMilter(tmp_path / "m2")
    try:
        inst = relay_instance(make_instance, sink.nexthop,
                              smtpd_milters="%s, %s" % (pymilter.spec, second.spec),
                              non_smtpd_milters=pymilter.spec)
        assert send(inst, "chain")[0] == 250
        data = sink.wait_for(1, timeout=20)[0].data
        # Each milter adds its header; the second sees the first's.
        assert data.count(b"X-Milter: seen") == 2
        assert "header X-Milter seen" in second.events()
        # sendmail -> pickup -> non_smtpd_milters
        r = inst.sendmail(["-f", "local@client.test", "r@x.test"],
                          input=b"Subject: from sendmail chgsubj\n\nhi\n")
        assert r.returncode == 0, r.stderr
        msgs = sink.wait_for(2, timeout=20)
        local = [m for m in msgs if b"changed by milter" in m.data]
        assert local and b"X-Milter: seen" in local[0].data
        wait_for(lambda: "connect localhost 127.0.0.1" in pymilter.events(), 10,
                 "non-smtpd connect event")
    finally:
        second.stop()


def test_no_milters_override(make_instance, sink, pymilter):
    conf = {"default_transport": "smtp", "relayhost": sink.nexthop,
            "smtpd_milters": pymilter.spec}
    inst = make_instance(main_cf_extra=conf, master_cf_extra=(
        "{addr}:%d inet n - n - - smtpd -o receive_override_options=no_milters"))
    port2 = free_port(inst.addr)
    inst.master_cf_extra = inst.master_cf_extra % port2
    inst.write_master_cf()
    inst.start()
    with smtplib.SMTP(inst.addr, port2, timeout=10) as s:
        s.sendmail("s@client.test", ["reject@x.test"], b"Subject: x\r\n\r\nhi\r\n")
    data = sink.wait_for(1, timeout=20)[0].data
    assert b"X-Milter" not in data


def test_milter_header_checks(make_instance, sink, pymilter, tmp_path):
    mhc = tmp_path / "milter_header_checks"
    mhc.write_text("/^X-Milter: seen/ REPLACE X-Milter: checked\n")
    inst = relay_instance(make_instance, sink.nexthop, smtpd_milters=pymilter.spec,
                          milter_header_checks="regexp:%s" % mhc)
    assert send(inst, "plain")[0] == 250
    data = sink.wait_for(1, timeout=20)[0].data
    assert b"X-Milter: checked\r\n" in data and b"X-Milter: seen" not in data
    inst.wait_log(r"replace: header X-Milter: seen \w+ from localhost")


def test_unix_socket_milter(make_instance, sink, tmp_path):
    if not have_pymilter():
        pytest.skip("python3-milter not installed")
    m = PyMilter(tmp_path, unix=True)
    try:
        inst = relay_instance(make_instance, sink.nexthop, smtpd_milters=m.spec)
        with inst.smtp() as s:
            s.ehlo("client.test")
            s.mail("s@client.test")
            assert s.rcpt("reject@x.test") == (550, b"5.7.1 milter says no")
            assert s.rcpt("r@x.test")[0] == 250
            assert s.data(b"Subject: over unix\r\n\r\nhi\r\n")[0] == 250
        data = sink.wait_for(1, timeout=20)[0].data
        assert b"X-Milter: seen" in data
    finally:
        m.stop()
