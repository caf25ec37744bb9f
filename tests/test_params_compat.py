"""No parameter listed but ignored: `postern config -U` and its warnings.

The list of parameters accepted for compatibility but not implemented is
generated from the sources by mk/params-compat; these tests check that the
committed list matches the code (so it cannot drift), that `postern config
-U` prints exactly it, and that the daemons, the master and `postern check`
warn about each such parameter an administrator sets.
"""

import os
import re
import subprocess
import sys

import pytest

from harness import BIN, Instance

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(TOP, "mk", "params-compat")
POSTERN = os.path.join(BIN, "postern")

sys.path.insert(0, os.path.join(TOP, "mk"))


def computed_compat():
    """The list as mk/params-compat computes it from the sources."""
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader("params_compat", SCRIPT)
    spec = importlib.util.spec_from_loader("params_compat", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod.compat_names(TOP)


def postern(args, config_dir, **kw):
    env = dict(os.environ, MAIL_CONFIG=config_dir)
    return subprocess.run([POSTERN] + args, env=env, capture_output=True,
                          text=True, timeout=30, **kw)


def test_list_matches_the_sources():
    """Every parameter not listed is read by a program, and vice versa."""
    r = subprocess.run([sys.executable, SCRIPT, "--check", TOP],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_config_U_prints_the_list(tmp_path):
    (tmp_path / "main.cf").write_text("")
    r = postern(["config", "-U"], str(tmp_path))
    assert r.returncode == 0, r.stderr
    names = [line.split(" = ")[0] for line in r.stdout.splitlines()]
    assert names == computed_compat()
    # Names that programs read are not in it.
    for name in ("smtpd_timeout", "myhostname", "relayhost", "maillog_file_prefixes"):
        assert name not in names
    # postern config -d still lists them all (they are accepted).
    d = postern(["config", "-d"], str(tmp_path))
    listed = {line.split(" = ")[0] for line in d.stdout.splitlines()}
    assert set(names) <= listed


def pick_compat(config_dir):
    """One compat parameter and its default (a value it always accepts)."""
    r = postern(["config", "-dU"], config_dir)
    assert r.returncode == 0, r.stderr
    lines = [l for l in r.stdout.splitlines() if " = " in l]
    if not lines:
        pytest.skip("every parameter is implemented")
    name, value = lines[0].split(" = ", 1)
    return name, value


def test_config_nU_and_check_warn(tmp_path):
    (tmp_path / "main.cf").write_text("")
    name, value = pick_compat(str(tmp_path))
    (tmp_path / "main.cf").write_text(
        "%s = %s\nmyhostname = a.example\n" % (name, value))
    r = postern(["config", "-nU"], str(tmp_path))
    assert r.stdout.splitlines() == ["%s = %s" % (name, value)]
    # A name given with -U is printed only when it is a compat one.
    r = postern(["config", "-U", name, "myhostname"], str(tmp_path))
    assert r.stdout.splitlines() == ["%s = %s" % (name, value)]
    r = postern(["check", "-n"], str(tmp_path))
    assert ("warning: %s is accepted for compatibility but not implemented"
            % name) in r.stderr


def test_daemons_warn_at_start(tmp_path):
    probe = Instance(tmp_path / "probe")
    name, value = pick_compat(probe.config_dir)
    inst = Instance(tmp_path / "live", main_cf_extra={name: value})
    try:
        inst.start()
        pat = r"postern/(%s)\[\d+\]: warning: %s is accepted for compatibility but not implemented"
        inst.wait_log(pat % ("master", re.escape(name)))
        # A daemon the master started (qmgr is always running).
        inst.wait_log(pat % ("qmgr", re.escape(name)))
        # An SMTP session starts an smtpd, which warns too.
        with inst.smtp() as s:
            s.noop()
        inst.wait_log(pat % ("smtpd", re.escape(name)))
    finally:
        inst.cleanup()


def test_master_cf_override_warns(tmp_path):
    probe = Instance(tmp_path / "probe")
    name, value = pick_compat(probe.config_dir)
    inst = Instance(tmp_path / "live")
    text = open(os.path.join(inst.config_dir, "master.cf")).read()
    lines = text.splitlines()
    lines = [l + " -o %s=%s" % (name, value.replace(" ", ""))
             if re.match(r"^\S+:\d+\s+inet\s", l) else l for l in lines]
    with open(os.path.join(inst.config_dir, "master.cf"), "w") as f:
        f.write("\n".join(lines) + "\n")
    r = postern(["check", "-n"], inst.config_dir)
    assert re.search(r"warning: \S+: %s is accepted for compatibility but not implemented"
                     % re.escape(name), r.stderr), r.stderr


def test_maillog_file_prefixes_enforced(tmp_path):
    inst = Instance(tmp_path, main_cf_extra={"maillog_file_prefixes": "/var"})
    r = inst.postern(["start"])
    try:
        assert r.returncode != 0
        out = (r.stderr + r.stdout).decode(errors="replace")
        assert "does not match any prefix in maillog_file_prefixes" in out
    finally:
        inst.cleanup()


def test_debian_main_cf_settings_are_quiet(tmp_path):
    """biff = no and the documentation directories that Debian's postfix
    package writes into main.cf ask for what Postern does anyway: no
    warning. biff = yes asks for something Postern does not do: warned."""
    (tmp_path / "main.cf").write_text(
        "biff = no\nreadme_directory = no\nhtml_directory = /usr/share/doc/x\n"
        "myhostname = a.example\n")
    r = postern(["check", "-n"], str(tmp_path))
    assert "accepted for compatibility" not in r.stderr, r.stderr
    (tmp_path / "main.cf").write_text("biff = yes\nmyhostname = a.example\n")
    r = postern(["check", "-n"], str(tmp_path))
    assert "warning: biff is accepted for compatibility but not implemented" in r.stderr
