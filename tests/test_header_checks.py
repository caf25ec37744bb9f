"""header_checks, mime_header_checks, nested_header_checks, body_checks in
the cleanup stage (before the 250), and smtp_header_checks on delivery."""

import os
import re
import smtplib

import pytest

from harness import BIN, relay_instance, wait_for
from test_smtpd_lib import send_message

pytestmark = pytest.mark.skipif(
    not all(os.path.exists(os.path.join(BIN, p)) for p in ("smtp", "smtpd", "qmgr", "master")),
    reason="programs not built")

CHECKS = r"""/^Subject:.*viagra/            REJECT 5.7.1 no pills: $0
/^Subject:.*defer me/           DEFER try later
/^Subject:.*hold me/            HOLD held for review
/^Subject:.*drop me/            DISCARD dropped
/^Subject:.*tag me/             PREPEND X-Tagged: yes
/^Subject:.*replace me/         REPLACE Subject: replaced
/^X-Secret:/                    IGNORE
/^Subject:.*warn me/            WARN looks odd
/^Subject:.*info me/            INFO noted
/^Subject:.*redirect me/        REDIRECT boss@x.test
/^Subject:.*bcc me/             BCC archive@x.test
/^Subject:.*filter me/          FILTER smtp:[127.0.0.1]:9
/^Content-Type:.*name="?.*\.exe/  REJECT 5.7.1 no executables
/^From:.*nested-bad@/           REJECT 5.7.1 bad attached message
"""

BODY = r"""/^this is spam$/                 REJECT 5.7.1 spam body
/^strip this line$/             IGNORE
"""


def start_checks(make_instance, sink, tmp_path, **extra):
    hc = tmp_path / "header_checks"
    hc.write_text(CHECKS)
    bc = tmp_path / "body_checks"
    bc.write_text(BODY)
    return relay_instance(make_instance, sink.nexthop, **dict(
        {"header_checks": "regexp:%s" % hc, "body_checks": "pcre:%s" % bc}, **extra))


def test_reject_defer_discard(make_instance, sink, tmp_path):
    inst = start_checks(make_instance, sink, tmp_path)
    code, text = send_message(inst, "buy viagra now")
    assert code == 550 and text == b"5.7.1 no pills: Subject: buy viagra"
    inst.wait_log(r"\w+: reject: header Subject: buy viagra now from "
                  r"localhost\[127\.0\.0\.1\]; from=<s@client\.test> "
                  r"to=<r@x\.test> proto=ESMTP helo=<client\.test>: "
                  r"5\.7\.1 no pills")
    code, text = send_message(inst, "please defer me")
    assert code == 451 and text.startswith(b"4.7.1 try later")
    code, _ = send_message(inst, "drop me")
    assert code == 250
    inst.wait_log(r"discard: header Subject: drop me from")
    code, _ = send_message(inst, "this is fine", body="this is spam\r\n")
    assert code == 550
    inst.wait_log(r"reject: body this is spam from localhost")
    assert sink.messages == []


def test_hold_visible_in_queue(make_instance, sink, tmp_path):
    inst = start_checks(make_instance, sink, tmp_path)
    code, text = send_message(inst, "hold me please")
    assert code == 250
    qid = text.split()[-1].decode()
    inst.wait_log(r"%s: hold: header Subject: hold me please from "
                  r"localhost\[127\.0\.0\.1\];.*: held for review" % qid)
    wait_for(lambda: inst.queue_files("hold"), 10, "file in hold/")
    # The "from=<...>, size=..." line is the qmgr's: a held message gets it
    # when it is released, not now (as in Postfix).
    assert not re.search(r"%s: from=<" % qid, inst.log())
    out = inst.smtpctl(["show", "queue"]).stdout.decode()
    assert qid.lower() in out.lower()
    assert sink.messages == []


def test_edits_reach_destination(make_instance, sink, tmp_path):
    inst = start_checks(make_instance, sink, tmp_path)
    assert send_message(inst, "tag me", extra="X-Secret: 42\r\n",
                        body="line one\r\nstrip this line\r\nline two\r\n")[0] == 250
    assert send_message(inst, "replace me")[0] == 250
    msgs = sink.wait_for(2, timeout=20)
    data = {b"tag" if b"tag me" in m.data else b"replace": m.data for m in msgs}
    tagged = data[b"tag"]
    head, body = tagged.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    assert lines.index(b"X-Tagged: yes") + 1 == lines.index(b"Subject: tag me")
    assert b"X-Secret" not in head
    assert body == b"line one\r\nline two\r\n"
    assert b"Subject: replaced\r\n" in data[b"replace"]
    inst.wait_log(r"replace: header Subject: replace me from")


def test_warn_info_redirect_bcc(make_instance, sink, tmp_path):
    inst = start_checks(make_instance, sink, tmp_path)
    assert send_message(inst, "warn me")[0] == 250
    inst.wait_log(r"warning: header Subject: warn me from .*: looks odd")
    assert send_message(inst, "info me")[0] == 250
    inst.wait_log(r"info: header Subject: info me from .*: noted")
    assert send_message(inst, "redirect me")[0] == 250
    inst.wait_log(r"to=<boss@x\.test>.*status=sent")
    assert send_message(inst, "bcc me")[0] == 250
    inst.wait_log(r"to=<archive@x\.test>.*status=sent")
    inst.wait_log(r"to=<r@x\.test>.*status=sent", count=3)
    redirected = [m for m in sink.messages if b"redirect me" in m.data]
    assert [r.strip("<> ") for m in redirected for r in m.rcpts] == ["boss@x.test"]
    assert any("archive@x.test" in r for m in sink.messages for r in m.rcpts)


