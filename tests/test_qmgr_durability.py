"""qmgr durability: no accepted message is lost when every process is
killed with SIGKILL (issue 4, "Durability").

Messages carry an X-Seq header; a message counts as accepted only when
smtpd answered 250 to its DATA. After the crash the instance is started
again, the sink comes up and the queue is flushed: every accepted message
must arrive. Duplicates are allowed by the design (at worst a recipient is
delivered twice) and reported on stdout.
"""
import collections
import os
import threading

import pytest

from harness import free_port, random_loopback, send_seq, started_relay, wait_for
from sink import Sink
from test_qmgr_ctl import ok


class Sender:
    """Parallel SMTP clients; remembers which X-Seq numbers got a 250."""

    def __init__(self, inst):
        self.inst = inst
        self.accepted = set()
        self.lock = threading.Lock()

    def one(self, seq):
        with self.inst.smtp(timeout=20) as s:
            s.ehlo()
            code = send_seq(s, seq, b"durability")
        if code == 250:
            with self.lock:
                self.accepted.add(seq)

    def worker(self, seqs):
        for seq in seqs:
            try:
                self.one(seq)
            except Exception:
                return          # the instance went away: stop this client

    def run(self, seqs, nthreads=10, during=None):
        threads = [threading.Thread(target=self.worker, args=(seqs[i::nthreads],))
                   for i in range(nthreads)]
        for t in threads:
            t.start()
        if during:
            during()
        for t in threads:
            t.join(120)


def started_with_sender(make_instance, addr, port):
    """A started instance relaying s.test to [addr]:port, with slow
    retries; (instance, its Sender)."""
    inst = started_relay(make_instance, addr, port)
    return inst, Sender(inst)


def kill9_when(inst, cond, what):
    """A function that waits (60 s at most) for cond, then kills every
    process of inst with SIGKILL."""
    def kill():
        wait_for(cond, 60, what)
        inst.kill9_all()
    return kill


def check_all_arrived(srv, accepted):
    wait_for(lambda: accepted <= set(srv.header_numbers("X-Seq")), 90,
             "%d accepted messages to arrive" % len(accepted), interval=0.2)
    counts = collections.Counter(srv.header_numbers("X-Seq"))
    dups = sorted(s for s, n in counts.items() if n > 1)
    print("accepted %d, delivered %d, duplicates %d %s"
          % (len(accepted), len(counts), len(dups), dups[:20]))
    return dups


def flush_to_new_sink(inst, addr, port, accepted):
    """Start a sink on addr:port, flush inst: every accepted message
    arrives there."""
    srv = Sink(host=addr, port=port)
    srv.start()
    try:
        ok(inst, "flush")
        check_all_arrived(srv, accepted)
    finally:
        srv.stop()


def test_kill9_while_sink_down(make_instance):
    addr = random_loopback()
    port = free_port(addr)
    inst, sender = started_with_sender(make_instance, addr, port)
    sender.run(list(range(200)), during=kill9_when(
        inst, lambda: len(sender.accepted) >= 100, "100 accepted"))
    first = len(sender.accepted)
    assert 100 <= first < 200 or first == 200
    inst.start()
    sender.run(list(range(200, 300)))
    assert len(sender.accepted) > first
    flush_to_new_sink(inst, addr, port, sender.accepted)


def test_kill9_during_deliveries(make_instance):
    addr = random_loopback()
    srv = Sink(host=addr)
    srv.set_message_replies(lambda: (wait_for(lambda: True, 1), "250 2.0.0 Ok")[1])
    srv.start()
    try:
        inst, sender = started_with_sender(make_instance, addr, srv.port)
        sender.run(list(range(150)), during=kill9_when(
            inst, lambda: len(srv.messages) >= 30, "30 delivered"))
        inst.start()
        ok(inst, "flush")
        check_all_arrived(srv, sender.accepted)
    finally:
        srv.stop()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a mode 000 file")
def test_unreadable_queue_file_is_not_corrupt(make_instance):
    """A queue file qmgr cannot open for a reason other than its content
    (here EACCES; in production EMFILE, ENOMEM, EIO) is not moved to
    corrupt/, where nothing would ever deliver it: it goes back to
    deferred/ and is delivered once it can be read (review S)."""
    addr = random_loopback()
    port = free_port(addr)
    inst, sender = started_with_sender(make_instance, addr, port)
    sender.one(1)
    assert sender.accepted == {1}
    inst.wait_log(r"to=<r1@s.test>.*status=deferred", timeout=15)
    wait_for(lambda: len(inst.queue_files("deferred")) == 1, 10, "one deferred")
    qid = inst.queue_files("deferred")[0]
    path = os.path.join(inst.queue_dir, "deferred", qid)
    os.chmod(path, 0)
    mark = inst.log_mark()
    ok(inst, "flush")
    inst.wait_log(r"%s: .*moving to deferred/" % qid, since=mark, timeout=15)
    assert not inst.queue_files("corrupt")
    wait_for(lambda: inst.queue_files("deferred") == [qid], 10, "back in deferred")
    os.chmod(inst.queue_dir + "/deferred/" + qid, 0o600)
    flush_to_new_sink(inst, addr, port, sender.accepted)
