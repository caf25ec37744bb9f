"""Black-box tests of local submission: sendmail(1) -> maildrop/ -> pickup(8)
-> incoming/. The instances run only pickup (no qmgr), so that the queue file
stays in incoming/ where the test reads it through `postern queue-dump`
(harness.queue_dump)."""

import os
import pwd

import pytest

from harness import BIN, DSN_RET, notify_bits, queue_dump, wait_for

PICKUP_ONLY = "pickup unix n - n 60 1 pickup\n"

pytestmark = pytest.mark.skipif(
    not all(os.path.exists(os.path.join(BIN, p)) for p in ("sendmail", "pickup", "master")),
    reason="sendmail, pickup or master not built")


def read_qfile(path):
    """A queue file through postern queue-dump: envelope dict and content bytes."""
    m = queue_dump(path)
    env = {"msgid": m["queue_id"], "attr": m.get("attributes", {}),
           "family": m["family"], "arrival": m["arrival_time"],
           "ret": DSN_RET.get(m.get("dsn_ret"), 0), "sender": m["sender"],
           "origin": m["origin"], "envid": m.get("dsn_envid"),
           "rcpt": [{"addr": r["address"], "orcpt": r.get("orcpt"),
                     "notify": notify_bits(r["notify"]), "envid": r["envelope_id"]}
                    for r in m["recipients"]]}
    assert len(env["rcpt"]) == m["recipient_count"]
    return env, m["content"]


def queued(inst, count=1, timeout=10):
    """Wait for count files in incoming/ and return them parsed."""
    ids = wait_for(lambda: len(inst.queue_files("incoming")) >= count and
                   inst.queue_files("incoming"), timeout, "%d queue file(s)" % count)
    return [read_qfile(os.path.join(inst.queue_dir, "incoming", i)) for i in ids]


@pytest.fixture
def pickup_instance(make_instance):
    inst = make_instance(master_cf=PICKUP_ONLY)
    inst.start()
    return inst


def test_sendmail_t_with_bcc(pickup_instance):
    inst = pickup_instance
    msg = (b"From: Sender <sender@example.org>\r\n"
           b"To: One <one@example.com>, two@example.com\r\n"
           b"Cc: \"Three, Esq.\" <three@example.com>\r\n"
           b"Bcc: hidden@example.com\r\n"
           b"Subject: bcc test\r\n\r\nbody line\r\n")
    r = inst.sendmail(["-t", "-f", "sender@example.org"], input=msg)
    assert r.returncode == 0, r.stderr
    [(env, content)] = queued(inst)
    assert env["sender"] == "sender@example.org"
    assert [x["addr"] for x in env["rcpt"]] == [
        "one@example.com", "two@example.com", "three@example.com", "hidden@example.com"]
    assert env["origin"] == "local"
    assert b"hidden@example.com" not in content
    assert b"\nBcc:" not in content and not content.startswith(b"Bcc:")
    assert content.startswith(b"Received: by localhost (Postern, from userid %d)" % os.getuid())
    assert b"\nmessage-id: <" in content.lower() and b"\nDate: " in content
    assert content.endswith(b"\n\nbody line\n")
    assert b"\r" not in content
    inst.wait_log(r"%s: uid=%d from=<sender@example\.org>" % (env["msgid"], os.getuid()))
    # pickup logs that line before it removes the maildrop file.
    wait_for(lambda: inst.queue_files("maildrop", dot=True) == [], 10, "maildrop/ emptied")


def test_sendmail_args_f_F(pickup_instance):
    inst = pickup_instance
    r = inst.sendmail(["-f", "<list-bounces@example.org>", "-F", "Joe Q. Public",
                       "-N", "success,delay", "rcpt@example.com, other@example.com",
                       "bare"], input=b"Subject: no from\n\nhello\n")
    assert r.returncode == 0, r.stderr
    [(env, content)] = queued(inst)
    assert env["sender"] == "list-bounces@example.org"
    rcpts = [x["addr"] for x in env["rcpt"]]
    assert rcpts == ["rcpt@example.com", "other@example.com", "bare@localhost"]
    assert all(x["notify"] == (2 | 8) for x in env["rcpt"])
    assert len({x["envid"] for x in env["rcpt"]}) == 3
    assert b'\nFrom: "Joe Q. Public" <list-bounces@example.org>\n' in content
    assert b"\nTo:" not in content


