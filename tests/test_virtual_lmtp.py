"""Virtual mailbox domains delivered over LMTP to a real Dovecot (Debian's
dovecot-lmtpd), the most common Postfix set-up of today: virtual_mailbox_domains
and virtual_mailbox_maps route to virtual_transport = lmtp:unix:private/dovecot-lmtp
(or lmtp:inet:host:port), virtual_alias_maps expands on the way in, and the
mail is then found in Dovecot's Maildir. Dovecot runs from a private
configuration written by the test (its own base_dir, state_dir, log), as root
with its usual users, or entirely as the invoking user otherwise."""
import grp
import os
import pwd
import shutil
import subprocess
import tempfile

import pytest

from harness import BIN, free_port, random_loopback, stop_process, wait_for
from test_smtpd_lib import Client

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

pytestmark = pytest.mark.skipif(
    not os.path.exists(DOVECOT) or not os.path.exists("/usr/lib/dovecot/lmtp")
    or not os.path.exists(os.path.join(BIN, "smtp")),
    reason="dovecot-lmtpd or the lmtp client not installed")


class Dovecot:
    """A private Dovecot serving LMTP only, on a UNIX socket or a TCP port."""

    def __init__(self, root, unix_path=None, inet=None):
        self.root = root
        self.mail = os.path.join(root, "vmail")
        os.makedirs(os.path.join(root, "run"), exist_ok=True)
        os.makedirs(os.path.join(root, "state"), exist_ok=True)
        os.makedirs(self.mail, exist_ok=True)
        os.chmod(self.mail, 0o777)
        self.log = os.path.join(root, "dovecot.log")
        self.conf = os.path.join(root, "dovecot.conf")
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postern")
            users = "default_internal_user = dovecot\ndefault_login_user = dovenull\n"
            uid, gid = pw.pw_uid, pw.pw_gid
        else:
            me = pwd.getpwuid(os.getuid()).pw_name
            group = grp.getgrgid(os.getgid()).gr_name
            users = ("default_internal_user = %s\ndefault_login_user = %s\n"
                     "default_internal_group = %s\n" % (me, me, group))
            uid, gid = os.getuid(), os.getgid()
        if unix_path:
            listener = "  unix_listener %s {\n    mode = 0666\n  }\n" % unix_path
        else:
            listener = "  inet_listener lmtp {\n    address = %s\n    port = %d\n  }\n" % inet
        with open(self.conf, "w") as f:
            f.write("protocols = lmtp\nlisten = 127.0.0.1\nssl = no\n"
                    "base_dir = %(r)s/run\nstate_dir = %(r)s/state\nlog_path = %(log)s\n"
                    "%(users)sfirst_valid_uid = 1\n"
                    "mail_location = maildir:%(m)s/%%d/%%n/Maildir\n"
                    "userdb {\n  driver = static\n"
                    "  args = uid=%(uid)d gid=%(gid)d home=%(m)s/%%d/%%n allow_all_users=yes\n}\n"
                    "passdb {\n  driver = static\n  args = nopassword=y\n}\n"
                    "service lmtp {\n%(listener)s}\n"
                    "service anvil {\n  chroot =\n}\n"
                    "namespace inbox {\n  inbox = yes\n}\n"
                    % {"r": root, "log": self.log, "users": users, "m": self.mail,
                       "uid": uid, "gid": gid, "listener": listener})
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        target = unix_path
        if target:
            wait_for(lambda: os.path.exists(target) or self.proc.poll() is not None,
                     15, "dovecot lmtp socket")
        else:
            wait_for(lambda: "starting up" in self.read_log() or self.proc.poll() is not None,
                     15, "dovecot start")
        if self.proc.poll() is not None:
            raise RuntimeError("dovecot failed: %s %s" % (
                self.proc.stderr.read().decode(errors="replace"), self.read_log()))

    def read_log(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def maildir_new(self, domain, user):
        path = os.path.join(self.mail, domain, user, "Maildir", "new")
        try:
            return [os.path.join(path, n) for n in sorted(os.listdir(path))]
        except FileNotFoundError:
            return []

    def stop(self):
        stop_process(self.proc, 15)


def vmailbox_instance(make_instance, transport):
    inst = make_instance(main_cf_extra={"smtpd_peername_lookup": "no"})
    paths = {name: inst.config_file(name, text) for name, text in {
        "vmbox": "u1@vbox.test vbox.test/u1/\nu2@vbox.test vbox.test/u2/\n",
        "valias": "team@vbox.test u1@vbox.test, u2@vbox.test\n"}.items()}
    inst.main_cf_extra.update({
        "virtual_mailbox_domains": "vbox.test",
        "virtual_mailbox_maps": "texthash:" + paths["vmbox"],
        "virtual_alias_maps": "texthash:" + paths["valias"],
        "virtual_transport": transport})
    inst.write_main_cf()
    return inst


def send(inst, rcpts, subject):
    with Client(inst) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        assert c.cmd("MAIL FROM:<sender@example.org>")[0] == 250
        replies = [c.cmd("RCPT TO:<%s>" % r) for r in rcpts]
        assert c.cmd("DATA")[0] == 354
        c.send(("Subject: %s\r\nFrom: sender@example.org\r\n\r\nhello %s\r\n.\r\n"
                % (subject, subject)).encode())
        assert c.reply()[0] == 250
        return replies


def check_delivered(inst, dv, subject):
    for user in ("u1", "u2"):
        wait_for(lambda: dv.maildir_new("vbox.test", user), 30,
                 "mail for %s in Dovecot's Maildir" % user)
        with open(dv.maildir_new("vbox.test", user)[0], "rb") as f:
            data = f.read()
        assert ("Subject: %s" % subject).encode() in data
        assert b"Received: from client.example" in data
    inst.wait_log(r"lmtp\[\d+\]: [0-9a-f]{8}: to=<u1@vbox.test>, (orig_to=<team@vbox.test>, )?"
                  r"relay=.*dsn=2\.0\.0, status=sent \(250 2\.0\.0 <u1@vbox.test> .*Saved\)",
                  timeout=30)


def test_dovecot_lmtp_unix_socket(make_instance, tmp_path):
    inst = vmailbox_instance(make_instance, "lmtp:unix:private/dovecot-lmtp")
    inst.start()
    # sun_path holds 108 bytes: Dovecot listens in a short directory and
    # private/dovecot-lmtp, the name Postern connects to, links there.
    short = tempfile.mkdtemp(prefix="dvl")
    os.chmod(short, 0o755)
    sock = os.path.join(short, "lmtp")
    os.symlink(sock, os.path.join(inst.queue_dir, "private", "dovecot-lmtp"))
    dv = Dovecot(str(tmp_path / "dovecot"), unix_path=sock)
    try:
        replies = send(inst, ["team@vbox.test", "nobody@vbox.test"], "unix")
        assert replies[0][0] == 250
        assert replies[1] == (550, "550 5.1.1 <nobody@vbox.test>: Recipient address "
                                   "rejected: User unknown in virtual mailbox table")
        check_delivered(inst, dv, "unix")
    finally:
        dv.stop()
        shutil.rmtree(short, ignore_errors=True)


def test_dovecot_lmtp_inet(make_instance, tmp_path):
    addr = random_loopback()
    port = free_port(addr)
    inst = vmailbox_instance(make_instance, "lmtp:inet:%s:%d" % (addr, port))
    inst.start()
    dv = Dovecot(str(tmp_path / "dovecot"), inet=(addr, port))
    try:
        send(inst, ["u1@vbox.test", "u2@vbox.test"], "inet")
        check_delivered(inst, dv, "inet")
    finally:
        dv.stop()
