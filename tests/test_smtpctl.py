"""smtpctl and mailq against a live instance (issue 5).

Mail is routed (transport_maps) to a sink on a private loopback address that
is down at first, so it waits in deferred/ with a one-hour backoff: nothing
is retried unless a test makes it happen, and every verb's effect can be
checked on the queue, the log or the sink.
"""
import json
import os
import re
import signal
import socket
import subprocess
import time

import pytest

from harness import BIN, random_loopback, wait_for
from sink import Sink

SLOW = {"minimal_backoff_time": "1h", "maximal_backoff_time": "2h",
        "queue_run_delay": "1h", "smtp_connect_timeout": "2s"}

FIELDS = ["envelope_id", "family", "type", "flags", "sender", "orcpt", "dest",
          "created", "expires", "last_try", "attempts", "runstate", "delay",
          "last_error"]


def make(make_instance, down, extra=None, start=True):
    cf = dict(SLOW, transport_maps="inline:{ s.test=smtp:%s }" % down.nexthop)
    cf.update(extra or {})
    inst = make_instance(main_cf_extra=cf)
    if start:
        inst.start()
    return inst


def send(inst, rcpts, sender="me@s.test", subject="test", **kw):
    with inst.smtp() as s:
        s.sendmail(sender, rcpts, ("Subject: %s\r\n\r\nhello\r\n" % subject).encode(), **kw)


def deferred(inst, n):
    """Wait until n deferred log lines exist; the deferred message-ids."""
    inst.wait_log(r"status=deferred", count=n)
    wait_for(lambda: not inst.queue_files("active") and not inst.queue_files("incoming"),
             10, "queue to settle")
    return inst.queue_files("deferred")


def ctl(inst, *args, ok=True):
    r = inst.smtpctl(list(args), timeout=30)
    if ok:
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r


def stable(text):
    """show queue lines without the delay field, which ticks."""
    lines = [l.split("|", 13) for l in text.decode().splitlines() if l]
    return sorted("|".join(f[:12] + f[13:]) for f in lines)


def queue_lines(inst, *pre):
    out = ctl(inst, *pre, "show", "queue").stdout.decode()
    return [dict(zip(FIELDS, line.split("|", 13))) for line in out.splitlines() if line]


def test_show_queue_fields_and_mailq(make_instance, down):
    inst = make(make_instance, down)
    t0 = int(time.time())
    with inst.smtp() as s:
        s.ehlo()
        s.mail("me@s.test")
        s.rcpt("a@s.test", ["NOTIFY=FAILURE", "ORCPT=rfc822;orig-a@s.test"])
        s.rcpt("b@s.test")
        s.data(b"Subject: fields\r\n\r\nhello\r\n")
    (msgid,) = deferred(inst, 2)
    lines = queue_lines(inst)
    assert len(lines) == 2
    by_dest = {e["dest"]: e for e in lines}
    assert set(by_dest) == {"a@s.test", "b@s.test"}
    assert by_dest["a@s.test"]["orcpt"] == "orig-a@s.test"
    assert by_dest["b@s.test"]["orcpt"] == "b@s.test"
    for e in lines:
        assert re.fullmatch(r"[0-9a-f]{16}", e["envelope_id"])
        assert e["envelope_id"].startswith(msgid)
        assert e["family"] == "inet4" and e["type"] == "mta" and e["flags"] == ""
        assert e["sender"] == "me@s.test"
        created = int(e["created"])
        assert t0 - 2 <= created <= time.time() + 1
        assert int(e["expires"]) == created + 5 * 86400
        assert int(e["last_try"]) >= created
        assert e["attempts"] == "1"
        assert e["runstate"] == "pending"
        assert 3000 < int(e["delay"]) <= 3600
        assert "4.4.1" in e["last_error"] or "refused" in e["last_error"]
    # mailq is the same verb; -j gives one JSON object per envelope.
    mq = inst.run([os.path.join(BIN, "mailq")])
    assert mq.returncode == 0
    assert stable(mq.stdout) == stable(ctl(inst, "show", "queue").stdout)
    objs = [json.loads(x) for x in ctl(inst, "show", "queue", "-j").stdout.decode().splitlines()]
    assert len(objs) == 2
    assert {o["rcpt"] for o in objs} == {"a@s.test", "b@s.test"}
    assert all(o["message_id"] == msgid and isinstance(o["created"], int) for o in objs)
    # show envelope and show message.
    env = by_dest["a@s.test"]["envelope_id"]
    out = ctl(inst, "show", "envelope", env).stdout.decode()
    assert "rcpt: a@s.test" in out and "b@s.test" not in out
    msg = ctl(inst, "show", "message", env).stdout
    assert b"Subject: fields\n" in msg and msg.endswith(b"hello\n")
    assert ctl(inst, "show", "envelope", "0123456789abcdef", ok=False).returncode != 0


