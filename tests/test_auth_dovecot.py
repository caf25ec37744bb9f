"""SMTP AUTH through Dovecot (smtpd_sasl_type = dovecot): a real, private
Dovecot (Debian's dovecot-core) started by the test with its own config and
a passwd-file, its auth service listening on a UNIX socket and on a
loopback inet port; plus a Dovecot that is down or a socket that answers
garbage.
"""
import os
import pwd
import grp
import shutil
import socket
import subprocess

import pytest

from auth_lib import UnixPeer, b64, plain_resp
from harness import _make_traversable, daemon_dir, free_port, random_loopback, stop_process, wait_for
from test_smtpd_lib import Client, no_crash, smtpd_instance

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
pytestmark = pytest.mark.skipif(not os.path.exists(DOVECOT), reason="needs dovecot-core")

USERS = {"dave": "D4ve-pw", "erin@example.com": "Er1n-pw"}


def _users():
    if os.geteuid() == 0:
        return "dovecot", "dovenull", 0
    me = pwd.getpwuid(os.getuid()).pw_name
    return me, me, os.getuid()


@pytest.fixture
def dovecot(tmp_path):
    d = str(tmp_path / "dovecot")
    for sub in ("run", "state", "home"):
        os.makedirs(os.path.join(d, sub))
    os.chmod(d, 0o755)
    _make_traversable(d)
    with open(os.path.join(d, "users"), "w") as f:
        for user, pw in USERS.items():
            f.write("%s:{PLAIN}%s::::::\n" % (user, pw))
    os.chmod(os.path.join(d, "users"), 0o644)
    internal, login, _ = _users()
    addr = random_loopback()
    port = free_port(addr)
    sock = os.path.join(d, "auth")
    conf = os.path.join(d, "dovecot.conf")
    me = pwd.getpwuid(os.getuid())
    with open(conf, "w") as f:
        f.write("""\
base_dir = {d}/run
state_dir = {d}/state
instance_name = postern-test-{port}
log_path = {d}/dovecot.log
protocols =
listen = {addr}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login cram-md5
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {igroup}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = {d}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home
}}
service auth {{
  unix_listener {sock} {{
    mode = 0666
  }}
  inet_listener {{
    address = {addr}
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
""".format(d=d, addr=addr, port=port, sock=sock, internal=internal, login=login,
           igroup=grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name,
           uid=me.pw_uid, gid=me.pw_gid))
    proc = subprocess.Popen([DOVECOT, "-F", "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        def up():
            if proc.poll() is not None:
                raise RuntimeError("dovecot exited: %s; log: %s" % (
                    proc.stderr.read().decode(errors="replace"),
                    open(os.path.join(d, "dovecot.log")).read()
                    if os.path.exists(os.path.join(d, "dovecot.log")) else ""))
            if not os.path.exists(sock):
                return False
            try:
                socket.create_connection((addr, port), timeout=1).close()
                return True
            except OSError:
                return False
        wait_for(up, 20, "dovecot auth listeners")
        yield {"unix": sock, "inet": "inet:%s:%d" % (addr, port), "dir": d}
    finally:
        stop_process(proc, 15)


def dovecot_smtpd(make_instance, path, **extra):
    conf = {"smtpd_sasl_auth_enable": "yes", "smtpd_sasl_type": "dovecot",
            "smtpd_sasl_path": path, "mynetworks": "127.255.255.255/32"}
    conf.update(extra)
    return smtpd_instance(make_instance, **conf)


@pytest.mark.parametrize("kind", ["unix", "inet"])
def test_dovecot_auth(make_instance, dovecot, kind):
    inst = dovecot_smtpd(make_instance, dovecot[kind])
    with inst.smtp() as s:
        s.ehlo("client.example")
        assert s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN", "CRAM-MD5"]
        s.login("dave", USERS["dave"])
        s.mail("dave@example.com")
        assert s.rcpt("bob@example.net")[0] == 250
    inst.wait_log(r"client=\S+, sasl_method=CRAM-MD5, sasl_username=dave$")  # smtplib prefers it
    with inst.smtp() as s:
        s.ehlo("client.example")
        s.user, s.password = "erin@example.com", USERS["erin@example.com"]
        assert s.auth("CRAM-MD5", s.auth_cram_md5)[0] == 235
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("AUTH DIGEST-MD5") == \
            (535, "535 5.7.8 Error: authentication failed: Invalid authentication mechanism")
        assert c.cmd("AUTH PLAIN ***") == \
            (535, "535 5.7.8 Error: authentication failed: Invalid base64 data in initial response")
        assert c.cmd("AUTH LOGIN")[0] == 334
        assert c.cmd("*") == (501, "501 5.7.0 Authentication aborted")
        assert c.cmd("AUTH LOGIN")[0] == 334
        assert c.cmd("#bad#")[1] == \
            "535 5.7.8 Error: authentication failed: Invalid base64 data in continued response"
        assert c.cmd("AUTH PLAIN " + plain_resp("dave", USERS["dave"])) == \
            (235, "235 2.7.0 Authentication successful")
    # Last: Dovecot delays later requests from an address that failed.
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("AUTH LOGIN") == (334, "334 VXNlcm5hbWU6")
        assert c.cmd(b64("dave"))[0] == 334
        code, text = c.cmd(b64("not-the-pw"))
        assert code == 535 and text.startswith("535 5.7.8 Error: authentication failed: "), text
    inst.wait_log(r"warning: \S+: SASL LOGIN authentication failed: .*sasl_username=dave")
    assert "not-the-pw" not in inst.log()
    no_crash(inst)


def test_dovecot_security_options_filter(make_instance, dovecot):
    inst = dovecot_smtpd(make_instance, dovecot["unix"],
                         smtpd_sasl_security_options="noanonymous, noplaintext")
    with Client(inst) as c:
        assert "250-AUTH CRAM-MD5\n" in c.cmd("EHLO client.example")[1]
        assert c.cmd("AUTH PLAIN " + plain_resp("dave", USERS["dave"]))[1].endswith(
            "Invalid authentication mechanism")


def test_dovecot_down_and_garbage(make_instance, tmp_path):
    d = daemon_dir(str(tmp_path / "fake"))
    path = os.path.join(d, "auth")
    inst = dovecot_smtpd(make_instance, path)
    with Client(inst) as c:
        assert "AUTH" not in c.cmd("EHLO client.example")[1]
        assert c.cmd("AUTH PLAIN " + plain_resp("dave", USERS["dave"])) == \
            (454, "454 4.7.0 Temporary authentication failure: "
             "Connection lost to authentication server")
        assert c.cmd("NOOP")[0] == 250
    inst.wait_log(r"warning: SASL: Connect to %s failed" % path)

    def garbage(conn):
        conn.sendall(b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nDONE\n")
        conn.recv(4096)
        conn.recv(4096)
        conn.sendall(b"\x00\xffGARBAGE\tline\n" * 3)
    with UnixPeer(path, garbage), Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("AUTH PLAIN " + plain_resp("dave", USERS["dave"])) == \
            (454, "454 4.7.0 Temporary authentication failure: "
             "Connection lost to authentication server")
        assert c.cmd("NOOP")[0] == 250
    no_crash(inst)


def test_dovecot_ok_without_user_is_no_login(make_instance, tmp_path):
    """An auth server's OK must name the user: "OK\t1\tuser=" (empty) or no
    user= at all is a backend error (535), never a login that
    permit_sasl_authenticated would let relay."""
    d = daemon_dir(str(tmp_path / "fake"))
    path = os.path.join(d, "auth")
    inst = dovecot_smtpd(make_instance, path)

    def ok_for_nobody(conn):
        conn.sendall(b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nDONE\n")
        f = conn.makefile("rb")
        n = 0
        for line in f:
            if line.startswith(b"AUTH\t"):
                rid = line.split(b"\t")[1]
                conn.sendall(b"OK\t" + rid + (b"\tuser=\n" if n == 0 else b"\n"))
                n += 1
    with UnixPeer(path, ok_for_nobody), Client(inst) as c:
        c.cmd("EHLO client.example")
        for _ in range(2):
            assert c.cmd("AUTH PLAIN " + plain_resp("dave", USERS["dave"])) == \
                (535, "535 5.7.8 Error: authentication failed: Authentication backend error")
        assert c.cmd("MAIL FROM:<dave@example.com>")[0] == 250
        code, text = c.cmd("RCPT TO:<bob@example.net>")
        assert code in (454, 554) and "Relay access denied" in text, text
    inst.wait_log(r"warning: SASL: %s: missing Dovecot server OK username field" % path)
    no_crash(inst)


def test_dovecot_mechanism_list_bounded(make_instance, tmp_path):
    """MECH names longer than RFC 4422's 20 characters, repeated ones and
    those beyond 20 are not offered: the EHLO AUTH line stays within a
    reply line's 512 octets."""
    d = daemon_dir(str(tmp_path / "fake"))
    path = os.path.join(d, "auth")
    inst = dovecot_smtpd(make_instance, path)
    mechs = [b"PLAIN", b"plain", b"X" * 21] + [b"M%d" % i for i in range(40)]

    def many(conn):
        conn.sendall(b"VERSION\t1\t2\n" + b"".join(b"MECH\t%s\n" % m for m in mechs)
                     + b"DONE\n")
        conn.recv(4096)
        conn.recv(4096)
    with UnixPeer(path, many), Client(inst) as c:
        text = c.cmd("EHLO client.example")[1]
    auth = [line for line in text.split("\n") if line.startswith("250-AUTH ")]
    assert auth == ["250-AUTH " + " ".join(["PLAIN"] + ["M%d" % i for i in range(19)])]
    inst.wait_log(r"warning: SASL: %s: more than 20 mechanisms: 21 ignored" % path)
    no_crash(inst)
