"""SMTP AUTH through Cyrus SASL (smtpd_sasl_type = cyrus): a sasldb made
with saslpasswd2 in the test's directory (auxprop), and a private saslauthd
(rimap driver, against a small IMAP LOGIN responder on loopback) on a
private socket directory, plus a saslauthd that is down or answers garbage.
"""
import os
import shutil
import socket
import subprocess
import threading

import pytest

from auth_lib import UnixPeer, b64, plain_resp
from harness import _make_traversable, daemon_dir, free_port, random_loopback, stop_process, wait_for
from test_smtpd_lib import Client, no_crash, smtpd_instance

pytestmark = pytest.mark.skipif(shutil.which("saslpasswd2") is None,
                                reason="needs sasl2-bin")

MSG = b"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: cyrus\r\n\r\nHi.\r\n"


def sasl_dir(tmp_path, conf):
    d = str(tmp_path / "sasl")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "smtpd.conf"), "w") as f:
        f.write(conf)
    os.chmod(d, 0o755)
    _make_traversable(d)
    return d


def cyrus_smtpd(make_instance, d, **extra):
    conf = {"smtpd_sasl_auth_enable": "yes", "smtpd_sasl_type": "cyrus",
            "smtpd_sasl_path": "smtpd", "cyrus_sasl_config_path": d,
            "smtpd_sasl_local_domain": "example.com", "mynetworks": "127.255.255.255/32"}
    conf.update(extra)
    return smtpd_instance(make_instance, **conf)


@pytest.fixture
def sasldb(tmp_path):
    d = sasl_dir(tmp_path, "")
    db = os.path.join(d, "sasldb2")
    for user, pw in (("alice", "Al1ce-pw"), ("bob", "b0b-pw")):
        subprocess.run(["saslpasswd2", "-p", "-f", db, "-c", "-u", "example.com",
                        "-a", "smtpd", user], input=pw.encode(), check=True, timeout=30)
    os.chmod(db, 0o644)
    with open(os.path.join(d, "smtpd.conf"), "w") as f:
        f.write("pwcheck_method: auxprop\nauxprop_plugin: sasldb\n"
                "sasldb_path: %s\nmech_list: PLAIN LOGIN CRAM-MD5 DIGEST-MD5 "
                "SCRAM-SHA-256\n" % db)
    return d


