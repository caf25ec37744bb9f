"""The smtp client by itself: delivery requests in, SMTP to scripted servers
on loopback out (see smtp_driver.py and sink.py)."""

import email
import email.policy
import os
import re
import struct

import pytest

from harness import BIN, random_loopback
from smtp_driver import ClientEnv
from sink import Sink

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "smtp")),
                                reason="smtp not built")


def settle(server):
    """Wait until the last session's QUIT arrived, then forget the commands."""
    from harness import wait_for
    wait_for(lambda: "QUIT" in server.command_lines(), 10, "QUIT")
    server.commands.clear()


def crlf(content):
    return content.replace(b"\n", b"\r\n")


@pytest.fixture
def env(tmp_path):
    return ClientEnv(tmp_path)


@pytest.fixture
def server(sink):
    return sink


BODY = (b"From: a@client.test\nTo: b@x.test\nSubject: relay test\n\n"
        b".a line that starts with a dot\n..two dots\n.\nnot the end\n"
        b"8-bit: caf\xc3\xa9 \xe2\x82\xac\n"
        + b"L" * 998 + b"\n"
        + b"trailing spaces   \n\n\nlast line\n")


def test_body_byte_identical(env, server):
    qid = env.make_message("s@client.test", ["b@x.test"], BODY)
    res = env.deliver([env.request(qid, server.nexthop, ["b@x.test"])])
    msgs = server.wait_for(1)
    assert msgs[0].data == crlf(BODY)
    # Transparency: every line that starts with "." went out with another.
    assert b"\r\n..a line" in msgs[0].raw and b"\r\n...two dots" in msgs[0].raw
    assert b"\r\n..\r\n" in msgs[0].raw
    r = res.by_rcpt()[0]
    assert r["status"] == "2.0.0" and r["action"] == "delivered"
    assert "dest_failed" not in res.replies[0].done
    assert r["relay"] == "%s[%s]:%d" % (server.addr, server.addr, server.port)
    assert any(c.startswith("MAIL FROM:<sender@client.test>") and "BODY=8BITMIME" in c
               for c in server.command_lines())
    assert re.search(r"%s: to=<b@x\.test>, relay=%s\[%s\]:%d, delay=[\d.]+, "
                     r"delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2\.0\.0, status=sent "
                     r"\(250 2\.0\.0 Ok: queued as SINK1\.1\)" % (qid, re.escape(server.addr),
                                                               re.escape(server.addr), server.port),
                     res.log), res.log


def test_long_line_folding(env, server):
    body = b"Subject: long\n\n" + b"A" * 2500 + b"\nend\n"
    qid = env.make_message("s@client.test", ["b@x.test"], body)
    env.deliver([env.request(qid, server.nexthop, ["b@x.test"])],
                overrides={"smtp_line_length_limit": "1000"})
    data = server.wait_for(1)[0].data
    # Broken as Postfix does: CRLF SPACE after every 1000 bytes of output.
    assert data == b"Subject: long\r\n\r\n" + b"A" * 1000 + b"\r\n " + b"A" * 999 + \
        b"\r\n " + b"A" * 501 + b"\r\nend\r\n"


def test_five_recipients_one_transaction(env, server):
    rcpts = ["r%d@x.test" % i for i in range(5)]
    qid = env.make_message("s@client.test", rcpts, b"Subject: five\n\nhello\n")
    res = env.deliver([env.request(qid, server.nexthop, rcpts)])
    msgs = server.wait_for(1)
    assert len(msgs) == 1 and len(msgs[0].rcpts) == 5
    assert sum(1 for c in server.command_lines() if c.startswith("MAIL")) == 1
    assert sorted(res.by_rcpt()) == [0, 1, 2, 3, 4]
    assert all(r["status"] == "2.0.0" for r in res.replies[0])


def deliver_cached(env, server, rcpts):
    """One message to each of rcpts ("Subject: 1", 2, ...), delivered in
    one agent run with the connection cache on; (queue ids, result)."""
    qids = [env.make_message("s@client.test", [r], b"Subject: %d\n\nmsg\n" % i)
            for i, r in enumerate(rcpts, 1)]
    res = env.deliver([env.request(q, server.nexthop, [r]) for q, r in zip(qids, rcpts)],
                      overrides={"smtp_connection_cache_time_limit": "10s"})
    return qids, res


