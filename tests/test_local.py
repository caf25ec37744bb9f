"""The local delivery agent (issue 6): mbox and Maildir, aliases, :include:,
.forward, user+ext, loops, unknown users, mailbox_command and
mailbox_transport.

As an ordinary user the recipient is the running user; as root it is the
`postern` account (deliveries then run as that user). Nothing is written
outside the test's temporary directory: the spool is the harness's
<instance>/mail, .forward files are found through forward_path, and alias
files and Maildirs live under the instance directory.
"""

import getpass
import os
import pwd
import re
import smtplib
import threading

import pytest

from harness import BIN, random_loopback, wait_for
from sink import Sink

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "local")),
                                reason="local not built")

ROOT = os.geteuid() == 0


def rcpt_user():
    """The local user mail is delivered to."""
    return "postern" if ROOT else getpass.getuser()


def other_user():
    """A second existing user for multi-user aliases."""
    for name in ("nobody", "daemon"):
        try:
            pwd.getpwnam(name)
            if name != rcpt_user():
                return name
        except KeyError:
            pass
    pytest.skip("no second user account")


def open_dir(path):
    """A directory every delivery process may write (deliveries as root run
    as the recipient, or as default_privs for aliases owned by root)."""
    os.makedirs(path, exist_ok=True)
    os.chmod(path, 0o1777)
    return path


def own(path):
    """Give a file to the recipient user (as root), as .forward needs."""
    if ROOT:
        pw = pwd.getpwnam(rcpt_user())
        os.chown(path, pw.pw_uid, pw.pw_gid)


def msg(subject, body="hello\r\n", extra=""):
    return ("From: sender@example.com\r\nSubject: %s\r\n%s\r\n%s"
            % (subject, extra, body)).encode()


def send(inst, rcpts, data, sender="sender@example.com"):
    with inst.smtp() as s:
        s.sendmail(sender, rcpts, data)


def read(path):
    with open(path, "rb") as f:
        return f.read().decode(errors="replace")


def mbox(inst, user=None):
    return os.path.join(inst.mail_dir, user or rcpt_user())


def wait_file(path, needle, timeout=15):
    def ok():
        try:
            return needle in read(path)
        except OSError:
            return False
    wait_for(ok, timeout, "%r in %s" % (needle, path))
    return read(path)


def mbox_messages(text):
    """Split an mbox into messages at its "From " lines."""
    parts = re.split(r"(?m)^From \S+  \w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\n", text)
    assert parts[0] == ""
    return parts[1:]


def aliases(inst, text):
    """A hash: alias table (postmap format, as Postfix accepts for
    alias_maps) under the instance directory; returns its spec."""
    path = os.path.join(inst.dir, "aliases")
    with open(path, "w") as f:
        f.write(text)
    r = inst.postern(["map", "hash:" + path])
    assert r.returncode == 0, r.stderr
    return "hash:" + path


def started(make_instance, main=None, before=None):
    inst = make_instance(main_cf_extra=main or {})
    if before:
        extra = before(inst) or {}
        if extra:
            inst.main_cf_extra.update(extra)
            inst.write_main_cf()
    inst.start()
    return inst


# ---- mailboxes --------------------------------------------------------------

def test_mbox_delivery(make_instance):
    inst = started(make_instance)
    u = rcpt_user()
    send(inst, [u + "@localhost"], msg("mbox one", "From the start\r\nline\r\n"))
    inst.wait_log(r"to=<%s@localhost>, relay=local, .*dsn=2\.0\.0, "
                  r"status=sent \(delivered to mailbox\)" % re.escape(u), timeout=15)
    text = read(mbox(inst))
    assert text.startswith("From sender@example.com  ")
    assert "\nReturn-Path: <sender@example.com>\n" in text
    assert "\nDelivered-To: %s@localhost\n" % u in text
    assert "\n>From the start\nline\n\n" in text and text.endswith("line\n\n")
    st = os.stat(mbox(inst))
    assert st.st_uid == pwd.getpwnam(u).pw_uid
    assert not os.path.exists(mbox(inst) + ".lock")


