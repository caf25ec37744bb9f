"""The qmgr's rate controls and deferred transports, end to end: a real
instance relays to sinks on loopback through a dedicated transport "slow"
(a second smtp service in master.cf), as an administrator does for a large
freemail provider.

- slow_destination_rate_delay: deliveries to one destination are spaced by
  at least the delay (measured from the sink's arrival times: a lower bound
  of a deliberate pause, never an upper bound); another destination of the
  same transport, and another transport, are not held back by it.
- slow_transport_rate_delay: the pause holds for the transport as a whole,
  whatever the destination.
- defer_transports: mail for a listed transport waits in deferred/ with
  "deferred transport" until a flush (postern flush, sendmail -q, or
  sendmail -qR for its domain) delivers it, as Postfix does.
"""

import os
import re

import pytest

from harness import BIN, SLOW_RETRY, random_loopback, wait_for
from sink import Sink

pytestmark = pytest.mark.skipif(
    not all(os.path.exists(os.path.join(BIN, p))
            for p in ("smtp", "smtpd", "qmgr", "master")),
    reason="smtp, smtpd, qmgr or master not built")

SLOW_SERVICE = "slow unix - - n - - smtp\n"


@pytest.fixture
def sinks():
    made = [Sink(host=random_loopback()).start() for _ in range(3)]
    yield made
    for s in made:
        s.stop()


def slow_instance(make_instance, sinks, **extra):
    """a.test and c.test go through "slow" to sinks 0 and 2, b.test
    through smtp to sink 1."""
    a, b, c = sinks
    conf = dict(SLOW_RETRY,
                transport_maps="inline:{ a.test=slow:%s, b.test=smtp:%s, "
                "c.test=slow:%s }" % (a.nexthop, b.nexthop, c.nexthop),
                smtp_connection_cache_time_limit="10s")
    conf.update(extra)
    inst = make_instance(main_cf_extra=conf, master_cf_extra=SLOW_SERVICE)
    inst.start()
    return inst


def submit(inst, rcpts):
    """One message per recipient, each in its own SMTP transaction."""
    with inst.smtp() as s:
        for n, rcpt in enumerate(rcpts):
            s.sendmail("me@client.test", [rcpt],
                       ("Subject: m%d\r\n\r\nhello\r\n" % n).encode())


def times(msgs):
    return sorted(m.time for m in msgs)


def test_destination_rate_delay_spaces_one_destination(make_instance, sinks):
    a, b, c = sinks
    inst = slow_instance(make_instance, sinks, slow_destination_rate_delay="3s")
    submit(inst, ["x%d@a.test" % i for i in range(3)])
    a.wait_for(1, timeout=20)
    # a.test is in its pause now: smtpctl show routes flags the route Q
    # (a timer will reactivate it), and the others are sent meanwhile.
    route = re.compile(r"^\d+\. \S+ <-> %s --Q nconn=0 " % re.escape(a.nexthop),
                       re.M)
    wait_for(lambda: route.search(inst.smtpctl(["show", "routes"]).stdout
                                  .decode()), 2.5, "a.test route flagged Q")
    submit(inst, ["y%d@c.test" % i for i in range(2)]
           + ["z%d@b.test" % i for i in range(3)])
    ta = times(a.wait_for(3, timeout=40))
    tc = times(c.wait_for(2, timeout=40))
    tb = times(b.wait_for(3, timeout=40))
    # One destination: one delivery at a time, 3s apart at least (2.5s is
    # the bound asserted: a lower bound of the pause only).
    for first, second in zip(ta, ta[1:]):
        assert second - first >= 2.5, ta
    assert tc[1] - tc[0] >= 2.5, tc
    # Another destination of the same transport has its own pause: its
    # first message does not wait for the end of a.test's.
    assert tc[0] < ta[1], (ta, tc)
    # Another transport is not slowed down at all: all of b.test is
    # there before a.test's third delivery (6s after its first).
    assert tb[-1] < ta[2], (ta, tb)
    inst.wait_log(r"to=<x2@a\.test>, relay=.*status=sent", timeout=20)
    # The pause is shorter than smtp_connection_cache_time_limit (10s
    # here): the session to a.test is kept and used again.
    assert a.connections == 1, a.command_lines()


