"""smtpd: replies that quote client text carry no control characters.

Found by the fuzz harness tests/fuzz/fuzz_smtpd.c: a CR inside a HELO
argument (one that does not end the line) came back raw in the 501 reply,
breaking the reply line (RFC 5321 4.2). The replay of
tests/fuzz/corpus/smtpd/regress-helo-cr-reply checks the same in make unit.
"""
from test_smtpd_lib import Client, no_crash, smtpd_instance


def raw_reply_line(c):
    """One reply line as sent: bytes up to and including CRLF."""
    while b"\r\n" not in c.buf:
        chunk = c.sock.recv(65536)
        assert chunk, "connection closed; pending %r" % c.buf
        c.buf += chunk
    line, c.buf = c.buf.split(b"\r\n", 1)
    return line


def test_helo_with_bare_cr_is_quoted_printably(make_instance):
    inst = smtpd_instance(make_instance,
                          smtpd_delay_reject="no",
                          smtpd_helo_restrictions="reject_invalid_helo_hostname")
    with Client(inst) as c:
        c.send(b"HELO bad\rname.example\r\n")
        line = raw_reply_line(c)
        assert line.startswith(b"501 5.5.2 <bad?name.example>: Helo command rejected"), line
        assert b"\r" not in line and b"\n" not in line
        c.send(b"EHLO a\x01b\x7fc\r\n")
        line = raw_reply_line(c)
        assert line.startswith(b"501 5.5.2 <a?b?c>: Helo command rejected"), line
        # The session stays in step: the next command gets its own reply.
        assert c.cmd("NOOP")[0] == 250
        assert c.cmd("QUIT")[0] == 221
    no_crash(inst)