def test_mbox_concurrent_deliveries(make_instance):
    """Many local processes append to one mbox at once: every message
    arrives whole, none interleaved."""
    inst = started(make_instance, {"local_destination_concurrency_limit": "8",
                                   "default_destination_concurrency_limit": "8"})
    u = rcpt_user()
    n = 24
    body = "".join("line %d of a longer body\r\n" % i for i in range(200))

    def client(k):
        with inst.smtp() as s:
            for j in range(k, n, 4):
                s.sendmail("s@example.com", [u + "@localhost"], msg("m%d" % j, body))
    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    inst.wait_log(r"status=sent \(delivered to mailbox\)", timeout=60, count=n)
    msgs = mbox_messages(read(mbox(inst)))
    assert len(msgs) == n
    subjects = sorted(int(re.search(r"\nSubject: m(\d+)\n", "\n" + m).group(1)) for m in msgs)
    assert subjects == list(range(n))
    for m in msgs:
        assert m.endswith("line 199 of a longer body\n\n")
        assert m.count("of a longer body") == 200


@pytest.mark.skipif(ROOT, reason="as root the recipient's home is not ours to write")
def test_home_maildir(make_instance, tmp_path):
    home = pwd.getpwnam(rcpt_user()).pw_dir
    if not os.access(home, os.W_OK):
        pytest.skip("home directory not writable")
    sub = "postern-test-%d-%d/" % (os.getpid(), threading.get_ident() % 100000)
    inst = started(make_instance, {"home_mailbox": sub})
    try:
        u = rcpt_user()
        send(inst, [u + "@localhost"], msg("maildir"))
        inst.wait_log(r"to=<%s@localhost>.*status=sent \(delivered to maildir\)" % u,
                      timeout=15)
        md = os.path.join(home, sub)
        new = os.listdir(os.path.join(md, "new"))
        assert len(new) == 1 and os.listdir(os.path.join(md, "tmp")) == []
        assert re.match(r"^\d+\.P\d+M\d+Q\d+\.localhost$", new[0])
        text = read(os.path.join(md, "new", new[0]))
        assert text.startswith("Return-Path: <sender@example.com>\n")
        assert "Subject: maildir\n" in text and not text.startswith("From ")
    finally:
        import shutil
        shutil.rmtree(os.path.join(home, sub), ignore_errors=True)


def test_spool_maildir(make_instance, tmp_path):
    """mail_spool_directory ending in "/" holds one Maildir per user."""
    spool = open_dir(os.path.join(str(tmp_path), "maildirs")) + "/"
    inst = started(make_instance, {"mail_spool_directory": spool})
    u = rcpt_user()
    send(inst, [u + "@localhost"], msg("spool maildir"))
    inst.wait_log(r"to=<%s@localhost>.*status=sent \(delivered to maildir\)" % u,
                  timeout=15)
    new = os.path.join(spool, u, "new")
    names = os.listdir(new)
    assert len(names) == 1 and os.listdir(os.path.join(spool, u, "tmp")) == []
    assert "Subject: spool maildir\n" in read(os.path.join(new, names[0]))
    assert os.stat(os.path.join(new, names[0])).st_uid == pwd.getpwnam(u).pw_uid


def test_mailbox_size_limit(make_instance):
    """A message that does not fit is bounced (5.2.2) and the part of it
    already written is cut off again: the mailbox is as before."""
    inst = started(make_instance, {"mailbox_size_limit": "150000",
                                   "message_size_limit": "400000"})
    u = rcpt_user()
    send(inst, [u + "@localhost"], msg("small"))
    inst.wait_log(r"delivered to mailbox", timeout=15)
    before = read(mbox(inst))
    big = "".join("%06d %s\r\n" % (i, "z" * 70) for i in range(2800))
    send(inst, [u + "@localhost"], msg("big", big), sender="")
    inst.wait_log(r"dsn=5\.2\.2, status=bounced \(.*mailbox is full", timeout=15)
    assert read(mbox(inst)) == before
    send(inst, [u + "@localhost"], msg("after"))
    inst.wait_log(r"delivered to mailbox", timeout=15, count=2)
    msgs = mbox_messages(read(mbox(inst)))
    assert len(msgs) == 2 and "Subject: after\n" in msgs[1]


