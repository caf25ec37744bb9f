"""End to end through a real instance: a client (smtplib) submits to smtpd,
the qmgr hands the mail to the smtp/lmtp client, which relays it to a
scripted server on loopback (and MX records come from a test DNS server)."""

import email
import email.policy
import os

import pytest

from dnsserver import DNSServer
from harness import BIN, random_loopback, relay_instance
from smtp_driver import pick_port
from sink import Sink

pytestmark = pytest.mark.skipif(
    not all(os.path.exists(os.path.join(BIN, p)) for p in ("smtp", "smtpd", "qmgr", "master")),
    reason="smtp, smtpd, qmgr or master not built")


MESSAGE = (b"From: a@client.test\r\nTo: b@x.test\r\nSubject: relay\r\n\r\n"
           b".starts with a dot\r\n..two\r\n.\r\nmiddle\r\n"
           b"8-bit: caf\xc3\xa9\r\n" + b"W" * 990 + b"\r\nend\r\n")


def test_relay_body_identical(make_instance, sink):
    inst = relay_instance(make_instance, sink.nexthop)
    with inst.smtp() as s:
        s.sendmail("a@client.test", ["b@x.test"], MESSAGE)
    inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
    data = sink.wait_for(1)[0].data
    # The body arrives unchanged; the headers too, among those that smtpd
    # added (Received:, Message-Id:, Date:).
    head, body = data.split(b"\r\n\r\n", 1)
    assert body == MESSAGE.split(b"\r\n\r\n", 1)[1]
    for line in MESSAGE.split(b"\r\n\r\n", 1)[0].split(b"\r\n"):
        assert line in head.split(b"\r\n")


def test_five_recipients_and_reuse(make_instance, sink):
    inst = relay_instance(make_instance, sink.nexthop)
    rcpts = ["r%d@x.test" % i for i in range(5)]
    with inst.smtp() as s:
        s.sendmail("a@client.test", rcpts, b"Subject: five\r\n\r\nhello\r\n")
    inst.wait_log(r"status=sent", timeout=20, count=5)
    msgs = sink.wait_for(1)
    assert len(msgs[0].rcpts) == 5
    for i in range(3):
        mark = inst.log_mark()
        with inst.smtp() as s:
            s.sendmail("a@client.test", ["b@x.test"], b"Subject: %d\r\n\r\nagain\r\n" % i)
        inst.wait_log(r"to=<b@x\.test>.*status=sent", timeout=20, since=mark)
    sink.wait_for(4)
    assert sink.connections == 1, sink.command_lines()


def test_mx_fallback_through_instance(make_instance, tmp_path):
    addrs = [random_loopback() for _ in range(2)]
    port = pick_port(addrs)
    zone = {"dest.test": {"MX": [(10, "down.dest.test"), (20, "up.dest.test")]},
            "down.dest.test": {"A": [addrs[0]]},
            "up.dest.test": {"A": [addrs[1]]}}
    with DNSServer(zone) as dns, Sink(host=addrs[1], port=port) as srv:
        inst = make_instance(main_cf_extra={
            "default_transport": "smtp", "dns_resolver_address": dns.spec,
            "smtp_tcp_port": str(port), "inet_protocols": "ipv4"})
        inst.start()
        with inst.smtp() as s:
            s.sendmail("a@client.test", ["u@dest.test"], b"Subject: mx\r\n\r\nvia mx\r\n")
        inst.wait_log(r"to=<u@dest\.test>, relay=up\.dest\.test\[%s\]:%d.*status=sent"
                      % (addrs[1].replace(".", r"\."), port), timeout=20)
        assert srv.wait_for(1)[0].rcpts == ["u@dest.test"]


def test_8bit_downgrade_through_instance(make_instance):
    with Sink(host=random_loopback(), eightbitmime=False, dsn=False,
              enhancedstatuscodes=False, size=1000000) as srv:
        inst = relay_instance(make_instance, srv.nexthop)
        body = ("Subject: 8bit\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\nna\u00efve caf\u00e9\r\n").encode()
        with inst.smtp() as s:
            s.sendmail("a@client.test", ["b@x.test"], body)
        inst.wait_log(r"status=sent", timeout=20)
        data = srv.wait_for(1)[0].data
        assert all(b < 0x80 for b in data)
        msg = email.message_from_bytes(data, policy=email.policy.default)
        assert msg["Content-Transfer-Encoding"] == "quoted-printable"
        assert msg.get_content().rstrip() == "na\u00efve caf\u00e9"


def test_sender_dependent_relayhost(make_instance, sink):
    """sender_dependent_relayhost_maps: mail from @special.test goes to its
    own smarthost, other mail to relayhost."""
    other = Sink(host=random_loopback()).start()
    try:
        inst = relay_instance(make_instance, sink.nexthop,
                              sender_dependent_relayhost_maps=
                              "inline:{@special.test=%s}" % other.nexthop)
        with inst.smtp() as s:
            s.sendmail("a@special.test", ["b@x.test"], b"Subject: s\r\n\r\nspecial\r\n")
            s.sendmail("a@plain.test", ["c@x.test"], b"Subject: p\r\n\r\nplain\r\n")
        got = other.wait_for(1, timeout=20)
        assert "b@x.test" in got[0].rcpts[0]
        got = sink.wait_for(1, timeout=20)
        assert "c@x.test" in got[0].rcpts[0]
        inst.wait_log(r"to=<c@x\.test>.*status=sent", timeout=20)
        assert len(other.messages) == 1 and len(sink.messages) == 1
    finally:
        other.stop()


def test_lmtp_unix_path_keeps_its_case(make_instance, tmp_path):
    """A UNIX-domain socket nexthop is a path: its case is kept (host names
    fold, paths do not)."""
    sockdir = tmp_path / "Mixed.Case"
    sockdir.mkdir()
    os.chmod(str(sockdir), 0o755)
    path = os.path.join(str(sockdir), "LMTP.sock")
    with Sink(unix_path=path, lmtp=True) as srv:
        srv.set_lmtp_default("250 2.0.0 delivered")
        inst = make_instance(main_cf_extra={
            "transport_maps": "inline:{x.test=lmtp:unix:%s}" % path})
        inst.start()
        with inst.smtp() as s:
            s.sendmail("a@client.test", ["good@x.test"], b"Subject: l\r\n\r\nb\r\n")
        inst.wait_log(r"to=<good@x\.test>.*status=sent", timeout=20)


def test_lmtp_unix_through_instance(make_instance, tmp_path):
    path = os.path.join(str(tmp_path), "lmtp.sock")
    with Sink(unix_path=path, lmtp=True) as srv:
        srv.set_lmtp_reply("bad@x.test", "550 5.1.1 no such user")
        srv.set_lmtp_default("250 2.0.0 delivered")
        inst = make_instance(main_cf_extra={"default_transport": "lmtp:unix:" + path})
        inst.start()
        with inst.smtp() as s:
            s.sendmail("a@client.test", ["good@x.test", "bad@x.test"], b"Subject: l\r\n\r\nb\r\n")
        inst.wait_log(r"to=<good@x\.test>.*status=sent", timeout=20)
        inst.wait_log(r"to=<bad@x\.test>.*dsn=5\.1\.1, status=bounced", timeout=20)
        assert srv.command_lines()[0].startswith("LHLO ")