def test_connection_reuse(env, server):
    _, res = deliver_cached(env, server, ["b@x.test"] * 3)
    server.wait_for(3)
    assert server.connections == 1
    assert [c for c in server.command_lines() if c.split()[0] in ("EHLO", "RSET")] == \
        ["EHLO client.test", "RSET", "RSET"]
    assert all(r[0]["status"] == "2.0.0" for r in res.replies)


@pytest.mark.parametrize("rset_reply", ["421 4.3.2 closing now", "502 5.5.1 no RSET here"])
@pytest.mark.parametrize("pipelining", [True, False])
def test_reuse_rset_refused(env, server, rset_reply, pipelining):
    """A cached session whose RSET is refused (or that closes) is not used:
    the message goes over a new connection, nothing is deferred. With
    PIPELINING the RSET travels with the MAIL FROM of the next message."""
    if not pipelining:
        server.set_ehlo_keywords(["8BITMIME", "ENHANCEDSTATUSCODES"])
    server.set_rset_reply(rset_reply)
    _, res = deliver_cached(env, server, ["b@x.test"] * 2)
    server.wait_for(2)
    assert server.connections == 2
    assert all(r[0]["status"] == "2.0.0" for r in res.replies)
    assert "deferred" not in res.log
    mails = sum(1 for c in server.command_lines() if c.startswith("MAIL"))
    # Pipelined, the refused session saw the MAIL FROM too; never a message.
    assert mails == (3 if pipelining and rset_reply.startswith("502") else 2)
    assert len(server.messages) == 2


def test_no_reuse_for_other_nexthop(env):
    with Sink(host=random_loopback()) as s1, Sink(host=random_loopback()) as s2:
        q1 = env.make_message("s@client.test", ["b@x.test"], b"Subject: 1\n\nmsg\n")
        q2 = env.make_message("s@client.test", ["b@x.test"], b"Subject: 2\n\nmsg\n")
        env.deliver([env.request(q1, s1.nexthop, ["b@x.test"]),
                     env.request(q2, s2.nexthop, ["b@x.test"])])
        s1.wait_for(1)
        s2.wait_for(1)
        from harness import wait_for
        wait_for(lambda: "QUIT" in s1.command_lines(), 10, "QUIT to the first server")


def test_per_recipient_results(env, server):
    server.set_rcpt_reply("bad@x.test", "550 5.1.1 no such user")
    server.set_rcpt_reply("later@x.test", "450 4.2.0 try later")
    rcpts = ["good@x.test", "bad@x.test", "later@x.test"]
    qid = env.make_message("s@client.test", rcpts, b"Subject: mix\n\nbody\n")
    res = env.deliver([env.request(qid, server.nexthop, rcpts)])
    got = res.by_rcpt()
    assert got[0]["status"] == "2.0.0" and got[0]["action"] == "delivered"
    assert got[1]["status"] == "5.1.1" and got[1]["action"] == "failed"
    assert "said: 550 5.1.1 no such user (in reply to RCPT TO command)" in got[1]["reason"]
    assert got[2]["status"] == "4.2.0" and got[2]["action"] == "delayed"
    assert server.wait_for(1)[0].rcpts == ["good@x.test"]
    assert re.search(r"to=<bad@x\.test>.*dsn=5\.1\.1, status=bounced \(host .* said: 550 5\.1\.1 "
                     r"no such user \(in reply to RCPT TO command\)\)", res.log)
    assert re.search(r"to=<later@x\.test>.*status=deferred", res.log)


def test_all_recipients_rejected_no_data(env, server):
    server.set_ehlo_keywords(["8BITMIME"])      # no PIPELINING: DATA must not be sent
    server.set_rcpt_default("550 5.1.1 unknown")
    qid = env.make_message("s@client.test", ["a@x.test", "b@x.test"], b"Subject: x\n\nbody\n")
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test", "b@x.test"])])
    assert "DATA" not in server.command_lines()
    assert all(r["action"] == "failed" for r in res.replies[0])


def test_pipelined_all_rejected(env, server):
    server.set_rcpt_default("550 5.1.1 unknown")
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test"])])
    assert res.by_rcpt()[0]["status"] == "5.1.1"
    assert server.messages == []


