"""Self-test of tests/sink.py, driven by Python's smtplib and raw sockets."""
import os
import signal
import smtplib
import socket
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import have_ipv6_loopback, random_loopback  # noqa: E402
from sink import Sink  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


BODY = (b"Subject: test\r\n\r\n.leading dot\r\n..two dots\r\n"
        b"8-bit: \xc3\xa9\xff\r\n" + b"x" * 5000 + b"\r\n.\r\nend\r\n")


def test_envelope_content_and_reuse():
    with Sink(host=random_loopback()) as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as c:
            c.ehlo("client.test")
            rcpts = ["r%d@example.com" % i for i in range(5)]
            assert c.sendmail("s@example.com", rcpts, BODY,
                              mail_options=["BODY=8BITMIME", "SIZE=%d" % len(BODY)],
                              rcpt_options=["NOTIFY=SUCCESS,FAILURE"]) == {}
            c.sendmail("", ["x@example.com"], b"Subject: two\r\n\r\nhi\r\n")
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as c:
            c.sendmail("s@example.com", ["y@example.com"], b"\r\n")
        m = sink.wait_for(3)
        assert m[0].data == BODY
        assert m[0].sender == "s@example.com"
        assert m[0].rcpts == rcpts and m[0].accepted_rcpts == rcpts
        assert m[0].mail_params["BODY"] == "8BITMIME"
        assert m[0].rcpt_params["r3@example.com"] == {"NOTIFY": "SUCCESS,FAILURE"}
        assert m[0].helo == "client.test" and m[0].protocol == "ESMTP"
        assert m[0].peer == "127.0.0.1" or m[0].peer.startswith("127.")
        assert m[1].sender == "" and m[1].conn == m[0].conn == 1
        assert m[2].conn == 2 and sink.connections == 2
        assert m[0].reply.startswith("250 2.0.0")
        assert (1, "QUIT") in sink.commands
        assert not sink.errors


def test_per_recipient_and_sequences():
    sink = Sink(host=random_loopback(),
                rcpt_replies={"Bad@Example.com": "550 5.1.1 no such user",
                              "slow@example.com": ["450 4.2.0 later", "250 2.1.5 ok now"]},
                message_replies=["451 4.3.0 try again", "250 2.0.0 fine"])
    with sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as c:
            with pytest.raises(smtplib.SMTPDataError) as e:
                c.sendmail("s@x", ["a@example.com", "bad@example.com", "slow@example.com"], b"1\r\n")
            assert e.value.smtp_code == 451
            c.rset()
            refused = c.sendmail("s@x", ["a@example.com", "bad@example.com", "slow@example.com"],
                                 b"2\r\n")
            assert refused == {"bad@example.com": (550, b"5.1.1 no such user")}
        msgs = sink.wait_for(1)
        assert len(msgs) == 1 and msgs[0].data == b"2\r\n"
        assert msgs[0].rcpts == ["a@example.com", "slow@example.com"]
        assert len(sink.transactions) == 2
        assert sink.transactions[0].reply.startswith("451")
        assert sink.transactions[0].rcpts == ["a@example.com"]
        # Changed while running.
        sink.set_rcpt_reply("a@example.com", "552 5.2.2 full")
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as c:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                c.sendmail("s@x", ["a@example.com"], b"3\r\n")


@pytest.mark.parametrize("greeting", ["421 4.3.2 busy", "554 5.7.1 go away"])
def test_greeting_refusal(greeting):
    with Sink(host=random_loopback(), greeting=greeting) as sink:
        with pytest.raises(smtplib.SMTPConnectError) as e:
            smtplib.SMTP(sink.host, sink.port, timeout=10)
        assert e.value.smtp_code == int(greeting[:3])
        if greeting.startswith("554"):
            s = socket.create_connection((sink.host, sink.port), timeout=10)
            f = s.makefile("rb")
            assert f.readline().startswith(b"554")
            s.sendall(b"EHLO x\r\nQUIT\r\n")
            assert f.readline().startswith(b"503")
            assert f.readline().startswith(b"221")
            s.close()


def test_refuse_and_hang():
    with Sink(host=random_loopback(), behaviour="refuse") as sink:
        with pytest.raises(smtplib.SMTPServerDisconnected):
            smtplib.SMTP(sink.host, sink.port, timeout=10)
    with Sink(host=random_loopback(), behaviour="hang") as sink:
        with pytest.raises((socket.timeout, smtplib.SMTPServerDisconnected)) as e:
            smtplib.SMTP(sink.host, sink.port, timeout=0.5)
        assert "timed out" in str(e.value)


def test_ehlo_switches_and_size():
    with Sink(host=random_loopback(), pipelining=False, dsn=False, size=1000,
              chunking=True, xforward=True) as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as c:
            c.ehlo()
            assert not c.has_extn("pipelining") and not c.has_extn("dsn")
            assert c.has_extn("8bitmime") and c.has_extn("enhancedstatuscodes")
            assert c.has_extn("chunking") and c.esmtp_features["size"] == "1000"
            code, _ = c.docmd("XFORWARD", "ADDR=192.0.2.7 NAME=client.example")
            assert code == 250
            with pytest.raises(smtplib.SMTPSenderRefused) as e:
                c.sendmail("s@x", ["r@x"], b"x" * 2000)
            assert e.value.smtp_code == 552
            c.rset()
            c.sendmail("s@x", ["r@x"], b"small\r\n")
            c.mail("s@x")
            c.rcpt("r@x")
            c.send(b"BDAT 3\r\nabcBDAT 2 LAST\r\nde")
            assert c.getreply()[0] == 250
            assert c.getreply()[0] == 250
        m = sink.wait_for(2)
        assert m[0].xforward == {"ADDR": "192.0.2.7", "NAME": "client.example"}
        assert m[1].data == b"abcde"


