"""bounce: delivery status notifications and Postfix-shaped logs (issue 4,
"bounce, defer, trace").

The sender's domain is routed to the same sink as the recipients, so every
notification the bounce service writes arrives there and can be parsed.
"""
import email
import email.policy
import re
import subprocess

import pytest

from harness import SLOW_RETRY, random_loopback, wait_for
from sink import Sink


@pytest.fixture
def sink():
    srv = Sink(host=random_loopback())
    srv.set_rcpt_default(lambda r: "550 5.1.1 no such user" if "bad" in r else
                         "451 4.2.0 mailbox busy" if "soft" in r else "250 2.1.5 Ok")
    srv.start()
    yield srv
    srv.stop()


def start(make_instance, srv, **extra):
    cf = dict(SLOW_RETRY, transport_maps="inline:{ s.test=smtp:[%s]:%d }"
              % (srv.addr, srv.port))
    cf.update(extra)
    inst = make_instance(main_cf_extra=cf)
    inst.start()
    return inst


def path(line):
    return re.search(r"<[^>]*>", line).group(0)


def notices(srv):
    """Messages the sink got from the null sender, parsed."""
    return [email.message_from_bytes(m.data, policy=email.policy.compat32)
            for m in srv.messages if path(m.mail) == "<>"]


def status_groups(msg):
    """The per-recipient field groups of a message/delivery-status part."""
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status":
            payload = part.get_payload()
            return [dict(g.items()) for g in payload[1:]]
    raise AssertionError("no message/delivery-status part")


def submit(inst, rcpts, notify=None, ret=None, sender="me@s.test",
           body=b"Subject: dsn test\r\n\r\nthe body\r\n"):
    with inst.smtp() as s:
        s.ehlo()
        s.mail(sender, ["RET=%s" % ret] if ret else [])
        for r in rcpts:
            code, _ = s.rcpt(r, ["NOTIFY=%s" % notify] if notify else [])
            assert code == 250
        code, _ = s.data(body)
        assert code == 250


def test_ndr_structure_full_message(make_instance, sink):
    inst = start(make_instance, sink)
    submit(inst, ["bad@s.test"], body=b"Subject: full\r\n\r\n\xc3\xa9 8-bit body\r\n")
    wait_for(lambda: notices(sink), 10, "a notification")
    msg = notices(sink)[0]
    assert msg["Subject"] == "Undelivered Mail Returned to Sender"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    parts = msg.get_payload()
    assert [p.get_content_type() for p in parts] == [
        "text/plain", "message/delivery-status", "message/rfc822"]
    assert "bad@s.test" in parts[0].get_payload()
    g = status_groups(msg)
    assert len(g) == 1
    assert g[0]["Final-Recipient"] == "rfc822; bad@s.test"
    assert g[0]["Action"] == "failed" and g[0]["Status"] == "5.1.1"
    assert g[0]["Diagnostic-Code"].startswith("smtp; 550 5.1.1")
    inner = parts[2].get_payload()[0]
    assert inner["Subject"] == "full"
    inst.wait_log(r"\w{8}: sender non-delivery notification: \w{8}")


def test_notify_never_and_failure(make_instance, sink):
    inst = start(make_instance, sink)
    submit(inst, ["bad@s.test"], notify="NEVER")
    m = inst.wait_log(r"(\w{8}): to=<bad@s.test>.*status=bounced")
    inst.wait_log(r"%s: removed" % m.group(1))
    assert "non-delivery notification" not in inst.log()
    submit(inst, ["bad@s.test"], notify="FAILURE")
    wait_for(lambda: notices(sink), 10, "a notification")
    assert len(notices(sink)) == 1


