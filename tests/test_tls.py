"""STARTTLS (RFC 3207): smtpd with openssl s_client, swaks and smtplib; the
smtp client against TLS-capable test sinks.

A throwaway CA and server certificate are made with openssl(1) in the test's
temporary directory; no key ever lives in the repository.
"""
import os
import re
import selectors
import shutil
import smtplib
import ssl
import subprocess
import time

import pytest

from harness import BIN, _make_traversable, random_loopback, relay_instance, wait_for
from sink import Sink
from test_smtpd_lib import SMTPD_ONLY, Client, no_crash, queued_id, smtpd_instance, wait_qf

MSG = b"From: a@example.com\r\nTo: root@localhost\r\nSubject: tls\r\n\r\nHello.\r\n"

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl(1)")


def _openssl(args, cwd):
    subprocess.run(["openssl"] + args, cwd=cwd, check=True, capture_output=True, timeout=60)


def make_ca(path, name):
    """A CA key and self-signed certificate under path: (crt, key)."""
    _openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
              "-nodes", "-keyout", name + ".key", "-out", name + ".crt", "-days", "2",
              "-subj", "/CN=%s" % name], path)
    return os.path.join(path, name + ".crt"), os.path.join(path, name + ".key")


def make_cert(path, ca, name, sans):
    """A server certificate for name signed by ca: (crt, key)."""
    with open(os.path.join(path, name + ".ext"), "w") as f:
        f.write("subjectAltName=%s\n" % ",".join(sans))
    _openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=%s" % name], path)
    _openssl(["x509", "-req", "-in", name + ".csr", "-CA", ca[0], "-CAkey", ca[1],
              "-CAcreateserial", "-out", name + ".crt", "-days", "2",
              "-extfile", name + ".ext"], path)
    return os.path.join(path, name + ".crt"), os.path.join(path, name + ".key")


@pytest.fixture
def pki(tmp_path):
    """CA, a second (wrong) CA and a localhost certificate, readable by mail_owner."""
    d = str(tmp_path / "tls")
    os.makedirs(d)
    ca = make_ca(d, "testca")
    other = make_ca(d, "otherca")
    sink_addr = random_loopback()
    srv = make_cert(d, ca, "localhost", ["DNS:localhost", "IP:127.0.0.1", "IP:" + sink_addr])
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    os.chmod(d, 0o755)
    _make_traversable(d)
    return {"ca": ca[0], "other_ca": other[0], "cert": srv[0], "key": srv[1],
            "sink_addr": sink_addr}


def tls_smtpd(make_instance, pki, level="may", master_cf=SMTPD_ONLY, **extra):
    conf = {"smtpd_tls_security_level": level, "smtpd_tls_cert_file": pki["cert"],
            "smtpd_tls_key_file": pki["key"], "smtpd_tls_received_header": "yes"}
    conf.update(extra)
    return smtpd_instance(make_instance, master_cf=master_cf, **conf)


def client_ctx(cafile=None):
    ctx = ssl.create_default_context(cafile=cafile)
    if cafile is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


OPENSSL_LIBS = re.compile(r"/(libssl|libcrypto)\.so")


def program_maps(inst, prog):
    """/proc/PID/maps of a running process of inst that runs prog."""
    found = []

    def look():
        for pid in inst.processes():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    argv0 = f.read().split(b"\0")[0]
                if os.path.basename(argv0) == prog.encode():
                    with open("/proc/%d/maps" % pid) as f:
                        found.append(f.read())
                        return True
            except OSError:
                pass
        return False
    wait_for(look, 10, "a %s process" % prog)
    return found[0]


