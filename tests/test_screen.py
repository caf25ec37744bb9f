"""screen: pre-greeting tests in front of smtpd with postscreen's names and
log lines: PASS NEW and hand-off of the very connection to smtpd, PASS OLD
from an allowlist cache that survives a restart, PREGREET with drop, DNSBL
scoring with weights and a threshold, and the enforce-mode SMTP engine."""
import os
import re
import shutil
import socket
import subprocess
import time

from dnsserver import DNSServer
from harness import other_loopback
from test_smtpd_lib import queued_id

MASTER_CF = ("{addr}:{port} inet n - n - - screen\n"
             "smtpd pass - - n - - smtpd\n")


def rev(addr):
    return ".".join(reversed(addr.split(".")))


def start(make_instance, dns=None, **main_cf):
    inst = make_instance(master_cf=MASTER_CF)
    extra = {"smtpd_peername_lookup": "no", "local_recipient_maps": "",
             "postscreen_access_list": "", "postscreen_greet_wait": "1s",
             "postscreen_cache_map": "texthash:%s/pid/postscreen_cache"
             % inst.queue_dir}
    if dns:
        extra["dns_resolver_address"] = dns.spec
    extra.update(main_cf)
    inst.main_cf_extra.update(extra)
    inst.write_main_cf()
    inst.start(wait_banner=False)
    inst.wait_port(banner=False)
    return inst


