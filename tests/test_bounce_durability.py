"""Bounce durability: every process killed with SIGKILL while qmgr and
bounce turn rejected recipients into non-delivery reports; after a
restart every accepted message still gets its report (review S, DESIGN
"Durability": a notification is never lost; a duplicate is allowed).
"""
import re

from harness import random_loopback, send_seq, started_relay, wait_for
from sink import Sink
from test_qmgr_ctl import ok
from test_qmgr_durability import Sender


def reported_seqs(srv):
    """X-Seq numbers of the originals returned in DSNs to me@s.test."""
    seqs = []
    for m in srv.messages:
        if any("me@s.test" in str(r) for r in m.rcpts):
            seqs += [int(s) for s in re.findall(rb"(?m)^X-Seq: (\d+)", m.data)]
    return seqs


def test_kill9_during_bounces(make_instance):
    addr = random_loopback()
    srv = Sink(host=addr)
    srv.set_rcpt_default(lambda rcpt: "250 2.1.5 Ok" if rcpt == "me@s.test"
                         else "550 5.1.1 no such user")
    srv.start()
    try:
        inst = started_relay(make_instance, addr, srv.port)

        class BounceSender(Sender):
            def one(self, seq):
                with self.inst.smtp(timeout=20) as s:
                    s.ehlo()
                    code = send_seq(s, seq, b"bounce me", sender="me@s.test",
                                    body=b"body\r\n")
                if code == 250:
                    with self.lock:
                        self.accepted.add(seq)

        sender = BounceSender(inst)

        def kill_midway():
            wait_for(lambda: len(reported_seqs(srv)) >= 20, 60, "20 reports")
            inst.kill9_all()
        sender.run(list(range(120)), during=kill_midway)
        assert sender.accepted
        inst.start()
        ok(inst, "flush")
        wait_for(lambda: sender.accepted <= set(reported_seqs(srv)), 90,
                 "a report for every accepted message", interval=0.3)
    finally:
        srv.stop()
