"""postern queue-dump (issue 14, "one queue API"): a queue file's records and
content through the project's own reader, as postcat shows Postfix's; and
smtpctl offline holding the qmgr's lock (pid/qmgr.lock) while it changes
queue files."""

import fcntl
import json
import os
import select
import subprocess

from harness import BIN, queue_dump, wait_for
from test_smtpctl import deferred, make, send


def queued_two(make_instance, down):
    """An instance with two deferred messages (3 recipients), stopped."""
    inst = make(make_instance, down)
    send(inst, ["a@s.test", "b@s.test"], subject="one",
         rcpt_options=["NOTIFY=SUCCESS,DELAY", "ORCPT=rfc822;B@s.test"],
         mail_options=["RET=HDRS", "ENVID=E1"])
    send(inst, ["c@s.test"], sender="", subject="two")
    deferred(inst, 3)
    inst.stop()
    return inst


def test_queue_dump_text_json_and_selection(make_instance, down):
    inst = queued_two(make_instance, down)
    ids = inst.queue_files("deferred")
    assert len(ids) == 2
    dumps = {qid: queue_dump(os.path.join(inst.queue_dir, "deferred", qid)) for qid in ids}
    one = next(m for m in dumps.values() if m["sender"] == "me@s.test")
    two = next(m for m in dumps.values() if m["sender"] == "")
    assert one["queue_name"] == "deferred" and one["origin"] == "smtp"
    assert one["dsn_ret"] == "HDRS" and one["dsn_envid"] == "E1"
    assert one["attributes"]["helo"] and one["attributes"]["protocol"] == "ESMTP"
    assert [r["address"] for r in one["recipients"]] == ["a@s.test", "b@s.test"]
    assert one["recipients"][1]["orcpt"] == "rfc822;B@s.test"
    assert all(r["notify"] == "SUCCESS,DELAY" for r in one["recipients"])
    assert all(r["status"] == "pending" and r["attempts"] == 1 and r["last_error"]
               for r in one["recipients"])
    assert b"\nSubject: one\n" in one["content"] and one["content"].endswith(b"\n\nhello\n")
    assert one["content_size"] == len(one["content"])
    assert "dsn_ret" not in two and two["recipients"][0]["notify"] == ""

    # By id through main.cf, by envelope-id, by sender; text output.
    r = inst.postern(["queue-dump", "-j", one["queue_id"]])
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["queue_id"] == one["queue_id"] and "content_base64" not in m
    envid = one["recipients"][1]["envelope_id"]
    m = json.loads(inst.postern(["queue-dump", "-j", envid]).stdout)
    assert [x["address"] for x in m["recipients"]] == ["b@s.test"]
    r = inst.postern(["queue-dump", "-j", "-s", ""])
    assert [json.loads(l)["queue_id"] for l in r.stdout.splitlines()] == [two["queue_id"]]
    r = inst.postern(["queue-dump", "-b", "all"])
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    for m in (one, two):
        assert "*** ENVELOPE RECORDS deferred/%s ***\n" % m["queue_id"] in text
        assert "*** END OF MESSAGE deferred/%s ***\n" % m["queue_id"] in text
    assert "*** RECIPIENT 1 ***\naddress: b@s.test\nenvelope_id: %s\n" % envid in text

    # A path relative to the queue directory, as an administrator types it there.
    r = subprocess.run([os.path.join(BIN, "postern"), "queue-dump", "-j",
                        "deferred/" + two["queue_id"]], cwd=inst.queue_dir,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["recipients"][0]["address"] == "c@s.test"

    # Errors: exit 1 with a message; the other arguments are still shown.
    r = inst.postern(["queue-dump", "-j", "0000abcd", one["queue_id"]])
    assert r.returncode == 1 and b"no such message: 0000abcd" in r.stderr
    assert json.loads(r.stdout)["queue_id"] == one["queue_id"]
    assert inst.postern(["queue-dump", "nonsense"]).returncode == 1
    assert inst.postern(["queue-dump"]).returncode == 64


def test_smtpctl_offline_takes_the_qmgr_lock(make_instance, down):
    """A change made offline waits for the holder of pid/qmgr.lock (a qmgr
    that is leaving) and is made only after it let go."""
    inst = queued_two(make_instance, down)
    qid = inst.queue_files("deferred")[0]
    lock = os.path.join(inst.queue_dir, "pid", "qmgr.lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX)
        p = subprocess.Popen([os.path.join(BIN, "smtpctl"), "pause", "envelope", qid],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=inst.env())
        line = wait_for(lambda: select.select([p.stderr], [], [], 0.05)[0]
                        and p.stderr.readline(), 10, "smtpctl to wait for the lock")
        assert b"waiting for pid" in line and p.poll() is None
        held = queue_dump(os.path.join(inst.queue_dir, "deferred", qid))
        assert all("held" not in r["flags"] for r in held["recipients"])
    finally:
        os.close(fd)             # lets go of the lock
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert b"(offline)" in out
    held = queue_dump(os.path.join(inst.queue_dir, "deferred", qid))
    assert all(r["flags"] == "held" for r in held["recipients"])
    # The lock is free again: a qmgr can start and sees the held mark.
    inst.start()
    r = inst.smtpctl(["show", "envelope", qid])
    assert r.returncode == 0 and b"runstate: held" in r.stdout