# ---- aliases ----------------------------------------------------------------

def test_aliases_users_file_command(make_instance):
    def setup(inst):
        out = open_dir(os.path.join(inst.dir, "out"))
        spec = aliases(inst, "team %s, %s, %s/team.mbox, |cat > %s/cmd.out\n"
                       "postmaster %s\n" % (rcpt_user(), other_user(), out, out,
                                             rcpt_user()))
        return {"alias_maps": spec}
    inst = started(make_instance, before=setup)
    out = os.path.join(inst.dir, "out")
    send(inst, ["team@localhost"], msg("to the team"))
    inst.wait_log(r"to=<team@localhost>, relay=local.*delivered to command: cat", timeout=15)
    log = inst.log()
    for who in (rcpt_user(), other_user()):
        assert re.search(r"to=<%s@localhost>, orig_to=<team@localhost>, relay=local, "
                         r"delay=[\d.]+, delays=[\d./]+, dsn=2\.0\.0, status=sent "
                         r"\(delivered to mailbox\)" % who, log)
        assert "Subject: to the team" in read(mbox(inst, who))
    assert re.search(r"status=sent \(delivered to file: %s/team\.mbox\)" % re.escape(out), log)
    assert "Subject: to the team" in read(os.path.join(out, "team.mbox"))
    cmd = read(os.path.join(out, "cmd.out"))
    assert cmd.startswith("From sender@example.com ") and "Subject: to the team\n" in cmd
    assert "\nDelivered-To: team@localhost\n" in cmd
    if ROOT:
        # Aliases owned by root run their files and commands as default_privs.
        nobody = pwd.getpwnam("nobody").pw_uid
        assert os.stat(os.path.join(out, "team.mbox")).st_uid == nobody
        assert os.stat(os.path.join(out, "cmd.out")).st_uid == nobody


def test_alias_to_maildir_and_include(make_instance):
    def setup(inst):
        out = open_dir(os.path.join(inst.dir, "out"))
        inc = os.path.join(inst.dir, "list.inc")
        with open(inc, "w") as f:
            f.write("# members\n%s\n%s/included.mbox\n" % (rcpt_user(), out))
        os.chmod(inc, 0o644)
        spec = aliases(inst, "box %s/Maildir/\nlist :include:%s\n" % (out, inc))
        return {"alias_maps": spec, "allow_mail_to_files": "alias, forward, include"}
    inst = started(make_instance, before=setup)
    out = os.path.join(inst.dir, "out")
    send(inst, ["box@localhost"], msg("into maildir"))
    inst.wait_log(r"to=<box@localhost>.*status=sent \(delivered to maildir\)", timeout=15)
    new = os.listdir(os.path.join(out, "Maildir", "new"))
    assert len(new) == 1
    assert "Subject: into maildir" in read(os.path.join(out, "Maildir", "new", new[0]))
    send(inst, ["list@localhost"], msg("via include"))
    inst.wait_log(r"to=<%s@localhost>, orig_to=<list@localhost>.*delivered to mailbox"
                  % rcpt_user(), timeout=15)
    inst.wait_log(r"delivered to file: %s/included\.mbox" % re.escape(out), timeout=15)
    assert "Subject: via include" in read(os.path.join(out, "included.mbox"))
    assert "Subject: via include" in read(mbox(inst))


