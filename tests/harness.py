"""harness - real Postern instances in temporary directories, for black-box tests.

Usage (see tests/conftest.py for the fixtures that wrap this):

    inst = Instance(tmp_path, main_cf_extra={"message_size_limit": "10240"})
    inst.start()                      # postern start; waits for the SMTP port
    with inst.smtp() as s:            # smtplib.SMTP connected to the instance
        s.sendmail("a@localhost", ["b@localhost"], b"Subject: x\\r\\n\\r\\nhi\\r\\n")
    inst.wait_log(r"status=sent")     # poll the instance's maillog_file
    inst.queue_files("incoming")      # message-ids in a queue directory
    inst.stop()

An instance lives in one directory: etc/ (main.cf, master.cf), queue/ (the
queue_directory), maillog (maillog_file). It listens on a private loopback
address 127.a.b.c (random, a != 0) and a free port, so that tests can run in
parallel. Binaries come from $POSTERN_BUILD/bin (default: build/bin at the top
of the tree).

main.cf defaults written by the harness (every one can be replaced through
main_cf_extra, a dict of name -> value; a value of None removes the line):
myhostname=localhost, mydestination=localhost, inet_interfaces=<addr>,
mynetworks=127.0.0.0/8 [::1]/128, maillog_file, and, so that no test can
send mail off this machine by accident,
default_transport = error:5.7.1 delivery outside the test is disabled
(set default_transport, relayhost or transport_maps to deliver to a sink);
local mailboxes in <dir>/mail (mail_spool_directory), alias_maps empty.
As root, daemons run as mail_owner=postern with setgid_group=postdrop (made by
`mk/install-deps test`) and the temporary directories are made traversable;
as an ordinary user, both are the current user and group.

master.cf: smtpd on addr:port, and pickup, qmgr, the transports and bounce
services for every daemon that exists in the build (so the harness works
while parts are missing). master_cf_extra is appended; master_cf replaces the
whole file ({addr} and {port} are substituted).

Every helper polls with a deadline; none sleeps blindly.
"""

import base64
import errno
import grp
import json
import os
import pwd
import random
import re
import signal
import smtplib
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.abspath(os.environ.get("POSTERN_BUILD") or os.path.join(ROOT, "build"))
BIN = os.path.join(BUILD, "bin")

# master.cf lines for the daemons other than smtpd, used when the program exists.
# (service, type, private, unpriv, chroot, wakeup, maxproc, command)
STANDARD_SERVICES = [
    ("pickup", "unix", "n", "-", "n", "60", "1", "pickup"),
    ("qmgr", "unix", "n", "-", "n", "300", "1", "qmgr"),
    ("smtp", "unix", "-", "-", "n", "-", "-", "smtp"),
    ("relay", "unix", "-", "-", "n", "-", "-", "smtp"),
    ("lmtp", "unix", "-", "-", "n", "-", "-", "lmtp"),
    ("local", "unix", "-", "n", "n", "-", "-", "local"),
    ("virtual", "unix", "-", "n", "n", "-", "-", "virtual"),
    ("bounce", "unix", "-", "-", "n", "-", "0", "bounce"),
    ("defer", "unix", "-", "-", "n", "-", "0", "bounce"),
    ("trace", "unix", "-", "-", "n", "-", "0", "bounce"),
    ("proxymap", "unix", "-", "-", "n", "-", "-", "proxymap"),
    ("error", "unix", "-", "-", "n", "-", "-", "error"),
    ("retry", "unix", "-", "-", "n", "-", "-", "error"),
    ("discard", "unix", "-", "-", "n", "-", "-", "discard"),
]


