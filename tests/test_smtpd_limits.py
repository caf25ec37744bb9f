"""smtpd: size limits, long lines and commands, hostile input, error limits,
time-outs, and a crash during DATA."""
import os
import random
import signal

from harness import wait_for
from test_smtpd_lib import Client, no_crash, queued_id, smtpd_instance, wait_qf


def start_data(c, rcpt="root@localhost"):
    assert c.cmd("EHLO client.example")[0] == 250
    assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
    assert c.cmd("RCPT TO:<%s>" % rcpt)[0] == 250
    assert c.cmd("DATA")[0] == 354


def test_size_rejected_at_mail(make_instance):
    inst = smtpd_instance(make_instance, message_size_limit="10000")
    with Client(inst) as c:
        code, text = c.cmd("EHLO client.example")
        assert "SIZE 10000" in text
        assert c.cmd("MAIL FROM:<a@example.com> SIZE=10001") == \
            (552, "552 5.3.4 Message size exceeds fixed limit")
        assert c.cmd("MAIL FROM:<a@example.com> SIZE=10000")[0] == 250


def test_size_rejected_during_data(make_instance):
    inst = smtpd_instance(make_instance, message_size_limit="10000")
    with Client(inst) as c:
        start_data(c)
        c.send(b"Subject: big\r\n\r\n" + (b"x" * 70 + b"\r\n") * 300 + b".\r\n")
        assert c.reply() == (552, "552 5.3.4 Error: message file too big")
        # The session goes on: a small message is still accepted.
        assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 250
        assert c.cmd("DATA")[0] == 354
        code, text = c.cmd("Subject: small\r\n\r\nok\r\n.\r\n")
        assert code == 250
    assert inst.queue_files("incoming") == [queued_id(text)]
    assert inst.tmp_leftovers() == []
    inst.wait_log(r"reject: size \d+ exceeds message_size_limit")


def test_bdat_size_limit(make_instance):
    inst = smtpd_instance(make_instance, message_size_limit="1000")
    with Client(inst) as c:
        c.envelope()
        data = b"y" * 5000
        c.send(b"BDAT %d LAST\r\n" % len(data) + data)
        assert c.reply()[1] == "552 5.3.4 Error: message file too big"
        assert c.cmd("NOOP")[0] == 250
    assert inst.queue_files("incoming") == []


