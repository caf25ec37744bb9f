"""qmgr control requests on public/qmgr (the server side of smtpctl, issue 5).

qmgr_request() below is a minimal client of the protocol in
src/global/qmgr_clnt.h: one attribute list per request; replies are data
lists and a final list with status= and reason=. Mail is queued for a sink
that is down (a free port nobody listens on) and then brought up on that
very port, so every effect is observed, not assumed.
"""
import os
import re
import socket
import time

import attr_codec
from harness import SLOW_RETRY, wait_for


def qmgr_request(inst, request, timeout=10, **attrs):
    """Send one request; return (data lists, final list) as dicts."""
    path = os.path.join(inst.queue_dir, "public", "qmgr")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(attr_codec.encode([("request", request)] + list(attrs.items())))
        f = s.makefile("rb")
        items = []
        while True:
            cur = attr_codec.read(f)
            if cur is None:
                raise EOFError("qmgr closed the connection")
            cur = dict(cur)
            if "status" in cur and "reason" in cur:
                return items, cur
            items.append(cur)


def ok(inst, request, **attrs):
    items, final = qmgr_request(inst, request, **attrs)
    assert final["status"] == "0", final
    return items


def queue(inst):
    return ok(inst, "show_queue")


def start_deferred(make_instance, down, rcpts, domains=("s.test",), extra=None):
    """An instance with one message per recipient deferred for the down sink."""
    cf = dict(SLOW_RETRY, transport_maps=down.maps(*domains))
    cf.update(extra or {})
    inst = make_instance(main_cf_extra=cf)
    inst.start()
    for r in rcpts:
        with inst.smtp() as s:
            s.sendmail("me@localhost", [r], b"Subject: ctl\r\n\r\nbody\r\n")
    wait_for(lambda: len(inst.queue_files("deferred")) == len(rcpts), 15,
             "%d deferred" % len(rcpts))
    return inst


def test_show_queue_fields(make_instance, down):
    inst = start_deferred(make_instance, down, ["a@s.test"])
    items = queue(inst)
    assert len(items) == 1
    e = items[0]
    assert re.fullmatch(r"[0-9a-f]{16}", e["envelope_id"])
    assert e["envelope_id"][:8] == e["message_id"] == inst.queue_files("deferred")[0]
    assert e["family"] == "inet4"
    assert e["type"] == "mta"
    assert e["sender"] == "me@localhost"
    assert e["rcpt"] == "a@s.test" and e["orcpt"] == "a@s.test"
    assert e["dest"] == "smtp:[%s]:%d" % (down.addr, down.port)
    assert e["runstate"] == "pending"
    assert int(e["attempts"]) == 1
    now = time.time()
    assert now - 60 < int(e["created"]) <= now + 1
    assert int(e["expires"]) == int(e["created"]) + 5 * 86400
    assert now - 60 < int(e["last_try"]) <= now + 1
    assert 200 < int(e["next_try"]) <= 300
    assert e["last_error"].startswith("4.")
    env = ok(inst, "show_envelope", id=e["envelope_id"])
    assert len(env) == 1 and env[0]["rcpt"] == "a@s.test"
    _, final = qmgr_request(inst, "show_envelope", id="nonsense")
    assert final["status"] == "1"


def test_schedule_delivers_now(make_instance, down):
    inst = start_deferred(make_instance, down, ["a@s.test", "b@s.test"])
    srv = down.up()
    first = [e for e in queue(inst) if e["rcpt"] == "a@s.test"][0]
    items = ok(inst, "schedule", id=first["message_id"])
    assert items[0]["count"] == "1"
    srv.wait_for(1)
    inst.wait_log(r"%s: removed" % first["message_id"])
    assert [e["rcpt"] for e in queue(inst)] == ["b@s.test"]
    ok(inst, "schedule", id="all")
    srv.wait_for(2)
    wait_for(lambda: queue(inst) == [], 10, "empty queue")


def test_pause_resume_envelope(make_instance, down):
    inst = start_deferred(make_instance, down, ["a@s.test"])
    srv = down.up()
    envid = queue(inst)[0]["envelope_id"]
    assert ok(inst, "pause_envelope", id=envid)[0]["count"] == "1"
    assert queue(inst)[0]["runstate"] == "held"
    mark = inst.log_mark()
    ok(inst, "schedule", id="all")
    qid = envid[:8]
    inst.wait_log(r"%s: from=<me@localhost>.*queue active" % qid, since=mark)
    wait_for(lambda: qid in inst.queue_files("deferred"), 10, "back in deferred")
    assert srv.messages == []
    assert queue(inst)[0]["runstate"] == "held"
    ok(inst, "resume_envelope", id=envid)
    srv.wait_for(1)
    inst.wait_log(r"%s: removed" % qid)