def test_ehlo_advertises_starttls_only_with_cert(make_instance, pki):
    """...and only an smtpd with TLS loads the TLS module (tls.so): one
    without maps neither it nor libssl/libcrypto (test_tls_module.py)."""
    inst = tls_smtpd(make_instance, pki)
    with inst.smtp() as s:
        s.ehlo("client.example")
        assert s.has_extn("starttls")
        s.starttls(context=client_ctx())
        s.ehlo("client.example")
        assert not s.has_extn("starttls")
        maps = program_maps(inst, "smtpd")
    assert os.path.join(BIN, "tls.so") in maps and OPENSSL_LIBS.search(maps)
    plain = smtpd_instance(make_instance)
    with plain.smtp() as s:
        s.ehlo("client.example")
        assert not s.has_extn("starttls")
        assert s.docmd("STARTTLS")[0] == 502
        maps = program_maps(plain, "smtpd")
    assert "/tls.so" not in maps and not OPENSSL_LIBS.search(maps), maps


def test_smtplib_starttls_received_header(make_instance, pki):
    inst = tls_smtpd(make_instance, pki)
    with inst.smtp() as s:
        s.ehlo("client.example")
        code, text = s.starttls(context=client_ctx())
        assert code == 220 and text == b"2.0.0 Ready to start TLS"
        # RFC 3207: the state is reset, EHLO must come again.
        s.ehlo("client.example")
        s.mail("sender@example.com")
        s.rcpt("root@localhost")
        code, text = s.data(MSG)
    assert code == 250
    qid = queued_id(text.decode())
    qf = wait_qf(inst, qid)
    assert qf["attrs"]["protocol"] == "ESMTPS"
    content = qf["content"].decode()
    assert re.match(r"Received: from client\.example \(\S+ \[127\.0\.0\.1\]\)\n"
                    r"\t\(using TLSv1\.[23] with cipher \S+ \(\d+/\d+ bits\)\)\n"
                    r"\t\(No client certificate requested\)\n"
                    r"\tby localhost \(Postern\) with ESMTPS id %s\n" % qid, content), content
    inst.wait_log(r"Anonymous TLS connection established from \S+\[127\.0\.0\.1\]: "
                  r"TLSv1\.[23] with cipher \S+ \(\d+/\d+ bits\)")
    no_crash(inst)