def test_mail_from_rejected_and_data_failure(env, server):
    server.set_mail_reply("553 5.1.8 bad sender")
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test"])])
    r = res.by_rcpt()[0]
    assert r["status"] == "5.1.8" and "(in reply to MAIL FROM command)" in r["reason"]
    server.set_mail_reply("250 ok")
    server.set_message_replies("452 4.3.1 out of space")
    qid = env.make_message("s@client.test", ["a@x.test", "b@x.test"], b"Subject: x\n\nbody\n")
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test", "b@x.test"])])
    assert [r["status"] for r in res.replies[0]] == ["4.3.1", "4.3.1"]
    assert "(in reply to end of DATA command)" in res.replies[0][0]["reason"]


def test_connection_refused_deferred(env):
    addr = random_loopback()
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
    res = env.deliver([env.request(qid, "[%s]:9" % addr, ["a@x.test"])])
    r = res.by_rcpt()[0]
    assert r["status"] == "4.4.1" and r["action"] == "delayed"
    assert "connect to %s[%s]:9: " % (addr, addr) in r["reason"]
    assert re.search(r"relay=none, .*status=deferred \(connect to", res.log)
    assert res.replies[0].done.get("dest_failed") == "1"     # the qmgr rests it


def test_greeting_554_bounces_without_skip(env, server):
    server.greeting = "554 5.7.1 go away"
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test"])])
    assert res.by_rcpt()[0]["status"] == "4.7.1"       # skipped: try later
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test"])],
                      overrides={"smtp_skip_5xx_greeting": "no"})
    r = res.by_rcpt()[0]
    assert r["status"] == "5.7.1" and "refused to talk to me" in r["reason"]


def test_helo_fallback_and_never_ehlo(env, server):
    server.set_ehlo_keywords(None)      # EHLO is rejected
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody \xc3\xa9\n")
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test"])],
                      overrides={"smtp_helo_name": "helo.client.test"})
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert server.command_lines()[:2] == ["EHLO helo.client.test", "HELO helo.client.test"]
    server.set_ehlo_keywords(["PIPELINING"])
    settle(server)
    env.deliver([env.request(qid, server.nexthop, ["a@x.test"])],
                overrides={"smtp_never_send_ehlo": "yes"})
    assert server.command_lines()[0] == "HELO client.test"


def test_ehlo_only_with_esmtp_banner(env, server):
    server.greeting = "220 old.test Sendmail ready"
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
    env.deliver([env.request(qid, server.nexthop, ["a@x.test"])],
                overrides={"smtp_ehlo_if_esmtp_banner": "yes"})
    assert server.command_lines()[0] == "HELO client.test"
    server.greeting = "220 new.test ESMTP ready"
    settle(server)
    env.deliver([env.request(qid, server.nexthop, ["a@x.test"])],
                overrides={"smtp_ehlo_if_esmtp_banner": "yes"})
    assert server.command_lines()[0] == "EHLO client.test"


def test_no_pipelining_switch(env, server):
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test"])],
                      overrides={"smtp_discard_ehlo_keywords": "pipelining",
                                 "debug_peer_list": server.addr})
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    # Without PIPELINING each reply is read before the next command: the
    # transcript logged for a debug peer shows strict alternation.
    seq = re.findall(r"([<>]) \S+\[[^]]+\]: (\S+)", res.log)
    cmds = [(d, w) for d, w in seq if w.upper() in ("MAIL", "RCPT", "DATA") or d == "<"]
    i = [w for d, w in cmds].index("MAIL")
    assert [d for d, w in cmds[i:i + 6]] == [">", "<", ">", "<", ">", "<"]


def test_dsn_parameters_and_quoting(env, server):
    qid = env.make_message("s@client.test", ["a b@x.test", "c@x.test"],
                           b"Subject: x\n\nbody\n", envid="env+id=1", ret=2)
    req = env.request(qid, server.nexthop, ['a b@x.test', "c@x.test"], sender="s@client.test",
                      notify=["SUCCESS,FAILURE", "NEVER"],
                      orcpt=["rfc822;orig b@x.test", "rfc822;c@x.test"],
                      extra=[("dsn_envid", "env+id=1"), ("dsn_ret", "HDRS")])
    res = env.deliver([req])
    mail = [c for c in server.command_lines() if c.startswith("MAIL")][0]
    assert "RET=HDRS" in mail and "ENVID=env+2Bid+3D1" in mail
    rcpts = [c for c in server.command_lines() if c.startswith("RCPT")]
    assert rcpts[0] == 'RCPT TO:<"a b"@x.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;orig+20b@x.test'
    assert rcpts[1] == "RCPT TO:<c@x.test> NOTIFY=NEVER ORCPT=rfc822;c@x.test"
    assert all(r.get("dsn_passed") == "1" for r in res.replies[0])
    assert "to=<a b@x.test>, orig_to=<orig b@x.test>, relay=" in res.log


