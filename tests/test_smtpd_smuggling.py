"""smtpd: SMTP smuggling. Only <CR><LF>.<CR><LF> ends DATA; every other
end-of-data look-alike is content, so a second, smuggled message is never
created (smtpd_forbid_bare_newline = normalize, the default, for every
client including mynetworks)."""
import pytest

from test_smtpd_lib import Client, queued_id, smtpd_instance, wait_qf

SMUGGLED = (b"MAIL FROM:<evil@attacker.example>\r\n"
            b"RCPT TO:<root@localhost>\r\n"
            b"DATA\r\n"
            b"Subject: smuggled\r\n\r\nsmuggled body\r\n")

SEQUENCES = {
    "LF.LF": b"\n.\n",
    "CR.CR": b"\r.\r",
    "LF.CRLF": b"\n.\r\n",
    "CRLF.LF": b"\r\n.\n",
    "CR.CRLF": b"\r.\r\n",
    "CRLF.CR": b"\r\n.\r",
    "CR.LF": b"\r.\n",
    "LF.CR": b"\n.\r",
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One instance for every sequence (each test counts its own files)."""
    from harness import Instance
    inst = Instance(tmp_path_factory.mktemp("smuggle"),
                    main_cf_extra={"smtpd_peername_lookup": "no", "alias_maps": ""},
                    master_cf="{addr}:{port} inet n - n - - smtpd\n")
    inst.start()
    yield inst
    inst.cleanup()


@pytest.mark.parametrize("name", sorted(SEQUENCES))
def test_sequence_does_not_end_data(shared, name):
    before = set(shared.queue_files("incoming"))
    with Client(shared) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        assert c.cmd("MAIL FROM:<good@example.com>")[0] == 250
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 250
        assert c.cmd("DATA")[0] == 354
        c.send(b"Subject: innocent\r\n\r\ntext" + SEQUENCES[name] + SMUGGLED + b".\r\n")
        code, text = c.reply()
        assert code == 250, text + "\n" + shared.log_tail()
        assert c.cmd("QUIT")[0] == 221
    new = set(shared.queue_files("incoming")) - before
    qid = queued_id(text)
    assert new == {qid}, "a second message was created: %s" % new
    qf = wait_qf(shared, qid)
    assert qf["sender"] == "good@example.com"
    assert b"MAIL FROM:<evil@attacker.example>" in qf["content"]
    assert b"smuggled body" in qf["content"]


def test_reject_mode_disconnects_on_bare_lf(make_instance):
    inst = smtpd_instance(make_instance, smtpd_forbid_bare_newline="reject")
    with Client(inst) as c:
        c.envelope()
        assert c.cmd("DATA")[0] == 354
        c.send(b"Subject: x\r\n\r\nbare\nline\r\n.\r\n")
        # smtpd_forbid_bare_newline_reject_code, default 550 as Postfix.
        assert c.reply() == (550, "550 5.5.2 localhost Error: bare <LF> received")
        assert c.closed()
    assert inst.queue_files("incoming") == []
    with Client(inst) as c:
        c.send(b"EHLO client.example\n")
        assert c.reply()[0] == 550


def test_bare_newline_reject_code(make_instance):
    inst = smtpd_instance(make_instance, smtpd_forbid_bare_newline="reject",
                          smtpd_forbid_bare_newline_reject_code="521")
    with Client(inst) as c:
        c.send(b"EHLO client.example\n")
        assert c.reply() == (521, "521 5.5.2 localhost Error: bare <LF> received")


def test_normalize_accepts_bare_lf_lines(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        c.send(b"EHLO client.example\n")          # bare LF command: accepted
        assert c.reply()[0] == 250
        c.envelope(None)
        assert c.cmd("DATA")[0] == 354
        c.send(b"Subject: x\n\nbare\nlines\n..stuffed\r\n.\r\n")
        code, text = c.reply()
        assert code == 250
    qf = wait_qf(inst, queued_id(text))
    assert qf["content"].endswith(b"\n\nbare\nlines\n.stuffed\n")


def test_exclusions_restore_bare_lf_end(make_instance):
    """With the client excluded ("no"), <LF>.<LF> ends DATA as before 3.9."""
    inst = smtpd_instance(make_instance,
                          smtpd_forbid_bare_newline_exclusions="127.0.0.0/8")
    with Client(inst) as c:
        c.envelope()
        assert c.cmd("DATA")[0] == 354
        c.send(b"Subject: x\r\n\r\ntext\n.\n")
        assert c.reply()[0] == 250
