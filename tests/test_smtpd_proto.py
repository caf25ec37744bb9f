"""smtpd: ESMTP protocol, queue file contents, DSN, BDAT, pipelining."""
import re
import shutil
import smtplib
import subprocess

import pytest

from test_smtpd_lib import Client, no_crash, queued_id, smtpd_instance, wait_qf

MSG = b"From: a@example.com\r\nTo: root@localhost\r\nSubject: test\r\n\r\nHello.\r\n"


def test_smtplib_delivers_into_queue(make_instance):
    inst = smtpd_instance(make_instance)
    with inst.smtp() as s:
        s.ehlo("client.example")
        s.mail("sender@example.com")
        s.rcpt("root@localhost")
        code, text = s.data(MSG)
    assert code == 250 and text.startswith(b"2.0.0 Ok: queued as ")
    qid = queued_id(text.decode())
    qf = wait_qf(inst, qid)
    assert qf["sender"] == "sender@example.com"
    assert [r["addr"] for r in qf["rcpts"]] == ["root@localhost"]
    assert qf["origin"] == "smtp"
    assert qf["attrs"]["helo"] == "client.example"
    assert qf["attrs"]["client_addr"] == "127.0.0.1"
    assert qf["attrs"]["protocol"] == "ESMTP"
    content = qf["content"].decode()
    assert re.match(r"Received: from client\.example \(\S+ \[127\.0\.0\.1\]\)\n"
                    r"\tby localhost \(Postern\) with ESMTP id %s\n"
                    r"\tfor <root@localhost>; .+\n" % qid, content), content
    # 127.0.0.1 is an interface address: local_header_rewrite_clients
    # (permit_inet_interfaces) adds the missing Message-Id and Date.
    header, body = content.split("\n\n", 1)
    assert body == "Hello.\n"
    assert "\nSubject: test\n" in header
    assert re.search(r"^Message-Id: <\d{14}\.%s@localhost>$" % qid, header, re.M), header
    assert re.search(r"^Date: \w{3}, \d\d \w{3} \d{4} ", header, re.M), header
    assert "\r" not in content
    inst.wait_log(r"smtpd\[\d+\]: %s: client=\S+\[127\.0\.0\.1\]" % qid)
    # Issue 13 #7: the from=<...>, size=, nrcpt= line is the qmgr's only.
    assert not re.search(r"%s: from=<" % qid, inst.log()), inst.log()
    inst.wait_log(r"disconnect from \S+\[127\.0\.0\.1\] ehlo=1 mail=1 rcpt=1 data=1 "
                  r"quit=1 commands=5")
    no_crash(inst)