def test_prefix_abbreviation_and_errors(make_instance, down):
    inst = make(make_instance, down)
    send(inst, ["a@s.test"])
    deferred(inst, 1)
    full = stable(ctl(inst, "show", "queue").stdout)
    assert len(full) == 1 and stable(ctl(inst, "sh", "q").stdout) == full
    assert ctl(inst, "sh", "ro").returncode == 0
    r = ctl(inst, "s", "q", ok=False)
    assert r.returncode != 0
    err = r.stderr.decode()
    assert "ambiguous" in err and "schedule" in err and "show" in err and "spf" in err
    r = ctl(inst, "show", "st", ok=False)
    assert r.returncode != 0 and "stats" in r.stderr.decode() and "status" in r.stderr.decode()
    r = ctl(inst, "frobnicate", ok=False)
    assert r.returncode != 0 and "unknown" in r.stderr.decode()
    r = ctl(inst, "pause", ok=False)
    assert r.returncode != 0 and "envelope" in r.stderr.decode()
    assert "show queue" in ctl(inst, "help").stdout.decode()
    assert ctl(inst, "remove", "nothex", ok=False).returncode != 0


def test_schedule_delivers_at_once(make_instance, down):
    inst = make(make_instance, down)
    send(inst, ["a@s.test"], subject="one")
    send(inst, ["b@s.test"], subject="two")
    ids = deferred(inst, 2)
    sink = down.up()
    ctl(inst, "schedule", ids[0])
    sink.wait_for(1, timeout=15)
    wait_for(lambda: ids[0] not in inst.queue_files("deferred"), 10, "first gone")
    assert ids[1] in inst.queue_files("deferred")
    ctl(inst, "schedule", "all")
    sink.wait_for(2, timeout=15)
    wait_for(lambda: not inst.queue_files("deferred"), 10, "queue empty")


def test_remove_means_never_delivered(make_instance, down):
    inst = make(make_instance, down)
    send(inst, ["a@s.test", "b@s.test"], subject="keep-b")
    send(inst, ["c@s.test"], subject="gone")
    deferred(inst, 3)
    lines = queue_lines(inst)
    env_a = [e for e in lines if e["dest"] == "a@s.test"][0]["envelope_id"]
    msg_c = [e for e in lines if e["dest"] == "c@s.test"][0]["envelope_id"][:8]
    assert "1 envelope removed" in ctl(inst, "remove", env_a).stdout.decode()
    ctl(inst, "remove", msg_c)
    inst.wait_log(r"envelope %s removed" % env_a)
    inst.wait_log(r"%s: removed" % msg_c)
    assert msg_c not in inst.queue_files("deferred")
    assert [e["dest"] for e in queue_lines(inst)] == ["b@s.test"]
    sink = down.up()
    ctl(inst, "schedule", "all")
    msgs = sink.wait_for(1, timeout=15)
    wait_for(lambda: not inst.queue_files("deferred"), 10, "queue empty")
    assert len(sink.messages) == 1
    assert [r.strip("<>") for r in msgs[0].rcpts] == ["b@s.test"]


