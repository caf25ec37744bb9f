"""The submission services as shipped in conf/master.cf (submission on
587 with STARTTLS, submissions on 465 with smtpd_tls_wrappermode), with
$mua_*_restrictions from main.cf and the built-in SASL back end.
"""
import os
import re
import smtplib
import socket
import ssl

import pytest

from auth_lib import make_passwd
from harness import free_port
from test_smtpd_lib import no_crash
from test_tls import pki  # noqa: F401 (fixture)

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MSG = b"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: sub\r\n\r\nHi.\r\n"
USERS = {"alice": "Subm1t-pw"}


def shipped_service(name, listen):
    """The commented-out master.cf entry for name, uncommented, on listen."""
    with open(os.path.join(TOP, "conf", "master.cf")) as f:
        lines = f.read().splitlines()
    out = []
    for i, line in enumerate(lines):
        if re.match(r"#%s\s+inet\s" % name, line):
            out.append(listen + line[1 + len(name):])
            for cont in lines[i + 1:]:
                if not cont.startswith("#  -o "):
                    break
                out.append(cont[1:])
            break
    assert out, "no %s entry in conf/master.cf" % name
    return "\n".join(out) + "\n"


@pytest.fixture
def submission(make_instance, pki, tmp_path):  # noqa: F811
    table = make_passwd(str(tmp_path / "sasl"), USERS)
    logins = tmp_path / "sasl" / "logins"
    logins.write_text("alice@example.com alice\n")
    os.chmod(str(logins), 0o644)
    inst = make_instance(main_cf_extra={
        "smtpd_peername_lookup": "no",
        "mynetworks": "127.255.255.255/32",
        "smtpd_tls_cert_file": pki["cert"], "smtpd_tls_key_file": pki["key"],
        "smtpd_sasl_type": "postern", "smtpd_sasl_password_maps": "texthash:" + table,
        "smtpd_sender_login_maps": "texthash:" + str(logins),
        "mua_client_restrictions": "permit_sasl_authenticated, reject",
        "mua_helo_restrictions": "",
        "mua_sender_restrictions": "reject_sender_login_mismatch"})
    inst.port465 = free_port(inst.addr)
    master = "{addr}:{port} inet n - n - - smtpd\n"
    master += shipped_service("submission", "%s:%d" % (inst.addr, inst.port))
    master += shipped_service("submissions", "%s:%d" % (inst.addr, inst.port465))
    inst.master_cf_text = master
    inst.write_master_cf()
    # Only the submission services: the plain smtp line is replaced.
    text = open(os.path.join(inst.config_dir, "master.cf")).read()
    text = text.replace("%s:%d inet n - n - - smtpd\n" % (inst.addr, inst.port), "", 1)
    with open(os.path.join(inst.config_dir, "master.cf"), "w") as f:
        f.write(text)
    inst.start()
    return inst


def alice_sends(s):
    """alice logs in and sends MSG from her address to bob."""
    s.login("alice", USERS["alice"])
    s.mail("alice@example.com")
    assert s.rcpt("bob@example.net")[0] == 250
    assert s.data(MSG)[0] == 250


def logged_as_alice(inst, service):
    """service's smtpd logged a client authenticated as alice."""
    inst.wait_log(r"postern/%s/smtpd\[\d+\]: \w+: client=\S+, sasl_method=\w+, "
                  r"sasl_username=alice" % service)


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def test_submission_587(submission):
    inst = submission
    with inst.smtp() as s:
        s.ehlo("mua.example")
        assert not s.has_extn("auth")            # smtpd_tls_auth_only
        assert s.docmd("MAIL FROM:<alice@example.com>")[0] == 530
        s.starttls(context=ctx())
        s.ehlo("mua.example")
        assert s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        alice_sends(s)
    logged_as_alice(inst, "submission")
    # Without AUTH: mua_client_restrictions refuse.
    with inst.smtp() as s:
        s.ehlo("mua.example")
        s.starttls(context=ctx())
        s.ehlo("mua.example")
        s.mail("alice@example.com")
        code, text = s.rcpt("bob@example.net")
        assert code == 554 and b"Client host rejected: Access denied" in text, text
    # Authenticated, but not the owner of the sender (mua_sender_restrictions).
    with inst.smtp() as s:
        s.ehlo("mua.example")
        s.starttls(context=ctx())
        s.ehlo("mua.example")
        s.login("alice", USERS["alice"])
        s.mail("mallory@example.com")
        code, text = s.rcpt("bob@example.net")
        assert code == 553 and b"not owned by user alice" in text, text
    assert "unknown parameter" not in inst.log()
    no_crash(inst)


def test_submissions_465_wrapper_mode(submission):
    inst = submission
    with smtplib.SMTP_SSL(inst.addr, inst.port465, context=ctx(), timeout=10) as s:
        s.ehlo("mua.example")
        assert not s.has_extn("starttls")
        alice_sends(s)
    logged_as_alice(inst, "submissions")
    # A plaintext client on the wrapper port gets no greeting and no session.
    with socket.create_connection((inst.addr, inst.port465), timeout=5) as sock:
        sock.sendall(b"EHLO x\r\n")
        try:
            data = sock.recv(4096)
        except OSError:
            data = b""
        assert not data.startswith(b"220") and not data.startswith(b"250"), data
    no_crash(inst)
