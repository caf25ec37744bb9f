"""postern queue -p / -j: Postfix's postqueue -p and -j layouts, byte for
byte, for the scripts that parse them; postern queue -s: a qshape-style
age histogram by domain (issue 13, "Postfix-shaped queue listing")."""

import json
import os
import re
import time

from harness import wait_for
from test_smtpctl import SLOW, ctl, deferred, queue_lines
from test_smtpd_lib import parse_qf


def make_queue(make_instance, down):
    cf = dict(SLOW, transport_maps="inline:{ s.test=smtp:%s, t.test=smtp:%s }"
              % (down.nexthop, down.nexthop))
    inst = make_instance(main_cf_extra=cf)
    inst.start()
    with inst.smtp() as s:
        s.sendmail("me@s.test", ["a@s.test", "b@t.test"], b"Subject: one\r\n\r\nhello\r\n")
        s.sendmail("", ["c@s.test"], b"Subject: two\r\n\r\nbounce-like\r\n")
    deferred(inst, 3)
    return inst


def expected_p(inst):
    """postqueue -p, computed from the queue files as Postfix formats it."""
    # Postfix shows the reason text without the DSN code.
    reasons = {(l["envelope_id"][:8], l["orcpt"]): re.sub(r"^[245]\.\d+\.\d+ ", "", l["last_error"])
               for l in queue_lines(inst)}
    out, total, n = [], 0, 0
    for q in ("incoming", "active", "deferred", "hold"):
        for qid in sorted(inst.queue_files(q)):
            qf = parse_qf(os.path.join(inst.queue_dir, q, qid))
            arrival = qf["arrival"]
            if n:
                out.append("")
            else:
                out.append("%-11s %7s %-20s %s" % ("-Queue ID-", "--Size--",
                                                 "----Arrival Time----",
                                                 "-Sender/Recipient-------"))
            size = len(qf["content"])
            ident = qid + {"active": "*", "hold": "!"}.get(q, " ")
            when = time.asctime(time.localtime(arrival))[:20]
            out.append("%-11s %7d %20.20s %s" % (ident, size, when,
                                                 qf["sender"] or "MAILER-DAEMON"))
            last = None
            for r in qf["rcpts"]:
                why = reasons.get((qid, r["addr"]), "")
                if (why if last is None else why != last):
                    show = why or "reason unavailable"
                    out.append("%s(%s)" % (" " * max(0, 76 - len(show)), show))
                last = why
                out.append("%-11s %7s %-20s %s" % ("", "", "", r["addr"]))
            total += size
            n += 1
    if n == 0:
        return "Mail queue is empty\n"
    return "\n".join(out) + "\n\n-- %d Kbytes in %d Request%s.\n" % (
        total // 1024, n, "" if n == 1 else "s")


def test_queue_p_and_j_layouts(make_instance, down):
    inst = make_queue(make_instance, down)
    r = inst.postern(["queue", "-p"])
    assert r.returncode == 0, r.stderr
    got = r.stdout.decode()
    assert got == expected_p(inst), got
    assert got.startswith("-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------\n")
    assert re.search(r"^[0-9a-f]{8}   +\d+ \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d  MAILER-DAEMON$",
                     got, re.M), got
    assert got.endswith(" Kbytes in 2 Requests.\n")
    assert inst.postern(["queue"]).stdout.decode() == got
    # check_mailq's parse of the summary line.
    assert re.search(r"^-- \d+ Kbytes in (\d+) Request", got, re.M).group(1) == "2"

    r = inst.postern(["queue", "-j"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    docs = [json.loads(l) for l in lines]
    assert len(docs) == 2
    for l, d in zip(lines, docs):
        assert list(d) == ["queue_name", "queue_id", "arrival_time", "message_size",
                           "forced_expire", "sender", "recipients"]
        assert l.startswith('{"queue_name": "deferred", "queue_id": "%s", "arrival_time": %d, '
                            '"message_size": %d, "forced_expire": false, "sender": '
                            % (d["queue_id"], d["arrival_time"], d["message_size"]))
        for rc in d["recipients"]:
            assert rc["delay_reason"].startswith("connect to "), rc
    by_sender = {d["sender"]: d for d in docs}
    assert sorted(x["address"] for x in by_sender["me@s.test"]["recipients"]) == \
        ["a@s.test", "b@t.test"]
    assert [x["address"] for x in by_sender["MAILER-DAEMON"]["recipients"]] == ["c@s.test"]


def test_queue_empty(make_instance):
    inst = make_instance()
    inst.start()
    r = inst.postern(["queue", "-p"])
    assert (r.returncode, r.stdout.decode()) == (0, "Mail queue is empty\n")
    assert inst.postern(["queue", "-j"]).stdout == b""


def test_queue_shape(make_instance, down):
    inst = make_queue(make_instance, down)
    r = inst.postern(["queue", "-s", "deferred"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    head = lines[0].split()
    assert head == ["T", "5", "10", "20", "40", "80", "160", "320", "640", "1280", "2560",
                    "2560+"]
    rows = {l.split()[0]: [int(x) for x in l.split()[1:]] for l in lines[1:]}
    assert lines[1].split()[0] == "TOTAL"
    assert rows["TOTAL"][:2] == [3, 3] and sum(rows["TOTAL"][1:]) == 3
    assert rows["s.test"][:2] == [2, 2] and rows["t.test"][:2] == [1, 1]
    assert lines[2].split()[0] == "s.test"          # by descending total
    # All columns line up under the heading.
    assert len({len(l) for l in lines}) == 1, lines
    r = inst.postern(["queue", "-s", "-r", "-t", "1", "-b", "3", "deferred"])
    lines = r.stdout.decode().splitlines()
    assert lines[0].split() == ["T", "1", "2", "4", "4+"]
    rows = {l.split()[0]: l.split()[1:] for l in lines[1:]}
    assert rows["TOTAL"][0] == "2" and rows["s.test"][0] == "1" and rows["MAILER-DAEMON"][0] == "1"
    assert inst.postern(["queue", "-s", "nosuch"]).returncode == 64


def test_queue_unlistable_directory(make_instance, down):
    """A queue directory that cannot be listed: a warning naming it, an
    incomplete listing without postqueue's total, exit 70 as postqueue; mailq
    with nothing running (smtpctl show queue offline) warns and exits 1."""
    inst = make_queue(make_instance, down)
    inst.stop()
    complete = inst.postern(["queue", "-p"]).stdout.decode()
    hold = os.path.join(inst.queue_dir, "hold")
    # Not a directory: opendir fails for root as for anyone.
    os.rename(hold, hold + ".saved")
    with open(hold, "w") as f:
        f.write("not a directory\n")
    try:
        warning = "cannot list queue directory %s: Not a directory" % hold
        r = inst.postern(["queue", "-p"])
        assert r.returncode == 70, (r.stdout, r.stderr)
        assert warning in r.stderr.decode(), r.stderr
        # The messages of the readable queues, without the total.
        assert complete.endswith(" Kbytes in 2 Requests.\n"), complete
        assert r.stdout.decode() == complete[:complete.rindex("\n-- ")]
        r = inst.postern(["queue", "-j"])
        assert r.returncode == 70 and warning in r.stderr.decode(), r.stderr
        assert len(r.stdout.decode().splitlines()) == 2
        r = inst.postern(["queue", "-s", "deferred", "hold"])
        assert (r.returncode, r.stdout) == (70, b""), r
        assert warning in r.stderr.decode()
        assert inst.postern(["queue", "-s", "deferred"]).returncode == 0
        r = ctl(inst, "show", "queue", ok=False)
        assert r.returncode == 1 and warning in r.stderr.decode(), r.stderr
        assert len(r.stdout.decode().splitlines()) == 3      # the envelopes read
    finally:
        os.unlink(hold)
        os.rename(hold + ".saved", hold)
    if os.geteuid() != 0:
        # Without permission (root reads a mode 000 directory anyway).
        deferred_dir = os.path.join(inst.queue_dir, "deferred")
        os.chmod(deferred_dir, 0)
        try:
            r = inst.postern(["queue", "-p"])
            assert r.returncode == 70, (r.stdout, r.stderr)
            assert "cannot list queue directory %s: Permission denied" % deferred_dir \
                in r.stderr.decode(), r.stderr
            assert r.stdout == b""
        finally:
            os.chmod(deferred_dir, 0o700)
    assert inst.postern(["queue", "-p"]).stdout.decode() == complete


def test_show_queue_running_unlistable_directory(make_instance, down):
    """With the mail system running, smtpctl show queue (and mailq) on a
    queue directory the qmgr cannot list: the envelopes it could read, the
    directory named in the mail log, and an error that says the list is
    incomplete, exit 1 (not a silent short list)."""
    inst = make_queue(make_instance, down)
    complete = ctl(inst, "show", "queue").stdout.decode().splitlines()
    assert len(complete) == 3
    hold = os.path.join(inst.queue_dir, "hold")
    mark = inst.log_mark()
    os.rename(hold, hold + ".saved")
    with open(hold, "w") as f:
        f.write("not a directory\n")
    try:
        r = ctl(inst, "show", "queue", ok=False)
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert "the list is incomplete: 1 queue directory could not be listed" \
            in r.stderr.decode(), r.stderr
        assert sorted(r.stdout.decode().splitlines()) == sorted(complete)
        inst.wait_log(r"cannot list queue directory %s: Not a directory"
                      % re.escape(hold), since=mark)
    finally:
        os.unlink(hold)
        os.rename(hold + ".saved", hold)
    r = ctl(inst, "show", "queue")
    assert r.returncode == 0 and r.stderr == b"", r.stderr


def test_queue_unreadable_file(make_instance, down):
    """A queue file that cannot be read is skipped with a warning, exit 70;
    the listing of the others is whole, with its total."""
    inst = make_queue(make_instance, down)
    inst.stop()
    complete = inst.postern(["queue", "-p"]).stdout.decode()
    bad = os.path.join(inst.queue_dir, "incoming", "0badf00d")
    with open(bad, "wb") as f:
        f.write(b"not a queue file" * 64)
    r = inst.postern(["queue", "-p"])
    assert r.returncode == 70, (r.stdout, r.stderr)
    assert "cannot read queue file: %s: " % bad in r.stderr.decode(), r.stderr
    assert r.stdout.decode() == complete
    r = ctl(inst, "show", "queue", ok=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "cannot read queue file: %s: " % bad in r.stderr.decode(), r.stderr
    os.unlink(bad)
    assert inst.postern(["queue", "-p"]).returncode == 0
