"""The client in LMTP mode (RFC 2033): LHLO, one reply per recipient after
DATA, over TCP (inet:host:port) and a UNIX socket (unix:/path)."""

import os
import re

import pytest

from harness import BIN, random_loopback
from smtp_driver import ClientEnv
from sink import Sink

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "smtp")),
                                reason="smtp not built")

RCPTS = ["ok@x.test", "gone@x.test", "full@x.test", "ok2@x.test"]


def lmtp_replies(r):
    return {"gone@x.test": "550 5.1.1 <gone@x.test> no such user",
            "full@x.test": "452 4.2.2 <full@x.test> mailbox full"}.get(
        r, "250 2.0.0 <%s> delivered" % r)


def check_results(res, srv):
    got = res.by_rcpt()
    assert got[0]["status"] == "2.0.0" and got[0]["action"] == "delivered"
    assert got[1]["status"] == "5.1.1" and got[1]["action"] == "failed"
    assert "(in reply to end of DATA command)" in got[1]["reason"]
    assert got[2]["status"] == "4.2.2" and got[2]["action"] == "delayed"
    assert got[3]["status"] == "2.0.0" and "<ok2@x.test> delivered" in got[3]["reason"]
    msgs = srv.wait_for(1)
    assert len(msgs) == 1 and len(msgs[0].rcpts) == 4
    assert msgs[0].data == b"Subject: lmtp\r\n\r\nbody\r\n"
    assert srv.command_lines()[0] == "LHLO client.test"
    assert re.search(r"to=<gone@x\.test>.*dsn=5\.1\.1, status=bounced", res.log)
    assert re.search(r"to=<full@x\.test>.*dsn=4\.2\.2, status=deferred", res.log)


def test_lmtp_tcp(tmp_path):
    with Sink(host=random_loopback(), lmtp=True, lmtp_reply=lmtp_replies,
                  size=None, dsn=False, enhancedstatuscodes=False) as srv:
        env = ClientEnv(tmp_path)
        qid = env.make_message("s@client.test", RCPTS, b"Subject: lmtp\n\nbody\n")
        res = env.deliver([env.request(qid, "inet:%s:%d" % (srv.addr, srv.port), RCPTS,
                                       transport="lmtp")], service="lmtp")
        check_results(res, srv)
        assert res.by_rcpt()[0]["relay"] == "%s[%s]:%d" % (srv.addr, srv.addr, srv.port)


def test_lmtp_unix_socket(tmp_path):
    path = os.path.join(str(tmp_path), "lmtp.sock")
    with Sink(unix_path=path, lmtp=True, lmtp_reply=lmtp_replies, eightbitmime=False,
              size=None, dsn=False, enhancedstatuscodes=False) as srv:
        env = ClientEnv(tmp_path)
        qid = env.make_message("s@client.test", RCPTS, b"Subject: lmtp\n\nbody\n")
        res = env.deliver([env.request(qid, "unix:" + path, RCPTS, transport="lmtp")],
                          service="lmtp")
        check_results(res, srv)
        assert path in res.by_rcpt()[0]["relay"]


def test_lmtp_by_program_name_and_reuse(tmp_path):
    if not os.path.exists(os.path.join(BIN, "lmtp")):
        pytest.skip("no lmtp link in the build")
    path = os.path.join(str(tmp_path), "lmtp.sock")
    with Sink(unix_path=path, lmtp=True, pipelining=False, eightbitmime=False,
              size=None, dsn=False, enhancedstatuscodes=False) as srv:
        env = ClientEnv(tmp_path)
        reqs = []
        for i in range(3):
            qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: %d\n\nb\n" % i)
            reqs.append(env.request(qid, "unix:" + path, ["a@x.test"], transport="lmtp"))
        res = env.deliver(reqs, program="lmtp", service="private-lmtp")
        assert all(r[0]["status"] == "2.0.0" for r in res.replies)
        srv.wait_for(3)
        assert srv.connections == 1


def test_lmtp_mode_parameter_default_port(tmp_path):
    with Sink(host=random_loopback(), lmtp=True) as srv:
        env = ClientEnv(tmp_path)
        qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nb\n")
        # ZMailer's -M with a port: LMTP mode on an smtp service.
        res = env.deliver([env.request(qid, srv.addr, ["a@x.test"])],
                          overrides={"smtp_lmtp_mode": "yes", "lmtp_tcp_port": str(srv.port)})
        assert res.by_rcpt()[0]["status"] == "2.0.0"
        assert srv.command_lines()[0] == "LHLO client.test"
