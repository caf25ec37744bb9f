"""ETRN (RFC 1985) in smtpd, and the etrn(1) client (issue 5).

Mail for e.test and o.test is routed to a sink that is down at first, so it
waits in deferred/ with a one-hour backoff. e.test is in fast_flush_domains,
o.test is not.
"""
import os
import re
import smtplib

import pytest

from harness import BIN, free_port, random_loopback, wait_for
from sink import Sink

SLOW = {"minimal_backoff_time": "1h", "maximal_backoff_time": "2h",
        "queue_run_delay": "1h", "smtp_connect_timeout": "2s"}


@pytest.fixture
def setup(make_instance):
    addr = random_loopback()
    port = free_port(addr)
    hop = "[%s]:%d" % (addr, port)
    inst = make_instance(main_cf_extra=dict(
        SLOW, fast_flush_domains="e.test",
        transport_maps="inline:{ e.test=smtp:%s, o.test=smtp:%s }" % (hop, hop)))
    inst.start()
    for rcpt, subject in (("x@e.test", "for-e"), ("y@o.test", "for-o")):
        with inst.smtp() as s:
            s.sendmail("me@localhost", [rcpt],
                       ("Subject: %s\r\n\r\nhello\r\n" % subject).encode())
    inst.wait_log(r"status=deferred", count=2)
    wait_for(lambda: len(inst.queue_files("deferred")) == 2, 10, "two deferred")
    sink = Sink(host=addr, port=port)
    yield inst, sink
    sink.stop()


def test_etrn_delivers_domain_and_not_before(setup):
    inst, sink = setup
    sink.start()
    with inst.smtp() as s:
        code, text = s.ehlo("client.test")
        assert b"ETRN" in text.split(b"\n") or b"ETRN" in text
        with pytest.raises(TimeoutError):   # up, but nothing is retried yet
            sink.wait_for(1, timeout=2)
        code, text = s.docmd("ETRN", "e.test")
        assert code in (250, 253), text
        msgs = sink.wait_for(1, timeout=15)
        assert b"Subject: for-e" in msgs[0].data
        wait_for(lambda: len(inst.queue_files("deferred")) == 1, 10, "o.test left")
        code, text = s.docmd("ETRN", "e.test")
        assert code == 251, text
    with pytest.raises(TimeoutError):
        sink.wait_for(2, timeout=1)
    inst.wait_log(r"ETRN e\.test from \S+: 1 message\(s\) started")


def test_etrn_after_restart_uses_rebuilt_index(setup):
    """The per-domain index lives in the qmgr: mail deferred before a
    restart is found too (the first ETRN rebuilds the index), and only the
    named domain's mail is started."""
    inst, sink = setup
    inst.stop()
    inst.start()
    sink.start()
    with inst.smtp() as s:
        s.ehlo("client.test")
        code, text = s.docmd("ETRN", "e.test")
        assert code in (250, 253), text
        msgs = sink.wait_for(1, timeout=15)
        assert b"Subject: for-e" in msgs[0].data
        wait_for(lambda: len(inst.queue_files("deferred")) == 1, 10, "o.test left")
        assert s.docmd("ETRN", "e.test")[0] == 251
    with pytest.raises(TimeoutError):
        sink.wait_for(2, timeout=1)


def test_etrn_replies(setup):
    inst, _ = setup
    with smtplib.SMTP(inst.addr, inst.port, timeout=10) as s:
        assert s.docmd("ETRN", "e.test")[0] == 503          # before HELO
        s.ehlo("client.test")
        assert s.docmd("ETRN")[0] == 500
        assert s.docmd("ETRN", "bad!domain")[0] == 501
        assert s.docmd("ETRN", "o.test")[0] == 459
        assert s.docmd("ETRN", "#queue")[0] == 458
        s.docmd("MAIL", "FROM:<me@localhost>")
        assert s.docmd("ETRN", "e.test")[0] == 503          # in a transaction
        s.docmd("RSET")
    assert len(setup[0].queue_files("deferred")) == 2


def test_etrn_restrictions(make_instance):
    inst = make_instance(main_cf_extra={"fast_flush_domains": "e.test",
                                        "smtpd_etrn_restrictions": "reject"})
    inst.start()
    with inst.smtp() as s:
        s.ehlo("client.test")
        code, text = s.docmd("ETRN", "e.test")
        assert code // 100 == 5 or code // 100 == 4, text
        assert code not in (250, 251, 252, 253)


def test_etrn_command(setup):
    inst, sink = setup
    sink.start()
    server = "[%s]:%d" % (inst.addr, inst.port)
    r = inst.run([os.path.join(BIN, "etrn"), "-v", server, "o.test"])
    assert r.returncode == 1 and b"459" in r.stderr
    assert b">>> ETRN o.test" in r.stderr
    r = inst.run([os.path.join(BIN, "etrn"), "-v", "-b", server, "e.test"])
    assert r.returncode == 0, r.stderr
    assert b">>> ETRN e.test" in r.stderr and b"<<< 25" in r.stderr
    msgs = sink.wait_for(1, timeout=15)
    assert b"Subject: for-e" in msgs[0].data


def test_etrn_hosts_variable(setup):
    inst, sink = setup
    sink.start()
    env = inst.env()
    env["ETRN_HOSTS"] = "[%s]:%d:e.test,o.test" % (inst.addr, inst.port)
    import subprocess
    r = subprocess.run([os.path.join(BIN, "etrn"), "-v"], env=env, timeout=60,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert r.returncode == 1                     # o.test is refused ...
    assert b">>> ETRN e.test" in r.stderr and b">>> ETRN o.test" in r.stderr
    sink.wait_for(1, timeout=15)                 # ... e.test is delivered
    r = inst.run([os.path.join(BIN, "etrn")])    # etrn_hosts unset
    assert r.returncode == 64


def test_etrn_hosts_at_start(setup):
    """Issue 13 #3: etrn_hosts is parsed as the seed's ETRN_HOSTS (the
    comma separates a server's clients, it does not start a new server),
    and postern start runs it once smtpd listens, results in the log."""
    inst, sink = setup
    inst.stop()
    inst.main_cf_extra["etrn_hosts"] = "[%s]:%d:e.test,o.test" % (inst.addr, inst.port)
    inst.write_main_cf()
    sink.start()
    mark = inst.log_mark()
    inst.start()
    msgs = sink.wait_for(1, timeout=20)
    assert b"Subject: for-e" in msgs[0].data
    inst.wait_log(r"postern/etrn\[\d+\]: \[%s\]:%d: ETRN e\.test: 25\d"
                  % (re.escape(inst.addr), inst.port), since=mark, timeout=15)
    inst.wait_log(r"postern/etrn\[\d+\]: warning: \[%s\]:%d: ETRN o\.test: 459"
                  % (re.escape(inst.addr), inst.port), since=mark, timeout=15)
    log = inst.log(since=mark)
    # o.test was sent as a client of the server, never taken as a server.
    assert "o.test: " not in log.replace("ETRN o.test: ", "")
    wait_for(lambda: len(inst.queue_files("deferred")) == 1, 10, "o.test left")
