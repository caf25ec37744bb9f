"""Issue 13 #6: every command and daemon answers -V and --version with the
version the build was made from, which is also mail_version (and what the
master logs at start)."""

import os
import re
import subprocess

import pytest

from harness import BIN

PROGRAMS = ["postern", "smtpctl", "sendmail", "mailq", "newaliases", "etrn", "master",
            "smtpd", "smtp", "lmtp", "qmgr", "local", "bounce", "pickup"]


def build_version():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(top, "VERSION")) as f:
        return f.read().strip()


@pytest.mark.parametrize("prog", PROGRAMS)
def test_version_options(prog):
    path = os.path.join(BIN, prog)
    if not os.path.exists(path):
        pytest.skip("%s not built" % prog)
    outs = []
    for opt in ("-V", "--version"):
        r = subprocess.run([path, opt], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=10, env=dict(os.environ, MAIL_CONFIG="/nonexistent"))
        assert r.returncode == 0, (opt, r.stderr)
        outs.append(r.stdout.decode())
    assert outs[0] == outs[1]
    m = re.match(r"^%s \(Postern\) (\S+)\n$" % re.escape(prog), outs[0])
    assert m, outs[0]
    assert m.group(1) == build_version() or m.group(1).startswith(build_version() + "+g")


def test_mail_version_is_the_build(make_instance):
    inst = make_instance()
    r = inst.postern(["config", "-d", "mail_version"])
    assert r.returncode == 0, r.stderr
    v = r.stdout.decode().split("=", 1)[1].strip()
    r = subprocess.run([os.path.join(BIN, "postern"), "-V"], stdout=subprocess.PIPE, timeout=10)
    assert r.stdout.decode() == "postern (Postern) %s\n" % v
    inst.start()
    inst.wait_log(r"daemon started -- version %s, configuration " % re.escape(v))