def test_filter_action_routes_to_filter(make_instance, sink, tmp_path):
    inst = start_checks(make_instance, sink, tmp_path)
    assert send_message(inst, "filter me")[0] == 250
    inst.wait_log(r"filter: header Subject: filter me from .*: smtp:\[127\.0\.0\.1\]:9")
    # Port 9 has no server: the message waits for the filter, it does
    # not go to the relayhost.
    inst.wait_log(r"to=<r@x\.test>, relay=none.*status=deferred.*127\.0\.0\.1")
    assert sink.messages == []


MIME = (
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "see attachment\r\n"
    "--b1\r\n"
    "Content-Type: %s\r\n"
    "\r\n"
    "%s"
    "--b1--\r\n")


def test_mime_and_nested_headers(make_instance, sink, tmp_path):
    inst = start_checks(make_instance, sink, tmp_path)
    body = MIME % ('application/octet-stream; name="x.exe"', "AAAA\r\n")
    hdr, _, rest = body.partition("\r\n\r\n")
    code, text = send_message(inst, "attachment", extra=hdr + "\r\n", body=rest)
    assert code == 550 and text == b"5.7.1 no executables"
    inst.wait_log(r"reject: mime-header Content-Type: application/octet-stream; "
                  r"name=\"x\.exe\" from localhost")
    body = MIME % ("message/rfc822", "From: nested-bad@evil.test\r\nSubject: x\r\n\r\nhi\r\n")
    hdr, _, rest = body.partition("\r\n\r\n")
    code, text = send_message(inst, "forwarded", extra=hdr + "\r\n", body=rest)
    assert code == 550 and text == b"5.7.1 bad attached message"
    inst.wait_log(r"reject: nested-header From: nested-bad@evil\.test from")
    # disable_mime_input_processing: the same message passes (the part
    # headers are body text then).
    inst.stop()
    inst.write_main_cf({"default_transport": "smtp", "relayhost": sink.nexthop,
                        "header_checks": "regexp:%s" % (tmp_path / "header_checks"),
                        "disable_mime_input_processing": "yes"})
    inst.start()
    assert send_message(inst, "forwarded", extra=hdr + "\r\n", body=rest)[0] == 250


def test_strict_7bit_headers(make_instance, sink, tmp_path):
    inst = start_checks(make_instance, sink, tmp_path, strict_7bit_headers="yes")
    msg = b"Subject: caf\xc3\xa9\r\n\r\nhi\r\n"
    with inst.smtp() as s:
        s.ehlo("c.test")
        s.mail("s@client.test")
        s.rcpt("r@x.test")
        code, text = s.data(msg)
    assert code == 550 and b"8-bit data in message header" in text


def test_smtp_header_checks_on_delivery(make_instance, sink, tmp_path):
    shc = tmp_path / "smtp_header_checks"
    shc.write_text("/^X-Internal:/ IGNORE\n/^Subject: (.*)/ REPLACE Subject: [ext] $1\n")
    inst = make_instance(main_cf_extra={
        "default_transport": "smtp", "relayhost": sink.nexthop,
        "smtp_header_checks": "regexp:%s" % shc})
    inst.start()
    assert send_message(inst, "hello", extra="X-Internal: secret\r\n")[0] == 250
    data = sink.wait_for(1, timeout=20)[0].data
    assert b"X-Internal" not in data
    assert b"Subject: [ext] hello\r\n" in data


def test_message_reject_and_strip_characters(make_instance, sink):
    """message_reject_characters rejects on a byte in a header or the body
    (before header_checks, logged like them); message_strip_characters
    removes bytes; C escapes name them (\\0 is NUL)."""
    inst = relay_instance(make_instance, sink.nexthop,
                          message_reject_characters=r"\0\001",
                          message_strip_characters=r"\t\177")
    code, text = send_message(inst, "nul in body", body="a\x00b\r\n")
    assert code == 550 and text == b"5.7.1 disallowed character"
    inst.wait_log(r"\w+: reject: body a from localhost\[127\.0\.0\.1\]; "
                  r"from=<s@client\.test> to=<r@x\.test> proto=ESMTP "
                  r"helo=<client\.test>: 5\.7\.1 disallowed character")
    code, text = send_message(inst, "ctrl-a \x01 in subject")
    assert code == 550 and text == b"5.7.1 disallowed character"
    inst.wait_log(r"reject: header Subject: ctrl-a .*5\.7\.1 disallowed")
    code, _ = send_message(inst, "tab\there", body="x\x7fy\tz\r\nplain\r\n")
    assert code == 250
    got = sink.wait_for(1, timeout=20)[0].data
    assert b"Subject: tabhere\r\n" in got
    assert got.endswith(b"\r\n\r\nxyz\r\nplain\r\n")
    assert len(sink.messages) == 1


def test_message_characters_off_with_no_header_body_checks(make_instance, sink):
    inst = relay_instance(make_instance, sink.nexthop,
                          message_reject_characters=r"\0",
                          receive_override_options="no_header_body_checks")
    code, _ = send_message(inst, "nul allowed", body="a\x00b\r\n")
    assert code == 250
    assert b"a\x00b\r\n" in sink.wait_for(1, timeout=20)[0].data