class SClient:
    """openssl s_client -starttls smtp, driven line by line with deadlines."""

    def __init__(self, inst, cafile):
        self.p = subprocess.Popen(
            ["openssl", "s_client", "-starttls", "smtp", "-crlf", "-quiet", "-nocommands",
             "-CAfile", cafile, "-verify_return_error", "-servername", "localhost",
             "-connect", "%s:%d" % (inst.addr, inst.port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = b""
        self.sel = selectors.DefaultSelector()
        self.sel.register(self.p.stdout, selectors.EVENT_READ)
        os.set_blocking(self.p.stdout.fileno(), False)

    def expect(self, regex, timeout=15):
        deadline = time.monotonic() + timeout
        while not re.search(regex, self.out.decode(errors="replace"), re.M):
            left = deadline - time.monotonic()
            assert left > 0 and self.sel.select(left), "no %r in %r" % (regex, self.out)
            chunk = self.p.stdout.read(65536)
            assert chunk, "s_client ended: %r %r" % (self.out, self.p.stderr.read())
            self.out += chunk
        text = self.out.decode(errors="replace")
        self.out = b""
        return text

    def send(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def close(self):
        self.p.kill()
        self.p.wait(10)
        self.sel.close()


def test_openssl_s_client_full_transaction(make_instance, pki):
    inst = tls_smtpd(make_instance, pki)
    c = SClient(inst, pki["ca"])
    try:
        c.send("EHLO client.example")
        c.expect(r"^250 ")
        for cmd in ("MAIL FROM:<s@example.com>", "RCPT TO:<root@localhost>"):
            c.send(cmd)
            c.expect(r"^250 ")
        c.send("DATA")
        c.expect(r"^354 ")
        c.send("Subject: s_client\n\nbody\n.")
        qid = queued_id(c.expect(r"^250 2\.0\.0 Ok: queued as [0-9a-f]{8}"))
        c.send("QUIT")
        c.expect(r"^221 2\.0\.0 Bye")
    finally:
        c.close()
    wait_qf(inst, qid)
    inst.wait_log(r"TLS connection established from")


@pytest.mark.skipif(shutil.which("swaks") is None, reason="needs swaks")
def test_swaks_tls(make_instance, pki):
    inst = tls_smtpd(make_instance, pki)
    p = subprocess.run(["swaks", "--server", inst.addr, "--port", str(inst.port), "--tls",
                        "--from", "s@example.com", "--to", "root@localhost",
                        "--helo", "client.example"], capture_output=True, timeout=60)
    out = p.stdout.decode(errors="replace")
    assert p.returncode == 0, out + p.stderr.decode(errors="replace")
    assert "TLS started" in out, out
    qf = wait_qf(inst, queued_id(out))
    assert qf["attrs"]["protocol"] == "ESMTPS"


def test_encrypt_requires_starttls(make_instance, pki):
    inst = tls_smtpd(make_instance, pki, level="encrypt")
    with inst.smtp() as s:
        s.ehlo("client.example")
        assert s.has_extn("starttls")
        assert s.docmd("MAIL FROM:<a@example.com>") == (
            530, b"5.7.0 Must issue a STARTTLS command first")
        s.starttls(context=client_ctx())
        s.ehlo("client.example")
        assert s.docmd("MAIL FROM:<a@example.com>")[0] == 250


@pytest.mark.parametrize("forbid", ["yes", "no"])
def test_pipelined_commands_after_starttls_not_executed(make_instance, pki, forbid):
    inst = tls_smtpd(make_instance, pki, smtpd_forbid_unauth_pipelining=forbid)
    with Client(inst) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        c.send("STARTTLS\r\nMAIL FROM:<evil@example.com>\r\nRCPT TO:<root@localhost>\r\n")
        code, text = c.reply()
        assert code == 554, text
        assert c.closed()
    log = inst.log()
    # The early input may be quoted by the "improper command pipelining"
    # line (Postfix's shape); it must appear nowhere else (not executed).
    executed = "\n".join(l for l in log.splitlines() if "improper command pipelining" not in l)
    assert "evil@example.com" not in executed
    assert "TLS connection established" not in log
    no_crash(inst)


def test_second_starttls_refused(make_instance, pki):
    inst = tls_smtpd(make_instance, pki)
    with inst.smtp() as s:
        s.ehlo("client.example")
        s.starttls(context=client_ctx())
        s.ehlo("client.example")
        assert s.docmd("STARTTLS") == (554, b"5.5.1 Error: TLS already active")
        assert s.docmd("NOOP")[0] == 250


def test_handshake_failure_is_logged_not_a_crash(make_instance, pki):
    inst = tls_smtpd(make_instance, pki)
    with Client(inst) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        assert c.cmd("STARTTLS")[0] == 220
        c.send(b"\x16\x03\x01\x00\x05garbage that is not a client hello\r\n")
        assert c.closed()
    inst.wait_log(r"SSL_accept error from \S+\[127\.0\.0\.1\]")
    with inst.smtp() as s:             # the next client is served normally
        assert s.ehlo("client.example")[0] == 250
    no_crash(inst)


def test_wrappermode_smtps(make_instance, pki):
    master = ("{addr}:{port} inet n - n - - smtpd -o smtpd_tls_wrappermode=yes "
              "-o smtpd_tls_security_level=none\n")
    inst = tls_smtpd(make_instance, pki, master_cf=master, wait_banner=False)

    def connect():
        try:
            return smtplib.SMTP_SSL(inst.addr, inst.port, timeout=10,
                                    context=client_ctx())
        except (OSError, smtplib.SMTPException):
            return None
    s = wait_for(connect, what="SMTPS banner")
    with s:
        s.ehlo("client.example")
        assert not s.has_extn("starttls")
        s.mail("a@example.com")
        s.rcpt("root@localhost")
        code, text = s.data(MSG)
    assert code == 250
    assert wait_qf(inst, queued_id(text.decode()))["attrs"]["protocol"] == "ESMTPS"


# ---- the smtp client --------------------------------------------------------

need_relay = pytest.mark.skipif(
    not all(os.path.exists(os.path.join(BIN, p)) for p in ("smtp", "smtpd", "qmgr", "master")),
    reason="smtp, smtpd, qmgr or master not built")


def relay_through(make_instance, sink, sender="a@client.test", **extra):
    """A started instance relaying to sink (extra: main.cf settings; None
    leaves a parameter at its default) that has accepted one message."""
    inst = relay_instance(make_instance, sink.nexthop, **extra)
    with inst.smtp() as s:
        s.sendmail(sender, ["b@x.test"], MSG)
    return inst


def texthash_table(tmp_path, name, entries):
    """A texthash: table of entries (key: value) that mail_owner can read."""
    d = str(tmp_path / name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, name)
    with open(path, "w") as f:
        for key, value in entries.items():
            f.write("%s %s\n" % (key, value))
    os.chmod(path, 0o644)
    os.chmod(d, 0o755)
    _make_traversable(d)
    return "texthash:" + path


def tls_sink(pki, **kw):
    """A relay with STARTTLS; commands one at a time (no PIPELINING)."""
    kw.setdefault("certfile", pki["cert"])
    return Sink(host=pki["sink_addr"], keyfile=pki["key"], pipelining=False, size=None,
                dsn=False, enhancedstatuscodes=False, **kw)


@need_relay
def test_client_may_uses_starttls(make_instance, pki):
    with tls_sink(pki) as sink:
        inst = relay_through(make_instance, sink, smtp_tls_security_level="may")
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        msg = sink.wait_for(1, timeout=20)[0]
        assert msg.tls in ("TLSv1.2", "TLSv1.3")
        assert msg.helo                 # EHLO again after STARTTLS
        assert b"Subject: tls" in msg.data
        inst.wait_log(r"Untrusted TLS connection established to \S+\[%s\]:%d: "
                      r"TLSv1\.[23] with cipher \S+ \(\d+/\d+ bits\)"
                      % (re.escape(sink.addr), sink.port))
        assert not sink.errors


@need_relay
def test_client_may_falls_back_to_plaintext(make_instance, pki):
    with tls_sink(pki, break_tls=True) as sink:
        inst = relay_through(make_instance, sink, smtp_tls_security_level="may")
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        msg = sink.wait_for(1, timeout=20)[0]
        assert msg.tls is None
        assert sink.connections == 2
        inst.wait_log(r"again without TLS")


@need_relay
def test_client_verify_with_test_ca(make_instance, pki):
    with tls_sink(pki) as sink:
        inst = relay_through(make_instance, sink, smtp_tls_security_level="verify",
                             smtp_tls_CAfile=pki["ca"])
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        assert sink.wait_for(1, timeout=20)[0].tls
        inst.wait_log(r"Verified TLS connection established to")


@need_relay
@pytest.mark.parametrize("starttls,level,ca,why", [
    pytest.param(False, "encrypt", None,
                 r"TLS is required, but was not offered by host",
                 id="encrypt_without_offer"),
    pytest.param(True, "verify", "other_ca", r"Server certificate not trusted",
                 id="verify_with_wrong_ca"),
])
def test_client_tls_required_defers(make_instance, pki, starttls, level, ca, why):
    extra = {"smtp_tls_security_level": level}
    if ca:
        extra["smtp_tls_CAfile"] = pki[ca]
    with tls_sink(pki, starttls=starttls) as sink:
        inst = relay_through(make_instance, sink, **extra)
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=deferred \(.*" + why, timeout=20)
        assert sink.messages == []


@need_relay
def test_client_reused_session_stays_on_tls(make_instance, pki):
    with tls_sink(pki) as sink:
        inst = relay_through(make_instance, sink, smtp_tls_security_level="encrypt")
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        for i in range(2):
            mark = inst.log_mark()
            with inst.smtp() as s:
                s.sendmail("a@client.test", ["b@x.test"], MSG)
            inst.wait_log(r"to=<b@x\.test>.*status=sent", timeout=20, since=mark)
        msgs = sink.wait_for(3, timeout=20)
        assert sink.connections == 1
        assert all(m.tls for m in msgs), msgs
        assert len(re.findall(r"TLS connection established to", inst.log())) == 1
