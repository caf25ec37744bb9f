"""smtpd: EHLO keywords offered, discarded keywords, NOOP-like commands,
client port logging and strict RFC 821 envelopes."""
import re

from test_smtpd_lib import Client, no_crash, smtpd_instance


def ehlo_keywords(c):
    """Send EHLO; the keywords (first words) of the reply, and the lines."""
    code, text = c.cmd("EHLO client.example")
    assert code == 250
    lines = text.split("\n")
    return [l[4:].split()[0].upper() for l in lines[1:]], lines


def test_default_keywords(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        kws, lines = ehlo_keywords(c)
        for k in ("PIPELINING", "SIZE", "ETRN", "ENHANCEDSTATUSCODES", "8BITMIME",
                  "DSN", "SMTPUTF8", "CHUNKING"):
            assert k in kws
        assert lines[-1].startswith("250 ")
        assert all(l.startswith("250-") for l in lines[:-1])


def test_discard_ehlo_keywords(make_instance):
    inst = smtpd_instance(make_instance,
                          smtpd_discard_ehlo_keywords="chunking, etrn, dsn")
    with Client(inst) as c:
        kws, lines = ehlo_keywords(c)
        assert "CHUNKING" not in kws and "ETRN" not in kws and "DSN" not in kws
        assert "PIPELINING" in kws
        assert lines[-1].startswith("250 ") and lines[-2].startswith("250-")
        # A command of a discarded keyword is not implemented for this client.
        assert c.cmd("ETRN example.com") == (502, "502 5.5.1 Error: command not implemented")
        c.envelope(None)
        c.send(b"BDAT 3 LAST\r\nabc")
        assert c.reply()[0] == 502
    inst.wait_log(r"discarding EHLO keywords: ETRN DSN CHUNKING")
    no_crash(inst)


def test_discard_everything_and_silently(make_instance):
    inst = smtpd_instance(make_instance, smtpd_discard_ehlo_keywords=(
        "silent-discard pipelining size vrfy etrn enhancedstatuscodes 8bitmime "
        "dsn smtputf8 chunking starttls"))
    with Client(inst) as c:
        kws, lines = ehlo_keywords(c)
        assert kws == [] and lines == ["250 localhost"]
    log = open(inst.log_file).read()
    assert "discarding EHLO keywords" not in log


def test_discard_ehlo_keyword_address_maps(make_instance, tmp_path):
    # The client's entry replaces the global list.
    inst = smtpd_instance(make_instance,
                          smtpd_discard_ehlo_keywords="pipelining",
                          smtpd_discard_ehlo_keyword_address_maps=
                          "inline:{127.0.0.9=size}")
    with Client(inst, source="127.0.0.9") as c:
        kws, _ = ehlo_keywords(c)
        assert "SIZE" not in kws and "PIPELINING" in kws
    with Client(inst, source="127.0.0.10") as c:
        kws, _ = ehlo_keywords(c)
        assert "SIZE" in kws and "PIPELINING" not in kws


def test_noop_commands(make_instance):
    inst = smtpd_instance(make_instance, smtpd_noop_commands="XYZZY, frobnicate")
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("XYZZY 1 2 3") == (250, "250 2.0.0 Ok")
        assert c.cmd("frobnicate") == (250, "250 2.0.0 Ok")
        assert c.cmd("PLUGH")[0] == 500
    inst.wait_log(r"disconnect from .* noop=2 unknown=0/1")


def test_client_port_logging(make_instance):
    inst = smtpd_instance(make_instance, smtpd_client_port_logging="yes")
    with Client(inst) as c:
        port = c.sock.getsockname()[1]
        c.cmd("EHLO client.example")
    inst.wait_log(r"connect from \S+\[[0-9.]+\]:%d$" % port)


def test_strict_rfc821_envelopes(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:a@example.com")[0] == 250
    strict = smtpd_instance(make_instance, strict_rfc821_envelopes="yes")
    with Client(strict) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:a@example.com") == (501, "501 5.1.7 Bad sender address syntax")
        assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
        assert c.cmd("RCPT TO:root@localhost") == (501, "501 5.1.3 Bad recipient address syntax")
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 250


def test_smtputf8_enable_no(make_instance):
    inst = smtpd_instance(make_instance, smtputf8_enable="no")
    with Client(inst) as c:
        kws, _ = ehlo_keywords(c)
        assert "SMTPUTF8" not in kws
        assert c.cmd("MAIL FROM:<a@example.com> SMTPUTF8") == (
            555, "555 5.5.4 Unsupported option: SMTPUTF8")
        assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
        assert c.cmd("RCPT TO:<j\u00f6rg@localhost>")[0] == 553
