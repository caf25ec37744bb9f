"""One client must not starve the others: the per-client connection limit
under a flood of idle connections, and the master's stress mode (a service
at its process limit shortens ${stress?...} timeouts, also in the smtpd
processes already waiting), shown by smtpctl show status."""
import json
import re
import socket
import threading
import time

from harness import random_loopback, wait_for
from test_smtpd_lib import Client


def sources(inst, n):
    """n distinct loopback addresses, none the instance's own."""
    out = set()
    while len(out) < n:
        a = random_loopback()
        if a != inst.addr:
            out.add(a)
    return sorted(out)


def start(make_instance, maxproc="-", **main_cf):
    extra = {"smtpd_peername_lookup": "no"}
    extra.update(main_cf)
    inst = make_instance(main_cf_extra=extra)
    text = inst.default_master_cf().replace("inet n - n - - smtpd",
                                            "inet n - n - %s smtpd" % maxproc)
    inst.master_cf_text = text
    inst.write_master_cf()
    inst.start()
    return inst


def greeting_time(inst, source, timeout=30):
    """Seconds from connect to the 220 greeting (a whole session)."""
    t0 = time.monotonic()
    c = Client(inst, source=source, timeout=timeout)
    elapsed = time.monotonic() - t0
    assert c.banner[0] == 220, c.banner
    c.cmd("QUIT")
    return elapsed


def status(inst):
    r = inst.smtpctl(["show", "status"])
    assert r.returncode == 0, r.stderr
    return r.stdout.decode()


def test_stress_shortens_waiting_sessions(make_instance):
    inst = start(make_instance, maxproc="3",
                 smtpd_timeout="${stress?{2}:{300}}s")
    assert "STRESS no" in status(inst)
    srcs = sources(inst, 4)
    mark = inst.log_mark()
    held = [Client(inst, source=s, timeout=30) for s in srcs[:3]]
    assert [c.banner[0] for c in held] == [220] * 3
    inst.wait_log(r'warning: service "%s:%d" \(\S+\) has reached its process '
                  r'limit "3": new clients may experience noticeable delays'
                  % (re.escape(inst.addr), inst.port), since=mark)
    text = status(inst)
    assert "STRESS yes" in text, text
    st = json.loads(inst.smtpctl(["-j", "show", "status"]).stdout)
    assert st["stress"] == "yes" and st["stress_services"]
    # The sessions that were waiting 300 s for a command now end after the
    # stress timeout, and a new client is served within seconds.
    assert greeting_time(inst, srcs[3]) < 8
    for c in held:
        code, text = c.reply()
        assert (code, text) == (421, "421 4.4.2 localhost Error: timeout exceeded")
    inst.wait_log(r"timeout after CONNECT from unknown\[%s\]" % re.escape(srcs[0]),
                  since=mark)
    # With room again, the stress is over after a while.
    inst.wait_log(r'service "%s:%d" \(\S+\): stress is over'
                  % (re.escape(inst.addr), inst.port), timeout=30, since=mark)
    assert "STRESS no" in status(inst)


def test_new_processes_start_with_stress(make_instance):
    inst = start(make_instance, maxproc="2",
                 smtpd_timeout="${stress?{3}:{300}}s")
    srcs = sources(inst, 3)
    held = [Client(inst, source=s, timeout=30) for s in srcs[:2]]
    wait_for(lambda: "STRESS yes" in status(inst), 10, "stress")
    # A process started now (after the timeouts free room) gets -o stress=yes:
    # an idle client of it is dropped after 3 s, not 300.
    for c in held:
        assert c.reply()[0] == 421
    c = Client(inst, source=srcs[2], timeout=30)
    assert c.banner[0] == 220
    t0 = time.monotonic()
    assert c.reply()[0] == 421
    assert time.monotonic() - t0 < 10


def flood(inst, source, n, conns, stop):
    for _ in range(n):
        if stop.is_set():
            return
        try:
            s = socket.create_connection((inst.addr, inst.port), timeout=30,
                                         source_address=(source, 0))
        except OSError:
            continue
        conns.append(s)


def test_flood_from_one_address_does_not_starve_others(make_instance):
    inst = start(make_instance, smtpd_client_event_limit_exceptions="")
    bad, good = sources(inst, 2)
    conns, stop = [], threading.Event()
    t = threading.Thread(target=flood, args=(inst, bad, 300, conns, stop))
    t.start()
    worst = 0.0
    try:
        deadline = time.monotonic() + 20
        while t.is_alive() and time.monotonic() < deadline:
            worst = max(worst, greeting_time(inst, good))
        t.join(30)
        assert len(conns) == 300
        # All 300 are connected now (50 held, the rest told to go away):
        # another client is still greeted at once, again and again.
        for _ in range(10):
            worst = max(worst, greeting_time(inst, good))
        assert worst < 3, "greeting took %.1fs during the flood" % worst
        inst.wait_log(r"warning: Connection concurrency limit exceeded: 51 from "
                      r"unknown\[%s\] for service" % re.escape(bad))
        # Count the flood's greetings: at most the limit got 220.
        greeted = refused = 0
        for s in conns:
            s.settimeout(10)
            data = s.recv(512)
            if data.startswith(b"220"):
                greeted += 1
            elif data.startswith(b"421 4.7.0 localhost Error: too many connections"):
                refused += 1
        assert greeted == 50 and refused == 250, (greeted, refused)
    finally:
        stop.set()
        t.join(30)
        for s in conns:
            s.close()
