"""What the queue file's header tells its readers (issue 14, "the hot path";
postern-queue(5), "Header"): whether the content is 8-bit, and that no
bounce, defer or trace log exists, so that the queue manager does not look.

The writer sets "no logs"; the first log of a message clears it, durably,
before the log exists; a file of an earlier build (zeros where the flags are)
is read as before: the queue manager then looks for the logs.
"""
import os
import struct

import pytest

from harness import wait_for

FAST = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
        "queue_run_delay": "1s"}

SCANNED, EIGHTBIT, NOLOGS = 1, 2, 4


def flags(path):
    """The header's flag word, or None when its check fails (unknown)."""
    with open(path, "rb") as f:
        h = f.read(128)
    assert h[:4] == b"PSTQ"
    word, check = struct.unpack_from("<II", h, 80)
    fnv = 2166136261
    for b in h[80:84]:
        fnv = ((fnv ^ b) * 16777619) & 0xffffffff
    return word if check == fnv else None


def held_instance(make_instance, sink):
    extra = dict(FAST, transport_maps="inline:{ remote.test=smtp:[%s]:%d }"
                 % (sink.addr, sink.port))
    inst = make_instance(main_cf_extra=extra)
    inst.start()
    return inst


def send(inst, body):
    with inst.smtp() as s:
        s.sendmail("me@client.test", ["you@remote.test"], body)


def test_first_log_clears_no_logs_and_reload_removes_it(make_instance, sink):
    """A deferral writes the defer log: the header stops saying "no logs"
    before that; the message loaded again from deferred/ then knows about
    the log and removes it with the message."""
    replies = []

    def rcpt(r):
        replies.append(r)
        return "451 4.3.0 try later" if len(replies) == 1 else "250 2.1.5 Ok"
    sink.set_rcpt_default(rcpt)
    inst = held_instance(make_instance, sink)
    send(inst, b"Subject: x\r\n\r\ncaf\xc3\xa9\r\n")
    qid = inst.wait_log(r"(\w{8}): to=<you@remote.test>, .*status=deferred").group(1)
    inst.wait_log(r"%s: to=<you@remote.test>, .*status=sent" % qid, timeout=20)
    inst.wait_log(r"%s: removed" % qid)
    assert not os.path.exists(os.path.join(inst.queue_dir, "defer", qid))
    assert len(sink.messages) == 1


@pytest.mark.parametrize("eight", [False, True], ids=["7bit", "8bit"])
def test_deferred_file_header_and_earlier_build_file(make_instance, sink, eight):
    """While deferred, the header says: scanned, 8-bit or not, logs may
    exist. A file of an earlier build (flags zeroed) with a defer log is
    delivered from the same state, and its log is found and removed."""
    sink.set_rcpt_default("451 4.3.0 try later")
    inst = held_instance(make_instance, sink)
    send(inst, b"Subject: x\r\n\r\n" + (b"caf\xc3\xa9" if eight else b"cafe") + b"\r\n")
    qid = inst.wait_log(r"(\w{8}): to=<you@remote.test>, .*status=deferred").group(1)
    path = os.path.join(inst.queue_dir, "deferred", qid)
    wait_for(lambda: os.path.exists(path), 10, "the deferred file")
    inst.stop()
    f = flags(path)
    assert f is not None and f & SCANNED and not f & NOLOGS
    assert bool(f & EIGHTBIT) == eight
    defer_log = os.path.join(inst.queue_dir, "defer", qid)
    assert os.path.exists(defer_log)
    with open(path, "r+b") as q:
        q.seek(80)
        q.write(bytes(8))
    assert flags(path) is None
    sink.set_rcpt_default("250 2.1.5 Ok")
    mark = inst.log_mark()
    inst.start()
    inst.wait_log(r"%s: to=<you@remote.test>, .*status=sent" % qid, since=mark, timeout=20)
    inst.wait_log(r"%s: removed" % qid, since=mark)
    assert not os.path.exists(defer_log)
    # Relayed as it is: the client scanned the earlier build's file.
    assert any("BODY=8BITMIME" in c for c in sink.command_lines()) == eight