def test_rate_delay_with_recipient_limit_1_is_per_recipient(make_instance,
                                                          sinks):
    """As Postfix: with slow_destination_recipient_limit = 1 the
    destination is the recipient, so the pause separates deliveries to
    one recipient and different recipients of a.test go in parallel."""
    a, b, c = sinks
    inst = slow_instance(make_instance, sinks, slow_destination_rate_delay="3s",
                         slow_destination_recipient_limit="1")
    submit(inst, ["x@a.test", "X@a.test", "y@a.test"])
    msgs = a.wait_for(3, timeout=40)
    tx = sorted(m.time for m in msgs if m.rcpts[0].lower() == "x@a.test")
    ty = [m.time for m in msgs if m.rcpts[0] == "y@a.test"]
    assert len(tx) == 2 and len(ty) == 1
    assert tx[1] - tx[0] >= 2.5, tx
    assert ty[0] < tx[1], (tx, ty)
    inst.wait_log(r"to=<X@a\.test>, relay=.*status=sent", timeout=20)


def test_transport_rate_delay_spaces_the_whole_transport(make_instance, sinks):
    a, b, c = sinks
    inst = slow_instance(make_instance, sinks, slow_transport_rate_delay="1s")
    submit(inst, ["x0@a.test", "y0@c.test", "x1@a.test", "z0@b.test"])
    t = times(a.wait_for(2, timeout=40) + c.wait_for(1, timeout=40))
    for first, second in zip(t, t[1:]):
        assert second - first >= 0.8, t
    # smtp is not the rate-limited transport.
    assert b.wait_for(1, timeout=20)[0].time < t[-1], (t, b.messages)


def test_zero_delays_keep_parallel_deliveries(make_instance, sinks):
    """Without a delay the destination's window applies as before: the
    three messages are in flight together (three sessions at once). Each
    success widens the window by one (positive feedback 1, Postfix's
    default), as destination_concurrency_feedback_debug logs."""
    a, b, c = sinks
    a.message_delay = 1.0           # each delivery takes a second
    inst = slow_instance(make_instance, sinks,
                         destination_concurrency_feedback_debug="yes")
    submit(inst, ["x%d@a.test" % i for i in range(3)])
    a.wait_for(3, timeout=40)
    assert a.connections >= 2, a.command_lines()
    inst.wait_log(r"to=<x2@a\.test>, relay=.*status=sent", timeout=20)
    inst.wait_log(r"scheduler: route \d+ slow:%s: success: window 5 -> 6, "
                  % re.escape(a.nexthop), timeout=20)


def deferred_ids(inst):
    return sorted(os.path.basename(p) for p in inst.queue_files("deferred"))


def test_defer_transports_waits_for_a_flush(make_instance, sinks):
    a, b, c = sinks
    inst = slow_instance(make_instance, sinks, defer_transports="slow")
    submit(inst, ["x@a.test", "z@b.test"])
    # b.test (smtp) goes at once; a.test (slow) is not even tried.
    b.wait_for(1, timeout=20)
    inst.wait_log(r"to=<x@a\.test>, relay=none, .*dsn=4\.3\.2, "
                  r"status=deferred \(deferred transport\)", timeout=20)
    wait_for(lambda: len(deferred_ids(inst)) == 1, 10, "one deferred")
    assert a.messages == [] and a.connections == 0
    # The reason is in the defer log: the queue listing shows it.
    r = inst.run([os.path.join(BIN, "mailq")], timeout=30)
    assert b"deferred transport" in r.stdout, r.stdout
    # A flush lifts defer_transports for what it schedules.
    r = inst.postern(["flush"])
    assert r.returncode == 0, r.stderr
    msgs = a.wait_for(1, timeout=20)
    assert msgs[0].rcpts == ["x@a.test"]
    inst.wait_log(r"to=<x@a\.test>, relay=.*status=sent", timeout=20)
    # New mail for the transport is deferred again: the flush was once.
    mark = inst.log_mark()
    submit(inst, ["x2@a.test"])
    inst.wait_log(r"to=<x2@a\.test>, relay=none, .*status=deferred "
                  r"\(deferred transport\)", timeout=20, since=mark)
    assert len(a.messages) == 1


