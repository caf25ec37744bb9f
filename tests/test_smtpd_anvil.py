"""smtpd client limits (Postfix's anvil): connection count and rate, message,
recipient and new-TLS-session rates, exceptions, statistics, recovery after
an smtpd is killed, and smtpctl show clients."""
import json
import os
import re
import signal

from harness import other_loopback, wait_for
from test_smtpd_lib import Client, smtpd_instance

NO_EXCEPTIONS = {"smtpd_client_event_limit_exceptions": ""}


def test_connection_count_limit(make_instance):
    inst = smtpd_instance(make_instance, smtpd_client_connection_count_limit="3",
                          **NO_EXCEPTIONS)
    src = other_loopback(inst.addr)
    held = [Client(inst, source=src) for _ in range(3)]
    for c in held:
        assert c.banner[0] == 220
    over = Client(inst, source=src)
    assert over.banner[0] == 421
    assert over.banner[1] == ("421 4.7.0 localhost Error: too many connections "
                              "from %s" % src)
    assert over.closed()
    inst.wait_log(r"warning: Connection concurrency limit exceeded: 4 from "
                  r"unknown\[%s\] for service \S+" % re.escape(src))
    # Another client is not affected.
    other = Client(inst, source=other_loopback(inst.addr))
    assert other.banner[0] == 220
    other.cmd("QUIT")
    # A client that leaves frees its place.
    held.pop().cmd("QUIT")
    wait_for(lambda: Client(inst, source=src).banner[0] == 220, 10,
             "a place to become free")
    for c in held:
        c.cmd("QUIT")


def test_count_correct_after_smtpd_killed(make_instance):
    inst = smtpd_instance(make_instance, smtpd_client_connection_count_limit="2",
                          **NO_EXCEPTIONS)
    src = other_loopback(inst.addr)
    held = [Client(inst, source=src) for _ in range(2)]
    assert Client(inst, source=src).banner[0] == 421
    # Kill -9 every smtpd: the two sessions end without a goodbye.
    for pid in inst.program_pids("smtpd"):
        os.kill(pid, signal.SIGKILL)
    for c in held:
        assert c.closed()
    # The dead do not count: two new sessions fit again.
    again = [Client(inst, source=src) for _ in range(2)]
    assert [c.banner[0] for c in again] == [220, 220]
    assert Client(inst, source=src).banner[0] == 421
    for c in again:
        c.cmd("QUIT")


def test_connection_rate_limit(make_instance):
    inst = smtpd_instance(make_instance, smtpd_client_connection_rate_limit="2",
                          smtpd_client_connection_count_limit="0", **NO_EXCEPTIONS)
    src = other_loopback(inst.addr)
    for _ in range(2):
        c = Client(inst, source=src)
        assert c.banner[0] == 220
        c.cmd("QUIT")
    c = Client(inst, source=src)
    assert c.banner[1] == ("421 4.7.0 localhost Error: too many connections "
                           "from %s" % src)
    inst.wait_log(r"warning: Connection rate limit exceeded: 3 from "
                  r"unknown\[%s\] for service \S+" % re.escape(src))
    assert Client(inst, source=other_loopback(inst.addr)).banner[0] == 220


def test_message_and_recipient_rate_limits(make_instance):
    inst = smtpd_instance(make_instance, smtpd_client_message_rate_limit="1",
                          smtpd_client_recipient_rate_limit="2",
                          mydestination="localhost", **NO_EXCEPTIONS)
    src = other_loopback(inst.addr)
    c = Client(inst, source=src)
    c.cmd("EHLO x.example")
    assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
    assert c.cmd("RCPT TO:<postmaster@localhost>")[0] == 250
    assert c.cmd("RCPT TO:<postmaster@localhost>")[0] == 250
    code, text = c.cmd("RCPT TO:<postmaster@localhost>")
    assert (code, text) == (450, "450 4.7.1 Error: too many recipients from %s" % src)
    inst.wait_log(r"warning: Recipient address rate limit exceeded: 3 from "
                  r"unknown\[%s\] for service" % re.escape(src))
    c.cmd("RSET")
    code, text = c.cmd("MAIL FROM:<a@example.com>")
    assert (code, text) == (450, "450 4.7.1 Error: too much mail from %s" % src)
    inst.wait_log(r"warning: Message delivery request rate limit exceeded: 2 "
                  r"from unknown\[%s\] for service" % re.escape(src))
    c.cmd("QUIT")
    # The rates are shared: a new session of the same client is still over.
    c = Client(inst, source=src)
    c.cmd("EHLO x.example")
    assert c.cmd("MAIL FROM:<a@example.com>")[0] == 450
    c.cmd("QUIT")


def test_exceptions_default_to_mynetworks(make_instance):
    inst = smtpd_instance(make_instance, smtpd_client_connection_count_limit="1")
    src = other_loopback(inst.addr)      # 127/8 is in the harness's mynetworks
    held = [Client(inst, source=src) for _ in range(3)]
    assert [c.banner[0] for c in held] == [220, 220, 220]
    for c in held:
        c.cmd("QUIT")


def test_show_clients_and_statistics(make_instance):
    inst = smtpd_instance(make_instance, anvil_status_update_time="1s",
                          **NO_EXCEPTIONS)
    src = other_loopback(inst.addr)
    held = [Client(inst, source=src) for _ in range(2)]
    r = inst.smtpctl(["show", "clients"])
    assert r.returncode == 0, r.stderr
    line = [x for x in r.stdout.decode().splitlines() if x.startswith(src + " ")]
    assert line and "connections=2" in line[0], r.stdout
    r = inst.smtpctl(["-j", "show", "clients"])
    rows = [json.loads(x) for x in r.stdout.decode().splitlines()]
    mine = [x for x in rows if x["address"] == src]
    assert mine and mine[0]["connections"] == 2
    assert mine[0]["connection_rate"] >= 2
    for c in held:
        c.cmd("QUIT")

    # Statistics are logged once the update time has passed.
    def stats():
        Client(inst, source=src).cmd("QUIT")
        return re.search(r"statistics: max connection count \d+ for "
                         r"\(\S+:%s\) at " % re.escape(src), inst.log())
    wait_for(stats, 15, "anvil statistics")
    assert re.search(r"statistics: max connection rate \d+/60s for", inst.log())
