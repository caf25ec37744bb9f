"""SMTP AUTH (RFC 4954) in smtpd with the built-in "postern" back end
(smtpd_sasl_type = postern, smtpd_sasl_password_maps of smtpctl encrypt
hashes): the protocol, Postfix's replies and log lines, restrictions that
use the login, and hostile input. Clients: raw sockets, smtplib and swaks.
"""
import os
import re
import shutil
import smtplib
import subprocess

import pytest

from auth_lib import auth_smtpd, b64, make_passwd, plain_resp
from test_smtpd_lib import Client, no_crash, queued_id, wait_qf

MSG = b"From: alice@example.com\r\nTo: bob@example.net\r\nSubject: auth\r\n\r\nHi.\r\n"
USERS = {"alice": "s3cret-Pw", "bob@example.com": "b0b"}


@pytest.fixture
def table(tmp_path):
    return make_passwd(str(tmp_path / "sasl"), USERS)


def test_ehlo_offers_auth_and_plain_succeeds(make_instance, table):
    inst = auth_smtpd(make_instance, table, mynetworks="127.255.255.255/32",
                      smtpd_sasl_authenticated_header="yes")
    with inst.smtp() as s:
        s.ehlo("client.example")
        assert s.has_extn("auth")
        assert s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        # Unauthenticated: relaying is refused (defer_unauth_destination).
        s.mail("alice@example.com")
        assert s.rcpt("bob@example.net")[0] == 454
        s.rset()
        s.login("alice", USERS["alice"])
        s.mail("alice@example.com")
        assert s.rcpt("bob@example.net")[0] == 250
        code, text = s.data(MSG)
    assert code == 250
    qid = queued_id(text.decode())
    qf = wait_qf(inst, qid)
    assert qf["attrs"]["protocol"] == "ESMTPA"
    assert "\t(Authenticated sender: alice)\n" in qf["content"].decode()
    inst.wait_log(r"%s: client=\S+\[[0-9.]+\], sasl_method=PLAIN, sasl_username=alice$" % qid)
    assert USERS["alice"] not in inst.log()
    assert b64("\0alice\0" + USERS["alice"]) not in inst.log()
    no_crash(inst)


def test_login_mechanism_and_wrong_password(make_instance, table):
    inst = auth_smtpd(make_instance, table)
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("AUTH LOGIN") == (334, "334 VXNlcm5hbWU6")
        assert c.cmd(b64("alice")) == (334, "334 UGFzc3dvcmQ6")
        code, text = c.cmd(b64("Wr0ng-Guess-9x"))
        assert (code, text) == (535, "535 5.7.8 Error: authentication failed: "
                                "authentication failure")
        # LOGIN with an initial response (the user name).
        assert c.cmd("AUTH LOGIN " + b64("alice")) == (334, "334 UGFzc3dvcmQ6")
        assert c.cmd(b64(USERS["alice"]))[0] == 235
    inst.wait_log(r"warning: \S+\[[0-9.]+\]: SASL LOGIN authentication failed: "
                  r"authentication failure, sasl_username=alice$")
    assert "Wr0ng-Guess-9x" not in inst.log()
    no_crash(inst)


def test_plain_without_initial_response_and_cancel(make_instance, table):
    inst = auth_smtpd(make_instance, table)
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("AUTH PLAIN") == (334, "334 ")
        assert c.cmd("*") == (501, "501 5.7.0 Authentication aborted")
        assert c.cmd("AUTH PLAIN") == (334, "334 ")
        assert c.cmd(plain_resp("bob@example.com", "b0b")) == \
            (235, "235 2.7.0 Authentication successful")
        assert c.cmd("AUTH PLAIN " + plain_resp("alice", USERS["alice"])) == \
            (503, "503 5.5.1 Error: already authenticated")
    inst.wait_log(r"warning: \S+: SASL PLAIN authentication aborted")
    no_crash(inst)


def test_state_errors(make_instance, table):
    inst = auth_smtpd(make_instance, table)
    with Client(inst) as c:
        assert c.cmd("AUTH PLAIN " + plain_resp("alice", USERS["alice"])) == \
            (503, "503 5.5.1 Error: send HELO/EHLO first")
        c.cmd("EHLO client.example")
        assert c.cmd("AUTH") == (501, "501 5.5.4 Syntax: AUTH mechanism")
        assert c.cmd("AUTH PLAIN a b") == (501, "501 5.5.4 Syntax: AUTH mechanism")
        assert c.cmd("MAIL FROM:<alice@example.com>")[0] == 250
        assert c.cmd("AUTH PLAIN " + plain_resp("alice", USERS["alice"])) == \
            (503, "503 5.5.1 Error: MAIL transaction in progress")
        c.cmd("RSET")
        assert c.cmd("AUTH CRAM-MD5") == (535, "535 5.7.8 Error: authentication failed: "
                                          "Invalid authentication mechanism")
        assert c.cmd("AUTH PLAIN " + plain_resp("alice", USERS["alice"], "bob"))[0] == 535
        assert c.cmd("AUTH PLAIN " + plain_resp("nobody", "x"))[0] == 535
        assert c.cmd("AUTH PLAIN =")[0] == 535
    no_crash(inst)