def test_pause_resume_envelope(make_instance, down):
    inst = make(make_instance, down)
    send(inst, ["a@s.test"], subject="held")
    send(inst, ["b@s.test"], subject="free")
    ids = deferred(inst, 2)
    held = [e for e in queue_lines(inst) if e["dest"] == "a@s.test"][0]["envelope_id"]
    ctl(inst, "pause", "envelope", held)
    assert [e["flags"] for e in queue_lines(inst) if e["dest"] == "a@s.test"] == ["held"]
    sink = down.up()
    ctl(inst, "schedule", "all")
    sink.wait_for(1, timeout=15)
    wait_for(lambda: len(inst.queue_files("deferred")) == 1, 10, "one left")
    assert len(sink.messages) == 1 and b"Subject: free" in sink.messages[0].data
    assert held[:8] in ids
    ctl(inst, "resume", "envelope", held)
    sink.wait_for(2, timeout=15)
    assert b"Subject: held" in sink.messages[1].data


def test_pause_resume_mta_and_status(make_instance, down):
    inst = make(make_instance, down)
    assert ctl(inst, "show", "status").stdout.decode().split("\n")[:3] == \
        ["MDA running", "MTA running", "SMTP running"]
    ctl(inst, "pause", "mta")
    assert "MTA paused" in ctl(inst, "show", "status").stdout.decode()
    sink = down.up()
    send(inst, ["a@s.test"])
    wait_for(lambda: any(e["runstate"] == "pending" for e in queue_lines(inst)), 10, "queued")
    ctl(inst, "schedule", "all")
    with pytest.raises(TimeoutError):
        sink.wait_for(1, timeout=2)
    ctl(inst, "resume", "mta")
    sink.wait_for(1, timeout=15)
    assert "MTA running" in ctl(inst, "show", "status").stdout.decode()


def test_pause_resume_smtp(make_instance, down):
    inst = make(make_instance, down)
    ctl(inst, "pause", "smtp")
    assert "SMTP paused" in ctl(inst, "show", "status").stdout.decode()
    with socket.create_connection((inst.addr, inst.port), timeout=10) as s:
        assert s.recv(512).startswith(b"421")
    ctl(inst, "resume", "smtp")
    inst.wait_port()
    assert json.loads(ctl(inst, "-j", "show", "status").stdout)["smtp"] == "running"


def test_runstate_inflight_during_slow_delivery(make_instance, down):
    inst = make(make_instance, down)
    sink = down.up(message_delay=4)
    send(inst, ["slow@s.test"])

    def inflight():
        return [e for e in queue_lines(inst) if e["runstate"] == "inflight"]
    (e,) = wait_for(inflight, 10, "an inflight envelope")
    assert e["dest"] == "slow@s.test" and 0 <= int(e["delay"]) <= 5
    sink.wait_for(1, timeout=15)
    wait_for(lambda: not queue_lines(inst), 10, "queue empty")


