"""smtp/lmtp client parameters that Postfix administrators set: per-server
EHLO keyword discarding, reply filtering, source-address enforcement.
The real smtp program gets delivery requests (smtp_driver.py) and talks to
scripted servers on loopback (sink.py)."""

import os
import re

import pytest

from harness import BIN
from smtp_driver import ClientEnv

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "smtp")),
                                reason="smtp not built")

BODY = b"From: a@client.test\nTo: b@x.test\nSubject: params\n\nbody\n"


@pytest.fixture
def env(tmp_path):
    return ClientEnv(tmp_path)


def table(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def send(env, server, overrides, rcpt="b@x.test", **kw):
    qid = env.make_message("s@client.test", [rcpt], BODY)
    return env.deliver([env.request(qid, server.nexthop, [rcpt], **kw)],
                       overrides=overrides)


# smtp_discard_ehlo_keyword_address_maps

def test_discard_maps_entry_for_server_address(env, sink, tmp_path):
    maps = table(tmp_path, "discard", ["%s dsn, pipelining" % sink.addr])
    res = send(env, sink, {"smtp_discard_ehlo_keyword_address_maps": "texthash:" + maps,
                           "smtp_discard_ehlo_keywords": "8bitmime"},
               notify=["SUCCESS"])
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    # The entry replaces the global list: 8BITMIME stays, DSN goes.
    mail = [c for c in sink.command_lines() if c.startswith("MAIL")][0]
    rcpt = [c for c in sink.command_lines() if c.startswith("RCPT")][0]
    assert "NOTIFY" not in rcpt
    assert res.by_rcpt()[0]["action"] == "relayed"
    assert "BODY=8BITMIME" not in mail   # 7-bit body: no BODY= either way
    assert re.search(r"discarding EHLO keywords: (PIPELINING DSN|DSN PIPELINING)$",
                     res.log, re.M), res.log


def test_discard_maps_other_address_uses_global_list(env, sink, tmp_path):
    maps = table(tmp_path, "discard", ["127.255.255.254 dsn"])
    res = send(env, sink, {"smtp_discard_ehlo_keyword_address_maps": "texthash:" + maps,
                           "smtp_discard_ehlo_keywords": "silent-discard, size"},
               notify=["SUCCESS"])
    rcpt = [c for c in sink.command_lines() if c.startswith("RCPT")][0]
    mail = [c for c in sink.command_lines() if c.startswith("MAIL")][0]
    assert "NOTIFY=SUCCESS" in rcpt and "SIZE=" not in mail
    assert res.by_rcpt()[0]["action"] == "delivered"
    assert "discarding EHLO keywords" not in res.log


def test_discard_maps_lookup_error_defers(env, sink, tmp_path):
    res = send(env, sink, {"smtp_discard_ehlo_keyword_address_maps":
                           "texthash:" + str(tmp_path / "missing")})
    r = res.by_rcpt()[0]
    assert r["status"] == "4.3.0", r
    assert "smtp_discard_ehlo_keyword_address_maps map lookup error for %s" % sink.addr \
        in res.log
    assert not [c for c in sink.command_lines() if c.startswith("MAIL")]


def test_lmtp_discard_lhlo_keyword_address_maps(env, tmp_path):
    from harness import random_loopback
    from sink import Sink
    with Sink(host=random_loopback(), lmtp=True) as server:
        maps = table(tmp_path, "discard", ["%s dsn" % server.addr])
        qid = env.make_message("s@client.test", ["b@x.test"], BODY)
        res = env.deliver([env.request(qid, "inet:%s:%d" % (server.addr, server.port),
                                       ["b@x.test"], transport="lmtp",
                                       notify=["SUCCESS"])],
                          overrides={"lmtp_discard_lhlo_keyword_address_maps":
                                     "texthash:" + maps},
                          service="lmtp")
        assert res.by_rcpt()[0]["status"] == "2.0.0", res.log
        rcpt = [c for c in server.command_lines() if c.startswith("RCPT")][0]
        assert "NOTIFY" not in rcpt
        assert "discarding EHLO keywords: DSN" in res.log
