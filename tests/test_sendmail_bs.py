"""sendmail -bs is smtpd(8) in stand-alone mode (smtpd -S on the same standard
input and output). Run by an ordinary user it submits through maildrop/ and
pickup, with the access controls off; run by root (smtpd becomes mail_owner)
or by mail_owner it queues directly, with the access controls of a network
client 127.0.0.1. The messages are relayed to a sink, so that the test sees
what was queued without reading queue files."""

import os
import pwd
import subprocess

import pytest

from harness import BIN, relay_instance, wait_for
from sink import Sink

pytestmark = pytest.mark.skipif(
    not all(os.path.exists(os.path.join(BIN, p))
            for p in ("sendmail", "smtpd", "pickup", "qmgr", "smtp", "master")),
    reason="sendmail, smtpd, pickup, qmgr, smtp or master not built")

DIALOGUE = (b"EHLO client\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<r1@example.com>\r\n"
            b"DATA\r\nSubject: bs\r\n\r\n..leading dot\r\n.\r\nQUIT\r\n")

# Relaying and every other restriction refuse a network client.
CLOSED = {"smtpd_client_restrictions": "reject", "smtpd_relay_restrictions": "reject",
          "smtpd_recipient_restrictions": "reject"}


def sendmail_bs_as_user(inst, dialogue):
    """sendmail -bs as an ordinary user, neither root nor mail_owner: as root
    the user nobody with the group postdrop (what a set-gid sendmail gives);
    otherwise this user, with a copy of the configuration naming another
    mail_owner."""
    argv = [os.path.join(BIN, "sendmail"), "-bs"]
    kw = {}
    if os.geteuid() == 0:
        uid = pwd.getpwnam("nobody").pw_uid
        kw = {"user": "nobody", "group": "postdrop", "extra_groups": []}
        env = {"PATH": "/usr/bin:/bin", "MAIL_CONFIG": inst.config_dir}
    else:
        uid = os.getuid()
        alt = os.path.join(inst.dir, "etc-user")
        os.makedirs(alt, exist_ok=True)
        with open(os.path.join(inst.config_dir, "main.cf")) as f:
            text = f.read()
        with open(os.path.join(alt, "main.cf"), "w") as f:
            f.write(text + "mail_owner = root\n")
        env = dict(os.environ, MAIL_CONFIG=alt)
    r = subprocess.run(argv, input=dialogue, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=60, **kw)
    return r, uid


def test_bs_ordinary_user_submits_through_maildrop(make_instance):
    with Sink() as sink:
        inst = relay_instance(make_instance, sink.nexthop, **CLOSED)
        r, uid = sendmail_bs_as_user(inst, DIALOGUE)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.split(b"\r\n")
        assert lines[0].startswith(b"220 localhost ESMTP")
        # The access controls are off; no queue id yet (pickup gives one).
        assert b"250 2.1.5 Ok" in lines
        assert b"250 2.0.0 Ok: queued" in lines
        assert lines[-2].startswith(b"221 ")
        # What this session cannot honour is not offered.
        ehlo = [line[4:].split(b" ")[0] for line in lines if line.startswith(b"250")]
        for keyword in (b"DSN", b"STARTTLS", b"AUTH", b"ETRN", b"XCLIENT", b"XFORWARD"):
            assert keyword not in ehlo
        assert b"PIPELINING" in ehlo
        [msg] = sink.wait_for(1, timeout=30)
        assert msg.sender == "s@example.org"
        assert msg.rcpts == ["r1@example.com"]
        # pickup's trace header names the user; smtpd adds none of its own.
        assert msg.data.count(b"Received:") == 1, msg.data
        assert msg.data.startswith(b"Received: by localhost (Postern, from userid %d)" % uid)
        assert b"\r\n\r\n.leading dot\r\n" in msg.data
        inst.wait_log(r": uid=%d from=<s@example\.org>" % uid)
        wait_for(lambda: inst.queue_files("maildrop", dot=True) == [], 10, "maildrop/ emptied by pickup")