def test_remove(make_instance, down):
    inst = start_deferred(make_instance, down, ["a@s.test", "b@s.test"])
    qa = [e for e in queue(inst) if e["rcpt"] == "a@s.test"][0]["message_id"]
    assert ok(inst, "remove", id=qa)[0]["count"] == "1"
    inst.wait_log(r"%s: removed" % qa)
    assert qa not in inst.queue_files("deferred")
    srv = down.up()
    ok(inst, "flush")
    srv.wait_for(1)
    assert [m.rcpts[0] for m in srv.messages] == ["b@s.test"]
    inst.wait_log(r"removed", count=2)
    _, final = qmgr_request(inst, "remove", id=qa)
    assert final["status"] == "1"


def test_remove_all(make_instance, down):
    inst = start_deferred(make_instance, down, ["a@s.test", "b@s.test", "c@s.test"])
    assert ok(inst, "remove", id="all")[0]["count"] == "3"
    wait_for(lambda: inst.queue_files("deferred") == [], 10, "empty deferred")
    assert queue(inst) == []
    assert ok(inst, "show_stats")[0]["scheduler_envelope_removed"] == "3"


def test_pause_resume_mta(make_instance, down):
    inst = start_deferred(make_instance, down, [])
    srv = down.up()
    ok(inst, "pause", target="mta")
    assert ok(inst, "show_status")[0]["mta"] == "paused"
    with inst.smtp() as s:
        s.sendmail("me@localhost", ["a@s.test"], b"Subject: p\r\n\r\nx\r\n")
    wait_for(lambda: [e["runstate"] for e in queue(inst)] == ["pending"], 10, "queued")
    assert srv.messages == []
    assert inst.queue_files("active") != []
    ok(inst, "resume", target="mta")
    srv.wait_for(1)
    assert ok(inst, "show_status")[0]["mta"] == "running"
    _, final = qmgr_request(inst, "pause", target="bogus")
    assert final["status"] == "1"


def test_inflight_runstate(make_instance, down):
    inst = start_deferred(make_instance, down, [])
    gate = {"open": False}

    def slow_data():
        wait_for(lambda: gate["open"], 20, "gate")
        return "250 2.0.0 Ok"
    srv = down.up(message_replies=slow_data)
    try:
        with inst.smtp() as s:
            s.sendmail("me@localhost", ["a@s.test"], b"Subject: slow\r\n\r\nx\r\n")
        e = wait_for(lambda: [x for x in queue(inst) if x["runstate"] == "inflight"],
                     10, "inflight")[0]
        assert "inflight" in e and int(e["inflight"]) >= 0
        routes = ok(inst, "show_routes")
        r = [r for r in routes if r["destination"] == "[%s]:%d" % (down.addr, down.port)][0]
        assert r["source"] == "smtp" and int(r["connections"]) == 1
    finally:
        gate["open"] = True
    srv.wait_for(1)
    wait_for(lambda: queue(inst) == [], 10, "empty queue")


def test_flush_domain(make_instance, down):
    inst = start_deferred(make_instance, down, ["a@one.test", "b@two.test"],
                          domains=("one.test", "two.test"))
    srv = down.up()
    assert ok(inst, "flush_domain", domain="two.test")[0]["count"] == "1"
    srv.wait_for(1)
    assert srv.messages[0].rcpts[0] == "b@two.test"
    # The sink has the message before qmgr has the delivery agent's result.
    wait_for(lambda: [e["rcpt"] for e in queue(inst)] == ["a@one.test"], 10,
             "only a@one.test queued")


def test_stats_hosts_and_errors(make_instance, down):
    inst = start_deferred(make_instance, down, ["a@s.test"])
    srv = down.up()
    ok(inst, "flush")
    srv.wait_for(1)
    wait_for(lambda: ok(inst, "show_stats")[0]["scheduler_delivery_ok"] == "1", 10, "ok=1")
    st = ok(inst, "show_stats")[0]
    assert st["scheduler_delivery_tempfail"] == "1"
    assert int(st["queue_message_received"]) == 1
    hs = ok(inst, "show_hoststats")
    assert [h["domain"] for h in hs] == ["s.test"]
    assert ok(inst, "show_hosts") != []
    _, final = qmgr_request(inst, "no_such_request")
    assert final["status"] == "1" and "unknown" in final["reason"]
    ok(inst, "log_verbose")
    ok(inst, "log_brief")