def test_relayed_without_dsn(env, server):
    server.set_ehlo_keywords(["PIPELINING"])
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test"], notify=["SUCCESS"])])
    assert res.by_rcpt()[0]["action"] == "relayed"
    assert "NOTIFY" not in " ".join(server.command_lines())


def test_size_limit(env, server):
    server.set_ehlo_keywords(["SIZE 100", "PIPELINING"])
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\n" + b"y" * 500 + b"\n")
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test"])])
    r = res.by_rcpt()[0]
    assert r["status"] == "5.3.4" and "exceeds size limit 100" in r["reason"]
    assert not any(c.startswith("MAIL") for c in server.command_lines())


def test_xforward(env, server):
    server.set_ehlo_keywords(["PIPELINING", "XFORWARD NAME ADDR PROTO HELO"])
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
    env.deliver([env.request(qid, server.nexthop, ["a@x.test"],
                             extra=[("client_name", "c.example"), ("client_addr", "192.0.2.7"),
                                    ("protocol", "ESMTP"), ("helo", "h e")])],
                overrides={"smtp_send_xforward_command": "yes"})
    xf = [c for c in server.command_lines() if c.startswith("XFORWARD")]
    assert xf == ["XFORWARD NAME=c.example ADDR=192.0.2.7 PROTO=ESMTP HELO=h+20e"]


def sent_to_7bit_server(env, server, rcpt, body):
    """Deliver body to rcpt at a server without 8BITMIME: it is sent
    (2.0.0) and arrives with no 8-bit byte; the data as received."""
    server.set_ehlo_keywords(["PIPELINING"])    # no 8BITMIME
    qid = env.make_message("s@client.test", [rcpt], body)
    res = env.deliver([env.request(qid, server.nexthop, [rcpt])])
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    data = server.wait_for(1)[0].data
    assert all(b < 0x80 for b in data), data
    return data


def test_8bit_to_quoted_printable(env, server):
    body = ("From: a@client.test\nSubject: 8bit\nMIME-Version: 1.0\n"
            "Content-Type: multipart/mixed; boundary=\"XX\"\n\npreamble\n"
            "--XX\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            "caf\u00e9 = cr\u00e8me \u20ac " + "z" * 100 + "\ntrailing space \n.dot\n"
            "--XX\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n"
            "--XX--\nepilogue\n").encode()
    data = sent_to_7bit_server(env, server, "a@x.test", body)
    assert all(len(l) <= 76 for l in data.split(b"\r\n")[6:])
    assert "BODY=8BITMIME" not in " ".join(server.command_lines())
    msg = email.message_from_bytes(data, policy=email.policy.default)
    parts = list(msg.iter_parts())
    assert parts[0]["Content-Transfer-Encoding"] == "quoted-printable"
    assert parts[0].get_content().replace("\r\n", "\n") == (
        "caf\u00e9 = cr\u00e8me \u20ac " + "z" * 100 + "\ntrailing space \n.dot")
    assert parts[1].get_content() == "hello"
    assert b"\r\nepilogue\r\n" in data and b"\r\npreamble\r\n" in data


def test_8bit_plain_message_converted(env, server):
    server.set_ehlo_keywords([])
    body = "Subject: plain\n\nna\u00efve\n".encode()
    qid = env.make_message("s@client.test", ["a@x.test"], body)
    env.deliver([env.request(qid, server.nexthop, ["a@x.test"])])
    data = server.wait_for(1)[0].data
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert b"na=C3=AFve" in data


def test_8bit_kept_when_conversion_disabled(env, server):
    server.set_ehlo_keywords([])
    body = "Subject: plain\nContent-Transfer-Encoding: 8bit\n\nna\u00efve\n".encode()
    qid = env.make_message("s@client.test", ["a@x.test"], body)
    env.deliver([env.request(qid, server.nexthop, ["a@x.test"])],
                overrides={"disable_mime_output_conversion": "yes"})
    assert server.wait_for(1)[0].data == crlf(body)