def test_sendmail_default_sender_and_null_sender(pickup_instance):
    inst = pickup_instance
    r = inst.sendmail(["a@example.com"], input=b"Subject: 1\n\nx\n")
    assert r.returncode == 0, r.stderr
    r = inst.sendmail(["-f", "<>", "b@example.com"], input=b"Subject: 2\n\nx\n")
    assert r.returncode == 0, r.stderr
    msgs = queued(inst, 2)
    senders = sorted(env["sender"] for env, _ in msgs)
    user = pwd.getpwuid(os.getuid()).pw_name
    assert senders == ["", user + "@localhost"]


def test_sendmail_dot_handling(pickup_instance):
    inst = pickup_instance
    r = inst.sendmail(["a@example.com"], input=b"Subject: dot\n\nbefore\n.\nafter\n")
    assert r.returncode == 0, r.stderr
    [(_, content)] = queued(inst)
    assert content.endswith(b"\n\nbefore\n")
    r = inst.sendmail(["-oi", "a@example.com"], input=b"Subject: dot\n\nbefore\n.\nafter")
    assert r.returncode == 0, r.stderr
    contents = [c for _, c in queued(inst, 2)]
    assert any(c.endswith(b"\n\nbefore\n.\nafter\n") for c in contents)


def test_sendmail_errors_leave_nothing(pickup_instance):
    inst = pickup_instance
    r = inst.sendmail([], input=b"Subject: x\n\nx\n")
    assert r.returncode == 64 and b"no recipients" in r.stderr
    r = inst.sendmail(["-t"], input=b"Subject: x\n\nx\n")
    assert r.returncode == 65 and b"no recipient" in r.stderr
    r = inst.sendmail(["not an address@example.com"], input=b"x\n")
    assert r.returncode == 65 and b"bad address" in r.stderr
    r = inst.sendmail(["-Z"], input=b"x\n")
    assert r.returncode == 64
    # No alias_database in the test config: newaliases has nothing to build.
    r = inst.sendmail(["-bi"])
    assert r.returncode == 0, r.stderr
    r = inst.run([os.path.join(BIN, "newaliases")])
    assert r.returncode == 0, r.stderr
    big = b"Subject: big\n\n" + b"x" * 2000 + b"\n"
    inst.write_main_cf({"message_size_limit": "1000"})
    r = inst.sendmail(["a@example.com"], input=big)
    assert r.returncode == 65 and b"too large" in r.stderr
    assert inst.queue_files("maildrop", dot=True) == []
    assert inst.queue_files("incoming") == []


def test_sendmail_bs(pickup_instance):
    inst = pickup_instance
    dialogue = (b"EHLO client\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<r1@example.com>\r\n"
                b"RCPT TO:<r2@example.com>\r\nDATA\r\nSubject: bs\r\n\r\n..leading dot\r\n"
                b".\r\nQUIT\r\n")
    r = inst.sendmail(["-bs"], input=dialogue)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.split(b"\r\n")
    assert lines[0].startswith(b"220 ")
    # root (smtpd becomes mail_owner) and mail_owner queue directly: "queued as ID".
    assert any(line.startswith(b"250 2.0.0 Ok: queued") for line in lines), r.stdout
    assert lines[-2].startswith(b"221")
    [(env, content)] = queued(inst)
    assert env["sender"] == "s@example.org"
    assert [x["addr"] for x in env["rcpt"]] == ["r1@example.com", "r2@example.com"]
    assert content.endswith(b"\n\n.leading dot\n")


