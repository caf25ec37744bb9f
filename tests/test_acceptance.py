"""Acceptance review from the outside (issues 2, 3, 4 and 6): behaviour a
Postfix administrator or a real client relies on, found missing or wrong
by the review and pinned down here.

Every test drives a real instance (harness.py) with smtplib and reads what
the administrator reads: the log, the mailbox, the DSN a sink receives.
"""
import email
import email.policy
import os
import re
import socket
import threading

from harness import SLOW_RETRY, free_port, random_loopback, wait_for
from sink import Sink


def send(inst, sender, rcpts, body=b"Subject: t\r\n\r\nhello\r\n"):
    with inst.smtp() as s:
        s.sendmail(sender, rcpts, body)


def test_postmaster_without_alias_is_discarded_not_bounced(make_instance):
    """local(8) as Postfix's: postmaster and MAILER-DAEMON without an alias
    are discarded with a warning, never bounced (a bounce to or about the
    postmaster address must not happen)."""
    inst = make_instance(main_cf_extra={"local_recipient_maps": ""})
    inst.start()
    send(inst, "someone@localhost", ["postmaster@localhost", "MAILER-DAEMON@localhost"])
    inst.wait_log(r"warning: required alias not found: postmaster", timeout=15)
    inst.wait_log(r"warning: required alias not found: mailer-daemon", timeout=15)
    inst.wait_log(r"to=<postmaster@localhost>, relay=local, .*dsn=2\.0\.0, "
                  r"status=sent \(discarded\)", timeout=15)
    inst.wait_log(r": removed", timeout=15)
    assert "non-delivery notification" not in inst.log()
    assert "status=bounced" not in inst.log()


def test_postmaster_accepted_at_rcpt_without_alias(make_instance):
    """RFC 5321 4.5.1: smtpd accepts postmaster (any case) and MAILER-DAEMON
    for local domains even when local_recipient_maps knows neither, and
    still rejects an unknown user."""
    import smtplib
    inst = make_instance()
    inst.start()
    with inst.smtp() as s:
        s.ehlo("client.example")
        assert s.mail("someone@example.com")[0] == 250
        assert s.rcpt("Postmaster@localhost")[0] == 250
        assert s.rcpt("mailer-daemon@localhost")[0] == 250
        code, text = s.rcpt("no.such.user.here@localhost")
        assert code == 550 and b"5.1.1" in text


def started_with_dead_relayhost(make_instance):
    """A started instance whose relayhost is a free (refusing) port on
    127.0.0.1, with slow retries; (instance, that port)."""
    port = free_port("127.0.0.1")
    inst = make_instance(main_cf_extra=dict(
        SLOW_RETRY, relayhost="[127.0.0.1]:%d" % port, default_transport="smtp"))
    inst.start()
    return inst, port


def test_dead_destination_log_text(make_instance):
    """A refused connection is logged once as "connect to host[addr]:port:
    error", and mail for the destination that is then marked dead as
    Postfix logs it: "delivery temporarily suspended: ...", with the DSN
    status only in dsn=."""
    inst, port = started_with_dead_relayhost(make_instance)
    send(inst, "a@localhost", ["one@example.com"])
    refused = r"connect to 127\.0\.0\.1\[127\.0\.0\.1\]:%d: Connection refused" % port
    inst.wait_log(r"to=<one@example\.com>, relay=none, .*dsn=4\.4\.1, "
                  r"status=deferred \(%s\)" % refused, timeout=15)
    send(inst, "a@localhost", ["two@example.com"])
    inst.wait_log(r"to=<two@example\.com>, relay=none, .*dsn=4\.4\.1, "
                  r"status=deferred \(delivery temporarily suspended: %s\)" % refused,
                  timeout=15)
    assert "connect to 127.0.0.1[127.0.0.1]:%d: connect to" % port not in inst.log()
    assert not re.search(r"status=\w+ \(\d\.\d+\.\d+ ", inst.log())


def test_dsn_fields_without_orcpt(make_instance):
    """A bounce read as a mail client reads it: valid multipart/report, and
    RFC 3464 per-recipient fields including Original-Recipient (Postfix
    always reports one, the address as received when there was no ORCPT);
    the error: text is the diagnostic, without its status repeated."""
    with Sink() as sink:
        inst = make_instance(main_cf_extra={
            "transport_maps": "inline:{ {bad.test=error:5.1.2 no such domain} }",
            "default_transport": "smtp", "relayhost": sink.nexthop})
        inst.start()
        send(inst, "me@s.test", ["Who@bad.test"])
        inst.wait_log(r"to=<Who@bad\.test>, relay=none, .*dsn=5\.1\.2, "
                      r"status=bounced \(no such domain\)", timeout=15)
        msgs = sink.wait_for(1, timeout=15)
    dsn = email.message_from_bytes(msgs[0].data, policy=email.policy.default)
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    assert not dsn.defects
    parts = {}
    for p in dsn.walk():
        parts.setdefault(p.get_content_type(), p)
    status = parts["message/delivery-status"].get_payload()
    assert status[0]["Reporting-MTA"] == "dns; localhost"
    assert status[0]["Arrival-Date"]
    rcpt = status[1]
    assert rcpt["Final-Recipient"] == "rfc822; Who@bad.test"
    assert rcpt["Original-Recipient"] == "rfc822; Who@bad.test"
    assert rcpt["Action"] == "failed"
    assert rcpt["Status"] == "5.1.2"
    assert "5.1.2 no such domain" not in rcpt.get("Diagnostic-Code", "")
    assert "no such domain" in parts["text/plain"].get_content()