def test_success_notice_relayed(make_instance):
    """NOTIFY=SUCCESS to a server without DSN: a "relayed" notice."""
    srv = Sink(host=random_loopback(), size=None, dsn=False, enhancedstatuscodes=False)
    srv.start()
    try:
        inst = start(make_instance, srv)
        submit(inst, ["a@s.test"], notify="SUCCESS,FAILURE")
        wait_for(lambda: notices(srv), 10, "a success notice")
        msg = notices(srv)[0]
        assert msg["Subject"] == "Successful Mail Delivery Report"
        g = status_groups(msg)
        assert g[0]["Action"] == "relayed" and g[0]["Status"].startswith("2.")
        inst.wait_log(r"\w{8}: sender delivery status notification: \w{8}")
    finally:
        srv.stop()


def test_delay_warning_once(make_instance, sink):
    inst = start(make_instance, sink, delay_warning_time="1s",
                 minimal_backoff_time="1s", maximal_backoff_time="1s",
                 queue_run_delay="1s")
    submit(inst, ["soft@s.test"])
    m = inst.wait_log(r"(\w{8}): to=<soft@s.test>.*status=deferred", count=3, timeout=20)
    qid = m.group(1)
    warnings = [n for n in notices(sink) if n["Subject"].startswith("Delayed Mail")]
    assert len(warnings) == 1
    g = status_groups(warnings[0])
    assert g[0]["Action"] == "delayed" and g[0]["Status"] == "4.2.0"
    assert "Will-Retry-Until" in g[0]
    assert len(re.findall(r"%s: sender delay notification" % qid, inst.log())) == 1


def drained(inst):
    """Every queue directory that holds messages is empty."""
    return all(inst.queue_files(q) == [] for q in
               ("maildrop", "incoming", "active", "deferred", "hold"))


def test_double_bounce_to_postmaster(make_instance, sink):
    """A failed null-sender message goes to 2bounce_notice_recipient when
    notify_classes has 2bounce, once, from double_bounce_sender; and that notice
    never loops: when it fails too, it is discarded, nothing more is sent
    (issue 13 #14: the test used to accept any message naming pm@)."""
    inst = start(make_instance, sink, notify_classes="2bounce",
                 **{"2bounce_notice_recipient": "pm@s.test"})
    submit(inst, ["bad@s.test"], sender="")
    m = inst.wait_log(r"(\w{8}): postmaster non-delivery notification: (\w{8})")
    orig, notice = m.group(1), m.group(2)
    inst.wait_log(r"%s: removed" % orig)
    inst.wait_log(r"%s: to=<pm@s\.test>, .*status=sent" % notice, timeout=15)
    inst.wait_log(r"%s: removed" % notice)
    wait_for(lambda: drained(inst), 10, "an empty queue")
    to_pm = [msg for msg in sink.messages if msg.rcpts == ["pm@s.test"]]
    # From double_bounce_sender, as Postfix: mail to it is discarded.
    assert len(to_pm) == 1 and path(to_pm[0].mail) == "<double-bounce@localhost>"
    assert len(sink.messages) == 1, [x.rcpts for x in sink.messages]
    assert len(re.findall(r"postmaster non-delivery notification", inst.log())) == 1


def test_double_bounce_that_fails_does_not_loop(make_instance, sink):
    """The postmaster's own address rejects the notice: the failed notice is
    not bounced again (it is a double bounce of a double bounce)."""
    inst = start(make_instance, sink, notify_classes="2bounce",
                 **{"2bounce_notice_recipient": "badpm@s.test"})
    submit(inst, ["bad@s.test"], sender="")
    m = inst.wait_log(r"(\w{8}): postmaster non-delivery notification: (\w{8})")
    notice = m.group(2)
    inst.wait_log(r"%s: to=<badpm@s\.test>, .*status=bounced" % notice, timeout=15)
    inst.wait_log(r"%s: removed" % notice)
    wait_for(lambda: drained(inst), 10, "an empty queue")
    assert len(re.findall(r"non-delivery notification", inst.log())) == 1, inst.log()
    rcpts = [c for c in sink.command_lines() if c.upper().startswith("RCPT")]
    assert len([c for c in rcpts if "badpm@" in c]) == 1, rcpts
    assert sink.messages == []


