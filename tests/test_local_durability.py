"""local(8) durability: every process killed with SIGKILL while local is
appending to a mailbox loses no accepted message, and the mailbox stays
an mbox (review S, DESIGN "Durability").

Messages carry an X-Seq header. After the crash the instance starts
again (a dot lock left by the killed delivery goes stale quickly here),
the queue is flushed, and every accepted message must be in the mailbox,
each behind its own "From " line. Duplicates are allowed by the design.
"""
import os
import re

from test_local import mbox, rcpt_user, read
from test_qmgr_ctl import ok
from test_qmgr_durability import Sender
from harness import send_seq, wait_for

FROM_LINE = re.compile(rb"(?m)^From \S+  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n")


class LocalSender(Sender):
    def one(self, seq):
        with self.inst.smtp(timeout=20) as s:
            s.ehlo()
            code = send_seq(s, seq, b"durability", rcpt=rcpt_user() + "@localhost",
                            body=b"line of text %d\r\n" % seq * 2000)
        if code == 250:
            with self.lock:
                self.accepted.add(seq)


def mbox_seqs(path):
    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError:
        return [], []
    parts = FROM_LINE.split(text)[1:]
    seqs = [re.findall(rb"(?m)^X-Seq: (\d+)$", p) for p in parts]
    return parts, seqs


def test_kill9_during_mbox_delivery(make_instance):
    inst = make_instance(main_cf_extra={
        "stale_lock_time": "2s", "minimal_backoff_time": "300s",
        "maximal_backoff_time": "600s", "queue_run_delay": "300s"})
    inst.start()
    path = mbox(inst)
    sender = LocalSender(inst)

    def kill_midway():
        wait_for(lambda: len(mbox_seqs(path)[0]) >= 40, 60, "40 delivered")
        inst.kill9_all()
    sender.run(list(range(150)), during=kill_midway)
    assert sender.accepted
    inst.start()
    ok(inst, "flush")

    def arrived():
        _, seqs = mbox_seqs(path)
        got = {int(s) for one in seqs for s in one}
        return sender.accepted <= got
    wait_for(arrived, 90, "accepted messages in the mailbox", interval=0.3)
    parts, seqs = mbox_seqs(path)
    print("accepted %d, mailbox messages %d, without X-Seq %d"
          % (len(sender.accepted), len(parts), sum(1 for one in seqs if not one)))
    # A message cut short by the crash may stay behind; it must not swallow
    # the "From " line of the next delivery (each part holds one message).
    assert all(len(one) <= 1 for one in seqs), [s for s in seqs if len(s) > 1][:3]