class Conn:
    def __init__(self, inst, src):
        self.sock = socket.create_connection((inst.addr, inst.port), timeout=20,
                                             source_address=(src, 0))
        self.port = self.sock.getsockname()[1]
        self.buf = b""

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError(self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode()

    def reply(self):
        lines = [self.line()]
        while lines[-1][3:4] == "-":
            lines.append(self.line())
        return lines

    def cmd(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply()

    def closed(self):
        try:
            return self.sock.recv(4096) == b""
        except ConnectionResetError:
            return True


def fail2ban_hosts(inst):
    """The addresses fail2ban's postfix filter (aggressive mode: postscreen
    and smtpd lines) finds in the log, with Postern's syslog name."""
    tool = shutil.which("fail2ban-regex")
    if tool is None:
        return None
    r = subprocess.run([tool, "-o", "ip", inst.log_file,
                        "/etc/fail2ban/filter.d/postfix.conf[mode=aggressive, "
                        "_daemon=postern/\\w+]"], capture_output=True, timeout=120)
    return set(r.stdout.decode().split())


def send_mail(c):
    assert c.cmd("EHLO client.example")[-1].startswith("250 ")
    assert c.cmd("MAIL FROM:<a@example.com>")[0].startswith("250")
    assert c.cmd("RCPT TO:<u@localhost>")[0].startswith("250")
    assert c.cmd("DATA")[0].startswith("354")
    done = c.cmd("Subject: screened\r\n\r\nhi\r\n.")[0]
    assert done.startswith("250"), done
    c.cmd("QUIT")
    return queued_id(done)


def test_pass_new_handoff_pass_old_and_cache_survives_restart(make_instance):
    inst = start(make_instance)
    src = other_loopback(inst.addr)
    c = Conn(inst, src)
    t0 = time.monotonic()
    greeting = c.reply()
    assert greeting[0] == "220-localhost ESMTP Postern"      # the teaser
    assert greeting[-1] == "220 localhost ESMTP Postern"     # smtpd's own
    assert time.monotonic() - t0 >= 0.9                      # after the wait
    qid = send_mail(c)
    assert os.path.exists(os.path.join(inst.queue_dir, "incoming", qid))
    log = inst.wait_log(r"PASS NEW \[%s\]:%d" % (re.escape(src), c.port))
    assert re.search(r"postern/screen\[\d+\]: CONNECT from \[%s\]:%d to \[%s\]:%d"
                     % (re.escape(src), c.port, re.escape(inst.addr), inst.port),
                     inst.log())
    # smtpd served the same connection: it sees the client's own port.
    inst.wait_log(r"postern/smtpd\[\d+\]: connect from unknown\[%s\]"
                  % re.escape(src))

    c = Conn(inst, src)
    assert c.reply() == ["220 localhost ESMTP Postern"]     # no teaser, no wait
    inst.wait_log(r"PASS OLD \[%s\]:%d" % (re.escape(src), c.port))
    c.cmd("QUIT")

    inst.stop()
    inst.start(wait_banner=False)
    c = Conn(inst, src)
    assert c.reply() == ["220 localhost ESMTP Postern"]
    inst.wait_log(r"PASS OLD \[%s\]:%d" % (re.escape(src), c.port))
    c.cmd("QUIT")


def test_pregreet_drop(make_instance):
    inst = start(make_instance, postscreen_greet_action="drop")
    src = other_loopback(inst.addr)
    c = Conn(inst, src)
    c.sock.sendall(b"EHLO early.example\r\n")
    # The teaser and the refusal make one (odd, but postscreen's) reply.
    assert c.reply() == ["220-localhost ESMTP Postern", "521 5.5.1 Protocol error"]
    assert c.closed()
    inst.wait_log(r"PREGREET 20 after \d+\.\d\d from \[%s\]:%d: EHLO "
                  r"early.example\\r\\n" % (re.escape(src), c.port))
    inst.wait_log(r"DISCONNECT \[%s\]:%d" % (re.escape(src), c.port))
    hosts = fail2ban_hosts(inst)
    assert hosts is None or src in hosts, hosts
    # Not cached: a polite connection is tested again and passes.
    c = Conn(inst, src)
    assert c.reply()[-1] == "220 localhost ESMTP Postern"
    inst.wait_log(r"PASS NEW \[%s\]:%d" % (re.escape(src), c.port))
    c.cmd("QUIT")


def test_dnsbl_score_enforce(make_instance):
    with DNSServer({}) as dns:
        inst = start(make_instance, dns, postscreen_dnsbl_action="enforce",
                     postscreen_dnsbl_threshold="3",
                     postscreen_dnsbl_sites="bl1.test*2, "
                     "bl2.test=127.0.0.[2..11]*1, bl3.test*3")
        bad, grey = other_loopback(inst.addr), other_loopback(inst.addr)
        dns.zone[rev(bad) + ".bl1.test"] = {"A": ["127.0.0.2"]}
        dns.zone[rev(bad) + ".bl2.test"] = {"A": ["127.0.0.4"]}
        dns.zone[rev(grey) + ".bl1.test"] = {"A": ["127.0.0.1"]}     # 2
        dns.zone[rev(grey) + ".bl2.test"] = {"A": ["127.0.0.12"]}    # filtered out
        c = Conn(inst, bad)
        assert c.reply() == ["220-localhost ESMTP Postern", "220 localhost ESMTP Postern"]
        assert c.cmd("EHLO spam.example")[-1].startswith("250 ")
        assert c.cmd("MAIL FROM:<s@spam.example>") == ["250 2.1.0 Ok"]
        assert c.cmd("RCPT TO:<u@localhost>") == [
            "550 5.7.1 Service unavailable; client [%s] blocked using bl1.test" % bad]
        assert c.cmd("DATA") == ["554 5.5.1 Error: no valid recipients"]
        assert c.cmd("QUIT") == ["221 2.0.0 Bye"]
        inst.wait_log(r"DNSBL rank 3 for \[%s\]:%d" % (re.escape(bad), c.port))
        inst.wait_log(r"NOQUEUE: reject: RCPT from \[%s\]:%d: 550 5.7.1 Service "
                      r"unavailable; client \[%s\] blocked using bl1.test; "
                      r"from=<s@spam.example>, to=<u@localhost>, proto=ESMTP, "
                      r"helo=<spam.example>" % (re.escape(bad), c.port, re.escape(bad)))
        inst.wait_log(r"DISCONNECT \[%s\]:%d" % (re.escape(bad), c.port))
        hosts = fail2ban_hosts(inst)
        assert hosts is None or bad in hosts, hosts
        # Below the threshold: passes, and goes on to smtpd.
        c = Conn(inst, grey)
        assert c.reply()[-1] == "220 localhost ESMTP Postern"
        send_mail(c)
        inst.wait_log(r"PASS NEW \[%s\]:%d" % (re.escape(grey), c.port))
        assert not re.search(r"DNSBL rank \d+ for \[%s\]" % re.escape(grey), inst.log())
