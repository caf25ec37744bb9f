"""Black-box tests of the master and `postern start/stop/status/reload/abort`.

They use echod (src/master/echod.c), a tiny daemon on the mail_server
skeletons, so that they do not depend on smtpd or the other daemons:
"220 echod <service> <pid>" greeting, echoes lines, "pid" and "uid" answer
with its process and user id, "quit" ends the session.
"""
import os
import pwd
import signal
import socket

import pytest

from harness import BIN, free_port, have_ipv6_loopback, wait_for, _alive

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "echod")),
                                reason="echod (src/master) is not built")

ECHO = "{addr}:{port} inet n - n - - echod\n"


def need_postern():
    if not os.path.exists(os.path.join(BIN, "postern")):
        pytest.skip("postern(1) is not built")


class Echo:
    """A line-oriented client for echod."""

    def __init__(self, addr, port, timeout=10, family=socket.AF_INET):
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect((addr, port))
        self.file = self.sock.makefile("rb")
        self.banner = self.line()

    def line(self):
        return self.file.readline().decode().rstrip("\r\n")

    def ask(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.line()

    def pid(self):
        return int(self.ask("pid"))

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


def refused(addr, port):
    try:
        with socket.create_connection((addr, port), timeout=2):
            return False
    except OSError:
        return True


def test_start_status_stop(make_instance):
    need_postern()
    inst = make_instance(master_cf=ECHO)
    r = inst.postern(["status"])
    assert r.returncode == 1 and b"not running" in r.stdout
    inst.start()
    pid = inst.master_pid()
    r = inst.postern(["status"])
    assert r.returncode == 0
    assert r.stdout.decode().strip() == "postern is running (pid %d)" % pid
    r = inst.postern(["start"])
    assert r.returncode != 0
    assert ("already running (pid %d)" % pid).encode() in r.stderr
    # A command that takes no arguments refuses one (usage, 64) and does
    # nothing: "postern stop now" must not stop the system by accident.
    r = inst.postern(["stop", "now"])
    assert r.returncode == 64 and b"stop takes no arguments" in r.stderr
    assert inst.postern(["status"]).returncode == 0
    e = Echo(inst.addr, inst.port)
    assert e.banner.startswith("220 echod")
    child = e.pid()
    e.close()
    r = inst.postern(["stop"])
    assert r.returncode == 0, r.stderr
    # stop returns when the master is gone, and it takes its children along.
    assert not _alive(pid) and not _alive(child)
    assert inst.postern(["status"]).returncode == 1
    assert refused(inst.addr, inst.port)


def test_start_reports_bind_failure(make_instance):
    inst = make_instance(master_cf=ECHO)
    with socket.socket() as blocker:
        blocker.bind((inst.addr, inst.port))
        blocker.listen(1)
        if os.path.exists(os.path.join(BIN, "postern")):
            r = inst.postern(["start"])
        else:
            r = inst.run([os.path.join(BIN, "master"), "-c", inst.config_dir])
        assert r.returncode != 0
        assert b"address already in use" in r.stderr.lower(), r.stderr
    assert not inst.running()


def test_listen_ipv4_ipv6_and_inet_interfaces(make_instance, tmp_path):
    extra = ""
    port6 = None
    if have_ipv6_loopback():
        port6 = free_port("::1", socket.AF_INET6)
        extra += "[::1]:%d inet n - n - - echod\n" % port6
    inst = make_instance(master_cf=ECHO + extra)
    # A bare port listens on every inet_interfaces address (here: inst.addr).
    bare = free_port(inst.addr)
    inst.write_master_cf(ECHO + extra + "%d inet n - n - - echod\n" % bare)
    inst.start()
    e = Echo(inst.addr, inst.port)
    assert e.banner.startswith("220 echod %s:%d " % (inst.addr, inst.port))
    assert e.ask("hello") == "hello"
    e.close()
    e = Echo(inst.addr, bare)
    assert e.banner.startswith("220 echod %d " % bare)
    e.close()
    if port6 is not None:
        e = Echo("::1", port6, family=socket.AF_INET6)
        assert e.banner.startswith("220 echod [::1]:%d " % port6)
        e.close()


def echo_session(make_instance):
    """A started instance serving echod, and a session to it; (instance,
    session, the echod process's pid)."""
    inst = make_instance(master_cf=ECHO)
    inst.start()
    e = Echo(inst.addr, inst.port)
    return inst, e, e.pid()


def test_crashed_child_is_replaced(make_instance):
    inst, e, pid = echo_session(make_instance)
    os.kill(pid, signal.SIGKILL)
    inst.wait_log(r"pid %d killed by signal 9" % pid)
    e.close()
    # It had served a client: no throttling, the next client gets a new one.
    e = Echo(inst.addr, inst.port)
    assert e.pid() != pid
    e.close()
    assert "throttling" not in inst.log()


def test_startup_crash_throttles(make_instance):
    crash_port = None
    inst = make_instance(master_cf=ECHO, main_cf_extra={"service_throttle_time": "2s"})
    crash_port = free_port(inst.addr)
    inst.write_master_cf(ECHO + "%s:%d inet n - n - - echod crash\n" % (inst.addr, crash_port))
    inst.start()
    s = socket.create_connection((inst.addr, crash_port), timeout=10)
    try:
        inst.wait_log(r"exit status 1")
        inst.wait_log(r"bad command startup -- throttling")
        # Throttled: no fork loop. Once the throttle time (2s) has passed
        # the master tries again, exactly once more.
        m = inst.log_mark()
        inst.wait_log(r"exit status 1", timeout=10, since=m)
        log = inst.log(m)
        assert log.count("exit status 1") == 1
        # Other services are not affected.
        e = Echo(inst.addr, inst.port)
        assert e.ask("still") == "still"
        e.close()
    finally:
        s.close()


def test_reload_adds_and_removes_services(make_instance):
    inst = make_instance(master_cf=ECHO)
    port2 = free_port(inst.addr)
    inst.start()
    assert Echo(inst.addr, inst.port).banner.startswith("220")
    assert refused(inst.addr, port2)
    inst.write_master_cf("{addr}:%d inet n - n - - echod\n" % port2)
    if os.path.exists(os.path.join(BIN, "postern")):
        assert inst.postern(["reload"]).returncode == 0
    else:
        inst.reload()
    wait_for(lambda: not refused(inst.addr, port2), 10, "new service")
    wait_for(lambda: refused(inst.addr, inst.port), 10, "removed service to close")
    e = Echo(inst.addr, port2)
    assert e.ask("x") == "x"
    e.close()


def test_session_survives_reload(make_instance):
    inst, e, old = echo_session(make_instance)
    m = inst.log_mark()
    inst.reload()
    inst.wait_log(r"reload", since=m)
    # The session in progress goes on with the old process...
    assert e.ask("after reload") == "after reload"
    assert e.pid() == old
    # ...while new clients get a process of the new configuration.
    e2 = Echo(inst.addr, inst.port)
    assert e2.pid() != old
    e2.close()
    assert e.ask("quit") == "221 bye"
    e.close()
    # Its session done, the retired process leaves.
    wait_for(lambda: not _alive(old), 10, "retired process to exit")


def test_kill9_then_start_again(make_instance):
    inst, e, child = echo_session(make_instance)
    master = inst.master_pid()
    inst.kill9_all()
    e.close()
    assert not _alive(master) and not _alive(child)
    inst.start()
    assert inst.master_pid() not in (None, master)
    e = Echo(inst.addr, inst.port)
    assert e.ask("back") == "back"
    e.close()


def test_abort(make_instance):
    need_postern()
    inst, e, child = echo_session(make_instance)
    master = inst.master_pid()
    assert inst.postern(["abort"]).returncode == 0
    assert not _alive(master)
    wait_for(lambda: not _alive(child), 5, "child to die")
    e.close()


def test_maxproc_and_max_use(make_instance):
    inst = make_instance(master_cf="{addr}:{port} inet n - n - 2 echod -o max_use=2\n")
    inst.start(wait_banner=False)
    a = Echo(inst.addr, inst.port)
    b = Echo(inst.addr, inst.port)
    pids = {a.pid(), b.pid()}
    assert len(pids) == 2
    # A third client waits: both processes are busy and maxproc is 2.
    c = socket.create_connection((inst.addr, inst.port), timeout=0.5)
    with pytest.raises(socket.timeout):
        c.recv(100)
    a.close()
    # Once a is done, a process is free (or a's leaves at max_use and a new
    # one starts): c is served.
    c.settimeout(10)
    assert c.recv(100).startswith(b"220 echod")
    c.close()
    b.close()
    # Each process has now served max_use=2 clients or will after one more;
    # a fresh client is served by a new process eventually.
    d = Echo(inst.addr, inst.port)
    assert d.banner.startswith("220")
    d.close()


def test_wakeup(make_instance):
    inst = make_instance(master_cf=ECHO + "tick unix n - n 1 1 echod trigger\n"
                         "tock unix n - n 1? 1 echod trigger\n")
    inst.start()
    # The first wakeup is immediate, then one a second.
    inst.wait_log(r"echod: trigger tick \d+", count=3, timeout=10)
    # tock has no process, so its '?' wakeup never fires.
    assert "trigger tock" not in inst.log()


def test_privileges(make_instance):
    inst = make_instance(master_cf=ECHO)
    priv_port = free_port(inst.addr)
    inst.write_master_cf(ECHO + "%s:%d inet n n n - - echod\n" % (inst.addr, priv_port))
    inst.start()
    e = Echo(inst.addr, inst.port)
    uid = int(e.ask("uid"))
    e.close()
    e = Echo(inst.addr, priv_port)
    priv_uid = int(e.ask("uid"))
    e.close()
    if os.geteuid() == 0:
        assert uid == pwd.getpwnam("postern").pw_uid
        assert priv_uid == 0
    else:
        assert uid == os.getuid() and priv_uid == os.getuid()


def test_stop_takes_children(make_instance):
    inst = make_instance(master_cf=ECHO)
    inst.start()
    clients = [Echo(inst.addr, inst.port) for _ in range(3)]
    pids = [c.pid() for c in clients]
    master = inst.master_pid()
    inst.stop()
    assert not _alive(master)
    assert not any(_alive(p) for p in pids)
    for c in clients:
        c.close()


def test_standalone_mode(make_instance):
    """-S: a daemon serves stdin/stdout once, without a master."""
    inst = make_instance(master_cf=ECHO)
    os.makedirs(inst.queue_dir, exist_ok=True)
    r = inst.run([os.path.join(BIN, "echod"), "-S", "-n", "solo"],
                 input=b"hello\r\npid\r\nquit\r\n", timeout=20)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[0].startswith("220 echod solo ")
    assert lines[1] == "hello"
    assert lines[2] == lines[0].split()[-1]
    assert lines[3] == "221 bye"


@pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "smtpd")), reason="smtpd is not built")
def test_smtp_session_survives_reload_and_master_kill9(make_instance):
    inst = make_instance()
    inst.start()
    with inst.smtp() as s:
        assert s.ehlo()[0] == 250
        m = inst.log_mark()
        inst.reload()
        inst.wait_log(r"master\[\d+\]: reload", since=m)
        r = s.mail("a@localhost")
        assert r[0] == 250, (r, inst.log_tail())
        r = s.rcpt("root@localhost")
        assert r[0] == 250, (r, inst.log_tail())
        code, text = s.data(b"Subject: reload\r\n\r\nstill here\r\n")
        assert code == 250, text
    master = inst.master_pid()
    inst.kill9_all()
    assert not _alive(master)
    inst.start()
    with inst.smtp() as s:
        assert s.noop()[0] == 250


def test_master_service_disable(make_instance):
    """master_service_disable: "!name/type" keeps one inet service, "inet"
    takes every other inet entry out (no listener), as Postfix's list."""
    inst = make_instance(master_cf=ECHO)
    port2 = free_port(inst.addr)
    inst.write_master_cf(ECHO + "{addr}:%d inet n - n - - echod\n" % port2)
    with open(os.path.join(inst.config_dir, "main.cf"), "a") as f:
        f.write("master_service_disable = !%s:%d/INET, inet\n" % (inst.addr, inst.port))
    inst.start()
    assert Echo(inst.addr, inst.port).banner.startswith("220 echod")
    assert refused(inst.addr, port2)
    inst.wait_log(r"service %s:%d/inet disabled by master_service_disable"
                  % (inst.addr.replace(".", r"\."), port2))
