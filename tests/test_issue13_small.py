"""Issue 13 #8, the small ones: lmtp(8) exists, postern config -M prints
pipe arguments as written, sendmail -bi builds the aliases and sendmail(1)
says so (postern map -q on a missing .db: see test_map.py)."""

import os
import re

from harness import BIN

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_lmtp_page_links_to_smtp():
    with open(os.path.join(TOP, "man", "lmtp.8")) as f:
        assert f.read().strip() == ".so man8/smtp.8"
    assert os.path.exists(os.path.join(TOP, "man", "smtp.8"))


def test_config_M_pipe_arguments(make_instance):
    inst = make_instance(master_cf_extra="procmail unix - n n - - pipe flags=R "
                                         "user=nobody argv=/usr/bin/procmail -d ${recipient}")
    r = inst.postern(["config", "-M", "procmail/unix"])
    assert r.returncode == 0, r.stderr
    line = r.stdout.decode()
    assert line.rstrip("\n").endswith("pipe flags=R user=nobody argv=/usr/bin/procmail -d ${recipient}"), line
    assert "{" not in line.replace("${recipient}", "")


def test_sendmail_bi_builds_and_page_says_so(make_instance):
    inst = make_instance()
    src = os.path.join(inst.dir, "aliases")
    with open(src, "w") as f:
        f.write("postmaster: root\n")
    inst.main_cf_extra.update({"alias_database": "hash:" + src, "alias_maps": "hash:" + src})
    inst.write_main_cf()
    r = inst.sendmail(["-bi"])
    assert r.returncode == 0, r.stderr
    assert os.path.exists(src + ".db")
    with open(os.path.join(TOP, "man", "sendmail.1")) as f:
        page = f.read()
    bi = page[page.index(".BR \\-bi"):]
    bi = bi[:bi.index(".TP")]
    assert "69" not in bi and "not supported" not in bi
    assert re.search(r"exits 0", bi)


# ---- issue 13 #13 ------------------------------------------------------------

import pwd       # noqa: E402
import subprocess  # noqa: E402

ROOT = os.geteuid() == 0


def as_other(inst, args):
    """postern args run by another user (root: nobody), or by ourselves."""
    kw = {}
    if ROOT:
        nobody = pwd.getpwnam("nobody")
        kw["preexec_fn"] = lambda: (os.setgroups([]), os.setgid(nobody.pw_gid),
                                    os.setuid(nobody.pw_uid))
    return subprocess.run([os.path.join(BIN, "postern"), "-c", inst.config_dir] + args,
                          env=inst.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=30, **kw)


def test_status_never_falsely_not_running(make_instance):
    """An ordinary user gets "running (pid N)" or a permission error, never
    "not running" while the system runs."""
    inst = make_instance()
    inst.start()
    pid = inst.master_pid()
    piddir = os.path.join(inst.queue_dir, "pid")
    pidfile = os.path.join(piddir, "master.pid")
    modes = os.stat(piddir).st_mode & 0o7777, os.stat(pidfile).st_mode & 0o7777
    try:
        # The lock file is not readable: the kernel's lock table names the owner.
        os.chmod(pidfile, 0)
        r = as_other(inst, ["status"])
        assert (r.returncode, r.stdout.decode()) == (0, "postern is running (pid %d)\n" % pid), r
        if ROOT:
            r = as_other(inst, ["stop"])
            assert r.returncode == 1
            assert ("running (pid %d), but cannot stop it" % pid) in r.stderr.decode(), r
            assert "not running" not in r.stderr.decode()
        # Not even its directory may be looked at (0700, the default): the
        # master started for this configuration is still found.
        os.chmod(piddir, 0o700 if ROOT else 0)
        r = as_other(inst, ["status"])
        assert (r.returncode, r.stdout.decode()) == (0, "postern is running (pid %d)\n" % pid), r
        r = as_other(inst, ["start"])
        assert r.returncode == 1 and "already running (pid %d)" % pid in r.stderr.decode(), r
    finally:
        os.chmod(piddir, modes[0])
        os.chmod(pidfile, modes[1])
    assert inst.master_pid() == pid
    r = inst.postern(["status"])
    assert r.returncode == 0


def test_sendmail_huge_recipient_named(make_instance):
    inst = make_instance()
    inst.start()
    r = inst.sendmail(["x" * 120000 + "@example.com"], input=b"Subject: x\n\nbody\n")
    err = r.stderr.decode()
    assert r.returncode != 0
    assert "no recipients" not in err
    assert 'bad recipient "xxxxxxxx' in err and "(120012 bytes)" in err, err
    assert len(err) < 1000
