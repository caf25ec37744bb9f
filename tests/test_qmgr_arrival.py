"""qmgr takes messages in in arrival order (issue 14, the hot path).

smtpd names the message it committed in its trigger to qmgr
(mail_trigger_id), and qmgr keeps an arrival queue; a full scan of
incoming/ orders the files by commit time, not by their random ids.
Both tests fail when qmgr takes incoming/ in sorted-id order.
"""
import os
import re

from harness import random_loopback, free_port, wait_for
from sink import Sink
from test_qmgr_ctl import ok

N = 12
ACTIVE_RE = re.compile(r"qmgr\[\d+\]: ([0-9a-f]{8}): from=<[^>]*>, size=\d+, "
                       r"nrcpt=\d+ \(queue active\)")
CLIENT_RE = re.compile(r"smtpd\[\d+\]: ([0-9a-f]{8}): client=")


def submit(inst, n):
    """Send n messages one after the other; their ids in commit order."""
    mark = inst.log_mark()
    with inst.smtp(timeout=30) as s:
        for seq in range(n):
            s.mail("me@localhost")
            s.rcpt("r%d@s.test" % seq)
            code, _ = s.data(b"Subject: arrival %d\r\n\r\nbody\r\n" % seq)
            assert code == 250
    inst.wait_log(CLIENT_RE.pattern, count=n, since=mark)
    ids = CLIENT_RE.findall(inst.log(since=mark))
    assert len(ids) == n
    # Random ids: their sorted order is (almost surely) not arrival order.
    assert sorted(ids) != ids or n < 2
    return ids


def active_order(inst, since, n):
    inst.wait_log(ACTIVE_RE.pattern, count=n, since=since, timeout=30)
    return ACTIVE_RE.findall(inst.log(since=since))


def test_start_up_scan_takes_incoming_in_commit_order(make_instance):
    """qmgr not running: the triggers are lost, the mail is not. The
    start-up scan finds it, and takes it in in the order it came."""
    inst = make_instance(main_cf_extra={
        "transport_maps": "inline:{ s.test=discard: }",
        "qmgr_message_active_limit": "1"})
    no_qmgr = "".join(line + "\n" for line in
                      inst.default_master_cf().splitlines()
                      if not line.startswith("qmgr "))
    inst.write_master_cf(text=no_qmgr)
    inst.start()
    ids = submit(inst, N)
    assert sorted(inst.queue_files("incoming")) == sorted(ids)
    inst.stop()
    inst.write_master_cf(text=inst.default_master_cf())
    mark = inst.log_mark()
    inst.start()
    assert active_order(inst, mark, N) == ids
    wait_for(lambda: not inst.queue_files("incoming")
             and not inst.queue_files("active"), 30, "queue empty")


def test_backlog_beyond_active_limit_keeps_trigger_order(make_instance):
    """More messages wait than qmgr_message_active_limit allows: the ones
    taken in later still come in the order their triggers named them."""
    addr = random_loopback()
    port = free_port(addr)
    srv = Sink(host=addr, port=port)
    srv.start()
    try:
        inst = make_instance(main_cf_extra={
            "transport_maps": "inline:{ s.test=smtp:[%s]:%d }" % (addr, port),
            "qmgr_message_active_limit": "2"})
        inst.start()
        ok(inst, "pause", target="mta")
        mark = inst.log_mark()
        ids = submit(inst, N)
        # Two in memory, the rest wait in incoming/ for room.
        inst.wait_log(ACTIVE_RE.pattern, count=2, since=mark)
        wait_for(lambda: len(inst.queue_files("incoming")) == N - 2, 10,
                 "%d waiting in incoming/" % (N - 2))
        ok(inst, "resume", target="mta")
        assert active_order(inst, mark, N) == ids
        wait_for(lambda: len(srv.messages) == N, 30, "%d delivered" % N)
    finally:
        srv.stop()


def held_then_moved_to_incoming(make_instance, tmp_path, queue_run_delay):
    """An instance with one message held, then moved by hand from hold/ to
    incoming/ (so no trigger names it); (instance, queue id, log mark)."""
    hc = tmp_path / "header_checks"
    hc.write_text("/^Subject: hold me/ HOLD held for the test\n")
    inst = make_instance(main_cf_extra={
        "transport_maps": "inline:{ s.test=discard: }",
        "header_checks": "regexp:%s" % hc,
        "queue_run_delay": queue_run_delay})
    inst.start()
    with inst.smtp() as s:
        s.sendmail("me@localhost", ["r@s.test"],
                   b"Subject: hold me\r\n\r\nbody\r\n")
    wait_for(lambda: len(inst.queue_files("hold")) == 1, 10, "held")
    qid = inst.queue_files("hold")[0]
    mark = inst.log_mark()
    os.rename(os.path.join(inst.queue_dir, "hold", qid),
              os.path.join(inst.queue_dir, "incoming", qid))
    return inst, qid, mark


def taken_in_and_delivered(inst, qid, mark):
    """qmgr takes qid in within 10 s of mark, and the queue empties."""
    inst.wait_log(r"%s: from=<me@localhost>, size=\d+, nrcpt=1 "
                  r"\(queue active\)" % qid, since=mark, timeout=10)
    wait_for(lambda: not inst.queue_files("incoming")
             and not inst.queue_files("active"), 10, "delivered")


def test_safety_net_scan_finds_a_message_no_trigger_named(make_instance,
                                                          tmp_path):
    """A file that reaches incoming/ without a trigger (here: moved out of
    hold/ by hand) is taken in by the periodic safety-net scan
    (queue_run_delay), long before the master's wakeup (300 s)."""
    inst, qid, mark = held_then_moved_to_incoming(make_instance, tmp_path,
                                                  "1s")
    taken_in_and_delivered(inst, qid, mark)


def test_lost_trigger_found_a_second_after_the_next_arrival(make_instance,
                                                            tmp_path):
    """Triggers are lost when smtpd commits faster than qmgr accepts them
    (public/qmgr's listen queue full). A message whose trigger was lost
    (here: a file moved out of hold/ by hand) is found by the look that
    follows other arrivals a second later, not only by the safety-net
    scan (queue_run_delay, 300 s here)."""
    inst, qid, mark = held_then_moved_to_incoming(make_instance, tmp_path,
                                                  "300s")
    with inst.smtp() as s:
        s.sendmail("me@localhost", ["r2@s.test"],
                   b"Subject: next\r\n\r\nbody\r\n")
    taken_in_and_delivered(inst, qid, mark)
