"""check_policy_service against real policy servers from Debian, started
privately on loopback: postgrey (greylisting: 450 first, 250 after the
delay, with its X-Greylist header) and policyd-spf (SPF records served by
the loopback test DNS server)."""
import grp
import os
import pwd
import shutil
import socket
import subprocess
import threading
import time

import pytest

from dnsserver import DNSServer
from harness import _make_traversable, free_port, stop_process, wait_for
from test_smtpd_lib import smtpd_instance, smtpd_transaction, wait_qf

MSG = "Subject: real policy\r\n\r\nbody\r\n.\r\n"
POSTGREY = shutil.which("postgrey") or "/usr/sbin/postgrey"
POLICYD_SPF = shutil.which("policyd-spf") or "/usr/bin/policyd-spf"


def transaction(inst, sender, rcpt):
    """(RCPT reply, queue id or None)."""
    (reply,), qid = smtpd_transaction(inst, [rcpt], sender, MSG)
    return reply, qid


@pytest.fixture
def postgrey(tmp_path):
    if not os.access(POSTGREY, os.X_OK):
        pytest.skip("postgrey is not installed")
    dbdir = tmp_path / "postgrey"
    dbdir.mkdir()
    empty = tmp_path / "empty"
    empty.write_text("")
    if os.geteuid() == 0:
        user, group = "postgrey", "postgrey"
        pw = pwd.getpwnam(user)
        os.chown(dbdir, pw.pw_uid, pw.pw_gid)
        _make_traversable(str(dbdir))
    else:
        user = pwd.getpwuid(os.getuid()).pw_name
        group = grp.getgrgid(os.getgid()).gr_name
    port = free_port("127.0.0.1")
    proc = subprocess.Popen([POSTGREY, "--inet=127.0.0.1:%d" % port,
                             "--dbdir=%s" % dbdir, "--delay=2",
                             "--user=%s" % user, "--group=%s" % group,
                             "--whitelist-clients=%s" % empty,
                             "--whitelist-recipients=%s" % empty,
                             "--hostname=greylist.test"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def listening():
        if proc.poll() is not None:
            raise RuntimeError("postgrey exited: %s" % proc.stdout.read().decode())
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False
    try:
        wait_for(listening, 30, "postgrey to listen")
        yield "inet:127.0.0.1:%d" % port
    finally:
        stop_process(proc)


def test_postgrey_greylisting(make_instance, postgrey):
    inst = smtpd_instance(make_instance, local_recipient_maps="",
                          smtpd_recipient_restrictions="check_policy_service "
                          + postgrey)
    (code, text), _ = transaction(inst, "sender@example.com", "user@localhost")
    assert code == 450, text
    assert text.startswith("450 4.2.0 <user@localhost>: Recipient address "
                           "rejected: Greylisted"), text
    inst.wait_log(r"NOQUEUE: reject: RCPT from \S+: 450 4.2.0 <user@localhost>: "
                  r"Recipient address rejected: Greylisted")
    # Too early: still greylisted. After the delay: accepted, with the header.
    t0 = time.monotonic()
    deadline = t0 + 20
    while True:
        (code, text), qid = transaction(inst, "sender@example.com", "user@localhost")
        if code == 250:
            break
        assert code == 450, text
        assert time.monotonic() < deadline, "still greylisted after 20 s"
        time.sleep(0.5)
    qf = wait_qf(inst, qid)
    assert qf["content"].startswith(b"X-Greylist: delayed "), qf["content"][:200]
    assert b"by postgrey" in qf["content"].split(b"\n")[0]


class SpawnServer:
    """Runs a spawn(8)-style policy program per connection, as Postfix's
    spawn does: the connection is the program's stdin and stdout."""

    def __init__(self, argv, env):
        self.argv, self.env = argv, env
        self.procs = []
        self.stop = threading.Event()

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.spec = "inet:127.0.0.1:%d" % self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        return self

    def run(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            conn.settimeout(None)
            self.procs.append(subprocess.Popen(self.argv, stdin=conn.fileno(),
                                               stdout=conn.fileno(),
                                               stderr=subprocess.DEVNULL,
                                               env=self.env))
            conn.close()

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(10)
        self.sock.close()
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()


def test_policyd_spf(make_instance, tmp_path):
    if not os.access(POLICYD_SPF, os.X_OK):
        pytest.skip("policyd-spf is not installed")
    conf = tmp_path / "policyd-spf.conf"
    conf.write_text("debugLevel = 1\nTestOnly = 1\nHELO_reject = Fail\n"
                    "Mail_From_reject = Fail\nPermError_reject = False\n"
                    "TempError_Defer = False\nskip_addresses = 192.0.2.1/32\n")
    # policyd-spf resolves with dnspython's default resolver: point it at the
    # test DNS server from a sitecustomize module on its PYTHONPATH.
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import os\nimport dns.resolver\n"
        "_r = dns.resolver.Resolver(configure=False)\n"
        "_r.nameservers = ['127.0.0.1']\n"
        "_r.port = int(os.environ['POSTERN_TEST_DNS_PORT'])\n"
        "dns.resolver.default_resolver = _r\n")
    zone = {"spf-fail.test": {"TXT": ["v=spf1 -all"]},
            "spf-pass.test": {"TXT": ["v=spf1 ip4:127.0.0.0/8 -all"]}}
    with DNSServer(zone) as dns:
        env = dict(os.environ, PYTHONPATH=str(site),
                   POSTERN_TEST_DNS_PORT=str(dns.port))
        with SpawnServer([POLICYD_SPF, str(conf)], env) as spf:
            inst = smtpd_instance(make_instance, local_recipient_maps="",
                                  smtpd_recipient_restrictions=
                                  "check_policy_service " + spf.spec)
            (code, text), _ = transaction(inst, "a@spf-fail.test", "u@localhost")
            assert code == 550, text
            assert text.startswith("550 5.7.23 <u@localhost>: Recipient address "
                                   "rejected: Message rejected due to: SPF fail"), text
            (code, text), qid = transaction(inst, "a@spf-pass.test", "u@localhost")
            assert code == 250, text
            qf = wait_qf(inst, qid)
            first = qf["content"].split(b"\n")[0]
            assert first.startswith(b"Received-SPF: Pass (mailfrom) "), first
            assert ("spf-fail.test", "TXT") in dns.queries
            assert ("spf-pass.test", "TXT") in dns.queries