def test_pickup_moves_bad_file_to_corrupt(pickup_instance):
    inst = pickup_instance
    bad = os.path.join(inst.queue_dir, "maildrop", "0badf11e")
    with open(bad, "wb") as f:
        f.write(b"this is not a maildrop file\n")
    os.chmod(bad, 0o644)
    r = inst.sendmail(["a@example.com"], input=b"Subject: good\n\nx\n")
    assert r.returncode == 0, r.stderr
    queued(inst)
    corrupt = os.path.join(inst.queue_dir, "corrupt", "maildrop.0badf11e")
    wait_for(lambda: os.path.exists(corrupt), 10, "bad file in corrupt/")
    inst.wait_log(r"maildrop file 0badf11e: not a maildrop file; moved to")
    # pickup removes a maildrop file once its queue file is committed.
    wait_for(lambda: inst.queue_files("maildrop", dot=True) == [], 10, "maildrop/ emptied")


def test_sendmail_q_without_master(make_instance):
    """Cron mode: with no master, -q runs the queue once in the foreground
    (test_smtpctl_cron.py covers the deliveries); an empty queue is fine."""
    inst = make_instance(master_cf=PICKUP_ONLY)
    inst.start()    # creates the queue directory
    inst.stop()
    r = inst.sendmail(["-q"], timeout=60)
    assert r.returncode == 0, r.stderr
    assert not inst.running()


def test_sendmail_survives_pickup_down(make_instance):
    """Submitted while nothing runs: the file waits in maildrop/ and is
    queued once the mail system starts."""
    inst = make_instance(master_cf=PICKUP_ONLY)
    os.makedirs(os.path.join(inst.queue_dir, "maildrop"), exist_ok=True)
    r = inst.sendmail(["late@example.com"], input=b"Subject: early\n\nx\n")
    assert r.returncode == 0, r.stderr
    assert len(inst.queue_files("maildrop", dot=True)) == 1
    inst.start()
    r = inst.sendmail(["next@example.com"], input=b"Subject: next\n\nx\n")
    assert r.returncode == 0, r.stderr
    msgs = queued(inst, 2)
    assert sorted(env["rcpt"][0]["addr"] for env, _ in msgs) == [
        "late@example.com", "next@example.com"]


def test_authorized_submit_users(make_instance):
    user = pwd.getpwuid(os.getuid()).pw_name
    inst = make_instance(master_cf=PICKUP_ONLY,
                         main_cf_extra={"authorized_submit_users": "!%s, static:anyone" % user})
    r = inst.sendmail(["a@example.com"], input=b"Subject: x\n\nx\n")
    assert r.returncode == 77, r.stderr
    assert b"not allowed to submit" in r.stderr
    assert inst.queue_files("maildrop", dot=True) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a set-gid copy")
def test_setgid_sendmail_refuses_other_config(make_instance, tmp_path):
    import grp
    import shutil
    import subprocess
    inst = make_instance(master_cf=PICKUP_ONLY)
    copy = os.path.join(inst.dir, "sendmail-sgid")
    shutil.copy(os.path.join(BIN, "sendmail"), copy)
    os.chown(copy, 0, grp.getgrnam("postdrop").gr_gid)
    os.chmod(copy, 0o2755)
    env = {"PATH": "/usr/bin:/bin"}
    r = subprocess.run([copy, "-c", inst.config_dir, "a@example.com"], input=b"x\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                       user="nobody", timeout=30)
    assert r.returncode == 77, r.stderr
    assert b"alternate_config_directories" in r.stderr


@pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "qmgr")), reason="qmgr not built")
def test_sendmail_q_with_master(make_instance):
    inst = make_instance(master_cf="pickup unix n - n 60 1 pickup\n"
                                   "qmgr unix n - n 300 1 qmgr\n")
    inst.start()
    r = inst.sendmail(["-q"])
    assert r.returncode == 0, r.stderr
    r = inst.sendmail(["-qR", "example.com"])
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "smtpctl")), reason="smtpctl not built")
def test_sendmail_bp_lists_queue(pickup_instance):
    inst = pickup_instance
    r = inst.sendmail(["listed@example.com"], input=b"Subject: x\n\nx\n")
    assert r.returncode == 0, r.stderr
    [(env, _)] = queued(inst)
    r = inst.sendmail(["-bp"])
    assert r.returncode == 0, r.stderr
    assert env["rcpt"][0]["envid"].encode() in r.stdout
    assert b"listed@example.com" in r.stdout
