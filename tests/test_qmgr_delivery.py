"""qmgr: routing, retries, dead destinations, expiry (issue 4, "qmgr").

Mail enters through smtpd (smtplib) and leaves through the smtp client to a
scriptable sink on a private loopback address. Everything the tests wait for
is polled with a deadline.
"""
import os
import re
import signal
import socket

from harness import random_loopback, free_port, wait_for
from sink import Sink

FAST = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
        "queue_run_delay": "1s"}


def maps_to(srv, *domains):
    """transport_maps sending each domain to the sink."""
    items = ", ".join("%s=smtp:[%s]:%d" % (d, srv.addr, srv.port) for d in domains)
    return "inline:{ %s }" % items


def path(line):
    """The <address> of a MAIL FROM / RCPT TO line as the sink saw it."""
    return re.search(r"<[^>]*>", line).group(0)


def rcpts(msg):
    return sorted(path(r) for r in msg.rcpt_args)


def send(inst, sender, rcpts, body=b"Subject: test\r\n\r\nhello\r\n"):
    try:
        with inst.smtp() as s:
            s.sendmail(sender, rcpts, body)
    except Exception:
        print(inst.log_tail(60))      # shown by pytest on failure
        raise


def queue_empty(inst):
    return all(not inst.queue_files(q) for q in ("incoming", "active", "deferred"))


def test_error_and_discard_inside_qmgr(make_instance, sink):
    """error: bounces (DSN to the sender), discard: is logged as sent."""
    inst = make_instance(main_cf_extra={
        "transport_maps": "inline:{ {bad.test=error:5.1.2 no such domain}, "
                          "disc.test=discard:, s.test=smtp:[%s]:%d }" % (sink.addr, sink.port)})
    inst.start()
    send(inst, "me@s.test", ["x@disc.test", "y@bad.test"])
    inst.wait_log(r"to=<x@disc.test>, relay=none, delay=\S+, delays=\S+, dsn=2\.0\.0, status=sent")
    inst.wait_log(r"to=<y@bad.test>, relay=none, delay=\S+, delays=\S+, dsn=5\.1\.2, "
                  r"status=bounced \(no such domain\)")
    inst.wait_log(r"(\w{8}): sender non-delivery notification: (\w{8})")
    sink.wait_for(1)
    dsn = sink.messages[0]
    assert path(dsn.mail) == "<>"
    assert rcpts(dsn) == ["<me@s.test>"]
    assert b"Final-Recipient: rfc822; y@bad.test" in dsn.data
    assert b"Status: 5.1.2" in dsn.data
    assert b"x@disc.test" not in dsn.data.split(b"message/delivery-status")[1].split(b"--")[0]
    wait_for(lambda: queue_empty(inst), 10, "empty queue")


def test_partial_failure_dsn(make_instance, sink):
    """550 for one of three recipients: two delivered, one DSN with the right fields."""
    sink.set_rcpt_default(lambda r: "550 5.1.1 no such user" if "bad" in r else "250 2.1.5 Ok")
    inst = make_instance(main_cf_extra={"transport_maps": maps_to(sink, "s.test")})
    inst.start()
    with inst.smtp() as s:
        s.ehlo()
        s.mail("me@s.test", ["RET=HDRS", "ENVID=E-123"])
        for r in ("a@s.test", "bad@s.test", "c@s.test"):
            s.rcpt(r, ["NOTIFY=FAILURE", "ORCPT=rfc822;Orig-" + r])
        s.data(b"Subject: partial\r\n\r\nsecret body\r\n")
    sink.wait_for(2)
    delivered, dsn = sink.messages[0], sink.messages[1]
    assert rcpts(delivered) == ["<a@s.test>", "<c@s.test>"]
    assert path(dsn.mail) == "<>" and rcpts(dsn) == ["<me@s.test>"]
    data = dsn.data.decode()
    assert re.search(r"Content-Type: multipart/report; report-type=delivery-status;", data)
    report = data.split("Content-Type: message/delivery-status")[1]
    for field in ("Reporting-MTA: dns; localhost", "Arrival-Date: ",
                  "Original-Envelope-Id: E-123", "Final-Recipient: rfc822; bad@s.test",
                  "Original-Recipient: rfc822; Orig-bad@s.test", "Action: failed",
                  "Status: 5.1.1", "Remote-MTA: dns; ",
                  "Diagnostic-Code: smtp; 550 5.1.1 no such user", "Last-Attempt-Date: "):
        assert field in report, field
    assert "a@s.test" not in report.split("--")[0]
    assert "Content-Type: text/rfc822-headers" in data          # RET=HDRS
    assert "Subject: partial" in data and "secret body" not in data
    inst.wait_log(r"\w{8}: removed", count=2)


