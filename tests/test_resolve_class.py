"""Address classes shared by smtpd and qmgr (src/global/resolve_class.c).

An address literal of one of the instance's own addresses is a local
domain for smtpd (no relay permission needed) and for the queue manager
(routed to local_transport, here a sink); a literal of another address and
sender-specified routing ("%", "!", quoted "@") need relay permission; a
failed recipient_bcc_maps lookup fails the message with 451 4.3.0.
"""
import smtplib

import pytest

from harness import random_loopback


def outside_client(inst):
    """An SMTP session from a loopback address outside mynetworks."""
    return inst.smtp(source_address=(random_loopback(), 0))


def rcpt_code(s, addr):
    s.ehlo("client.test")
    code, _ = s.mail("a@client.test")
    assert code == 250
    code, text = s.rcpt(addr)
    s.rset()
    return code, text


def relay_denied(reply):
    code, text = reply
    return code in (454, 554) and b"Relay access denied" in text


def test_own_literal_is_local(make_instance, sink):
    inst = make_instance(main_cf_extra={
        "mynetworks": "127.0.0.1/32",
        "local_transport": "smtp:[%s]:%d" % (sink.addr, sink.port),
        "local_recipient_maps": ""})
    inst.start()
    own = "user@[%s]" % inst.addr
    with outside_client(inst) as s:
        assert rcpt_code(s, own)[0] == 250
        assert rcpt_code(s, "user@localhost")[0] == 250
        assert relay_denied(rcpt_code(s, "user@[127.0.0.1]"
                            if inst.addr != "127.0.0.1" else "user@[127.0.0.2]"))
        assert relay_denied(rcpt_code(s, "user%%other.test@[%s]" % inst.addr))
        assert relay_denied(rcpt_code(s, "other!user@localhost"))
        assert relay_denied(rcpt_code(s, '"user@other.test"@localhost'))
        s.sendmail("a@client.test", [own], b"Subject: lit\r\n\r\nhello\r\n")
    # qmgr makes the same decision: local_transport, not default_transport.
    sink.wait_for(1)
    assert sink.messages[0].rcpts[0] == own
    inst.wait_log(r"to=<%s>, relay=\S+, .*status=sent" % own.replace(
        "[", r"\[").replace("]", r"\]").replace(".", r"\."))


def test_bcc_lookup_failure_defers(make_instance):
    inst = make_instance(main_cf_extra={
        "recipient_bcc_maps": "hash:/nonexistent/missing",
        "local_recipient_maps": ""})
    inst.start()
    with inst.smtp() as s:
        with pytest.raises(smtplib.SMTPDataError) as e:
            s.sendmail("a@localhost", ["b@localhost"], b"Subject: x\r\n\r\nx\r\n")
        assert e.value.smtp_code == 451
    assert not inst.queue_files("incoming")


def test_local_defers_on_mydestination_table_failure(make_instance):
    """An alias target whose class cannot be decided is deferred, not forwarded."""
    inst = make_instance(main_cf_extra={
        "mydestination": "localhost, hash:/nonexistent/mydest",
        "alias_maps": "inline:{ext=far@remote.test}",
        "local_recipient_maps": ""})
    inst.start()
    with inst.smtp() as s:
        s.sendmail("a@localhost", ["ext@localhost"], b"Subject: x\r\n\r\nx\r\n")
    inst.wait_log(r"to=<ext@localhost>, relay=local, .*dsn=4\.3\.0, "
                  r"status=deferred \(mydestination lookup failure", timeout=15)
    assert "remote.test>, relay=" not in inst.log()
