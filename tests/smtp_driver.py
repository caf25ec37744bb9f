"""smtp_driver - run the smtp/lmtp client by itself and speak the delivery
protocol to it, for the tests in test_smtp_*.py and test_lmtp.py.

    env = ClientEnv(tmp_path)                 # config dir, queue dir, log
    qid = env.make_message("a@x.test", ["b@y.test"], b"Subject: t\\n\\nhi\\n")
    res = env.deliver([env.request(qid, "[127.3.4.5]:2525", ["b@y.test"])],
                      overrides={"smtp_helo_name": "me.test"})
    res.replies[0]      # the reply attribute lists of the first request
    res.log             # what the client logged

The client runs stand-alone (-S: the delivery connection is its stdin and
stdout), so that these tests need neither the master nor the qmgr. Queue
files are made by tests/smtp_mkqf.c, compiled once per test session against
the build's libraries.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import attr_codec  # noqa: E402
from harness import BIN, BUILD, ROOT, random_loopback  # noqa: E402

_MKQF = None


def _libs():
    """Link flags from makedefs.out (the build's probed libraries)."""
    flags = []
    try:
        with open(os.path.join(ROOT, "makedefs.out")) as f:
            for line in f:
                name, _, value = line.partition("=")
                if name.strip().endswith("_LIBS") or name.strip() == "SYSLIBS":
                    flags += value.split()
    except OSError:
        flags = "-lssl -lcrypto -lpcre2-8 -lsasl2 -ldb -lresolv -lcrypt".split()
    return flags


def mkqf_binary(tmpdir):
    """Compile smtp_mkqf once per session; its path."""
    global _MKQF
    if _MKQF and os.path.exists(_MKQF):
        return _MKQF
    out = os.path.join(str(tmpdir), "smtp_mkqf")
    cmd = ["cc", "-D_GNU_SOURCE", "-D_FILE_OFFSET_BITS=64",
           "-I" + os.path.join(ROOT, "src", "util"), "-I" + os.path.join(ROOT, "src", "global"),
           "-o", out, os.path.join(ROOT, "tests", "smtp_mkqf.c"),
           os.path.join(BUILD, "lib", "libglobal.a"), os.path.join(BUILD, "lib", "libutil.a")] + _libs()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    if r.returncode != 0:
        # Libraries built with SAN=1 need the sanitizer run-time too.
        subprocess.run(cmd + ["-fsanitize=address,undefined"], check=True, timeout=120)
    _MKQF = out
    return out


class Replies(list):
    """The per-recipient replies of one request; .done is the final one."""
    done = None


class Result:
    def __init__(self, replies, log, returncode):
        self.replies = replies      # per request: a list of reply dicts
        self.log = log
        self.returncode = returncode

    def by_rcpt(self, req=0):
        """{rcpt_index: reply dict} of one request."""
        return {int(r["rcpt_index"]): r for r in self.replies[req] if "rcpt_index" in r}


class ClientEnv:
    def __init__(self, tmp_path, main_cf=None):
        self.dir = str(tmp_path)
        self.config_dir = os.path.join(self.dir, "etc")
        self.queue_dir = os.path.join(self.dir, "queue")
        self.log_file = os.path.join(self.dir, "maillog")
        os.makedirs(self.config_dir, exist_ok=True)
        self.mkqf = mkqf_binary(tmp_path)
        self.my_addr = random_loopback()
        conf = {
            "queue_directory": self.queue_dir,
            "daemon_directory": BIN,
            "myhostname": "client.test",
            "mydomain": "test",
            "inet_interfaces": self.my_addr,
            "maillog_file": self.log_file,
            "maillog_file_prefixes": self.dir,
            "smtp_connect_timeout": "5s",
            "smtp_helo_timeout": "10s",
            "smtp_mail_timeout": "10s",
            "smtp_rcpt_timeout": "10s",
            "smtp_data_init_timeout": "10s",
            "smtp_data_xfer_timeout": "10s",
            "smtp_data_done_timeout": "10s",
            "smtp_quit_timeout": "5s",
            "max_idle": "10s",
            "ipc_timeout": "20s",
        }
        if os.geteuid() != 0:
            import pwd
            conf["mail_owner"] = pwd.getpwuid(os.getuid()).pw_name
        conf.update(main_cf or {})
        with open(os.path.join(self.config_dir, "main.cf"), "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))

    def make_message(self, sender, rcpts, content, queue="active", envid=None, ret=None):
        args = [self.mkqf, self.queue_dir, queue, sender]
        if envid:
            args += ["-e", envid]
        if ret:
            args += ["-r", str(ret)]
        args += list(rcpts)
        r = subprocess.run(args, input=content, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        assert r.returncode == 0, r.stderr.decode()
        return r.stdout.decode().strip()

    @staticmethod
    def request(qid, nexthop, rcpts, sender="sender@client.test", transport="smtp",
                notify=None, orcpt=None, extra=()):
        now = time.time()
        pairs = [("request", "deliver"), ("queue_name", "active"), ("queue_id", qid),
                 ("transport", transport), ("nexthop", nexthop), ("sender", sender),
                 ("arrival_time", "%.6f" % (now - 1.5)), ("active_time", "%.6f" % (now - 0.5))]
        pairs += list(extra)
        for i, r in enumerate(rcpts):
            pairs += [("rcpt_index", i), ("rcpt", r)]
            if orcpt:
                pairs.append(("orcpt", orcpt[i]))
            if notify:
                pairs.append(("notify", notify[i]))
        return pairs

    def deliver(self, requests, overrides=None, service="smtp", timeout=60, program="smtp"):
        """Run the client, send each request after the previous one's done=1."""
        args = [os.path.join(BIN, program), "-S", "-n", service, "-t", "unix"]
        if os.geteuid() == 0:
            args.append("-P")
        for k, v in (overrides or {}).items():
            args += ["-o", "%s=%s" % (k, v)]
        env = dict(os.environ, MAIL_CONFIG=self.config_dir)
        mark = os.path.getsize(self.log_file) if os.path.exists(self.log_file) else 0
        p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
        all_replies = []
        deadline = time.monotonic() + timeout
        try:
            for req in requests:
                p.stdin.write(attr_codec.encode(req))
                p.stdin.flush()
                replies = self._read_until_done(p, deadline)
                all_replies.append(replies)
            p.stdin.close()
            p.wait(max(1, deadline - time.monotonic()))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        with open(self.log_file, "rb") as f:
            f.seek(mark)
            log = f.read().decode(errors="replace")
        err = p.stderr.read().decode(errors="replace")
        # A sanitizer report (SAN=1 builds) or a crash fails every test.
        assert "Sanitizer" not in err and "runtime error" not in err, err
        assert p.returncode == 0, "client exit status %s: %s" % (p.returncode, err)
        return Result(all_replies, log + err, p.returncode)

    @staticmethod
    def _read_until_done(p, deadline):
        import select
        replies, buf = Replies(), b""
        fd = p.stdout.fileno()
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], max(0.01, deadline - time.monotonic()))
            if not ready:
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                raise RuntimeError("client closed the connection; replies so far: %r" % replies)
            buf += chunk
            while b"\n\n" in buf or buf.startswith(b"\n"):
                if buf.startswith(b"\n"):
                    buf = buf[1:]
                    continue
                block, buf = buf.split(b"\n\n", 1)
                d = dict(attr_codec.decode(block + b"\n\n")[0])
                if d.get("done") == "1":
                    replies.done = d
                    return replies
                replies.append(d)
        raise TimeoutError("no done=1 from the client; replies so far: %r" % replies)


def pick_port(addrs):
    """A TCP port free on every address in addrs."""
    import socket
    for _ in range(100):
        with socket.socket() as s:
            s.bind((addrs[0], 0))
            port = s.getsockname()[1]
        ok = True
        for a in addrs[1:]:
            try:
                with socket.socket() as t:
                    t.bind((a, port))
            except OSError:
                ok = False
                break
        if ok:
            return port
    raise OSError("no common free port")
