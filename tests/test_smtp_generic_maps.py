"""smtp_generic_maps and lmtp_generic_maps: the smtp/lmtp client rewrites the
envelope and the primary header's address fields on output (Postfix's
generic(5)), keeps SIZE= truthful and ORCPT the original recipient, leaves
the null sender, MIME part headers and the body alone, and defers on a
table lookup problem."""

import os
import re

import pytest

from harness import BIN, random_loopback, relay_instance
from sink import Sink

pytestmark = pytest.mark.skipif(
    not all(os.path.exists(os.path.join(BIN, p)) for p in ("smtp", "smtpd", "qmgr", "master")),
    reason="programs not built")

GENERIC = """\
alice@local.test        alice.smith@isp.example
r@x.test                r.out@isp.example
@lan.test               @isp.example
long@local.test         a.much.longer.local.part.than.before@a-long-domain-name.isp.example
"""

MESSAGE = (
    "From: Alice <alice@local.test>\r\n"
    "To: r@x.test, Team: Bob <bob@lan.test>, (comment alice@local.test) other@else.test;\r\n"
    "Cc: \"Alice, at home\" <alice@local.test>\r\n"
    "Reply-To: alice@local.test\r\n"
    "Subject: about alice@local.test\r\n"
    "X-Other: alice@local.test\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
    "\r\n"
    "--b1\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "From: alice@local.test in the body\r\n"
    "--b1\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: alice@local.test\r\n"
    "To: r@x.test\r\n"
    "\r\n"
    "attached\r\n"
    "--b1--\r\n")


def table(tmp_path, text=GENERIC, name="generic"):
    path = tmp_path / name
    path.write_text(text)
    return "texthash:%s" % path


def submit(inst, sender, rcpts, msg):
    with inst.smtp() as s:
        s.ehlo("client.test")
        code, text = s.mail(sender)
        assert code == 250, text
        for r in rcpts:
            code, text = s.rcpt(r)
            assert code == 250, (code, text, inst.log_tail())
        code, text = s.data(msg.encode() if isinstance(msg, str) else msg)
        assert code == 250, (code, text)


def header_of(data):
    return data.split(b"\r\n\r\n", 1)[0].decode()


def unfold(header):
    return re.sub(r"\r\n(?=[ \t])", "", header)


def field(header, name):
    for line in unfold(header).split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line
    return None


def content_size(data):
    """What SIZE= must say: the queue file's content size (LF line ends)."""
    return len(data) - data.count(b"\r\n")


def test_envelope_and_headers(make_instance, sink, tmp_path):
    inst = relay_instance(make_instance, sink.nexthop,
                          smtp_generic_maps=table(tmp_path))
    submit(inst, "alice@local.test", ["r@x.test", "bob@lan.test", "keep@else.test"], MESSAGE)
    m = sink.wait_for(1, timeout=20)[0]
    assert m.sender == "alice.smith@isp.example"
    assert sorted(m.rcpts) == ["bob@isp.example", "keep@else.test", "r.out@isp.example"]
    hdr = header_of(m.data)
    assert field(hdr, "From") == "From: Alice <alice.smith@isp.example>"
    # Display names, comments and groups stay; only addr-specs change.
    assert field(hdr, "To") == ("To: r.out@isp.example, Team: Bob <bob@isp.example>, "
                                "(comment alice@local.test) other@else.test;")
    assert field(hdr, "Cc") == "Cc: \"Alice, at home\" <alice.smith@isp.example>"
    assert field(hdr, "Reply-To") == "Reply-To: alice.smith@isp.example"
    # Not an address field, MIME part headers, the attached message, the body.
    assert field(hdr, "Subject") == "Subject: about alice@local.test"
    assert field(hdr, "X-Other") == "X-Other: alice@local.test"
    body = m.data.split(b"\r\n\r\n", 1)[1]
    assert body == MESSAGE.split("\r\n\r\n", 1)[1].encode()
    # SIZE= is the size of what was sent, not of the queued header.
    assert int(m.mail_params["SIZE"]) == content_size(m.data)
    # DSN: the rewritten recipients carry their original address as ORCPT.
    orcpt = {r: p.get("ORCPT") for r, p in m.rcpt_params.items()}
    assert orcpt["r.out@isp.example"].lower() == "rfc822;r@x.test"
    assert orcpt["bob@isp.example"].lower() == "rfc822;bob@lan.test"
    assert orcpt["keep@else.test"] is None
    # Logs name the queue's addresses, and nothing per rewrite.
    inst.wait_log(r"to=<r@x\.test>.*status=sent")
    log = inst.log()
    assert "alice.smith@isp.example" not in log and "lookup" not in log