def test_overlong_command(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        assert c.cmd("MAIL FROM:<" + "a" * 5000 + "@example.com>") == \
            (500, "500 5.5.2 Error: line too long")
        assert c.cmd("NOOP" + " " * 3000 + "x")[1] == "500 5.5.2 Error: line too long"
        assert c.cmd("NOOP")[0] == 250      # the rest of the line was discarded


def test_nul_and_garbage(make_instance):
    inst = smtpd_instance(make_instance, smtpd_error_sleep_time="0",
                          smtpd_hard_error_limit="1000")
    with Client(inst) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        assert c.cmd(b"NOOP\x00x\r\n".decode())[1] == "500 5.5.2 Error: bad syntax"
        rnd = random.Random(4711)
        garbage = bytes(rnd.randrange(256) for _ in range(20000))
        lines = garbage.count(b"\n")
        c.send(garbage + b"\r\n")
        for _ in range(lines + 1):
            code, _text = c.reply()
            assert code >= 500 or code in (250, 214, 252), _text
        assert c.cmd("NOOP")[0] == 250
    no_crash(inst)


def test_long_data_lines_are_kept(make_instance):
    inst = smtpd_instance(make_instance)
    long_line = b"L" * 10000
    with Client(inst) as c:
        start_data(c)
        code, text = c.cmd((b"Subject: long\r\n\r\n" + long_line + b"\r\n.x\r\n.\r\n").decode())
        assert code == 250
    qf = wait_qf(inst, queued_id(text))
    assert qf["content"].endswith(b"\n\n" + long_line + b"\nx\n")


def test_header_size_limit(make_instance):
    inst = smtpd_instance(make_instance, header_size_limit="1000")
    with Client(inst) as c:
        start_data(c)
        hdr = "X-Long: " + "h" * 3000 + "\r\n\tcontinued " + "c" * 3000 + "\r\n"
        code, text = c.cmd("Subject: s\r\n" + hdr + "X-After: 1\r\n\r\nbody\r\n.\r\n")
        assert code == 250
    qf = wait_qf(inst, queued_id(text))
    content = qf["content"].decode()
    header, body = content.split("\n\n", 1)
    assert body == "body\n"
    assert "X-After: 1" in header
    assert len(header) < 2000, len(header)


def test_recipient_limit(make_instance):
    inst = smtpd_instance(make_instance, smtpd_recipient_limit="3",
                          recipient_delimiter="+")
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        c.cmd("MAIL FROM:<a@example.com>")
        for i in range(3):
            assert c.cmd("RCPT TO:<root+%d@localhost>" % i)[0] == 250
        assert c.cmd("RCPT TO:<root+9@localhost>") == \
            (452, "452 4.5.3 Error: too many recipients")


def test_recipient_overshoot_not_errors(make_instance):
    """Issue 13 #9: 1,020 pipelined recipients; the 20 beyond
    smtpd_recipient_limit get 452 but are within
    smtpd_recipient_overshoot_limit, so they are no errors and the
    1,000 accepted ones get their DATA."""
    inst = smtpd_instance(make_instance, recipient_delimiter="+",
                          smtpd_error_sleep_time="0")
    with Client(inst) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        batch = b"MAIL FROM:<a@example.com>\r\n"
        batch += b"".join(b"RCPT TO:<root+%d@localhost>\r\n" % i for i in range(1020))
        c.send(batch + b"DATA\r\n")
        assert c.reply()[0] == 250
        codes = [c.reply()[0] for _ in range(1020)]
        assert codes[:1000] == [250] * 1000
        assert codes[1000:] == [452] * 20
        assert c.reply()[0] == 354
        code, text = c.cmd("Subject: many\r\n\r\nbody\r\n.\r\n")
        assert code == 250, text
        assert c.cmd("QUIT")[0] == 221
    qf = wait_qf(inst, queued_id(text))
    assert len(qf["rcpts"]) == 1000


def test_recipient_overshoot_limit_counts_errors(make_instance):
    """Beyond the overshoot limit each excess recipient is an error."""
    inst = smtpd_instance(make_instance, recipient_delimiter="+",
                          smtpd_recipient_limit="2", smtpd_recipient_overshoot_limit="3",
                          smtpd_error_sleep_time="0", smtpd_hard_error_limit="2")
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        c.cmd("MAIL FROM:<a@example.com>")
        for i in range(2):
            assert c.cmd("RCPT TO:<root+%d@localhost>" % i)[0] == 250
        for i in range(5):
            assert c.cmd("RCPT TO:<root+x%d@localhost>" % i)[0] == 452
        assert c.reply()[0] == 421
        assert c.closed()


def test_error_limit_disconnects(make_instance):
    inst = smtpd_instance(make_instance, smtpd_error_sleep_time="0",
                          smtpd_soft_error_limit="2", smtpd_hard_error_limit="5")
    with Client(inst) as c:
        for _ in range(5):
            assert c.cmd("BOGUS")[0] == 500
        assert c.reply() == (421, "421 4.7.0 localhost Error: too many errors")
        assert c.closed()
    inst.wait_log(r"too many errors after UNKNOWN from \S+\[127\.0\.0\.1\]")


def test_soft_error_limit_slows_down(make_instance):
    import time
    inst = smtpd_instance(make_instance, smtpd_error_sleep_time="1s",
                          smtpd_soft_error_limit="1", smtpd_hard_error_limit="10")
    with Client(inst) as c:
        assert c.cmd("BOGUS")[0] == 500
        t0 = time.monotonic()
        assert c.cmd("BOGUS")[0] == 500
        assert time.monotonic() - t0 >= 0.9


def test_timeout(make_instance):
    inst = smtpd_instance(make_instance, smtpd_timeout="1s")
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.reply() == (421, "421 4.4.2 localhost Error: timeout exceeded")
        assert c.closed()
    inst.wait_log(r"timeout after EHLO from")


def test_kill9_during_data_leaves_no_queue_file(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        start_data(c)
        c.send(b"Subject: doomed\r\n\r\n" + b"z" * 100000 + b"\r\n")
        wait_for(inst.tmp_leftovers, 10, "a file being written in tmp/")
        # The process that serves us logged "ID: client=..." at RCPT time.
        pid = int(inst.wait_log(r"smtpd\[(\d+)\]: [0-9a-f]{8}: client=").group(1))
        assert pid in inst.program_pids("smtpd")
        os.kill(pid, signal.SIGKILL)
        assert c.closed()
    assert inst.queue_files("incoming") == []
    # A new session works, and the next message is whole.
    inst.wait_port()
    with Client(inst) as c:
        start_data(c)
        code, text = c.cmd("Subject: fine\r\n\r\nok\r\n.\r\n")
        assert code == 250
    assert inst.queue_files("incoming") == [queued_id(text)]


def test_queue_minfree(make_instance):
    """No room in the queue file system: 452 4.3.1 at MAIL FROM."""
    inst = smtpd_instance(make_instance, queue_minfree="1000000000000000000")
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<a@example.com>") == (
            452, "452 4.3.1 Insufficient system storage")
    inst.wait_log(r"warning: not enough free space in mail queue")
    ok = smtpd_instance(make_instance)
    with Client(ok) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<a@example.com> SIZE=1000")[0] == 250
        c.cmd("RSET")
        # A declared size larger than half the free space cannot fit.
        assert c.cmd("MAIL FROM:<a@example.com> SIZE=9000000000000000000")[0] in (452, 552)