def test_from_size_nrcpt_logged_once_by_qmgr(make_instance):
    """Issue 13 #7: pflogsumm counts one message per from= line; only the
    qmgr writes it (smtpd wrote it too: two lines per message)."""
    inst = make_instance()
    inst.start()
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        c.cmd("MAIL FROM:<sender@example.com>")
        c.cmd("RCPT TO:<root@localhost>")
        c.cmd("DATA")
        code, text = c.cmd(MSG.decode() + ".\r\n")
        assert code == 250
    qid = queued_id(text)
    inst.wait_log(r"postern/qmgr\[\d+\]: %s: from=<sender@example\.com>, size=\d+, "
                  r"nrcpt=1 \(queue active\)$" % qid, timeout=15)
    inst.wait_log(r"%s: removed" % qid, timeout=15)
    assert len(re.findall(r"%s: from=<" % qid, inst.log())) == 1, inst.log()


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks not installed")
def test_swaks_delivers_into_queue(make_instance):
    inst = smtpd_instance(make_instance)
    r = subprocess.run(["swaks", "--server", inst.addr, "--port", str(inst.port),
                        "--from", "swaks@example.com", "--to", "root@localhost",
                        "--helo", "swaks.example", "--header", "Subject: via swaks",
                        "--pipeline"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=30)
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, out
    qf = wait_qf(inst, queued_id(out))
    assert qf["sender"] == "swaks@example.com"
    assert qf["rcpts"][0]["addr"] == "root@localhost"
    assert b"Subject: via swaks" in qf["content"]


def test_ehlo_keywords(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        assert c.banner[0] == 220 and c.banner[1] == "220 localhost ESMTP Postern"
        code, text = c.cmd("EHLO client.example")
        assert code == 250
        words = [line[4:] for line in text.splitlines()]
        assert words[0] == "localhost"
        for kw in ("PIPELINING", "SIZE 10240000", "VRFY", "ENHANCEDSTATUSCODES",
                   "8BITMIME", "DSN", "SMTPUTF8", "CHUNKING", "ETRN"):
            assert kw in words, text
        assert "STARTTLS" not in words and "AUTH" not in " ".join(words)
        assert c.cmd("QUIT")[0] == 221


def test_error_codes(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        assert c.cmd("FOO bar") == (500, "500 5.5.2 Error: command not recognized")
        assert c.cmd("HELO")[1].startswith("501 5.5.4")
        assert c.cmd("EHLO client.example")[0] == 250
        assert c.cmd("RCPT TO:<root@localhost>")[1] == "503 5.5.1 Error: need MAIL command"
        assert c.cmd("DATA")[1] == "503 5.5.1 Error: need RCPT command"
        assert c.cmd("MAIL <x@example.com>")[1].startswith("501 5.5.4 Syntax:")
        assert c.cmd("MAIL FROM:<x@example.com> FOO=1")[1].startswith("555 5.5.4")
        assert c.cmd("MAIL FROM:<bad address@example.com>")[1].startswith("501 5.1.7")
        assert c.cmd("MAIL FROM:<x@example.com>")[0] == 250
        assert c.cmd("MAIL FROM:<x@example.com>")[1] == "503 5.5.1 Error: nested MAIL command"
        assert c.cmd("RCPT TO:<>")[1].startswith("501 5.1.3")
        assert c.cmd("RCPT TO:<root@localhost> NOTIFY=SOMETIMES")[1].startswith("501 5.5.4")
        assert c.cmd("DATA")[1] == "503 5.5.1 Error: need RCPT command"
        assert c.cmd("RSET now")[1].startswith("501 5.5.4")
        assert c.cmd("RSET")[0] == 250
        assert c.cmd("NOOP")[0] == 250
        assert c.cmd("EXPN root")[1].startswith("502 5.5.1")
        assert c.cmd("HELP")[0] == 214
        assert c.cmd("VRFY root@localhost")[0] == 252
        assert c.cmd("MAIL FROM:<j\u00f6rg@example.com>")[1].startswith("553 5.6.7")
        assert c.cmd("MAIL FROM:<j\u00f6rg@example.com> SMTPUTF8")[0] == 250
        assert c.cmd("QUIT")[0] == 221
    no_crash(inst)


def test_vrfy_disabled_and_helo_required(make_instance):
    inst = smtpd_instance(make_instance, disable_vrfy_command="yes",
                          smtpd_helo_required="yes")
    with Client(inst) as c:
        assert c.cmd("VRFY root")[1] == "502 5.5.1 VRFY command is disabled"
        assert c.cmd("MAIL FROM:<a@example.com>")[1] == "503 5.5.1 Error: send HELO/EHLO first"
        code, text = c.cmd("EHLO c.example")
        assert code == 250 and "VRFY" not in text
        assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250


def test_dsn_parameters_stored(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<s@example.com> RET=HDRS ENVID=QQ+2B314 BODY=8BITMIME")[0] == 250
        assert c.cmd("RCPT TO:<root@localhost> NOTIFY=SUCCESS,DELAY "
                     "ORCPT=rfc822;Root+40localhost")[0] == 250
        assert c.cmd("RCPT TO:<root@localhost> NOTIFY=NEVER")[0] == 250
        assert c.cmd("DATA")[0] == 354
        code, text = c.cmd(MSG.decode() + ".\r\n")
        assert code == 250
    qf = wait_qf(inst, queued_id(text))
    assert qf["envid"] == "QQ+314"
    assert qf["ret"] == 2                        # QF_RET_HDRS
    assert qf["attrs"]["body"] == "8BITMIME"
    assert qf["rcpts"][0] == {"addr": "root@localhost", "notify": 2 | 8,
                              "orcpt": "rfc822;Root@localhost"}
    assert qf["rcpts"][1]["notify"] == 1 and qf["rcpts"][1]["orcpt"] is None


def test_xtext_nul_refused(make_instance):
    """Issue 13 #11: +00 in ENVID or ORCPT is refused, never truncated."""
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<s@example.com> ENVID=a+00b") == \
            (501, "501 5.5.4 Bad ENVID parameter syntax")
        assert c.cmd("MAIL FROM:<s@example.com> ENVID=a+01b")[0] == 250
        assert c.cmd("RCPT TO:<root@localhost> ORCPT=rfc822;a+00b") == \
            (501, "501 5.5.4 Error: Bad ORCPT parameter syntax")
        assert c.cmd("RCPT TO:<root@localhost> ORCPT=rfc822;+00")[0] == 501


def test_bdat_chunks_pipelined(make_instance):
    inst = smtpd_instance(make_instance)
    body1 = b"Subject: chunked\r\n\r\nfirst "
    body2 = b"part\r\n.not stuffed\r\nlast line\r\n"
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        c.send(b"MAIL FROM:<s@example.com> BODY=BINARYMIME\r\nRCPT TO:<root@localhost>\r\n"
               b"BDAT %d\r\n" % len(body1) + body1 +
               b"BDAT %d LAST\r\n" % len(body2) + body2)
        assert c.reply()[0] == 250
        assert c.reply()[0] == 250
        assert c.reply()[1] == "250 2.0.0 Ok: %d bytes" % len(body1)
        code, text = c.reply()
        assert code == 250, text
        assert c.cmd("QUIT")[0] == 221
    qf = wait_qf(inst, queued_id(text))
    header, body = qf["content"].split(b"\n\n", 1)
    assert b"\nSubject: chunked\n" in header
    assert body == b"first part\n.not stuffed\nlast line\n"
    assert qf["attrs"]["body"] == "BINARYMIME"


def test_bdat_errors_keep_session_in_step(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        c.send(b"BDAT 12 LAST\r\nRSET\r\nQUIT\r\n")   # the 12 octets: "RSET\r\nQUIT\r\n"
        assert c.reply()[1].startswith("503 5.5.1")
        c.send(b"MAIL FROM:<s@example.com> BODY=BINARYMIME\r\n")
        assert c.reply()[0] == 250
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 250
        assert c.cmd("DATA")[1].startswith("503 5.5.1")
        assert c.cmd("BDAT x")[1].startswith("501 5.5.4")
        assert c.cmd("QUIT")[0] == 221


def test_pipelined_100_recipients(make_instance):
    inst = smtpd_instance(make_instance, recipient_delimiter="+")
    rcpts = ["root+%d@localhost" % i for i in range(100)]
    with Client(inst) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        group = "MAIL FROM:<bulk@example.com>\r\n"
        group += "".join("RCPT TO:<%s>\r\n" % r for r in rcpts)
        group += "DATA\r\n"
        c.send(group)
        assert c.reply()[0] == 250
        for _ in rcpts:
            assert c.reply()[1] == "250 2.1.5 Ok"
        assert c.reply()[0] == 354
        code, text = c.cmd(MSG.decode() + ".\r\n")
        assert code == 250
        assert c.cmd("QUIT")[0] == 221
    qf = wait_qf(inst, queued_id(text))
    assert [r["addr"] for r in qf["rcpts"]] == rcpts
    assert "for <" not in qf["content"].decode().split("\n\n")[0]
    assert "improper command pipelining" not in inst.log()


def test_pipelining_without_ehlo_is_rejected(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        assert c.cmd("HELO client.example")[0] == 250
        c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<root@localhost>\r\n")
        assert c.reply() == (554, "554 5.5.0 Error: SMTP protocol synchronization")
        assert c.closed()
    # Postfix's shape (fail2ban): the early input, escaped, after ": ".
    inst.wait_log(r"improper command pipelining after MAIL from \S+\[127\.0\.0\.1\]: "
                  r"RCPT TO:<root@localhost>\\r\\n$")


def test_helo_client_may_send_quit_after_dot(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        assert c.cmd("HELO client.example")[0] == 250
        assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 250
        assert c.cmd("DATA")[0] == 354
        c.send("Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n")
        assert c.reply()[0] == 250
        assert c.reply()[0] == 221
    assert "improper command pipelining" not in inst.log()


def test_pipelining_after_ehlo_is_rejected(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        c.send("EHLO client.example\r\nMAIL FROM:<a@example.com>\r\n")
        assert c.reply()[0] == 554
        assert c.closed()
    inst.wait_log(r"improper command pipelining after EHLO from \S+: "
                  r"MAIL FROM:<a@example\.com>\\r\\n$")
    with Client(inst) as c:
        c.envelope()
        c.send("DATA\r\nSubject: too early\r\n\r\n.\r\n")
        assert c.reply()[0] == 554
        assert c.closed()
    assert inst.queue_files("incoming") == []


def test_talking_before_greeting_is_rejected(make_instance):
    inst = smtpd_instance(make_instance)
    # The server looks for early input once, just before its greeting; the
    # client's EHLO usually arrives first (the server does a peer name
    # lookup in between) but not always under load, so try several times.
    seen = []
    for _ in range(40):
        with Client(inst, greet=False) as c:
            c.send("EHLO early.example\r\n")
            code, _text = c.reply()
            seen.append(code)
            if code == 554:
                assert c.closed()
                break
    assert seen[-1] == 554, seen
    inst.wait_log(r"improper command pipelining after CONNECT from \S+: EHLO early\.example\\r\\n$")


def test_non_smtp_commands_disconnect(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        code, text = c.cmd("GET / HTTP/1.0")
        assert code == 221
        assert c.closed()
    inst.wait_log(r"warning: non-SMTP command from \S+: GET / HTTP/1\.0")


def test_rset_removes_transaction(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        c.cmd("MAIL FROM:<a@example.com>")
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 250
        assert c.cmd("RSET")[0] == 250
        assert c.cmd("DATA")[0] == 503
        c.cmd("QUIT")
    assert inst.queue_files("incoming") == []
    assert inst.tmp_leftovers() == []


def test_smtplib_many_messages_one_session(make_instance):
    inst = smtpd_instance(make_instance)
    ids = set()
    with inst.smtp() as s:
        for i in range(20):
            s.ehlo_or_helo_if_needed()
            s.mail("s%d@example.com" % i)
            s.rcpt("root@localhost")
            code, text = s.data(MSG)
            assert code == 250
            ids.add(queued_id(text.decode()))
    assert len(ids) == 20
    assert set(inst.queue_files("incoming")) == ids


def test_paused_smtp_answers_421(make_instance):
    inst = smtpd_instance(make_instance)
    import os
    pause = os.path.join(inst.queue_dir, "pid", "smtpd.pause")
    open(pause, "w").close()
    try:
        with Client(inst, greet=False) as c:
            assert c.reply() == (421, "421 4.3.2 Service temporarily unavailable")
            assert c.closed()
    finally:
        os.unlink(pause)
    with Client(inst) as c:
        assert c.banner[0] == 220


def test_smtplib_refused_recipient_is_reported(make_instance):
    inst = smtpd_instance(make_instance, mynetworks="127.0.0.2/32")
    with inst.smtp() as s:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            s.sendmail("a@example.com", ["x@elsewhere.example"], MSG)