def test_defer_transports_sendmail_qr_flushes_the_domain(make_instance, sinks):
    a, b, c = sinks
    inst = slow_instance(make_instance, sinks, defer_transports="slow",
                         fast_flush_domains="a.test c.test")
    submit(inst, ["x@a.test", "y@c.test"])
    inst.wait_log(r"status=deferred \(deferred transport\)", timeout=20,
                  count=2)
    wait_for(lambda: len(deferred_ids(inst)) == 2, 10, "two deferred")
    # As Postfix's sendmail -qR (postqueue -s): the domain's mail is
    # delivered, deferred transport or not; the other domain's waits.
    r = inst.sendmail(["-qRa.test"], timeout=60)
    assert r.returncode == 0, r.stderr
    msgs = a.wait_for(1, timeout=20)
    assert msgs[0].rcpts == ["x@a.test"]
    inst.wait_log(r"to=<x@a\.test>, relay=.*status=sent", timeout=20)
    assert c.messages == []
    assert len(deferred_ids(inst)) == 1


def test_message_recipient_limit_bounds_what_is_in_memory(make_instance, sinks):
    """qmgr_message_recipient_limit = 2: two one-recipient messages in
    memory (in delivery), the third waits in incoming/ until one leaves."""
    a, b, c = sinks
    a.message_delay = 3.0           # each delivery takes three seconds
    inst = slow_instance(make_instance, sinks, qmgr_message_recipient_limit="2")
    submit(inst, ["x%d@a.test" % i for i in range(3)])
    a.wait_connections(2, timeout=20)
    wait_for(lambda: len(inst.queue_files("active")) == 2
             and len(inst.queue_files("incoming")) == 1, 10,
             "two active, one incoming")
    assert a.connections == 2 and a.messages == []
    a.wait_for(3, timeout=40)
    inst.wait_log(r"to=<x2@a\.test>, relay=.*status=sent", timeout=20)


@pytest.mark.parametrize("limit", [None, "10"])
def test_failed_cohort_limit_with_a_rate_delay(make_instance, down, limit):
    """With a rate delay the window is 1, so each failed connection is a
    whole failed cohort: with the default limit (1) the first one marks the
    destination dead and the mail waiting for it is deferred without a
    try; with slow_destination_concurrency_failed_cohort_limit = 10 (what
    Postfix advises with a rate delay) each message is tried."""
    conf = dict(SLOW_RETRY, transport_maps="inline:{ d.test=slow:%s }"
                % down.nexthop, slow_destination_rate_delay="1s")
    if limit:
        conf["slow_destination_concurrency_failed_cohort_limit"] = limit
    inst = make_instance(main_cf_extra=conf, master_cf_extra=SLOW_SERVICE)
    inst.start()
    submit(inst, ["x0@d.test", "x1@d.test", "x2@d.test"])
    inst.wait_log(r"to=<x\d@d\.test>, .*status=deferred", count=3, timeout=30)
    tried = re.findall(r"to=<x\d@d\.test>, .*status=deferred \((?!"
                       r"delivery temporarily suspended)", inst.log())
    suspended = re.findall(r"to=<x\d@d\.test>, .*status=deferred \(delivery "
                           r"temporarily suspended", inst.log())
    if limit:
        assert len(tried) == 3 and suspended == [], inst.log_tail()
    else:
        assert len(tried) == 1 and len(suspended) == 2, inst.log_tail()