def test_auth_disabled_and_tls_only(make_instance, table):
    off = auth_smtpd(make_instance, table, smtpd_sasl_auth_enable="no")
    with Client(off) as c:
        assert "AUTH" not in c.cmd("EHLO client.example")[1]
        assert c.cmd("AUTH PLAIN =") == (503, "503 5.5.1 Error: authentication not enabled")
    only = auth_smtpd(make_instance, table, smtpd_tls_auth_only="yes")
    with Client(only) as c:
        assert "AUTH" not in c.cmd("EHLO client.example")[1]
        assert c.cmd("AUTH PLAIN " + plain_resp("alice", USERS["alice"])) == \
            (504, "504 5.5.4 Encryption required for requested authentication mechanism")
    noplain = auth_smtpd(make_instance, table, smtpd_sasl_security_options="noanonymous, noplaintext")
    with Client(noplain) as c:
        assert "AUTH" not in c.cmd("EHLO client.example")[1]
    noplain.wait_log(r"warning: .*SASL: no mechanisms to offer")
    no_crash(off)
    no_crash(only)


def test_broken_clients_and_exceptions(make_instance, table):
    inst = auth_smtpd(make_instance, table, broken_sasl_auth_clients="yes")
    with Client(inst) as c:
        text = c.cmd("EHLO client.example")[1]
        assert "250-AUTH PLAIN LOGIN\n250-AUTH=PLAIN LOGIN\n" in text
    hidden = auth_smtpd(make_instance, table, smtpd_sasl_exceptions_networks="127.0.0.0/8")
    with Client(hidden) as c:
        assert "AUTH" not in c.cmd("EHLO client.example")[1]
        # Hidden, not disabled (as Postfix).
        assert c.cmd("AUTH PLAIN " + plain_resp("alice", USERS["alice"]))[0] == 235


def test_bad_input(make_instance, table):
    inst = auth_smtpd(make_instance, table, smtpd_sasl_response_limit="12288")
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        # A 100 KB response.
        assert c.cmd("AUTH PLAIN")[0] == 334
        assert c.cmd("A" * 100000) == (500, "500 5.5.6 SASL response limit exceeded")
        # Bad base64, in the initial and in a continued response.
        assert c.cmd("AUTH PLAIN !!!!") == (535, "535 5.7.8 Error: authentication failed: "
                                            "Invalid base64 data in initial response")
        assert c.cmd("AUTH LOGIN")[0] == 334
        assert c.cmd("abc") == (535, "535 5.7.8 Error: authentication failed: "
                                "Invalid base64 data in continued response")
        # NUL bytes: in a continued response, inside decoded LOGIN data, in the command.
        assert c.cmd("AUTH LOGIN")[0] == 334
        assert c.cmd(b64("alice") + "\0" + "AAAA")[0] == 535
        assert c.cmd("AUTH LOGIN " + b64("al\0ice"))[0] == 535
        c.send(b"AUTH PLAIN \0\r\n")
        assert c.reply()[0] == 500
        # PLAIN with an extra NUL (three fields of the password).
        assert c.cmd("AUTH PLAIN " + b64("\0alice\0s3cret\0-Pw"))[0] == 535
        # The session is still sane.
        assert c.cmd("AUTH PLAIN " + plain_resp("alice", USERS["alice"]))[0] == 235
        assert c.cmd("NOOP")[0] == 250
    no_crash(inst)


def test_repeated_failures_end_session(make_instance, table):
    inst = auth_smtpd(make_instance, table, smtpd_hard_error_limit="3",
                      smtpd_soft_error_limit="10")
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        for _ in range(3):
            assert c.cmd("AUTH PLAIN " + plain_resp("alice", "guess"))[0] == 535
        code, text = c.cmd("NOOP")
        assert code == 421 and "too many errors" in text
        assert c.closed()
    inst.wait_log(r"too many errors after AUTH from")
    no_crash(inst)