def test_defer_then_deliver(make_instance, sink):
    """451 then 250: the message is deferred, retried after the backoff, delivered."""
    seen = []

    def rcpt(r):
        seen.append(r)
        return "451 4.3.0 try later" if len(seen) == 1 else "250 2.1.5 Ok"
    sink.set_rcpt_default(rcpt)
    extra = dict(FAST, transport_maps=maps_to(sink, "s.test"))
    inst = make_instance(main_cf_extra=extra)
    inst.start()
    send(inst, "me@s.test", ["a@s.test"])
    m = inst.wait_log(r"(\w{8}): to=<a@s.test>, .*status=deferred")
    qid = m.group(1)
    inst.wait_log(r"%s: to=<a@s.test>, .*status=sent" % qid, timeout=15)
    inst.wait_log(r"%s: removed" % qid)
    assert len(sink.messages) == 1
    assert len(seen) == 2


def test_dead_destination_expiry_and_no_double_bounce(make_instance):
    """A destination that refuses connections: mail is deferred, not
    hammered; with maximal_queue_lifetime=0 it is returned as expired; the
    notification to an unreachable sender (null sender, also expired) is
    dropped, not bounced again."""
    addr = random_loopback()
    port = free_port(addr)      # nobody listens there
    inst = make_instance(main_cf_extra={
        "transport_maps": "inline:{ down.test=smtp:[%s]:%d }" % (addr, port),
        "maximal_queue_lifetime": "0", "bounce_queue_lifetime": "0",
        "smtp_connect_timeout": "2s"})
    inst.start()
    send(inst, "me@down.test", ["a@down.test", "b@down.test"])
    m = inst.wait_log(r"(\w{8}): from=<me@down.test>, status=expired, returned to sender",
                      timeout=20)
    qid = m.group(1)
    m = inst.wait_log(r"%s: sender non-delivery notification: (\w{8})" % qid)
    dsn_id = m.group(1)
    inst.wait_log(r"%s: undeliverable notification discarded" % dsn_id, timeout=20)
    inst.wait_log(r"%s: removed" % dsn_id)
    wait_for(lambda: queue_empty(inst), 10, "empty queue")
    log = inst.log()
    assert "postmaster non-delivery" not in log


def test_dead_destination_defers_without_attempt(make_instance):
    """After a destination failed as a whole, later mail for it is deferred
    without another connection until minimal_backoff_time has passed."""
    addr = random_loopback()
    port = free_port(addr)
    inst = make_instance(main_cf_extra={
        "transport_maps": "inline:{ down.test=smtp:[%s]:%d }" % (addr, port),
        "minimal_backoff_time": "300s", "initial_destination_concurrency": "1"})
    inst.start()
    send(inst, "me@localhost", ["a@down.test"])
    inst.wait_log(r"smtp\[\d+\]: \w{8}: to=<a@down.test>, .*status=deferred")
    mark = inst.log_mark()
    send(inst, "me@localhost", ["b@down.test"])
    m = inst.wait_log(r"qmgr\[\d+\]: \w{8}: to=<b@down.test>, relay=none, .*status=deferred",
                      since=mark)
    assert "smtp[" not in inst.log(mark).split("to=<b@down.test>")[0].split("\n")[-1]
    wait_for(lambda: len(inst.queue_files("deferred")) == 2, 10, "two deferred")


def gate_data(srv, timeout):
    """Make srv answer each message's data only once gate["open"] is true
    (timeout seconds at most); the gate, closed."""
    gate = {"open": False}

    def slow_data():
        wait_for(lambda: gate["open"], timeout, "gate")
        return "250 2.0.0 Ok"
    srv.set_message_replies(slow_data)
    return gate


def test_round_robin_busy_destination_does_not_starve(make_instance):
    """A slow destination with many messages does not delay another one."""
    slow = Sink(host=random_loopback())
    gate = gate_data(slow, 30)
    slow.start()
    fast = Sink(host=random_loopback())
    fast.start()
    try:
        inst = make_instance(main_cf_extra={
            "transport_maps": "inline:{ slow.test=smtp:[%s]:%d, fast.test=smtp:[%s]:%d }"
            % (slow.addr, slow.port, fast.addr, fast.port),
            "smtp_data_done_timeout": "60s", **FAST})
        inst.start()
        for i in range(12):
            send(inst, "me@localhost", ["u%d@slow.test" % i])
        send(inst, "me@localhost", ["v@fast.test"])
        fast.wait_for(1, timeout=10)
        gate["open"] = True
        slow.wait_for(12, timeout=30)
    finally:
        gate["open"] = True
        slow.stop()
        fast.stop()


def test_recipient_grouping_and_connection_reuse(make_instance, sink):
    """Five recipients of one message travel in one transaction; several
    messages reuse one connection."""
    inst = make_instance(main_cf_extra={"transport_maps": maps_to(sink, "s.test")})
    inst.start()
    send(inst, "me@localhost", ["r%d@s.test" % i for i in range(5)])
    sink.wait_for(1)
    assert len(sink.messages[0].rcpts) == 5
    for i in range(3):
        send(inst, "me@localhost", ["n%d@s.test" % i])
        sink.wait_for(2 + i)
    assert len({m.conn for m in sink.messages}) < len(sink.messages)