def test_forced_7bit(env, server):
    body = "Subject: x\nContent-Transfer-Encoding: 8bit\n\n\u00e9\n".encode()
    qid = env.make_message("s@client.test", ["a@x.test"], body)
    env.deliver([env.request(qid, server.nexthop, ["a@x.test"])],
                overrides={"smtp_8bit_mode": "7bit"})
    assert b"=C3=A9" in server.wait_for(1)[0].data


def _header(env, qid):
    with open(os.path.join(env.queue_dir, "active", qid), "rb") as f:
        return f.read(128)


def _as_earlier_build(env, qid):
    """Zero the header's flag word and its check, as a build before the
    flags existed left them (postern-queue(5))."""
    with open(os.path.join(env.queue_dir, "active", qid), "r+b") as f:
        f.seek(80)
        f.write(bytes(8))


def _qmgr_extra(env, qid, encoding):
    """What the queue manager adds to a request: where the content is and
    whether it is 8-bit."""
    off, size = struct.unpack_from("<QQ", _header(env, qid), 40)
    extra = [("offset", off), ("size", size)]
    return extra + ([("encoding", encoding)] if encoding else [])


@pytest.mark.parametrize("eight", [True, False], ids=["8bit", "7bit"])
@pytest.mark.parametrize("how", ["header", "request", "earlier-build"])
@pytest.mark.parametrize("mime", [True, False], ids=["8bitmime", "no-8bitmime"])
def test_8bit_known_without_scan_or_scanned(env, server, eight, how, mime):
    """Whether the content is 8-bit comes from the queue file's header, the
    request (encoding), or, for a file of an earlier build, a scan: BODY=
    8BITMIME and the downgrade to quoted-printable are the same each way."""
    server.set_ehlo_keywords(["PIPELINING"] + (["8BITMIME"] if mime else []))
    text = "caf\u00e9" if eight else "cafe"
    body = ("Subject: x\n\n" + ("a" * 70 + "\n") * 40 + text + "\n").encode()
    qid = env.make_message("s@client.test", ["a@x.test"], body)
    flags = struct.unpack_from("<I", _header(env, qid), 80)[0]
    assert flags & 1 and bool(flags & 2) == eight       # scanned, 8-bit
    extra = []
    if how != "header":
        _as_earlier_build(env, qid)
    if how == "request":
        extra = _qmgr_extra(env, qid, "8bit" if eight else "7bit")
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test"], extra=extra)])
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    data = server.wait_for(1)[0].data
    declared = "BODY=8BITMIME" in " ".join(server.command_lines())
    assert declared == (eight and mime)
    if eight and not mime:
        assert b"caf=C3=A9" in data and all(b < 0x80 for b in data)
    else:
        assert data == crlf(body)


def test_request_content_hint(env, server):
    """offset and size in the request let the client read a large file once;
    a hint that does not match the file is warned about and the file's
    header wins."""
    body = b"Subject: big\n\n" + (b"x" * 99 + b"\n") * 2000
    qid = env.make_message("s@client.test", ["a@x.test"], body)
    qid2 = env.make_message("s@client.test", ["a@x.test"], body)
    good = _qmgr_extra(env, qid, "7bit")
    bad = [("offset", 7), ("size", 3), ("encoding", "7bit")]
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test"], extra=good),
                       env.request(qid2, server.nexthop, ["a@x.test"], extra=bad)])
    assert res.by_rcpt(0)[0]["status"] == "2.0.0"
    assert res.by_rcpt(1)[0]["status"] == "2.0.0"
    msgs = server.wait_for(2)
    assert msgs[0].data == crlf(body) and msgs[1].data == crlf(body)
    assert "%s: the request's content offset and size differ" % qid2 in res.log
    assert "%s: the request's" % qid not in res.log


def test_malformed_content_attributes_refused(env, server):
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
    for extra in ([("offset", "-5")], [("size", "12k")], [("encoding", "binary")]):
        with pytest.raises(RuntimeError):      # no reply: the client hangs up
            env.deliver([env.request(qid, server.nexthop, ["a@x.test"], extra=extra)])
    with open(env.log_file) as f:
        assert f.read().count("malformed delivery request") == 3
    assert server.messages == []


