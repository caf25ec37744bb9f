"""DKIM signing through smtpd_milters with Debian's OpenDKIM, and the
signature checked by a second, verifying OpenDKIM that reads the public
key from the test's own data (TestDNSData), on the message as the next
hop received it: instance A signs and relays to instance B, whose
verifying milter adds Authentication-Results before B relays to the sink."""

import os
import pwd
import shutil
import socket
import subprocess

import pytest

from harness import BIN, free_port, random_loopback, wait_for

pytestmark = pytest.mark.skipif(
    not all(os.path.exists(os.path.join(BIN, p)) for p in ("smtp", "smtpd", "qmgr", "master"))
    or not shutil.which("opendkim") and not os.path.exists("/usr/sbin/opendkim"),
    reason="programs or opendkim missing")

OPENDKIM = "/usr/sbin/opendkim"
GENKEY = "/usr/sbin/opendkim-genkey"


def run_as_user():
    """OpenDKIM runs as the unprivileged postern account under root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam("postern")
    except KeyError:
        return None


class OpenDKIM:
    def __init__(self, workdir, name, lines):
        self.addr = random_loopback()
        self.port = free_port(self.addr)
        conf = os.path.join(workdir, name + ".conf")
        pw = run_as_user()
        text = ["Syslog no", "Background no", "AutoRestart no",
                "RequireSafeKeys no",
                "Socket inet:%d@%s" % (self.port, self.addr),
                "PidFile %s" % os.path.join(workdir, name + ".pid")]
        if pw:
            text.append("UserID %s" % pw.pw_name)
        with open(conf, "w") as f:
            f.write("\n".join(text + lines) + "\n")
        self.err = open(os.path.join(workdir, name + ".err"), "w")
        self.proc = subprocess.Popen([OPENDKIM, "-f", "-x", conf],
                                     stdout=self.err, stderr=subprocess.STDOUT)

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("opendkim %s exited: %s" % (
                    name, open(os.path.join(workdir, name + ".err")).read()))
            try:
                socket.create_connection((self.addr, self.port), 0.5).close()
                return True
            except OSError:
                return False
        wait_for(up, 15, "opendkim %s listening" % name)
        self.spec = "inet:%s:%d" % (self.addr, self.port)

    def stop(self):
        self.proc.kill()
        self.proc.wait(10)
        self.err.close()


@pytest.fixture
def keys(tmp_path):
    d = tmp_path / "dkim"
    d.mkdir()
    subprocess.run([GENKEY, "-b", "2048", "-D", str(d), "-d", "example.test",
                    "-s", "test"], check=True, capture_output=True)
    txt = (d / "test.txt").read_text()
    # The TXT record's strings, joined: "v=DKIM1; h=sha256; k=rsa; p=...".
    record = "".join(part.strip() for part in txt.split('"')[1::2])
    record = record.replace(" ", "")
    (d / "dns").write_text("test._domainkey.example.test %s\n" % record)
    pw = run_as_user()
    if pw:
        os.chmod(str(tmp_path), 0o755)
        for f in d.iterdir():
            os.chown(str(f), pw.pw_uid, pw.pw_gid)
        os.chown(str(d), pw.pw_uid, pw.pw_gid)
    return d


def test_dkim_sign_and_verify(make_instance, sink, keys, tmp_path):
    signer = OpenDKIM(str(keys), "signer", [
        "Mode s", "Domain example.test", "Selector test",
        "KeyFile %s" % (keys / "test.private"),
        "Canonicalization relaxed/simple",
        "InternalHosts 127.0.0.0/8"])
    verifier = OpenDKIM(str(keys), "verifier", [
        "Mode v", "AuthservID verifier.test",
        "TestDNSData file:%s" % (keys / "dns"),
        "AlwaysAddARHeader yes"])
    try:
        b = make_instance(main_cf_extra={
            "default_transport": "smtp", "relayhost": sink.nexthop,
            "smtpd_milters": verifier.spec})
        b.start()
        a = make_instance(main_cf_extra={
            "default_transport": "smtp",
            "relayhost": "[%s]:%d" % (b.addr, b.port),
            "smtpd_milters": signer.spec, "milter_default_action": "tempfail"})
        a.start()
        msg = (b"From: Alice <alice@example.test>\r\nTo: bob@x.test\r\n"
               b"Subject: signed\r\n  folded subject line\r\n\r\n"
               b"Hello,\r\n.leading dot\r\n\r\nbye\r\n")
        with a.smtp() as s:
            s.sendmail("alice@example.test", ["bob@x.test"], msg)
        data = sink.wait_for(1, timeout=30)[0].data
        head = data.split(b"\r\n\r\n", 1)[0]
        assert b"DKIM-Signature:" in head
        assert b"d=example.test" in head and b"s=test" in head
        ar = [l for l in head.replace(b"\r\n\t", b" ").replace(b"\r\n ", b" ")
              .split(b"\r\n") if l.startswith(b"Authentication-Results:")]
        assert ar and b"dkim=pass" in ar[0], head.decode(errors="replace")
    finally:
        signer.stop()
        verifier.stop()