def test_recipient_limit_splits(make_instance, sink):
    """smtp_destination_recipient_limit splits a message's recipients."""
    inst = make_instance(main_cf_extra={"transport_maps": maps_to(sink, "s.test"),
                                        "smtp_destination_recipient_limit": "2"})
    inst.start()
    send(inst, "me@localhost", ["r%d@s.test" % i for i in range(5)])
    sink.wait_for(3)
    assert sorted(len(m.rcpts) for m in sink.messages) == [1, 2, 2]


def test_hold_queue_left_alone_and_active_recovered(make_instance, sink):
    """Files in hold/ are not touched; files a crash left in active/ are
    delivered after a restart."""
    inst = make_instance(main_cf_extra=dict(FAST, transport_maps=maps_to(sink, "s.test")))
    inst.start()
    sink.set_rcpt_default("451 4.3.0 not yet")
    send(inst, "me@localhost", ["a@s.test"])
    send(inst, "me@localhost", ["b@s.test"])
    wait_for(lambda: len(inst.queue_files("deferred")) == 2, 10, "two deferred")
    inst.stop()
    q = inst.queue_dir
    first, second = inst.queue_files("deferred")
    os.rename(os.path.join(q, "deferred", first), os.path.join(q, "hold", first))
    os.rename(os.path.join(q, "deferred", second), os.path.join(q, "active", second))
    sink.set_rcpt_default("250 2.1.5 Ok")
    inst.start()
    inst.wait_log(r"%s: removed" % second, timeout=15)
    assert inst.queue_files("hold") == [first]
    assert len(sink.messages) == 1
    assert "to=<%s>" % rcpts(sink.messages[0])[0].strip("<>") in \
        inst.log().split("%s: removed" % second)[0].split("%s: from=" % second)[-1]


def test_only_pending_recipients_are_retried(make_instance):
    """A message to two destinations: the one that took it is not sent it
    again when the other is retried."""
    good = Sink(host=random_loopback())
    soft = Sink(host=random_loopback())
    tries = []

    def soft_rcpt(r):
        tries.append(r)
        return "451 4.3.0 later" if len(tries) < 3 else "250 2.1.5 Ok"
    soft.set_rcpt_default(soft_rcpt)
    good.start()
    soft.start()
    try:
        inst = make_instance(main_cf_extra=dict(FAST, transport_maps=(
            "inline:{ g.test=smtp:[%s]:%d, f.test=smtp:[%s]:%d }"
            % (good.addr, good.port, soft.addr, soft.port))))
        inst.start()
        send(inst, "me@localhost", ["a@g.test", "b@f.test", "c@g.test"])
        soft.wait_for(1, timeout=20)
        m = inst.wait_log(r"(\w{8}): removed")
        assert len(good.messages) == 1
        assert rcpts(good.messages[0]) == ["<a@g.test>", "<c@g.test>"]
        assert len(tries) == 3
        log = inst.log()
        assert len(re.findall(r"to=<a@g.test>.*status=sent", log)) == 1
    finally:
        good.stop()
        soft.stop()


def test_transport_crash_defers_never_drops(make_instance):
    """SIGKILL of the smtp process in the middle of a delivery: its
    recipients are deferred with 4.3.0 and delivered later."""
    addr = random_loopback()
    srv = Sink(host=addr)
    gate = gate_data(srv, 20)
    srv.start()
    try:
        inst = make_instance(main_cf_extra=dict(FAST, transport_maps=(
            "inline:{ s.test=smtp:[%s]:%d }" % (addr, srv.port))))
        inst.start()
        send(inst, "me@localhost", ["a@s.test"])
        wait_for(lambda: "DATA" in srv.command_lines(), 10, "DATA sent")

        def smtp_pids():
            pids = []
            for p in inst.processes():
                try:
                    with open("/proc/%d/comm" % p) as f:
                        if f.read().strip() == "smtp":
                            pids.append(p)
                except OSError:
                    pass
            return pids
        for p in smtp_pids():
            os.kill(p, signal.SIGKILL)
        inst.wait_log(r"qmgr\[\d+\]: (\w{8}): to=<a@s.test>, relay=none, .*dsn=4\.3\.0, "
                      r"status=deferred \(delivery agent smtp crashed")
        gate["open"] = True
        inst.wait_log(r"to=<a@s.test>, relay=\S+, .*status=sent", timeout=20)
        inst.wait_log(r"\w{8}: removed")
    finally:
        gate["open"] = True
        srv.stop()


def test_active_limit(make_instance, sink):
    """qmgr_message_active_limit bounds the messages in memory; the others
    wait in incoming/ and deferred/ and are all delivered in the end."""
    inst = make_instance(main_cf_extra={"transport_maps": maps_to(sink, "s.test"),
                                        "qmgr_message_active_limit": "2"})
    inst.start()
    gate = gate_data(sink, 20)
    try:
        for i in range(8):
            send(inst, "me@localhost", ["r%d@s.test" % i])
        wait_for(lambda: len(inst.queue_files("active")) == 2, 10, "two active")
        assert len(inst.queue_files("incoming")) == 6
    finally:
        gate["open"] = True
    sink.wait_for(8, timeout=20)
    wait_for(lambda: queue_empty(inst), 10, "empty queue")