def test_pflogsumm_counts(make_instance, sink):
    inst = start(make_instance, sink)
    submit(inst, ["ok1@s.test"])
    submit(inst, ["ok2@s.test", "bad@s.test"])
    submit(inst, ["soft@s.test"])
    inst.wait_log(r"removed", count=3)       # two messages and one DSN
    wait_for(lambda: len(inst.queue_files("deferred")) == 1, 10, "one deferred")
    out = subprocess.run(["pflogsumm", "--syslog-name=postern", inst.log_file],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         timeout=60).stdout.decode()

    def count(label):
        m = re.search(r"^\s+(\d+)\s+%s" % label, out, re.M)
        assert m, (label, out[:2000])
        return int(m.group(1))
    assert count("received") == 3
    assert count("delivered") == 3          # ok1, ok2 and the DSN to me@s.test
    assert count("deferred") == 1
    assert count("bounced") == 1


TEMPLATE = """# Postfix's bounce(5) format, as an administrator's bounce.cf has it.
failure_template = <<EOF
Charset: us-ascii
From: MAILER-DAEMON (Mail Delivery System)
Subject: Your mail came back
Postmaster-Subject: Postmaster Copy: Undelivered Mail

Host $myhostname could not deliver your message; it gave up
after $maximal_queue_lifetime_days day(s) at most. Costs: $$0.
EOF
"""


def test_bounce_template_file(make_instance, sink, tmp_path):
    """bounce_template_file (Postfix's bounce(5) format): the failure
    template's From, Subject and expanded text make the notice; the
    recipient lines and the DSN parts stay; postern config -b previews it."""
    tf = tmp_path / "bounce.cf"
    tf.write_text(TEMPLATE)
    inst = start(make_instance, sink, bounce_template_file=str(tf),
                 maximal_queue_lifetime="3d", myorigin="origin.test")
    submit(inst, ["bad@s.test"])
    wait_for(lambda: notices(sink), 10, "a notification")
    msg = notices(sink)[0]
    assert msg["Subject"] == "Your mail came back"
    assert msg["From"] == "MAILER-DAEMON@origin.test (Mail Delivery System)"
    parts = msg.get_payload()
    assert [p.get_content_type() for p in parts] == [
        "text/plain", "message/delivery-status", "message/rfc822"]
    assert parts[0].get_content_charset() == "us-ascii"
    text = parts[0].get_payload().replace("\r\n", "\n")
    assert text.startswith("Host localhost could not deliver your message; it "
                           "gave up\nafter 3 day(s) at most. Costs: $0.\n\n<bad@s.test>: ")
    assert status_groups(msg)[0]["Status"] == "5.1.1"
    r = inst.postern(["config", "-b"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == (
        "expanded_failure_text = <<EOF\nHost localhost could not deliver your "
        "message; it gave up\nafter 3 day(s) at most. Costs: $0.\nEOF\n\n")


def test_bounce_template_file_invalid_uses_builtin(make_instance, sink, tmp_path):
    tf = tmp_path / "bounce.cf"
    tf.write_text("failure_template = <<EOF\nX-Bad: 1\n\ntext\nEOF\n")
    inst = start(make_instance, sink, bounce_template_file=str(tf))
    submit(inst, ["bad@s.test"])
    wait_for(lambda: notices(sink), 10, "a notification")
    assert notices(sink)[0]["Subject"] == "Undelivered Mail Returned to Sender"
    inst.wait_log(r"warning: bounce_template_file: .*bounce\.cf, line 1: "
                  r"failure_template: unknown template header \"X-Bad\"; "
                  r"the built-in texts are used")
    r = inst.postern(["config", "-b", str(tf)])
    assert r.returncode == 1 and b"unknown template header" in r.stderr