def test_sasldb_plain_login_crammd5(make_instance, sasldb):
    inst = cyrus_smtpd(make_instance, sasldb)
    with inst.smtp() as s:
        s.ehlo("client.example")
        mechs = s.esmtp_features["auth"].split()
        assert {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"} <= set(mechs), mechs
        s.login("alice", "Al1ce-pw", initial_response_ok=True)
        s.mail("alice@example.com")
        assert s.rcpt("bob@example.net")[0] == 250
        assert s.data(MSG)[0] == 250
    inst.wait_log(r"client=\S+, sasl_method=(PLAIN|CRAM-MD5|SCRAM-SHA-256|DIGEST-MD5), "
                  r"sasl_username=alice")
    for mech in ("CRAM-MD5", "LOGIN", "PLAIN"):
        with inst.smtp() as s:
            s.ehlo("client.example")
            s.user, s.password = "bob", "b0b-pw"
            code, text = s.auth(mech, getattr(s, "auth_" + mech.lower().replace("-", "_")))
            assert code == 235, (mech, code, text)
    no_crash(inst)


def test_sasldb_failures(make_instance, sasldb):
    inst = cyrus_smtpd(make_instance, sasldb)
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("AUTH PLAIN " + plain_resp("alice", "nope")) == \
            (535, "535 5.7.8 Error: authentication failed: authentication failure")
        assert c.cmd("AUTH PLAIN " + plain_resp("mallory", "nope")) == \
            (535, "535 5.7.8 Error: authentication failed: authentication failure")
        assert c.cmd("AUTH X-UNKNOWN") == \
            (535, "535 5.7.8 Error: authentication failed: Invalid authentication mechanism")
        assert c.cmd("AUTH PLAIN %%%%")[1] == \
            "535 5.7.8 Error: authentication failed: Invalid base64 data in initial response"
        assert c.cmd("AUTH CRAM-MD5")[0] == 334
        assert c.cmd("*") == (501, "501 5.7.0 Authentication aborted")
        assert c.cmd("AUTH PLAIN " + plain_resp("alice", "Al1ce-pw"))[0] == 235
    inst.wait_log(r"warning: \S+: SASL PLAIN authentication failed: authentication failure")
    assert "nope" not in inst.log()
    no_crash(inst)


class FakeIMAP:
    """An IMAP LOGIN responder for saslauthd's rimap driver: one user."""

    def __init__(self, user, password):
        self.addr = random_loopback()
        self.port = free_port(self.addr)
        self.creds = (user, password)
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind((self.addr, self.port))
        self.srv.listen(8)
        self.srv.settimeout(0.2)
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(10)
                try:
                    self.serve(conn)
                except OSError:
                    pass

    def serve(self, conn):
        conn.sendall(b"* OK IMAP4rev1 ready\r\n")
        data = b""
        while b"\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return
            data += chunk
        words = data.split(b"\r\n")[0].decode().split(" ")
        tag = words[0]
        args = [w.strip('"') for w in words[2:4]]
        if len(words) >= 4 and words[1].upper() == "LOGIN" and tuple(args) == self.creds:
            conn.sendall(("%s OK LOGIN completed\r\n" % tag).encode())
        else:
            conn.sendall(("%s NO LOGIN failed\r\n" % tag).encode())
        try:
            conn.recv(4096)
        except OSError:
            pass

    def close(self):
        self.stop = True
        self.thread.join(5)
        self.srv.close()


@pytest.fixture
def saslauthd(tmp_path):
    if shutil.which("saslauthd") is None:
        pytest.skip("needs saslauthd")
    imap = FakeIMAP("carol", "C4rol-pw")
    run = daemon_dir(str(tmp_path / "saslauthd"))
    proc = subprocess.Popen(["saslauthd", "-d", "-n", "0", "-m", run, "-a", "rimap",
                             "-O", "%s/%d" % (imap.addr, imap.port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            # saslauthd signals its whole process group on exit.
                            start_new_session=True)
    mux = os.path.join(run, "mux")
    try:
        wait_for(lambda: os.path.exists(mux), 10, "saslauthd socket")
        os.chmod(mux, 0o777)
        yield mux
    finally:
        stop_process(proc)
        imap.close()


def test_saslauthd(make_instance, tmp_path, saslauthd):
    d = sasl_dir(tmp_path, "pwcheck_method: saslauthd\nsaslauthd_path: %s\n"
                 "mech_list: PLAIN LOGIN\n" % saslauthd)
    inst = cyrus_smtpd(make_instance, d, smtpd_sasl_local_domain="")
    with Client(inst) as c:
        text = c.cmd("EHLO client.example")[1]
        assert "250-AUTH PLAIN LOGIN" in text or "250-AUTH LOGIN PLAIN" in text, text
        assert c.cmd("AUTH PLAIN " + plain_resp("carol", "wrong-pw"))[0] == 535
        assert c.cmd("AUTH LOGIN")[0] == 334
        assert c.cmd(b64("carol"))[0] == 334
        assert c.cmd(b64("C4rol-pw")) == (235, "235 2.7.0 Authentication successful")
        c.cmd("MAIL FROM:<carol@example.com>")
        assert c.cmd("RCPT TO:<bob@example.net>")[0] == 250
    inst.wait_log(r"sasl_method=LOGIN, sasl_username=carol")
    no_crash(inst)


def test_saslauthd_down_or_garbage(make_instance, tmp_path):
    run = daemon_dir(str(tmp_path / "fake"))
    mux = os.path.join(run, "mux")
    d = sasl_dir(tmp_path, "pwcheck_method: saslauthd\nsaslauthd_path: %s\n"
                 "mech_list: PLAIN LOGIN\n" % mux)
    inst = cyrus_smtpd(make_instance, d, smtpd_sasl_local_domain="")
    # Down: nothing listens on the socket path.
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        code, text = c.cmd("AUTH PLAIN " + plain_resp("carol", "C4rol-pw"))
        assert (code, text) == (454, "454 4.7.0 Temporary authentication failure: "
                                "generic failure")
        assert c.cmd("NOOP")[0] == 250
    # Garbage: a socket that answers nonsense.

    def garbage(conn):
        conn.recv(4096)
        conn.sendall(b"\xff\xffGARBAGE" * 10)
    with UnixPeer(mux, garbage), Client(inst) as c:
        c.cmd("EHLO client.example")
        code, text = c.cmd("AUTH PLAIN " + plain_resp("carol", "C4rol-pw"))
        assert (code, text) == (454, "454 4.7.0 Temporary authentication failure: "
                                "generic failure")
        assert c.cmd("NOOP")[0] == 250
    no_crash(inst)