def test_forced_destination_and_transcript(env, server, tmp_path):
    log = tmp_path / "transcript.log"
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
    res = env.deliver([env.request(qid, "elsewhere.invalid", ["a@x.test"])],
                      overrides={"smtp_forced_destination": server.nexthop,
                                 "smtp_transcript_log": str(log)})
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    text = log.read_text()
    assert re.search(r"^\d+\t\S+\t> MAIL FROM:<sender@client.test>", text, re.M)
    assert re.search(r"^\d+\t\S+\t< 250 2.0.0 Ok: queued as SINK1\.1", text, re.M)


def test_lost_connection_defers(env, server):
    server.set_message_replies(lambda: (_ for _ in ()).throw(OSError("drop")))
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test"])])
    r = res.by_rcpt()[0]
    assert r["action"] == "delayed" and r["status"].startswith("4.")
    assert "lost connection" in r["reason"]


def test_bad_request_and_missing_queue_file(env, server):
    env.make_message("s@client.test", ["a@x.test"], b"x\n")     # makes the queue
    res = env.deliver([env.request("0badc0de", server.nexthop, ["a@x.test"])])
    r = res.by_rcpt()[0]
    assert r["status"] == "4.3.0" and r["action"] == "delayed"


def test_bind_address(env, server):
    local = random_loopback()
    qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
    res = env.deliver([env.request(qid, server.nexthop, ["a@x.test"])],
                      overrides={"smtp_bind_address": local})
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert server.peers == [local]


def test_greeting_timeout(env):
    addr = random_loopback()
    with Sink(host=addr, behaviour="hang") as silent:
        qid = env.make_message("s@client.test", ["a@x.test"], b"Subject: x\n\nbody\n")
        res = env.deliver([env.request(qid, silent.nexthop, ["a@x.test"])],
                          overrides={"smtp_helo_timeout": "1s"})
    r = res.by_rcpt()[0]
    assert r["action"] == "delayed"
    assert "conversation with %s[%s] timed out while receiving the initial server greeting" \
        % (addr, addr) in r["reason"]


def test_rcpt_4xx_on_reused_connection_defers(env, server):
    """Issue 13 #1: a 451 at RCPT on a cached connection defers that
    recipient; it is not sent again at once over a new connection."""
    seen = []

    def reply(rcpt):
        seen.append(rcpt)
        return "451 4.7.1 greylisted" if rcpt == "grey@x.test" else "250 2.1.5 Ok"
    server.set_rcpt_default(reply)
    (_, q2), res = deliver_cached(env, server, ["b@x.test", "grey@x.test"])
    assert res.replies[0][0]["status"] == "2.0.0"
    r = res.replies[1][0]
    assert r["action"] == "delayed" and r["status"] == "4.7.1", r
    assert "451 4.7.1 greylisted (in reply to RCPT TO command)" in r["reason"]
    assert seen.count("grey@x.test") == 1, seen
    assert server.connections == 1
    assert re.search(r"%s: to=<grey@x\.test>, relay=.*dsn=4\.7\.1, status=deferred" % q2, res.log)


def test_broken_reused_connection_retried(env, server):
    """Only a broken cached connection is retried on a new one."""
    state = {"n": 0}

    def reply(rcpt):
        state["n"] += 1
        if state["n"] == 2 and server.connections == 1:
            raise OSError("drop the cached connection")
        return "250 2.1.5 Ok"
    server.set_rcpt_default(reply)
    _, res = deliver_cached(env, server, ["b@x.test", "c@x.test"])
    assert res.replies[1][0]["status"] == "2.0.0", res.replies[1]
    assert server.connections == 2


def test_8bit_headers_rfc2047_for_7bit_server(env, server):
    """Issue 13 #5: 8-bit header text to a server without 8BITMIME is
    RFC 2047-encoded (ZMailer's -H); a mail reader decodes it back."""
    body = ("From: J\u00fcrgen M\u00fcller <j@client.test>\nTo: b@x.test\n"
            "Subject: Gr\u00fc\u00dfe aus K\u00f6ln\nMIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            "K\u00f6ln\n").encode()
    data = sent_to_7bit_server(env, server, "b@x.test", body)
    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"Subject: =?utf-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=" in head, head
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert str(msg["Subject"]) == "Gr\u00fc\u00dfe aus K\u00f6ln"
    assert msg["From"].addresses[0].display_name == "J\u00fcrgen M\u00fcller"
    assert msg["From"].addresses[0].addr_spec == "j@client.test"
    assert msg.get_content().replace("\r\n", "\n") == "K\u00f6ln\n"