def test_max_messages_per_connection():
    with Sink(host=random_loopback(), max_messages=1) as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as c:
            c.sendmail("s@x", ["r@x"], b"one\r\n")
            with pytest.raises((smtplib.SMTPSenderRefused, smtplib.SMTPServerDisconnected)):
                c.sendmail("s@x", ["r@x"], b"two\r\n")
        assert len(sink.wait_for(1)) == 1


def lmtp_session(sock):
    f = sock.makefile("rb")
    lines = [f.readline()]
    sock.sendall(b"LHLO client\r\nMAIL FROM:<s@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n"
                 b"RCPT TO:<c@x>\r\nDATA\r\n")
    while not lines[-1].startswith(b"354"):
        lines.append(f.readline())
    sock.sendall(b"hello\r\n..dot\r\n.\r\nQUIT\r\n")
    replies = [f.readline() for _ in range(4)]
    sock.close()
    return lines, replies


def test_lmtp_tcp_and_unix(tmp_path):
    path = str(tmp_path / "lmtp.sock")
    for kw in ({"host": random_loopback()}, {"unix_path": path}):
        sink = Sink(lmtp=True, lmtp_replies={"b@x": "452 4.2.2 over quota",
                                             "c@x": "550 5.1.1 unknown"}, **kw)
        with sink:
            if "unix_path" in kw:
                s = socket.socket(socket.AF_UNIX)
                s.connect(path)
                assert sink.nexthop == "unix:" + path
            else:
                s = socket.create_connection((sink.host, sink.port), timeout=10)
            s.settimeout(10)
            lines, replies = lmtp_session(s)
            assert lines[0].startswith(b"220")
            assert [r[:3] for r in replies] == [b"250", b"452", b"550", b"221"]
            m = sink.wait_for(1)[0]
            assert m.protocol == "LMTP" and m.data == b"hello\r\n.dot\r\n"
            assert m.accepted_rcpts == ["a@x"]
            assert m.replies["c@x"].startswith("550")
        assert not os.path.exists(path)


def test_lmtp_via_smtplib(tmp_path):
    path = str(tmp_path / "l.sock")
    with Sink(lmtp=True, unix_path=path) as sink:
        c = smtplib.LMTP(path)
        c.sendmail("s@x", ["a@x"], b"via smtplib\r\n")
        c.quit()
        assert sink.wait_for(1)[0].data == b"via smtplib\r\n"
        # EHLO is not LMTP.
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"EHLO x\r\n")
        assert f.readline().startswith(b"500")
        s.close()


@pytest.mark.skipif(not have_ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv6():
    with Sink(host="::1") as sink:
        assert sink.nexthop == "[::1]:%d" % sink.port
        with smtplib.SMTP("::1", sink.port, timeout=10) as c:
            c.sendmail("s@x", ["r@x"], b"v6\r\n")
        assert sink.wait_for(1)[0].peer == "::1"


def test_wait_for_times_out():
    with Sink(host=random_loopback()) as sink:
        with pytest.raises(TimeoutError):
            sink.wait_for(1, timeout=0.2)


def test_command_line(tmp_path):
    addr = random_loopback()
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "sink.py"), "-l", addr + ":0",
                          "--save", str(tmp_path), "--rcpt", "no@x=550 5.1.1 no"],
                         stdout=subprocess.PIPE, text=True)
    try:
        first = p.stdout.readline()
        assert first.startswith("sink listening on [%s]:" % addr)
        port = int(first.rsplit(":", 1)[1])
        with smtplib.SMTP(addr, port, timeout=10) as c:
            assert c.sendmail("s@x", ["r@x", "no@x"], b"saved\r\n") != {}
        line = p.stdout.readline()
        assert "to=r@x " in line and "250" in line
        assert (tmp_path / "1.eml").read_bytes() == b"saved\r\n"
    finally:
        # SIGINT is the documented way to stop it; under heavy load the
        # interpreter may take long to notice, so do not hang the suite.
        p.send_signal(signal.SIGINT)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)


def test_scripted_close():
    with Sink(host=random_loopback(), message_replies=["CLOSE", "250 2.0.0 ok"]) as sink:
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as c:
            with pytest.raises(smtplib.SMTPServerDisconnected):
                c.sendmail("s@x", ["r@x"], b"lost\r\n")
        with smtplib.SMTP(sink.host, sink.port, timeout=10) as c:
            c.sendmail("s@x", ["r@x"], b"kept\r\n")
        msgs = sink.wait_for(1)
        assert [m.data for m in msgs] == [b"kept\r\n"]
        assert [t.reply for t in sink.transactions] == ["CLOSE", "250 2.0.0 ok"]
        assert not sink.errors