def test_alias_restrictions_and_unknown(make_instance):
    def setup(inst):
        out = open_dir(os.path.join(inst.dir, "out"))
        spec = aliases(inst, "cmd |touch %s/ran\nghost no-such-user-xyz\n" % out)
        return {"alias_maps": spec, "allow_mail_to_commands": "forward",
                "local_recipient_maps": ""}
    inst = started(make_instance, before=setup)
    send(inst, ["cmd@localhost", "ghost@localhost", "nosuchuser12@localhost"],
         msg("restricted"), sender="")
    inst.wait_log(r"to=<cmd@localhost>.*dsn=5\.7\.1, status=bounced \(mail to command "
                  r"is restricted\)", timeout=15)
    inst.wait_log(r"to=<no-such-user-xyz@localhost>, orig_to=<ghost@localhost>.*"
                  r"dsn=5\.1\.1, status=bounced \(unknown user", timeout=15)
    inst.wait_log(r"to=<nosuchuser12@localhost>.*dsn=5\.1\.1, status=bounced", timeout=15)
    assert not os.path.exists(os.path.join(inst.dir, "out", "ran"))


def test_alias_loop_is_bounded(make_instance):
    def setup(inst):
        return {"alias_maps": aliases(inst, "ping pong\npong ping\n"),
                "local_recipient_maps": ""}
    inst = started(make_instance, before=setup)
    send(inst, ["ping@localhost"], msg("loop"), sender="")
    # Each alias is expanded once per recipient: the cycle ends at an
    # unknown user, never in endless delivery.
    inst.wait_log(r"to=<ping@localhost>.*dsn=5\.1\.1, status=bounced", timeout=15)


def test_alias_forward_remote_and_owner(make_instance):
    sink = Sink(host=random_loopback())
    sink.start()
    try:
        def setup(inst):
            return {"alias_maps": aliases(inst, "ext far@remote.test, %s\n"
                                          "owner-ext %s\n" % (rcpt_user(), rcpt_user())),
                    "transport_maps": "inline:{remote.test=smtp:%s}" % sink.nexthop}
        inst = started(make_instance, before=setup)
        send(inst, ["ext@localhost"], msg("forward me"))
        m = inst.wait_log(r"to=<far@remote\.test>, orig_to=<ext@localhost>, relay=local.*"
                          r"status=sent \(forwarded as ([0-9a-f]{8})\)", timeout=15)
        got = sink.wait_for(1, timeout=15)
        assert got[0].rcpts == ["far@remote.test"]
        assert got[0].sender == "owner-ext@localhost"
        assert b"Delivered-To: ext@localhost\r\n" in got[0].data
        assert m.group(1) in inst.log()
    finally:
        sink.stop()


# ---- .forward, extensions, loops --------------------------------------------

def forward_setup(text):
    def setup(inst):
        fdir = os.path.join(inst.dir, "fwd")
        os.makedirs(fdir, exist_ok=True)
        os.chmod(fdir, 0o755)
        open_dir(os.path.join(inst.dir, "out"))
        path = os.path.join(fdir, rcpt_user() + ".forward")
        with open(path, "w") as f:
            f.write(text.replace("{out}", os.path.join(inst.dir, "out"))
                    .replace("{user}", rcpt_user()))
        os.chmod(path, 0o644)
        own(path)
        return {"forward_path": fdir + "/${user}.forward"}
    return setup


def test_dot_forward(make_instance):
    inst = started(make_instance, before=forward_setup(
        "# my forward\n\\{user}, {out}/fwd.mbox\n\"|cat > {out}/fwd.cmd\"\n"))
    u = rcpt_user()
    send(inst, [u + "@localhost"], msg("forwarded"))
    inst.wait_log(r"to=<%s@localhost>.*delivered to command: cat" % u, timeout=15)
    inst.wait_log(r"to=<%s@localhost>.*delivered to file: " % u, timeout=15)
    inst.wait_log(r"to=<%s@localhost>.*delivered to mailbox" % u, timeout=15)
    out = os.path.join(inst.dir, "out")
    assert "Subject: forwarded" in read(os.path.join(out, "fwd.mbox"))
    assert "Subject: forwarded" in read(os.path.join(out, "fwd.cmd"))
    assert "Subject: forwarded" in read(mbox(inst))
    if ROOT:
        assert os.stat(os.path.join(out, "fwd.mbox")).st_uid == pwd.getpwnam(u).pw_uid