def test_header_gets_longer_is_folded(make_instance, sink, tmp_path):
    inst = relay_instance(make_instance, sink.nexthop,
                          smtp_generic_maps=table(tmp_path))
    to = ", ".join(["long@local.test"] * 12)
    msg = "From: long@local.test\r\nTo: %s\r\nSubject: long\r\n\r\nbody\r\n" % to
    submit(inst, "long@local.test", ["r@x.test"], msg)
    m = sink.wait_for(1, timeout=20)[0]
    new = "a.much.longer.local.part.than.before@a-long-domain-name.isp.example"
    assert m.sender == new
    hdr = header_of(m.data)
    lines = hdr.split("\r\n")
    assert max(len(line) for line in lines) <= 78, lines
    assert field(hdr, "To") == "To: " + ", ".join([new] * 12)
    assert field(hdr, "From") == "From: " + new
    assert int(m.mail_params["SIZE"]) == content_size(m.data)


def test_after_smtp_header_checks(make_instance, sink, tmp_path):
    # Postfix's order: the checks see the header as queued, generic mapping
    # applies to what they send (a REPLACE too), not to PREPEND text.
    checks = tmp_path / "smtp_header_checks"
    checks.write_text("/^From: .*alice@local\\.test/ REPLACE From: Replaced <alice@local.test>\n"
                      "/^X-Drop:/ IGNORE\n"
                      "/^Subject:/ PREPEND X-Contact: alice@local.test\n")
    inst = relay_instance(make_instance, sink.nexthop,
                          smtp_generic_maps=table(tmp_path),
                          smtp_header_checks="regexp:%s" % checks)
    submit(inst, "alice@local.test", ["r@x.test"],
           "From: Alice <alice@local.test>\r\nTo: r@x.test\r\nX-Drop: 1\r\n"
           "Subject: s\r\n\r\nbody\r\n")
    m = sink.wait_for(1, timeout=20)[0]
    hdr = header_of(m.data)
    assert field(hdr, "From") == "From: Replaced <alice.smith@isp.example>"
    assert field(hdr, "To") == "To: r.out@isp.example"
    assert field(hdr, "X-Drop") is None
    assert field(hdr, "X-Contact") == "X-Contact: alice@local.test"
    assert m.sender == "alice.smith@isp.example"


def test_header_only_and_folded_fields(make_instance, sink, tmp_path):
    inst = relay_instance(make_instance, sink.nexthop,
                          smtp_generic_maps=table(tmp_path))
    # A folded field, and a message that is all header (no empty line).
    submit(inst, "alice@local.test", ["r@x.test"],
           "Subject: h\r\nTo: other@else.test,\r\n\tr@x.test\r\nFrom: alice@local.test\r\n")
    m = sink.wait_for(1, timeout=20)[0]
    hdr = unfold(header_of(m.data))
    assert "To: other@else.test,\tr.out@isp.example" in hdr
    assert "From: alice.smith@isp.example" in hdr
    assert int(m.mail_params["SIZE"]) == content_size(m.data)