def wait_for(cond, timeout=10.0, what="condition", interval=0.02):
    """Poll cond() until it returns a true value (returned), or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def queue_dump(path):
    """A queue file read through `postern queue-dump -j -b` (the tests have no
    parser of their own for postern-queue(5)): its JSON object, with the
    content bytes under "content" instead of "content_base64"."""
    r = subprocess.run([os.path.join(BIN, "postern"), "queue-dump", "-j", "-b", path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, "queue-dump %s: %s" % (path, r.stderr.decode(errors="replace"))
    msg = json.loads(r.stdout.decode("utf-8", "surrogateescape"))
    msg["content"] = base64.b64decode(msg.pop("content_base64"))
    return msg


# The bits of qfile.h for the DSN words queue-dump shows.
DSN_NOTIFY = {"NEVER": 1, "SUCCESS": 2, "FAILURE": 4, "DELAY": 8}
DSN_RET = {"FULL": 1, "HDRS": 2}


def notify_bits(words):
    """queue-dump's notify ("SUCCESS,DELAY") as qfile.h's QF_NOTIFY_* bits."""
    return sum(DSN_NOTIFY[w] for w in words.split(",") if w)


def account_ids():
    """The uid and gid that files a delivery agent makes for a test belong
    to: the postern account's (mk/install-deps makes it) when the tests
    run as root, else our own."""
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postern")
        return pw.pw_uid, pw.pw_gid
    return os.getuid(), os.getgid()


def random_loopback():
    """A random 127.a.b.c with a != 0 (127.0.0.x is left to humans and make run)."""
    return "127.%d.%d.%d" % (random.randint(1, 254), random.randint(0, 255),
                             random.randint(1, 254))


def other_loopback(addr):
    """A random loopback address other than addr (a second client's source)."""
    while True:
        a = random_loopback()
        if a != addr:
            return a


def free_port(addr="127.0.0.1", family=socket.AF_INET):
    """A port that is free on addr right now."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


# Retries that never come by themselves during a test (postern flush does).
SLOW_RETRY = {"minimal_backoff_time": "300s", "maximal_backoff_time": "600s",
              "queue_run_delay": "300s"}


def relay_instance(make_instance, nexthop, **extra):
    """A started instance that relays all mail to nexthop ("[addr]:port",
    a sink's), keeping connections 10s; extra: more main.cf settings (None
    leaves a parameter at its default)."""
    conf = {"default_transport": "smtp", "relayhost": nexthop,
            "smtp_connection_cache_time_limit": "10s"}
    conf.update(extra)
    inst = make_instance(main_cf_extra=conf)
    inst.start()
    return inst


def started_relay(make_instance, addr, port):
    """A started instance relaying s.test to [addr]:port with SLOW_RETRY."""
    inst = make_instance(main_cf_extra=dict(
        SLOW_RETRY, transport_maps="inline:{ s.test=smtp:[%s]:%d }" % (addr, port)))
    inst.start()
    return inst


def listen_socket(unix_path=None, host="127.0.0.1", port=0, backlog=16):
    """A listening stream socket: on the UNIX socket unix_path (replaced
    if it exists, mode 0666), else on host:port (IPv6 when host has a
    colon; port 0 picks one: read it with getsockname())."""
    if unix_path:
        if os.path.exists(unix_path):
            os.unlink(unix_path)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(unix_path)
        os.chmod(unix_path, 0o666)
    else:
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
    s.listen(backlog)
    return s


def starttls_connect(addr, port, ctx, server_hostname=None, session=None):
    """Connect to an SMTP server, EHLO client.example, STARTTLS: the
    TLS socket (the caller closes it), after checking each reply."""
    sock = socket.create_connection((addr, port), timeout=10)
    try:
        f = sock.makefile("rb")
        assert f.readline().startswith(b"220")
        sock.sendall(b"EHLO client.example\r\n")
        while not f.readline().startswith(b"250 "):
            pass
        sock.sendall(b"STARTTLS\r\n")
        assert f.readline().startswith(b"220")
        return ctx.wrap_socket(sock, server_hostname=server_hostname,
                               session=session)
    finally:
        sock.close()


def send_seq(s, seq, subject, sender="me@localhost", rcpt=None, body=None):
    """One numbered message on an open smtplib session, as the durability
    tests count them: MAIL, RCPT (r<seq>@s.test), DATA with "X-Seq: seq"
    and the subject (bytes). The DATA reply code."""
    s.mail(sender)
    s.rcpt(rcpt or "r%d@s.test" % seq)
    if body is None:
        body = b"body %d\r\n" % seq
    code, _ = s.data(b"X-Seq: %d\r\nSubject: %s\r\n\r\n%s" % (seq, subject, body))
    return code


def stop_process(proc, timeout=10):
    """Terminate a helper server started by a test; kill it if it lingers."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def _make_traversable(path):
    """As root, daemons run as mail_owner: every ancestor needs o+x."""
    path = os.path.abspath(path)
    while path != "/":
        try:
            st = os.stat(path)
            if st.st_uid == os.getuid() and not st.st_mode & 0o001:
                os.chmod(path, (st.st_mode & 0o7777) | 0o011)
        except OSError:
            pass
        path = os.path.dirname(path)


def daemon_dir(path):
    """Create the directory path, mode 0755, that the instance's daemons
    can reach (see _make_traversable); path."""
    os.makedirs(path)
    os.chmod(path, 0o755)
    _make_traversable(path)
    return path


def _proc_stat(pid):
    """(state, ppid, pgid) of a process, or None when it does not exist."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    fields = data[data.rfind(")") + 2:].split()
    return fields[0], int(fields[1]), int(fields[2])


def _alive(pid):
    st = _proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


class Instance:
    """One Postern instance in a temporary directory."""

    def __init__(self, tmp_path, main_cf_extra=None, master_cf_extra="",
                 master_cf=None, addr=None, port=None):
        self.dir = os.path.join(str(tmp_path), "postern")
        self.config_dir = os.path.join(self.dir, "etc")
        self.queue_dir = os.path.join(self.dir, "queue")
        self.log_file = os.path.join(self.dir, "maillog")
        self.mail_dir = os.path.join(self.dir, "mail")
        self.addr = addr or random_loopback()
        self.port = port or free_port(self.addr)
        self.root = os.geteuid() == 0
        self.main_cf_extra = dict(main_cf_extra or {})
        self.master_cf_extra = master_cf_extra
        self.master_cf_text = master_cf
        os.makedirs(self.config_dir, exist_ok=True)
        os.makedirs(self.mail_dir, exist_ok=True)
        os.chmod(self.mail_dir, 0o1777)
        if self.root:
            os.chmod(self.dir, 0o755)
            _make_traversable(self.dir)
        self.write_config()

    # ---- configuration ----------------------------------------------------
    def main_cf_defaults(self):
        if self.root:
            owner, group = "postern", "postdrop"
        else:
            owner = pwd.getpwuid(os.getuid()).pw_name
            group = grp.getgrgid(os.getgid()).gr_name
        return {
            "queue_directory": self.queue_dir,
            "daemon_directory": BIN,
            "command_directory": BIN,
            "mail_owner": owner,
            "setgid_group": group,
            "myhostname": "localhost",
            "mydomain": "localdomain",
            "mydestination": "localhost",
            "inet_interfaces": self.addr,
            "mynetworks": "127.0.0.0/8 [::1]/128",
            "maillog_file": self.log_file,
            "maillog_file_prefixes": "/var, /dev/stdout, " + self.dir,
            "default_transport": "error:5.7.1 delivery outside the test is disabled",
            # Local delivery stays in the instance directory, and the host's
            # aliases are not used (set alias_maps to test aliases).
            "mail_spool_directory": self.mail_dir,
            "alias_maps": "",
            "alias_database": "",
        }

    def write_main_cf(self, extra=None):
        """(Re)write main.cf from the defaults, main_cf_extra and extra."""
        values = self.main_cf_defaults()
        values.update(self.main_cf_extra)
        values.update(extra or {})
        lines = ["# written by tests/harness.py"]
        lines += ["%s = %s" % (k, v) for k, v in values.items() if v is not None]
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            f.write("\n".join(lines) + "\n")

    def default_master_cf(self):
        lines = ["# written by tests/harness.py"]
        if os.path.exists(os.path.join(BIN, "smtpd")):
            lines.append("%s:%d inet n - n - - smtpd" % (self.addr, self.port))
        for entry in STANDARD_SERVICES:
            if os.path.exists(os.path.join(BIN, entry[-1])):
                lines.append(" ".join(entry))
        return "\n".join(lines) + "\n"

    def write_master_cf(self, text=None, extra=None):
        """(Re)write master.cf: text (or the default) plus extra."""
        if text is None:
            text = self.master_cf_text
        if text is None:
            text = self.default_master_cf()
        else:
            text = text.replace("{addr}", self.addr).replace("{port}", str(self.port))
        extra = self.master_cf_extra if extra is None else extra
        if extra:
            text += extra.replace("{addr}", self.addr).replace("{port}", str(self.port)) + "\n"
        with open(os.path.join(self.config_dir, "master.cf"), "w") as f:
            f.write(text)

    def write_config(self):
        self.write_main_cf()
        self.write_master_cf()

    def config_file(self, name, text):
        """Write text as the file name in the config directory; its path."""
        path = os.path.join(self.config_dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    # ---- commands ---------------------------------------------------------
    def env(self):
        env = dict(os.environ)
        env["MAIL_CONFIG"] = self.config_dir
        return env

    def run(self, argv, input=None, timeout=60, check=False):
        """Run a command with MAIL_CONFIG set; a CompletedProcess (bytes)."""
        if isinstance(input, str):
            input = input.encode()
        return subprocess.run(argv, input=input, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=self.env(),
                              timeout=timeout, check=check)

    def postern(self, args, **kw):
        return self.run([os.path.join(BIN, "postern"), "-c", self.config_dir] + list(args), **kw)

    def smtpctl(self, args, **kw):
        return self.run([os.path.join(BIN, "smtpctl")] + list(args), **kw)

    def sendmail(self, args, input=None, **kw):
        return self.run([os.path.join(BIN, "sendmail")] + list(args), input=input, **kw)

    # ---- life cycle -------------------------------------------------------
    def has_smtpd(self):
        try:
            with open(os.path.join(self.config_dir, "master.cf")) as f:
                return re.search(r"^\S+:%d\s+inet\s" % self.port, f.read(), re.M) is not None
        except OSError:
            return False

    def start(self, wait_banner=True):
        """postern start; raise with the log tail when it fails."""
        if os.path.exists(os.path.join(BIN, "postern")):
            r = self.postern(["start"])
        else:   # postern(1) not built yet: the master daemonises the same way
            r = self.run([os.path.join(BIN, "master"), "-c", self.config_dir])
        if r.returncode != 0:
            raise RuntimeError("postern start failed (%d): %s\n%s" % (
                r.returncode, r.stderr.decode(errors="replace"), self.log_tail()))
        if self.has_smtpd():
            self.wait_port(banner=wait_banner)
        return r

    def wait_port(self, timeout=10, banner=True):
        """Wait until the SMTP port accepts and (banner) greets with 220.
        With banner, this is one whole SMTP session (greeting, QUIT): take
        log_mark() after start() when a test counts sessions in the log."""
        def ready():
            try:
                with socket.create_connection((self.addr, self.port), timeout=timeout) as s:
                    if not banner:
                        return True
                    s.settimeout(timeout)
                    if not s.recv(512).startswith(b"220"):
                        return False
                    s.sendall(b"QUIT\r\n")
                    s.recv(512)
                    return True
            except OSError:
                return False
        wait_for(ready, timeout, "SMTP port %s:%d" % (self.addr, self.port))

    def master_pid(self):
        """The running master's pid, or None. The pid file may be stale (a
        killed master), so the process must also be a master whose working
        directory is this queue directory: never another test's process."""
        try:
            with open(os.path.join(self.queue_dir, "pid", "master.pid")) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        if not _alive(pid):
            return None
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
            cwd = os.readlink("/proc/%d/cwd" % pid)
        except OSError:
            return None
        if os.path.basename(argv0) != b"master" or cwd != os.path.realpath(self.queue_dir):
            return None
        return pid

    def running(self):
        return self.master_pid() is not None

    def stop(self, timeout=30):
        """postern stop (or SIGTERM to the master); wait until it is gone."""
        pid = self.master_pid()
        if pid is None:
            return
        if os.path.exists(os.path.join(BIN, "postern")):
            self.postern(["stop"], timeout=timeout)
        else:
            os.kill(pid, signal.SIGTERM)
        wait_for(lambda: not _alive(pid), timeout, "master %d to stop" % pid)

    def reload(self):
        pid = self.master_pid()
        if pid is None:
            raise RuntimeError("not running")
        os.kill(pid, signal.SIGHUP)

    def program_pids(self, name):
        """Pids of this instance's processes that run the program name."""
        found = []
        for pid in self.processes():
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as f:
                    argv0 = f.read().split(b"\0")[0]
            except OSError:
                continue
            if os.path.basename(argv0) == name.encode():
                found.append(pid)
        return found

    def processes(self):
        """Pids of the master and of every process in its group or below it."""
        master = self.master_pid()
        if master is None:
            return []
        found = {master}
        stats = {}
        for name in os.listdir("/proc"):
            if name.isdigit():
                st = _proc_stat(int(name))
                if st is not None and st[0] not in ("Z", "X"):
                    stats[int(name)] = st
        changed = True
        while changed:
            changed = False
            for pid, (_, ppid, pgid) in stats.items():
                if pid not in found and (ppid in found or pgid == master):
                    found.add(pid)
                    changed = True
        return sorted(found)

    def kill9_all(self, timeout=10):
        """SIGKILL the master and every child at once (a crash)."""
        pids = self.processes()
        master = self.master_pid()
        if master is not None:
            try:
                os.kill(master, signal.SIGSTOP)   # no new children meanwhile
            except OSError:
                pass
            pids = self.processes()
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError as e:
                if e.errno != errno.ESRCH:
                    raise
        wait_for(lambda: not any(_alive(p) for p in pids), timeout, "processes to die")

    def cleanup(self):
        """Stop whatever runs, the hard way when the soft way fails."""
        try:
            self.stop(timeout=15)
        except Exception:
            pass
        if self.running():
            self.kill9_all()

    # ---- inspection -------------------------------------------------------
    def queue_files(self, queue="incoming", dot=False):
        """Sorted names of the files in one queue directory ([] when it is
        missing); with dot, also the names that start with "." (a writer's
        temporary file, as sendmail's in maildrop/)."""
        try:
            names = os.listdir(os.path.join(self.queue_dir, queue))
        except FileNotFoundError:
            return []
        return sorted(n for n in names if dot or not n.startswith("."))

    def queue_count(self):
        """How many messages wait: incoming/, active/ and deferred/ (not
        hold/)."""
        return sum(len(self.queue_files(q)) for q in ("incoming", "active", "deferred"))

    def tmp_leftovers(self):
        """Sorted names of the files in tmp/ that a writer made and nobody
        committed: not tmp/.reserved, nor a queued message's id reservation
        tmp/.ID (a second link of the queue file, postern-queue(5))."""
        tmp = os.path.join(self.queue_dir, "tmp")
        try:
            names = os.listdir(tmp)
        except FileNotFoundError:
            return []
        left = []
        for n in names:
            try:
                st = os.lstat(os.path.join(tmp, n))
            except FileNotFoundError:
                continue
            if n != ".reserved" and st.st_nlink == 1:
                left.append(n)
        return sorted(left)

    def log(self, since=0):
        """The log text (from byte offset since)."""
        try:
            with open(self.log_file, "rb") as f:
                f.seek(since)
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines=30):
        return "\n".join(self.log().splitlines()[-lines:])

    def log_mark(self):
        """The current log size, to wait only for lines logged after it."""
        try:
            return os.path.getsize(self.log_file)
        except OSError:
            return 0

    def wait_log(self, regex, timeout=10, since=0, count=1):
        """Wait until regex matches (count times) in the log after offset
        since; return the last re.Match."""
        pattern = re.compile(regex, re.M)

        def found():
            text = self.log(since)
            matches = list(pattern.finditer(text))
            return matches[count - 1] if len(matches) >= count else None
        try:
            return wait_for(found, timeout, "log /%s/" % regex)
        except TimeoutError:
            raise TimeoutError("no log line matching /%s/ within %ss; log tail:\n%s"
                               % (regex, timeout, self.log_tail())) from None

    def smtp(self, timeout=10, **kw):
        """A connected smtplib.SMTP (use it in a with statement)."""
        return smtplib.SMTP(self.addr, self.port, timeout=timeout, **kw)
