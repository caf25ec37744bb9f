"""qmgr under a backlog larger than its active limit and its descriptor
limit (issue 13, defect 0).

The whole instance runs with a low RLIMIT_NOFILE (128) and a small
qmgr_message_active_limit (200): 400 messages are queued while the relay
is down, then the relay comes back and the queue is flushed. Every message
must arrive, and nothing may be deferred for a local reason (a 4.3.0
deferral, a queue file moved aside, "Too many open files"). Before the fix
the qmgr held one open file per message in memory and ran out of
descriptors at about 120 messages.
"""
import os
import re
import resource
import subprocess
import threading

from harness import BIN, random_loopback, free_port, send_seq, wait_for
from sink import Sink
from test_qmgr_ctl import ok

NOFILE = 128
BACKLOG = 400
ACTIVE_LIMIT = 200


def start_with_nofile(inst, nofile):
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    r = subprocess.run([os.path.join(BIN, "postern"), "-c", inst.config_dir, "start"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=inst.env(), timeout=60, preexec_fn=limit)
    assert r.returncode == 0, r.stderr.decode(errors="replace") + inst.log_tail()
    inst.wait_port()


def submit(inst, seqs, accepted, lock):
    with inst.smtp(timeout=30) as s:
        for seq in seqs:
            s.ehlo_or_helo_if_needed()
            if send_seq(s, seq, b"backlog") == 250:
                with lock:
                    accepted.add(seq)


def test_backlog_beyond_active_and_descriptor_limits(make_instance):
    addr = random_loopback()
    port = free_port(addr)
    inst = make_instance(main_cf_extra={
        "transport_maps": "inline:{ s.test=smtp:[%s]:%d }" % (addr, port),
        "qmgr_message_active_limit": str(ACTIVE_LIMIT),
        "default_process_limit": "20",
        "minimal_backoff_time": "300s", "maximal_backoff_time": "600s",
        "queue_run_delay": "300s"})
    start_with_nofile(inst, NOFILE)
    accepted, lock = set(), threading.Lock()
    threads = [threading.Thread(target=submit,
                                args=(inst, range(i, BACKLOG, 4), accepted, lock))
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(accepted) == BACKLOG
    # Everything waits in deferred/ for the relay (connection refused).
    wait_for(lambda: len(inst.queue_files("deferred")) == BACKLOG, 60,
             "%d deferred" % BACKLOG, interval=0.2)
    srv = Sink(host=addr, port=port)
    srv.start()
    try:
        ok(inst, "flush")
        wait_for(lambda: accepted <= set(srv.header_numbers("X-Seq")), 120,
                 "%d messages to arrive" % BACKLOG, interval=0.2)
    finally:
        srv.stop()
    wait_for(lambda: not inst.queue_files("deferred") and not inst.queue_files("active"),
             30, "an empty queue")
    log = inst.log()
    assert "Too many open files" not in log
    assert not re.search(r"dsn=4\.3\.0", log), re.findall(r".*dsn=4\.3\.0.*", log)[:5]
    assert "moving to" not in log
    assert not inst.queue_files("corrupt")