def test_user_key_only_for_local_domains(make_instance, sink, tmp_path):
    # generic(5): a bare "user" key applies when the domain is $myorigin or
    # in $mydestination, not to other domains.
    inst = relay_instance(make_instance, sink.nexthop,
                          smtp_generic_maps=table(tmp_path, "joe joe.bloggs@isp.example\n"),
                          mydestination="local.test", myorigin="origin.test")
    for sender in ("joe@local.test", "joe@origin.test", "joe@else.test"):
        submit(inst, sender, ["r@x.test"], "Subject: u\r\n\r\nbody\r\n")
    msgs = sink.wait_for(3, timeout=20)
    assert sorted(m.sender for m in msgs) == [
        "joe.bloggs@isp.example", "joe.bloggs@isp.example", "joe@else.test"]


def test_null_sender_and_pattern_table(make_instance, sink, tmp_path):
    # A regexp table that would match an empty address: the null sender
    # must not even be looked up.
    rx = tmp_path / "generic.re"
    rx.write_text("/^$/ nobody@evil.test\n/^r@x\\.test$/ r.out@isp.example\n")
    inst = relay_instance(make_instance, sink.nexthop,
                          smtp_generic_maps="regexp:%s" % rx)
    submit(inst, "", ["r@x.test"], "From: <>\r\nTo: r@x.test\r\nSubject: n\r\n\r\nb\r\n")
    m = sink.wait_for(1, timeout=20)[0]
    assert m.sender == ""
    assert m.rcpts == ["r.out@isp.example"]
    hdr = header_of(m.data)
    assert field(hdr, "From") == "From: <>"
    assert field(hdr, "To") == "To: r.out@isp.example"


def test_unset_changes_nothing(make_instance, sink, tmp_path):
    inst = relay_instance(make_instance, sink.nexthop)
    submit(inst, "alice@local.test", ["r@x.test"], MESSAGE)
    m = sink.wait_for(1, timeout=20)[0]
    assert m.sender == "alice@local.test" and m.rcpts == ["r@x.test"]
    assert field(header_of(m.data), "From") == "From: Alice <alice@local.test>"
    assert int(m.mail_params["SIZE"]) == content_size(m.data)
    assert "ORCPT" not in m.rcpt_params["r@x.test"]


def test_lookup_failure_defers(make_instance, sink, tmp_path):
    inst = relay_instance(make_instance, sink.nexthop,
                          smtp_generic_maps="hash:%s" % (tmp_path / "missing"),
                          minimal_backoff_time="300s", maximal_backoff_time="600s",
                          queue_run_delay="300s")
    submit(inst, "alice@local.test", ["r@x.test"], "Subject: x\r\n\r\nbody\r\n")
    inst.wait_log(r"to=<r@x\.test>.*status=deferred \(table lookup problem\)", timeout=20)
    assert re.search(r"dsn=4\.3\.0, status=deferred", inst.log())
    assert re.search(r"warning: [0-9a-f]+: smtp_generic_maps map lookup problem for "
                     r"alice@local\.test", inst.log())
    assert sink.messages == [] and sink.connections == 0
    assert inst.queue_count() == 1


def test_lmtp_generic_maps(make_instance, tmp_path):
    sink = Sink(host=random_loopback(), lmtp=True).start()
    try:
        inst = make_instance(main_cf_extra={
            "default_transport": "lmtp:%s" % sink.nexthop,
            "lmtp_generic_maps": table(tmp_path),
            # The smtp_ name does not apply to the lmtp client.
            "smtp_generic_maps": "inline:{ alice@local.test=wrong@wrong.example }"})
        inst.start()
        submit(inst, "alice@local.test", ["r@x.test"],
               "From: alice@local.test\r\nTo: r@x.test\r\nSubject: l\r\n\r\nbody\r\n")
        m = sink.wait_for(1, timeout=20)[0]
        assert m.protocol == "LMTP"
        assert m.sender == "alice.smith@isp.example"
        assert m.rcpts == ["r.out@isp.example"]
        hdr = header_of(m.data)
        assert field(hdr, "From") == "From: alice.smith@isp.example"
        assert field(hdr, "To") == "To: r.out@isp.example"
    finally:
        sink.stop()