def test_unsafe_dot_forward_is_ignored(make_instance):
    def setup(inst):
        extra = forward_setup("{out}/should-not-exist\n")(inst)
        os.chmod(os.path.join(inst.dir, "fwd", rcpt_user() + ".forward"), 0o666)
        return extra
    inst = started(make_instance, before=setup)
    u = rcpt_user()
    send(inst, [u + "@localhost"], msg("unsafe"))
    inst.wait_log(r"to=<%s@localhost>.*delivered to mailbox" % u, timeout=15)
    assert "writable only by its owner: ignored" in inst.log()
    assert not os.path.exists(os.path.join(inst.dir, "out", "should-not-exist"))


def test_user_extension(make_instance):
    def setup(inst):
        out = open_dir(os.path.join(inst.dir, "out"))
        return {"recipient_delimiter": "+",
                "alias_maps": aliases(inst, "list+archive %s/archive.mbox\n" % out)}
    inst = started(make_instance, before=setup)
    u = rcpt_user()
    send(inst, [u + "+tag@localhost", "list+archive@localhost"], msg("extension"))
    inst.wait_log(r"to=<%s\+tag@localhost>.*delivered to mailbox" % u, timeout=15)
    inst.wait_log(r"to=<list\+archive@localhost>.*delivered to file", timeout=15)
    assert "\nDelivered-To: %s+tag@localhost\n" % u in read(mbox(inst))


def test_luser_relay(make_instance):
    inst = started(make_instance, {"luser_relay": rcpt_user(),
                                   "local_recipient_maps": ""})
    send(inst, ["nobody-here-42@localhost"], msg("lost user"))
    inst.wait_log(r"to=<%s@localhost>, orig_to=<nobody-here-42@localhost>.*"
                  r"delivered to mailbox" % rcpt_user(), timeout=15)
    assert "Subject: lost user" in read(mbox(inst))


def test_delivered_to_loop_bounces(make_instance):
    inst = started(make_instance)
    u = rcpt_user()
    send(inst, [u + "@localhost"], msg("looping", extra="Delivered-To: %s@LOCALHOST\r\n" % u),
         sender="")
    inst.wait_log(r"to=<%s@localhost>.*dsn=5\.4\.6, status=bounced \(mail forwarding "
                  r"loop for %s@localhost\)" % (u, u), timeout=15)
    inst.wait_log(r"removed", timeout=15)
    assert not os.path.exists(mbox(inst))


def test_unknown_user_rejected_at_rcpt(make_instance):
    inst = started(make_instance)
    with inst.smtp() as s:
        s.ehlo("client.test")
        s.mail("sender@example.com")
        code, text = s.rcpt("no-such-user-98765@localhost")
        assert code == 550 and b"5.1.1" in text
        code, _ = s.rcpt(rcpt_user() + "@localhost")
        assert code == 250


# ---- hand-offs --------------------------------------------------------------

def test_mailbox_command(make_instance):
    def setup(inst):
        out = open_dir(os.path.join(inst.dir, "out"))
        return {"mailbox_command": "env > %s/env.out; cat > %s/mbcmd.out" % (out, out)}
    inst = started(make_instance, before=setup)
    u = rcpt_user()
    send(inst, [u + "@localhost"], msg("via command"))
    inst.wait_log(r"to=<%s@localhost>.*delivered to command: env" % u, timeout=15)
    out = os.path.join(inst.dir, "out")
    assert "Subject: via command" in read(os.path.join(out, "mbcmd.out"))
    env = read(os.path.join(out, "env.out"))
    assert "\nSENDER=sender@example.com\n" in "\n" + env
    assert "\nRECIPIENT=%s@localhost\n" % u in "\n" + env
    assert "\nUSER=%s\n" % u in "\n" + env
    if ROOT:
        assert os.stat(os.path.join(out, "mbcmd.out")).st_uid == pwd.getpwnam(u).pw_uid