def test_sender_login_maps(make_instance, table, tmp_path):
    maps = tmp_path / "sasl" / "login_maps"
    maps.write_text("alice@example.com alice\nshared@example.com alice, bob@example.com\n")
    os.chmod(str(maps), 0o644)
    inst = auth_smtpd(make_instance, table, mynetworks="127.255.255.255/32",
                      smtpd_sender_login_maps="texthash:" + str(maps),
                      smtpd_sender_restrictions="reject_sender_login_mismatch",
                      smtpd_relay_restrictions="permit_sasl_authenticated, reject")

    def try_send(user, sender):
        with Client(inst) as c:
            c.cmd("EHLO client.example")
            if user:
                assert c.cmd("AUTH PLAIN " + plain_resp(user, USERS[user]))[0] == 235
            c.cmd("MAIL FROM:<%s>" % sender)
            return c.cmd("RCPT TO:<bob@example.net>")

    assert try_send("alice", "alice@example.com")[0] == 250
    assert try_send("bob@example.com", "shared@example.com")[0] == 250
    assert try_send("bob@example.com", "alice@example.com") == \
        (553, "553 5.7.1 <alice@example.com>: Sender address rejected: "
         "not owned by user bob@example.com")
    assert try_send("alice", "other@example.com")[1].endswith("not owned by user alice")
    assert try_send(None, "alice@example.com") == \
        (553, "553 5.7.1 <alice@example.com>: Sender address rejected: not logged in")
    # The variants.
    for variant, user, sender, code in [
            ("reject_known_sender_login_mismatch", "alice", "other@example.com", 250),
            ("reject_known_sender_login_mismatch", "bob@example.com", "alice@example.com", 553),
            ("reject_authenticated_sender_login_mismatch", None, "alice@example.com", 554),
            ("reject_authenticated_sender_login_mismatch", "alice", "other@example.com", 553),
            ("reject_unauthenticated_sender_login_mismatch", "alice", "other@example.com", 250),
            ("reject_unauthenticated_sender_login_mismatch", None, "alice@example.com", 553)]:
        inst.write_main_cf({"smtpd_sender_restrictions": variant})
        inst.reload()
        got = None
        for _ in range(50):       # until a new smtpd has read the new main.cf
            got = try_send(user, sender)[0]
            if got == code:
                break
        assert got == code, (variant, user, sender)
    no_crash(inst)


def test_swaks_auth(make_instance, table):
    if shutil.which("swaks") is None:
        pytest.skip("needs swaks")
    inst = auth_smtpd(make_instance, table, mynetworks="127.255.255.255/32")
    for mech in ("PLAIN", "LOGIN"):
        out = subprocess.run(["swaks", "--server", "%s:%d" % (inst.addr, inst.port),
                              "--from", "alice@example.com", "--to", "bob@example.net",
                              "--auth", mech, "--auth-user", "alice",
                              "--auth-password", USERS["alice"], "--helo", "client.example"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        assert "235 2.7.0 Authentication successful" in out.stdout
        assert re.search(r"250 2\.0\.0 Ok: queued as", out.stdout), out.stdout
        inst.wait_log(r"client=\S+, sasl_method=%s, sasl_username=alice" % mech)
    out = subprocess.run(["swaks", "--server", "%s:%d" % (inst.addr, inst.port),
                          "--from", "alice@example.com", "--to", "bob@example.net",
                          "--auth", "PLAIN", "--auth-user", "alice", "--auth-password", "bad",
                          "--helo", "client.example"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "535 5.7.8" in out.stdout


def test_smtplib_auth_failure_raises(make_instance, table):
    inst = auth_smtpd(make_instance, table)
    with inst.smtp() as s:
        s.ehlo("client.example")
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login("alice", "nope")
        assert e.value.smtp_code == 535


def test_fail2ban_postfix_filter_matches(make_instance, table):
    if shutil.which("fail2ban-regex") is None or \
            not os.path.exists("/etc/fail2ban/filter.d/postfix.conf"):
        pytest.skip("needs fail2ban")
    inst = auth_smtpd(make_instance, table)
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        for _ in range(3):
            assert c.cmd("AUTH PLAIN " + plain_resp("alice", "guess"))[0] == 535
        assert c.cmd("AUTH LOGIN")[0] == 334
        c.cmd(b64("mallory"))
        assert c.cmd(b64("guess"))[0] == 535
    inst.wait_log(r"SASL LOGIN authentication failed", timeout=10)
    out = subprocess.run(
        ["fail2ban-regex", "--print-all-matched", inst.log_file,
         r'postfix[mode=auth, _daemon="postern(-\w+)?/\w+(?:/smtp[ds])?"]'],
        capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    m = re.search(r"Failregex: (\d+) total", out.stdout)
    assert m and int(m.group(1)) == 4, out.stdout
    assert "127.0.0.1" in out.stdout or inst.addr in out.stdout


def test_verbose_log_keeps_credentials_out(make_instance, table):
    inst = auth_smtpd(make_instance, table,
                      master_cf="{addr}:{port} inet n - n - - smtpd -v\n")
    secret = USERS["alice"]
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("AUTH PLAIN " + plain_resp("alice", secret + "x"))[0] == 535
        assert c.cmd("AUTH LOGIN")[0] == 334
        assert c.cmd(b64("alice"))[0] == 334
        assert c.cmd(b64(secret))[0] == 235
    inst.wait_log(r"< \S+: AUTH PLAIN \(initial response not logged\)")
    inst.wait_log(r"< \S+: \(SASL response, not logged\)")
    log = inst.log()
    for bad in (secret, b64(secret), plain_resp("alice", secret + "x")):
        assert bad not in log
