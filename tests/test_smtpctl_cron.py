"""Flushing and cron-driven queue runs: postern flush, sendmail -q, -qR (issue 5).

Mail waits in deferred/ for a sink that is down (one-hour backoff). With the
master running, a flush asks the qmgr; with it stopped, the same commands
perform one queue run in the foreground (master -1) and exit 0.
"""
import os

import pytest

from harness import BIN, free_port, random_loopback, wait_for
from sink import Sink

SLOW = {"minimal_backoff_time": "1h", "maximal_backoff_time": "2h",
        "queue_run_delay": "1h", "smtp_connect_timeout": "2s"}


@pytest.fixture
def setup(make_instance):
    addr = random_loopback()
    ports = [free_port(addr), free_port(addr)]
    inst = make_instance(main_cf_extra=dict(
        SLOW, transport_maps="inline:{ a.test=smtp:[%s]:%d, b.test=smtp:[%s]:%d }"
        % (addr, ports[0], addr, ports[1])))
    inst.start()
    for rcpt in ("x@a.test", "y@b.test"):
        with inst.smtp() as s:
            s.sendmail("me@localhost", [rcpt], ("Subject: to %s\r\n\r\nhi\r\n" % rcpt).encode())
    inst.wait_log(r"status=deferred", count=2)
    wait_for(lambda: len(inst.queue_files("deferred")) == 2, 10, "two deferred")
    sinks = [Sink(host=addr, port=p) for p in ports]
    yield inst, sinks
    for s in sinks:
        s.stop()


def test_sendmail_q_cron_mode(setup):
    inst, sinks = setup
    inst.stop()
    assert not inst.running()
    for s in sinks:
        s.start()
    r = inst.sendmail(["-q"], timeout=60)
    assert r.returncode == 0, r.stderr
    assert b"2 delivered" in r.stdout
    sinks[0].wait_for(1, timeout=1)
    sinks[1].wait_for(1, timeout=1)
    assert not inst.queue_files("deferred") and not inst.queue_files("active")
    assert not inst.running()
    inst.wait_log(r"qmgr\[\d+\]: queue run done: delivered=2")


def test_sendmail_qR_restricts_to_domain(setup):
    inst, sinks = setup
    inst.stop()
    for s in sinks:
        s.start()
    r = inst.sendmail(["-qR", "b.test"], timeout=60)
    assert r.returncode == 0, r.stderr
    sinks[1].wait_for(1, timeout=1)
    assert sinks[0].messages == []
    assert len(inst.queue_files("deferred")) == 1


def test_postern_flush_cron_mode_deferred_again(setup):
    """Sinks still down: the run defers again and still exits 0."""
    inst, sinks = setup
    inst.stop()
    r = inst.postern(["flush"], timeout=60)
    assert r.returncode == 0, r.stderr
    assert b"0 delivered, 2 deferred" in r.stdout
    assert len(inst.queue_files("deferred")) == 2
    # And the queue is intact for the next start.
    inst.start()
    sinks[0].start()
    r = inst.postern(["flush"])
    assert r.returncode == 0, r.stderr
    sinks[0].wait_for(1, timeout=15)


def test_flush_running_and_one_shot_refused(setup):
    inst, sinks = setup
    mark = inst.log_mark()
    r = inst.run([os.path.join(BIN, "master"), "-1"])
    assert r.returncode != 0
    assert b"already running" in r.stderr
    inst.wait_log(r"master\[\d+\]: fatal: the Postern mail system is already "
                  r"running", since=mark)
    for s in sinks:
        s.start()
    r = inst.sendmail(["-q"])
    assert r.returncode == 0, r.stderr
    sinks[0].wait_for(1, timeout=15)
    sinks[1].wait_for(1, timeout=15)


def test_cron_mode_delivers_local_submissions(setup):
    """sendmail with nothing running leaves the message in maildrop/; the
    cron queue run takes it in (pickup) and delivers it with the rest."""
    inst, sinks = setup
    inst.stop()
    r = inst.sendmail(["-f", "me@localhost", "z@a.test"], input=b"Subject: local\n\nx\n")
    assert r.returncode == 0, r.stderr
    for s in sinks:
        s.start()
    r = inst.sendmail(["-q"], timeout=60)
    assert r.returncode == 0, r.stderr
    msgs = sinks[0].wait_for(2, timeout=1)
    assert any(b"Subject: local" in m.data for m in msgs)
    assert not os.listdir(os.path.join(inst.queue_dir, "maildrop"))


def test_sendmail_qR_with_master_restricts_to_domain(setup):
    """With the master running, sendmail -qRdomain (attached form too) asks
    the qmgr to deliver that domain's mail only."""
    inst, sinks = setup
    for s in sinks:
        s.start()
    r = inst.sendmail(["-qRb.test"], timeout=60)
    assert r.returncode == 0, r.stderr
    sinks[1].wait_for(1, timeout=15)
    with pytest.raises(TimeoutError):
        sinks[0].wait_for(1, timeout=2)
    assert len(inst.queue_files("deferred")) == 1
    assert inst.running()


def test_authorized_flush_users_exempts_root_and_mail_owner(make_instance):
    """The invoking user here is root or the instance's mail_owner: always
    allowed, whatever authorized_flush_users says (as Postfix)."""
    inst = make_instance(main_cf_extra=dict(SLOW, authorized_flush_users="no-such-user"))
    inst.start()
    r = inst.postern(["flush"])
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run as another user")
def test_authorized_flush_users_refuses_others(setup):
    import pwd
    import subprocess
    inst, _ = setup
    inst.postern(["stop"])
    with open(os.path.join(inst.config_dir, "main.cf"), "a") as f:
        f.write("authorized_flush_users = !nobody, static:anyone\n")
    inst.start()
    nobody = pwd.getpwnam("nobody")

    def as_nobody(argv):
        return subprocess.run(argv, env=inst.env(), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=30,
                              preexec_fn=lambda: (os.setgroups([]), os.setgid(nobody.pw_gid),
                                                  os.setuid(nobody.pw_uid)))
    for argv in ([os.path.join(BIN, "postern"), "-c", inst.config_dir, "flush"],
                 [os.path.join(BIN, "sendmail"), "-q"]):
        r = as_nobody(argv)
        assert r.returncode == 77, (argv, r.returncode, r.stderr)
        assert b"user nobody (uid %d) is not allowed to flush the mail queue" % nobody.pw_uid \
            in r.stderr
    assert len(inst.queue_files("deferred")) == 2