def test_mailbox_command_failure(make_instance):
    inst = started(make_instance, {"mailbox_command": "echo over quota; exit 75"})
    u = rcpt_user()
    send(inst, [u + "@localhost"], msg("tempfail"))
    inst.wait_log(r"to=<%s@localhost>.*dsn=4\.3\.0, status=deferred \(Command died "
                  r"with status 75: .*over quota" % u, timeout=15)


def test_mailbox_transport_lmtp(make_instance):
    sink = Sink(host=random_loopback(), lmtp=True)
    sink.start()
    try:
        inst = started(make_instance, {
            "mailbox_transport": "lmtp:inet:%s:%d" % (sink.host, sink.port)})
        u = rcpt_user()
        send(inst, [u + "@localhost"], msg("to lmtp"))
        got = sink.wait_for(1, timeout=15)
        assert got[0].rcpts == [u + "@localhost"]
        assert b"Subject: to lmtp" in got[0].data
        inst.wait_log(r"to=<%s@localhost>, relay=%s\[%s\]:%d.*status=sent"
                      % (u, re.escape(sink.host), re.escape(sink.host), sink.port), timeout=15)
        inst.wait_log(r"removed", timeout=15)
        assert not os.path.exists(mbox(inst))
    finally:
        sink.stop()


def test_fallback_transport(make_instance):
    """Unknown names go to fallback_transport_maps, else fallback_transport."""
    sink = Sink(host=random_loopback(), lmtp=True)
    sink.start()
    other = Sink(host=random_loopback(), lmtp=True)
    other.start()
    try:
        inst = started(make_instance, {
            "local_recipient_maps": "",
            "fallback_transport": "lmtp:inet:%s:%d" % (sink.host, sink.port),
            "fallback_transport_maps":
                "inline:{special=lmtp:inet:%s:%d}" % (other.host, other.port)})
        send(inst, ["nosuchuser42@localhost", "special@localhost"], msg("fallback"))
        got = sink.wait_for(1, timeout=15)
        assert got[0].rcpts == ["nosuchuser42@localhost"]
        got = other.wait_for(1, timeout=15)
        assert got[0].rcpts == ["special@localhost"]
        # A real user still gets the mailbox.
        send(inst, [rcpt_user() + "@localhost"], msg("mine"))
        inst.wait_log(r"to=<%s@localhost>.*delivered to mailbox" % rcpt_user(), timeout=15)
    finally:
        sink.stop()
        other.stop()


def test_newaliases(make_instance):
    def setup(inst):
        path = os.path.join(inst.dir, "aliases.src")
        with open(path, "w") as f:
            f.write("# aliases(5)\nMixed: %s\nlist: %s,\n  %s\n" % (
                rcpt_user(), rcpt_user(), other_user()))
        return {"alias_maps": "hash:" + path, "alias_database": "hash:" + path}
    inst = started(make_instance, before=setup)
    r = inst.run([os.path.join(BIN, "newaliases")])
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(inst.dir, "aliases.src.db"))
    send(inst, ["mixed@localhost", "list@localhost"], msg("newaliases"))
    inst.wait_log(r"to=<%s@localhost>, orig_to=<list@localhost>.*delivered to mailbox"
                  % other_user(), timeout=15)
    inst.wait_log(r"to=<%s@localhost>, orig_to=<mixed@localhost>.*delivered to mailbox"
                  % rcpt_user(), timeout=15)
    r = inst.sendmail(["-bi"])
    assert r.returncode == 0, r.stderr


