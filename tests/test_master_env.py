"""master: the environment the daemons get (import_environment)."""
import os

from harness import BIN, wait_for


def daemon_environ(inst, name):
    """The environment of a running daemon called name (waits for one)."""
    found = {}
    wait_for(lambda: found.update(_environ(inst, name) or {}) or found,
             10, "a %s process" % name)
    return found


def _environ(inst, name):
    for pid in inst.processes():
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
            if os.path.basename(argv0).decode() != name:
                continue
            with open("/proc/%d/environ" % pid, "rb") as f:
                items = [e.decode(errors="replace") for e in f.read().split(b"\0") if e]
        except OSError:
            continue
        return dict(e.split("=", 1) for e in items if "=" in e)
    return None


def start_with_env(inst, extra):
    env = inst.env()
    env.update(extra)
    r = __import__("subprocess").run(
        [os.path.join(BIN, "postern"), "-c", inst.config_dir, "start"],
        env=env, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_default_environment_is_clean(make_instance):
    inst = make_instance()
    start_with_env(inst, {"POSTERN_TEST_SECRET": "leak", "TZ": "UTC", "LANG": "de_DE.UTF-8"})
    env = daemon_environ(inst, "qmgr")
    assert "POSTERN_TEST_SECRET" not in env
    assert env.get("TZ") == "UTC"                 # listed: kept
    assert env.get("LANG") == "C"                 # LANG=C: set
    assert env.get("MAIL_CONFIG") == os.path.realpath(inst.config_dir)


def test_import_environment_keeps_and_sets(make_instance):
    inst = make_instance(main_cf_extra={
        "import_environment": "MAIL_CONFIG POSTERN_TEST_KEEP FOO=bar"})
    start_with_env(inst, {"POSTERN_TEST_KEEP": "yes", "POSTERN_TEST_DROP": "no"})
    env = daemon_environ(inst, "qmgr")
    assert env.get("POSTERN_TEST_KEEP") == "yes"
    assert env.get("FOO") == "bar"
    assert "POSTERN_TEST_DROP" not in env
    assert "LANG" not in env
