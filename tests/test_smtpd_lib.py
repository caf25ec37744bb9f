"""Helpers for the smtpd black-box tests (test_smtpd_*.py); no tests here.

smtpd_instance(make_instance, **main_cf) starts an instance whose master.cf
runs only smtpd, so that accepted mail stays in incoming/ where the tests
read it (no qmgr moves it away).

Client is a raw SMTP client over a socket: send bytes exactly as given
(pipelining, bare LF, NUL, over-long lines) and read complete replies.

parse_qf(path) reads a queue file through `postern queue-dump`
(harness.queue_dump): sender, attributes, recipients with NOTIFY/ORCPT,
DSN ENVID/RET, and the content.
"""
import glob
import os
import re
import socket

from harness import DSN_RET, notify_bits, queue_dump, wait_for

SMTPD_ONLY = "{addr}:{port} inet n - n - - smtpd\n"


def smtpd_instance(make_instance, master_cf=SMTPD_ONLY, wait_banner=True, **main_cf):
    extra = {"smtpd_peername_lookup": "no", "alias_maps": ""}
    extra.update(main_cf)
    inst = make_instance(main_cf_extra=extra, master_cf=master_cf)
    inst.start(wait_banner=wait_banner)
    return inst


def config_files(inst, **named):
    """Write each named text into inst's config directory; {name: path}."""
    return {name: inst.config_file(name, text) for name, text in named.items()}


def smtpd_instance_with_files(make_instance, files=None, **main_cf):
    """smtpd_instance with files ({name: text}) written in its config
    directory first; main_cf values may use {name} for a file's path."""
    extra = {"smtpd_peername_lookup": "no", "alias_maps": ""}
    inst = make_instance(main_cf_extra=extra, master_cf=SMTPD_ONLY)
    paths = config_files(inst, **(files or {}))
    inst.main_cf_extra.update({k: v.format(**paths) for k, v in main_cf.items()})
    inst.write_main_cf()
    inst.start()
    return inst


class Client:
    """A raw SMTP client: exact bytes out, whole replies in."""

    def __init__(self, inst, source=None, timeout=10, greet=True):
        self.sock = socket.create_connection((inst.addr, inst.port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = b""
        self.banner = self.reply() if greet else None

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed; pending %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode(errors="replace")

    def reply(self):
        """One complete (possibly multi-line) reply: (code, text)."""
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                break
        return int(lines[-1][:3]), "\n".join(lines)

    def cmd(self, data):
        self.send(data if data.endswith("\r\n") else data + "\r\n")
        return self.reply()

    def envelope(self, helo="client.example"):
        """EHLO helo (unless None), MAIL FROM:<a@example.com>, RCPT
        TO:<root@localhost>; their replies are not looked at."""
        if helo:
            self.cmd("EHLO " + helo)
        self.cmd("MAIL FROM:<a@example.com>")
        self.cmd("RCPT TO:<root@localhost>")

    def closed(self):
        """True when the server has closed the connection (reads to EOF)."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except ConnectionResetError:    # closed with our input unread
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def smtpd_transaction(inst, rcpts, sender, msg, mail_extra="", data=True):
    """EHLO, MAIL FROM:<sender>mail_extra, a RCPT per address; DATA with msg
    (ending in CRLF.CRLF) when any was accepted. (RCPT replies, queue id or
    None)."""
    c = Client(inst)
    c.cmd("EHLO client.example")
    assert c.cmd("MAIL FROM:<%s>%s" % (sender, mail_extra))[0] == 250
    replies = [c.cmd("RCPT TO:<%s>" % r) for r in rcpts]
    qid = None
    if data and any(code == 250 for code, _ in replies):
        assert c.cmd("DATA")[0] == 354
        code, text = c.cmd(msg)
        assert code == 250, text
        qid = queued_id(text)
    c.cmd("QUIT")
    return replies, qid


def send_message(inst, subject, body="hello\r\n", rcpts=("r@x.test",),
                 sender="s@client.test", extra=""):
    """One message through inst.smtp(): EHLO client.test, MAIL FROM sender,
    a RCPT per address (each must be accepted), DATA of "From: sender",
    "To: r@x.test", "Subject: subject", the extra header lines (CRLF-ended)
    and body. The DATA reply (code, text)."""
    msg = ("From: %s\r\nTo: r@x.test\r\nSubject: %s\r\n%s\r\n%s"
           % (sender, subject, extra, body)).encode()
    with inst.smtp() as s:
        s.ehlo("client.test")
        s.mail(sender)
        for r in rcpts:
            code, text = s.rcpt(r)
            assert code == 250, (code, text, inst.log_tail())
        return s.data(msg)


def queued_id(text):
    m = re.search(r"queued as ([0-9a-f]{8})", text)
    assert m, text
    return m.group(1)


def find_qf(inst, qid):
    """Path of a message's queue file in any queue directory, or None."""
    hits = glob.glob(os.path.join(inst.queue_dir, "*", qid))
    return hits[0] if hits else None


def wait_qf(inst, qid, queue="incoming"):
    path = os.path.join(inst.queue_dir, queue, qid)
    wait_for(lambda: os.path.exists(path), 10, "queue file %s/%s" % (queue, qid))
    return parse_qf(path)


def parse_qf(path):
    """A queue file (through postern queue-dump, harness.queue_dump)."""
    m = queue_dump(path)
    return {"sender": m["sender"], "origin": m["origin"] or None,
            "envid": m.get("dsn_envid"), "attrs": m.get("attributes", {}),
            "rcpts": [{"addr": r["address"], "notify": notify_bits(r["notify"]),
                       "orcpt": r.get("orcpt")} for r in m["recipients"]],
            "family": m["family"], "ret": DSN_RET.get(m.get("dsn_ret"), 0),
            "arrival": m["arrival_time"], "content": m["content"]}


def no_crash(inst):
    """No smtpd panicked, died on a signal or hit a fatal error."""
    log = inst.log()
    assert "panic:" not in log, log
    assert not re.search(r"smtpd\[\d+\]: fatal:", log), log
    assert not re.search(r"process \S*smtpd pid \d+ (killed by signal|exit status)", log), log