def test_monitor_counts_messages(make_instance, down):
    inst = make(make_instance, down)
    sink = down.up()
    proc = subprocess.Popen([os.path.join(BIN, "smtpctl"), "monitor"], env=inst.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        header = [proc.stdout.readline().decode(), proc.stdout.readline().decode()]
        assert "envelope" in header[0] and "ok" in header[1].split()
        cols = header[1].split()
        first = proc.stdout.readline().decode().split()
        assert len(first) == len(cols)
        for i in range(3):
            send(inst, ["m%d@s.test" % i])
        sink.wait_for(3, timeout=15)
        ok = enq = conn = disc = 0
        deadline = time.monotonic() + 10
        while (ok < 3 or disc < 3) and time.monotonic() < deadline:
            line = proc.stdout.readline().decode().split()
            ok += int(line[cols.index("ok")])
            enq += int(line[cols.index("enq")])
            conn += int(line[cols.index("conn")])
            disc += int(line[cols.index("disc")])
        assert ok == 3 and enq == 3
        # One SMTP session per message, counted by smtpd.
        assert conn == 3 and disc == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def test_update_table_changes_routing(make_instance, down, tmp_path):
    other = Sink(host=random_loopback()).start()
    try:
        table = tmp_path / "transport"
        table.write_text("s.test smtp:%s\n" % down.nexthop)
        inst = make(make_instance, down, {"transport_maps": "texthash:%s" % table})
        send(inst, ["a@s.test"])
        deferred(inst, 1)
        table.write_text("s.test smtp:%s\n" % other.nexthop)
        assert ctl(inst, "update", "table", "texthash:%s" % table).returncode == 0
        ctl(inst, "schedule", "all")
        other.wait_for(1, timeout=15)
    finally:
        other.stop()


def test_log_trace_profile(make_instance, down):
    inst = make(make_instance, down)
    mark = inst.log_mark()
    ctl(inst, "log", "verbose")
    inst.wait_log(r"qmgr\[\d+\]: log verbose", since=mark)
    ctl(inst, "log", "brief")
    ctl(inst, "trace", "mta")
    with open(os.path.join(inst.queue_dir, "pid", "trace")) as f:
        assert f.read().split() == ["mta"]
    ctl(inst, "untrace", "mta")
    assert not os.path.exists(os.path.join(inst.queue_dir, "pid", "trace"))
    ctl(inst, "profile", "queue")
    send(inst, ["a@s.test"])
    inst.wait_log(r"profile: queue load \w{8} [\d.]+ ms", since=mark)
    ctl(inst, "unprofile", "queue")
    assert ctl(inst, "trace", "nonsense", ok=False).returncode != 0



def test_trace_mta_logs_outgoing_dialogue(make_instance, down):
    """trace mta turns on the smtp client's dialogue log at run time (a
    daemon rereads pid/trace at most once a second: retry the delivery
    until it notices), untrace turns it off again."""
    inst = make(make_instance, down)
    down.up(rcpt_reply="450 4.2.0 try later")
    send(inst, ["a@s.test"])
    deferred(inst, 1)

    def attempt(traced):
        for _ in range(20):
            mark = inst.log_mark()
            ctl(inst, "schedule", "all")
            inst.wait_log(r"status=deferred", since=mark)
            dialogue = re.search(r"smtp\[\d+\]: > \S+: RCPT TO:<a@s\.test>",
                                 inst.log(mark))
            if bool(dialogue) == traced:
                return True
            time.sleep(0.2)
        return False
    assert not re.search(r"smtp\[\d+\]: > ", inst.log())
    ctl(inst, "trace", "mta")
    assert attempt(True), inst.log_tail()
    ctl(inst, "untrace", "mta")
    assert attempt(False), inst.log_tail()

def test_offline_mode(make_instance, down):
    inst = make(make_instance, down)
    send(inst, ["a@s.test", "b@s.test"], subject="two")
    send(inst, ["c@s.test"], subject="gone")
    deferred(inst, 3)
    inst.stop()
    lines = queue_lines(inst)
    assert len(lines) == 3
    assert all(e["runstate"] == "offline" and e["delay"] == "" for e in lines)
    by = {e["dest"]: e["envelope_id"] for e in lines}
    assert b"Subject: gone" in ctl(inst, "show", "message", by["c@s.test"]).stdout
    ctl(inst, "remove", by["c@s.test"][:8])
    ctl(inst, "pause", "envelope", by["a@s.test"])
    assert {e["dest"]: e["flags"] for e in queue_lines(inst)} == {"a@s.test": "held", "b@s.test": ""}
    r = ctl(inst, "pause", "mta", ok=False)
    assert r.returncode == 1 and "not running" in r.stderr.decode()
    assert ctl(inst, "show", "stats", ok=False).returncode == 1
    sink = down.up()
    inst.start()
    ctl(inst, "schedule", "all")
    msgs = sink.wait_for(1, timeout=15)
    assert [r.strip("<>") for r in msgs[0].rcpts] == ["b@s.test"]
    ctl(inst, "resume", "envelope", by["a@s.test"])
    sink.wait_for(2, timeout=15)
    assert len(sink.messages) == 2
    wait_for(lambda: not queue_lines(inst), 10, "queue empty")


def test_encrypt(make_instance, down):
    inst = make(make_instance, down, start=False)
    h = ctl(inst, "encrypt", "secret").stdout.decode().strip()
    assert re.fullmatch(r"\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}", h)
    out = inst.smtpctl(["encrypt"], input="one\ntwo\n").stdout.decode().split()
    assert len(out) == 2 and out[0] != out[1] and all(x.startswith("$6$") for x in out)
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import crypt
        assert crypt.crypt("secret", h) == h
    except ImportError:
        pass


def test_spf_walk(make_instance, down):
    from dnsserver import DNSServer
    zone = {
        "a.test": {"TXT": ["v=spf1 ip4:192.0.2.0/24 include:b.test a mx -all", "other"],
                   "A": ["198.51.100.1"], "MX": [(10, "mx.a.test")]},
        "mx.a.test": {"A": ["198.51.100.2"], "AAAA": ["2001:db8::2"]},
        "b.test": {"TXT": ["v=spf1 ip6:2001:db8::/32 redirect=c.test"]},
        "c.test": {"TXT": ["v=spf1 a:host.c.test/28 ~all"]},
        "host.c.test": {"A": ["203.0.113.7"]},
    }
    with DNSServer(zone) as dns:
        inst = make(make_instance, down, {"dns_resolver_address": dns.spec}, start=False)
        r = inst.smtpctl(["spf", "walk"], input="a.test\n")
        assert r.returncode == 0, r.stderr
        assert sorted(r.stdout.decode().split()) == sorted([
            "192.0.2.0/24", "2001:db8::/32", "203.0.113.7/28", "198.51.100.1",
            "198.51.100.2", "2001:db8::2"])


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run as another user")
def test_unprivileged_access(make_instance, down):
    inst = make(make_instance, down, {"authorized_mailq_users": "root"})
    import pwd
    nobody = pwd.getpwnam("nobody")

    def as_nobody(*args):
        return subprocess.run([os.path.join(BIN, "smtpctl")] + list(args), env=inst.env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                              preexec_fn=lambda: (os.setgroups([]), os.setgid(nobody.pw_gid),
                                                  os.setuid(nobody.pw_uid)))
    r = as_nobody("pause", "mta")
    assert r.returncode == 1 and b"permission denied" in r.stderr
    r = as_nobody("show", "queue")
    assert r.returncode == 1 and b"permission denied" in r.stderr
    assert "MTA running" in ctl(inst, "show", "status").stdout.decode()


def test_discover(make_instance, down):
    inst = make(make_instance, down)
    send(inst, ["a@s.test"])
    (msgid,) = deferred(inst, 1)
    path = os.path.join(inst.queue_dir, "deferred", msgid)
    with open(path, "rb") as f:
        data = f.read()
    st = os.stat(path)
    os.unlink(path)
    assert queue_lines(inst) == []
    # Placed by hand, with a next-attempt time far ahead.
    with open(path, "wb") as f:
        f.write(data)
    os.chown(path, st.st_uid, st.st_gid)
    os.chmod(path, st.st_mode & 0o7777)
    os.utime(path, (time.time() + 7200, time.time() + 7200))
    sink = down.up()
    assert ctl(inst, "discover", msgid).returncode == 0
    sink.wait_for(1, timeout=15)
    # Offline: a file that does not parse goes to corrupt/.
    inst.stop()
    bad = "0badf00d"
    with open(os.path.join(inst.queue_dir, "deferred", bad), "wb") as f:
        f.write(b"garbage\n")
    r = ctl(inst, "discover", bad)
    assert bad in inst.queue_files("corrupt") and "0 messages" in r.stdout.decode()


def test_show_routes_hosts_stats_and_resume_route(make_instance, down):
    up = Sink(host=random_loopback()).start()
    try:
        inst = make(make_instance, down, {"transport_maps": "inline:{ s.test=smtp:%s, "
                                          "ok.test=smtp:%s }" % (down.nexthop, up.nexthop)})
        send(inst, ["a@ok.test"], sender="me@ok.test")
        up.wait_for(1, timeout=15)
        send(inst, ["b@s.test"])
        deferred(inst, 1)
        stats = dict(l.split("=", 1) for l in ctl(inst, "show", "stats").stdout.decode().split())
        assert stats["scheduler.delivery.ok"] == "1"
        assert int(stats["scheduler.delivery.tempfail"]) >= 1
        assert stats["queue.envelope.received"] == "2"
        hs = ctl(inst, "show", "hoststats").stdout.decode().splitlines()
        ok = [l.split("|") for l in hs if l.startswith("ok.test|")]
        assert ok and ok[0][2].startswith("250") and abs(int(ok[0][1]) - time.time()) < 60
        hosts = ctl(inst, "show", "hosts").stdout.decode()
        # smtpctl(8): address, name, reference count, active connections,
        # time since the last connection.
        assert re.search(r"^%s \S+ port=%d refcount=\d+ nconn=0 ok=1 fail=0 lastconn=\d+s$" % (
            re.escape(up.host), up.port), hosts, re.M), hosts
        routes = ctl(inst, "show", "routes").stdout.decode()
        # The source address (any: "[]"), not the transport; Q: a timer
        # is registered to reactivate the disabled route.
        m = re.search(r"^(\d+)\. \[\] <-> %s D-Q nconn=0 penalty=(\d+) timeout=(\d+)s$"
                      % re.escape(down.nexthop), routes, re.M)
        assert m and int(m.group(2)) >= 1 and 0 < int(m.group(3)) <= 3600, routes
        relays = ctl(inst, "show", "relays").stdout.decode()
        assert "relay smtp:%s" % down.nexthop in relays
        assert re.search(r"^\d+\. relay smtp:%s .*\n\tconnector \[\] -> %s nconn=0$"
                         % (re.escape(down.nexthop), re.escape(down.nexthop)), relays, re.M), relays
        ctl(inst, "resume", "route", m.group(1))
        routes = ctl(inst, "show", "routes").stdout.decode()
        assert not re.search(r"^%s\. \S+ <-> \S+ D" % m.group(1), routes, re.M), routes
        assert ctl(inst, "resume", "route", "99999", ok=False).returncode == 1
    finally:
        up.stop()


# ---- issue 13 #4 -------------------------------------------------------------

def test_schedule_one_envelope(make_instance, down):
    """schedule ENVELOPE-ID retries that envelope, not the whole message."""
    inst = make(make_instance, down)
    send(inst, ["a@s.test", "b@s.test"])
    (msgid,) = deferred(inst, 2)
    lines = queue_lines(inst)
    env_a = [l for l in lines if l["orcpt"] == "a@s.test"][0]["envelope_id"]
    sink = down.up()
    mark = inst.log_mark()
    assert "1 message scheduled" in ctl(inst, "schedule", env_a).stdout.decode()
    sink.wait_for(1, timeout=15)
    inst.wait_log(r"%s: to=<a@s\.test>.*status=sent" % msgid, since=mark, timeout=15)
    wait_for(lambda: msgid in inst.queue_files("deferred"), 10, "back in deferred")
    assert [m.rcpts for m in sink.messages] == [["a@s.test"]]
    assert "to=<b@s.test>" not in inst.log(since=mark)
    assert [l["orcpt"] for l in queue_lines(inst)] == ["b@s.test"]


def test_discover_envelope_id_and_hold(make_instance, down):
    """discover accepts an envelope-id (help offers it), and takes in a
    file placed by hand in hold/ while the system runs."""
    inst = make(make_instance, down)
    send(inst, ["a@s.test"])
    (msgid,) = deferred(inst, 1)
    envid = queue_lines(inst)[0]["envelope_id"]
    src = os.path.join(inst.queue_dir, "deferred", msgid)
    dst = os.path.join(inst.queue_dir, "hold", msgid)
    st = os.stat(src)
    with open(src, "rb") as f:
        data = f.read()
    os.unlink(src)
    with open(dst, "wb") as f:
        f.write(data)
    os.chown(dst, st.st_uid, st.st_gid)
    os.chmod(dst, st.st_mode & 0o7777)
    sink = down.up()
    r = ctl(inst, "discover", envid)
    assert "1 message discovered" in r.stdout.decode(), r
    sink.wait_for(1, timeout=15)
    wait_for(lambda: not inst.queue_files("hold") and not inst.queue_files("deferred"),
             10, "queue empty")


def test_stats_and_monitor_count_deferred_envelopes(make_instance, down):
    """monitor and show stats count deferred envelopes as current, also
    those deferred before a restart."""
    inst = make(make_instance, down)
    send(inst, ["a@s.test", "b@s.test"])
    send(inst, ["c@s.test"])
    deferred(inst, 3)

    def current():
        stats = dict(l.split("=", 1) for l in ctl(inst, "show", "stats").stdout.decode().split())
        return int(stats["scheduler.envelope"])
    assert current() == 3
    proc = subprocess.Popen([os.path.join(BIN, "smtpctl"), "monitor"], env=inst.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        proc.stdout.readline()
        cols = proc.stdout.readline().decode().split()
        first = proc.stdout.readline().decode().split()
        assert int(first[cols.index("curr", 1)]) == 3, (cols, first)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
    inst.stop()
    inst.start()
    assert current() == 3


def test_show_message_json(make_instance, down):
    """-j show message gives JSON: headers and body as strings."""
    import json
    inst = make(make_instance, down)
    with inst.smtp() as s:
        s.sendmail("me@s.test", ["a@s.test"],
                   "Subject: caf\u00e9\r\nX-Q: \"quoted\"\r\n\r\nline 1\r\n\tline 2\r\n".encode())
    (msgid,) = deferred(inst, 1)
    for args in (["-j", "show", "message", msgid], ["show", "message", msgid, "-j"]):
        r = ctl(inst, *args)
        doc = json.loads(r.stdout.decode())
        assert doc["message_id"] == msgid and doc["queue"] == "deferred"
        assert "Subject: caf\u00e9\n" in doc["headers"] and 'X-Q: "quoted"\n' in doc["headers"]
        assert doc["headers"].endswith("\n") and "\n\n" not in doc["headers"]
        assert doc["body"] == "line 1\n\tline 2\n"
    raw = ctl(inst, "show", "message", msgid).stdout
    assert raw.endswith(b"\n\nline 1\n\tline 2\n")


def test_show_hosts_refcount_and_active_connections(make_instance, down):
    """show hosts: a host's routes (reference count) and the deliveries in
    flight to it (active connections), as smtpctl(8) lists them."""
    inst = make(make_instance, down, {"smtp_bind_address": "127.0.0.1"})
    sink = down.up()
    send(inst, ["a@s.test"])
    sink.wait_for(1, timeout=15)
    inst.wait_log(r"to=<a@s\.test>.*status=sent", timeout=15)
    sink.message_delay = 4
    send(inst, ["b@s.test"])
    host = r"^%s \S+ port=%d " % (re.escape(down.addr), down.port)

    def busy():
        out = ctl(inst, "show", "hosts").stdout.decode()
        return re.search(host + r"refcount=1 nconn=1 ok=1 fail=0 lastconn=\d+s$", out, re.M)
    wait_for(busy, 10, "a delivery in flight in show hosts")
    routes = ctl(inst, "show", "routes").stdout.decode()
    # The source address is the one connected from (smtp_bind_address).
    assert re.search(r"^\d+\. \[127\.0\.0\.1\] <-> %s --- nconn=1 " % re.escape(down.nexthop),
                     routes, re.M), routes
    relays = ctl(inst, "show", "relays").stdout.decode()
    assert "\tconnector [127.0.0.1] -> %s nconn=1" % down.nexthop in relays, relays
    sink.wait_for(2, timeout=15)


def test_log_verbose_and_trace_scheduler_show_decisions(make_instance, down):
    """log verbose and trace scheduler add the scheduling decisions to the
    log; log brief / untrace take them away."""
    inst = make(make_instance, down)
    sink = down.up()
    decision = r"qmgr\[\d+\]: scheduler: (\w{8}): 1 recipient to smtp:%s \(route \d+, " \
        % re.escape(down.nexthop)
    send(inst, ["a@s.test"])
    sink.wait_for(1, timeout=15)
    assert "scheduler:" not in inst.log()
    for on, off in ((["log", "verbose"], ["log", "brief"]),
                    (["trace", "scheduler"], ["untrace", "scheduler"])):
        ctl(inst, *on)
        mark = inst.log_mark()
        send(inst, ["b@s.test"])
        inst.wait_log(decision, since=mark, timeout=15)
        ctl(inst, *off)
        mark = inst.log_mark()
        send(inst, ["c@s.test"])
        inst.wait_log(r"to=<c@s\.test>.*status=sent", since=mark, timeout=15)
        assert "scheduler:" not in inst.log(since=mark)


def _until_logged(inst, action, regex, tries=20):
    """Daemons reread pid/trace at most once a second: retry."""
    for _ in range(tries):
        mark = inst.log_mark()
        action()
        time.sleep(0.3)
        if re.search(regex, inst.log(since=mark)):
            return True
        time.sleep(0.3)
    return False


def test_trace_expand_lookup_bounce(make_instance, down, tmp_path):
    """trace expand, lookup and bounce add the alias expansion, table
    lookup and bounce generation lines their names promise."""
    from test_local import aliases, rcpt_user
    inst = make(make_instance, down, start=False)
    inst.main_cf_extra.update({"alias_maps": aliases(inst, "team %s\n" % rcpt_user()),
                               "notify_classes": "bounce"})
    inst.write_main_cf()
    inst.start()
    down.up(rcpt_reply="550 5.1.1 no such user")
    ctl(inst, "trace", "expand")
    ctl(inst, "trace", "lookup")
    ctl(inst, "trace", "bounce")
    assert _until_logged(inst, lambda: send(inst, ["team@localhost"]),
                         r"local\[\d+\]: expand: \w{8}: alias team -> %s" % re.escape(rcpt_user())), \
        inst.log_tail()
    # Values are not logged (tables may hold passwords): only their size.
    assert re.search(r"local\[\d+\]: lookup: table hash:\S+aliases key \"team\": found \(%d bytes\)"
                     % len(rcpt_user()), inst.log()), inst.log_tail()
    # The qmgr's own lookups (transport_maps).
    qmgr_lookup = r"qmgr\[\d+\]: lookup: table inline:\{[^}]*\} key \"s\.test\": found \(\d+ bytes\)"
    assert _until_logged(inst, lambda: send(inst, ["x@s.test"]), qmgr_lookup), inst.log_tail()
    assert _until_logged(inst, lambda: send(inst, ["nobody@s.test"]),
                         r"bounce\[\d+\]: bounce: \w{8}: composing non-delivery notice to "
                         r"<me@s\.test> \(sender\)"), inst.log_tail()
    for sub in ("expand", "lookup", "bounce"):
        ctl(inst, "untrace", sub)
