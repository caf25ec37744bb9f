"""smtpd: XFORWARD (smtpd_authorized_xforward_hosts), the original client
of a message a content filter hands back."""
import re

from test_smtpd_lib import Client, no_crash, queued_id, smtpd_instance, wait_qf


def data(c, body="Subject: xf\r\n\r\nhi\r\n"):
    assert c.cmd("DATA")[0] == 354
    code, text = c.cmd(body + ".")
    assert code == 250, text
    return queued_id(text)


def test_not_authorized_by_default(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        code, text = c.cmd("EHLO filter.example")
        assert "XFORWARD" not in text
        assert c.cmd("XFORWARD NAME=x.example") == (
            550, "550 5.7.0 Error: insufficient authorization")


def test_forwarded_client_is_recorded(make_instance):
    inst = smtpd_instance(make_instance, smtpd_authorized_xforward_hosts="127.0.0.0/8")
    with Client(inst) as c:
        code, text = c.cmd("EHLO filter.example")
        assert "250 XFORWARD NAME ADDR PORT PROTO HELO IDENT SOURCE" in text
        assert c.cmd("XFORWARD NAME=spike.example ADDR=192.0.2.7 PORT=4567") == (
            250, "250 2.0.0 Ok")
        assert c.cmd("XFORWARD HELO=spike.helo PROTO=ESMTP SOURCE=REMOTE "
                     "IDENT=ABCD1234")[0] == 250
        assert c.cmd("XFORWARD FOO=bar")[0] == 501
        assert c.cmd("XFORWARD ADDR=not+20an+20address")[0] == 501
        c.cmd("MAIL FROM:<a@example.com>")
        assert c.cmd("XFORWARD NAME=late.example") == (
            503, "503 5.5.1 Error: MAIL transaction in progress")
        c.cmd("RCPT TO:<root@localhost>")
        qid = data(c)
        # The attributes held for one transaction only.
        c.envelope(None)
        qid2 = data(c)
    qf = wait_qf(inst, qid)
    assert qf["attrs"]["client_name"] == "spike.example"
    assert qf["attrs"]["client_addr"] == "192.0.2.7"
    assert qf["attrs"]["client_port"] == "4567"
    assert qf["attrs"]["helo"] == "spike.helo"
    assert re.match(r"Received: from spike\.helo \(spike\.example \[192\.0\.2\.7\]\)",
                    qf["content"].decode()), qf["content"][:200]
    inst.wait_log(r"%s: client=spike\.example\[192\.0\.2\.7\], orig_queue_id=ABCD1234" % qid)
    qf2 = wait_qf(inst, qid2)
    assert qf2["attrs"]["client_addr"] != "192.0.2.7"
    assert qf2["attrs"]["helo"] == "filter.example"
    no_crash(inst)


def test_unavailable_values(make_instance):
    inst = smtpd_instance(make_instance, smtpd_authorized_xforward_hosts="127.0.0.0/8")
    with Client(inst) as c:
        c.cmd("EHLO filter.example")
        assert c.cmd("XFORWARD NAME=[UNAVAILABLE] ADDR=IPV6:2001:db8::7 "
                     "HELO=[TEMPUNAVAIL]")[0] == 250
        c.envelope(None)
        qid = data(c)
    qf = wait_qf(inst, qid)
    assert qf["attrs"]["client_name"] == "unknown"
    assert qf["attrs"]["client_addr"] == "2001:db8::7"
    assert "[IPv6:2001:db8::7]" in qf["content"].decode().split("\n")[0]


def test_xclient(make_instance):
    """XCLIENT: the session goes on as the client named (restrictions too)."""
    inst = smtpd_instance(make_instance, smtpd_authorized_xclient_hosts="127.0.0.0/8",
                          smtpd_client_restrictions=
                          "check_client_access inline:{192.0.2.66=REJECT}")
    with Client(inst) as c:
        code, text = c.cmd("EHLO proxy.example")
        assert "XCLIENT NAME ADDR PORT PROTO HELO LOGIN" in text
        assert c.cmd("XCLIENT ADDR=not-an-address")[0] == 501
        assert c.cmd("XCLIENT BOGUS=1")[0] == 501
        # A port that atoi() would wrap (2^32 - 1 becomes -1) is no port.
        assert c.cmd("XCLIENT PORT=4294967295")[0] == 501
        assert c.cmd("XCLIENT PORT=000025")[0] == 501
        code, text = c.cmd("XCLIENT NAME=bad.example ADDR=192.0.2.66 PORT=2525")
        assert code == 220, text
        c.cmd("EHLO bad.example")
        c.cmd("MAIL FROM:<a@example.com>")
        code, text = c.cmd("RCPT TO:<root@localhost>")
        assert code == 554 and "bad.example[192.0.2.66]" in text, text
    inst.wait_log(r"reject: RCPT from bad\.example\[192\.0\.2\.66\]")
    # The authorization is the real client's: after XCLIENT to an outside
    # address, a second XCLIENT is still allowed.
    with Client(inst) as c:
        c.cmd("EHLO proxy.example")
        assert c.cmd("XCLIENT NAME=good.example ADDR=198.51.100.9 HELO=good.example")[0] == 220
        assert c.cmd("XCLIENT NAME=other.example")[0] == 220
    plain = smtpd_instance(make_instance)
    with Client(plain) as c:
        code, text = c.cmd("EHLO proxy.example")
        assert "XCLIENT" not in text
        assert c.cmd("XCLIENT NAME=x.example")[0] == 550