def test_bs_ordinary_user_bad_input(make_instance):
    """smtpd's protocol checks and limits hold in stand-alone mode too; a
    session that ends without QUIT leaves nothing behind."""
    with Sink() as sink:
        inst = relay_instance(make_instance, sink.nexthop, smtpd_recipient_limit="1")
        dialogue = (b"EHLO client\r\nMAIL FROM:<s@example.org> SIZE=999999999\r\n"
                    b"MAIL FROM:<bad address@example.org>\r\nRCPT TO:<r@example.com>\r\n"
                    b"MAIL FROM:<s@example.org>\r\nRCPT TO:<r1@example.com>\r\n"
                    b"RCPT TO:<r2@example.com>\r\nDATA\r\nSubject: cut\r\n\r\nno end\r\n")
        r, _ = sendmail_bs_as_user(inst, dialogue)
        lines = r.stdout.split(b"\r\n")
        assert any(line.startswith(b"552 5.3.4") for line in lines), r.stdout
        assert any(line.startswith(b"501 ") for line in lines), r.stdout
        assert any(line.startswith(b"503 ") for line in lines), r.stdout
        assert any(line.startswith(b"452 4.5.3") for line in lines), r.stdout
        assert b"354 End data with <CR><LF>.<CR><LF>" in lines
        assert not any(line.startswith(b"250 2.0.0 Ok: queued") for line in lines)
        assert inst.queue_files("maildrop", dot=True) == []
        assert sink.messages == []


def test_bs_ordinary_user_bdat_and_size_limit(make_instance):
    """BDAT reaches the maildrop file like DATA; content over
    message_size_limit is refused after its end and leaves no file."""
    with Sink() as sink:
        inst = relay_instance(make_instance, sink.nexthop, message_size_limit="2000")
        body = b"Subject: chunked\r\n\r\nfirst\r\n"
        dialogue = (b"EHLO client\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<r1@example.com>\r\n"
                    b"BDAT %d\r\n%sBDAT 7 LAST\r\nsecond\n" % (len(body), body) +
                    b"MAIL FROM:<s@example.org>\r\nRCPT TO:<r2@example.com>\r\nDATA\r\n" +
                    b"x" * 3000 + b"\r\n.\r\nQUIT\r\n")
        r, _ = sendmail_bs_as_user(inst, dialogue)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.split(b"\r\n")
        assert b"250 2.0.0 Ok: queued" in lines
        assert b"552 5.3.4 Error: message file too big" in lines
        assert b"NOQUEUE: reject: size 3001 exceeds message_size_limit" in r.stderr
        [msg] = sink.wait_for(1, timeout=30)
        assert msg.rcpts == ["r1@example.com"]
        assert msg.data.endswith(b"\r\n\r\nfirst\r\nsecond\r\n")
        inst.wait_log(r"from=<s@example\.org>, size=\d+, nrcpt=1 \(queue active\)")
        wait_for(lambda: inst.queue_files("maildrop", dot=True) == [], 10, "maildrop/ emptied by pickup")


def test_bs_privileged_caller_queues_with_access_controls(make_instance):
    """root and mail_owner: smtpd queues itself, as for a network client, and
    the restrictions apply."""
    with Sink() as sink:
        inst = relay_instance(make_instance, sink.nexthop, smtpd_relay_restrictions="reject")
        r = inst.sendmail(["-bs"], input=DIALOGUE)
        lines = r.stdout.split(b"\r\n")
        assert any(line.startswith(b"554 5.7.1 <r1@example.com>") for line in lines), r.stdout
        assert b"503 5.5.1 Error: need RCPT command" in lines
        inst.write_main_cf({"smtpd_relay_restrictions": "permit_mynetworks, reject"})
        r = inst.sendmail(["-bs"], input=DIALOGUE)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.split(b"\r\n")
        assert any(line.startswith(b"250 2.0.0 Ok: queued as ") for line in lines), r.stdout
        [msg] = sink.wait_for(1, timeout=30)
        assert msg.data.startswith(b"Received: from client (localhost [127.0.0.1])")
        assert b"\r\n.leading dot\r\n" in msg.data
        assert inst.queue_files("maildrop", dot=True) == []


def test_bs_without_smtpd(make_instance):
    inst = make_instance(main_cf_extra={"daemon_directory": "/nonexistent"})
    r = inst.sendmail(["-bs"], input=DIALOGUE)
    assert r.returncode == 69, r.stderr
    assert b"/nonexistent/smtpd" in r.stderr and b"sendmail -bs is not available" in r.stderr


def test_bs_log_to_stdout_stays_off_the_session(make_instance):
    """maillog_file = /dev/stdout: in stand-alone mode standard output is
    the client, so the log lines go to standard error only."""
    inst = make_instance(master_cf="pickup unix n - n 60 1 pickup\n")
    inst.start()
    inst.write_main_cf({"maillog_file": "/dev/stdout"})
    r = inst.sendmail(["-bs"], input=DIALOGUE)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split(b"\r\n")
    assert lines[-1] == b"" and all(line[:3].isdigit() for line in lines[:-1]), r.stdout
    assert b"connect from localhost[127.0.0.1]" in r.stderr