def test_damaged_deferred_files_go_to_corrupt(make_instance):
    """DESIGN.md: a queue file that cannot be parsed goes to corrupt/, never
    silently deleted, and the good ones beside it are still scheduled."""
    inst, port = started_with_dead_relayhost(make_instance)
    with inst.smtp() as s:
        for i in range(3):
            s.sendmail("a@localhost", ["x%d@example.com" % i], b"Subject: x\r\n\r\nbody\r\n")
    wait_for(lambda: len(inst.queue_files("deferred")) == 3, 20, "3 deferred")
    inst.stop()
    ids = sorted(inst.queue_files("deferred"))
    for qid, offset in ((ids[0], 13), (ids[1], 130)):
        path = os.path.join(inst.queue_dir, "deferred", qid)
        with open(path, "r+b") as f:
            f.seek(offset)
            byte = f.read(1)
            f.seek(offset)
            f.write(bytes([byte[0] ^ 0x55]))
    mark = inst.log_mark()
    inst.start()
    r = inst.postern(["flush"])
    assert r.returncode == 0, r.stderr
    wait_for(lambda: sorted(inst.queue_files("corrupt")) == sorted(ids[:2]), 20,
             "damaged files in corrupt/")
    inst.wait_log(r"\b%s: to=<x\d@example\.com>.*status=deferred" % ids[2],
                  since=mark, timeout=15)
    wait_for(lambda: inst.queue_files("deferred") == [ids[2]], 20, "good file deferred")


def _raw_server(replies):
    """A one-connection SMTP peer answering each command with the next of
    replies (bytes, sent as they are)."""
    addr = random_loopback()
    ls = socket.socket()
    ls.bind((addr, 0))
    ls.listen(1)
    ls.settimeout(20)

    def serve():
        try:
            conn, _ = ls.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(20)
            f = conn.makefile("rb")
            conn.sendall(b"220 raw ESMTP\r\n")
            for reply in replies:
                if not f.readline():
                    break
                conn.sendall(reply)
            f.readline()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return ls, "[%s]:%d" % ls.getsockname()


def test_hostile_reply_text_is_made_printable(make_instance):
    """A server's reply goes into the log, the queue file and the DSN:
    control bytes and 8-bit bytes that are not UTF-8 become "?"."""
    ls, nexthop = _raw_server([b"250 hi\r\n", b"250 ok\r\n",
                               b"550 5.1.1 bad\xff\xfe\x00user\x1b[31m\r\n",
                               b"221 bye\r\n"])
    with ls:
        inst = make_instance(main_cf_extra={
            "default_transport": "smtp", "relayhost": nexthop,
            "smtp_never_send_ehlo": "yes"})
        inst.start()
        send(inst, "me@localhost", ["bad@example.com"])
        inst.wait_log(r"to=<bad@example\.com>, .*status=bounced \(.*550 5\.1\.1 "
                      r"bad\?\?\?user\?\[31m", timeout=15)
    with open(inst.log_file, "rb") as f:
        assert not re.search(rb"[\x00-\x08\x0b-\x1f\x7f-\xff]", f.read())


def test_smtputf8_relay(make_instance):
    """RFC 6531 on the way out: a UTF-8 address is relayed with SMTPUTF8 to
    a server that offers it (here another Postern, whose smtpd insists on
    it), and bounced with 5.6.7 at one that does not (the sink)."""
    b = make_instance(main_cf_extra={"mydestination": "b.test",
                                     "local_recipient_maps": ""})
    b.start()
    with Sink() as sink:
        a = make_instance(main_cf_extra={
            "default_transport": "smtp", "relayhost": sink.nexthop,
            "transport_maps": "inline:{ b.test=smtp:[%s]:%d }" % (b.addr, b.port)})
        a.start()
        with a.smtp() as s:
            s.ehlo()
            s.sendmail("a@localhost", ["\u00fc@b.test"], b"Subject: u\r\n\r\nbody\r\n",
                       mail_options=["SMTPUTF8"])
            s.sendmail("a@localhost", ["\u00fc@example.com"], b"Subject: u\r\n\r\nbody\r\n",
                       mail_options=["SMTPUTF8"])
        a.wait_log(r"to=<\u00fc@b\.test>, relay=\S+, .*status=sent", timeout=15)
        b.wait_log(r"\w{8}: from=<a@localhost>, size=\d+, nrcpt=1", timeout=15)
        a.wait_log(r"to=<\u00fc@example\.com>, .*dsn=5\.6\.7, status=bounced "
                   r"\(SMTPUTF8 is required, but was not offered by host", timeout=15)
        assert not any("\u00fc" in r for m in sink.messages for r in m.rcpts)