@pytest.mark.skipif(not ROOT, reason="only root can own root's .forward")
def test_root_forward_runs_as_default_privs(make_instance):
    """Files and commands in root's .forward never run as root (Postfix:
    such deliveries use default_privs)."""
    def setup(inst):
        fdir = os.path.join(inst.dir, "fwd")
        os.makedirs(fdir, exist_ok=True)
        os.chmod(fdir, 0o755)
        out = open_dir(os.path.join(inst.dir, "out"))
        path = os.path.join(fdir, "root.forward")
        with open(path, "w") as f:
            f.write("%s/root.mbox\n\"|id -u > %s/root.uid\"\n" % (out, out))
        os.chmod(path, 0o644)
        return {"forward_path": fdir + "/${user}.forward", "alias_maps": ""}
    inst = started(make_instance, before=setup)
    send(inst, ["root@localhost"], msg("for root"))
    inst.wait_log(r"to=<root@localhost>.*delivered to command: id", timeout=15)
    inst.wait_log(r"to=<root@localhost>.*delivered to file: ", timeout=15)
    out = os.path.join(inst.dir, "out")
    nobody = pwd.getpwnam("nobody").pw_uid
    assert read(os.path.join(out, "root.uid")).strip() == str(nobody)
    assert os.stat(os.path.join(out, "root.mbox")).st_uid == nobody


@pytest.mark.skipif(not ROOT, reason="ownership rules apply to root deliveries")
def test_world_writable_include_is_refused(make_instance):
    def setup(inst):
        out = open_dir(os.path.join(inst.dir, "out"))
        inc = os.path.join(inst.dir, "list.inc")
        with open(inc, "w") as f:
            f.write("%s/inc.mbox\n" % out)
        os.chmod(inc, 0o666)
        return {"alias_maps": aliases(inst, "team :include:%s\n" % inc),
                "allow_mail_to_files": "alias, forward, include"}
    inst = started(make_instance, before=setup)
    send(inst, ["team@localhost"], msg("include"))
    inst.wait_log(r"to=<team@localhost>.*status=bounced.*include file", timeout=15)
    assert not os.path.exists(os.path.join(inst.dir, "out", "inc.mbox"))


def test_mbox_after_partial_message(make_instance):
    """A message cut short by a crash (no final newline) must not swallow
    the "From " line of the next delivery."""
    inst = started(make_instance)
    path = mbox(inst)
    with open(path, "w") as f:
        f.write("From a@b  Mon Jan  1 00:00:00 2024\nSubject: cut\n\nhalf a li")
    if ROOT:
        own(path)
    u = rcpt_user()
    send(inst, [u + "@localhost"], msg("after the crash"))
    text = wait_file(path, "Subject: after the crash")
    parts = mbox_messages(text)
    assert len(parts) == 2, text
    assert "Subject: after the crash" in parts[1]


def test_mailbox_fifo_is_refused(make_instance):
    """A FIFO in place of the mailbox is refused at once, not waited on."""
    inst = started(make_instance)
    path = mbox(inst)
    os.mkfifo(path, 0o600)
    own(path)
    u = rcpt_user()
    send(inst, [u + "@localhost"], msg("into a fifo"))
    inst.wait_log(r"to=<%s@localhost>.*status=bounced \(.*not a regular file"
                  % u, timeout=15)


@pytest.mark.skipif(not ROOT, reason="privileges matter only as root")
def test_forward_include_opened_as_the_user(make_instance):
    """An :include: named in a .forward is opened with the user's
    privileges: root never opens, on a user's behalf, a file (or device)
    that user could not open."""
    def setup(inst):
        secret = os.path.join(inst.dir, "secret.inc")
        with open(secret, "w") as f:
            f.write("%s/leak.mbox\n" % os.path.join(inst.dir, "out"))
        os.chmod(secret, 0o600)
        return forward_setup(":include:%s\n" % secret)(inst)
    inst = started(make_instance, before=setup)
    u = rcpt_user()
    send(inst, [u + "@localhost"], msg("include as user"))
    inst.wait_log(r"to=<%s@localhost>.*cannot open include file .*secret\.inc: "
                  r"Permission denied" % u, timeout=15)
    assert not os.path.exists(os.path.join(inst.dir, "out", "leak.mbox"))
