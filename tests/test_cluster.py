"""Two Postern nodes sharing one PostgreSQL (issue 15, postern-cluster(7)).

Node A and node B are separate instances (own config, queue and address on
loopback) whose domains, mailboxes, aliases, transports and access rules
all come from one private PostgreSQL through proxy:pgsql: tables. Checked:
mail for the same domain is accepted by either node and delivered the
same way; a row added once is seen by both; a node killed with SIGKILL
while it holds accepted mail loses none of it (delivered after its
restart), and the other node keeps serving meanwhile.
"""
import os
import re
import secrets

import pytest

from dbservers import pg  # noqa: F401 (fixture)
from harness import free_port, random_loopback, wait_for
from sink import Sink
from test_tables_sql import QUERIES

NODE_CF = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
           "queue_run_delay": "1s", "mynetworks": "192.0.2.0/24"}



@pytest.fixture
def shared(pg):
    """A database for both nodes, with a read-only role for them."""
    db = "c" + secrets.token_hex(4)
    pg.create_db(db, "u" + db, "pw" + db)
    for stmt in [
        "CREATE TABLE domains (domain text PRIMARY KEY)",
        "CREATE TABLE mailboxes (address text PRIMARY KEY)",
        "CREATE TABLE aliases (address text, goto text)",
        "CREATE TABLE transport (domain text PRIMARY KEY, nexthop text)",
        "CREATE TABLE access (k text PRIMARY KEY, action text)",
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO u" + db,
    ]:
        pg.sql(stmt, db=db)
    return db


def make_node(make_instance, pg, db):
    inst = make_instance()
    head = ("hosts = inet:127.0.0.1:%d\nuser = u%s\npassword = pw%s\ndbname = %s\n"
            "retry_interval = 1\n" % (pg.port, db, db, db))
    t = {}
    for name, query in QUERIES.items():
        path = os.path.join(inst.config_dir, "pgsql-%s.cf" % name)
        with open(path, "w") as f:
            f.write(head + "query = %s\n" % query)
        t[name] = "proxy:pgsql:" + path
    inst.main_cf_extra.update(NODE_CF)
    inst.main_cf_extra.update({
        "relay_domains": t["domains"],
        "relay_recipient_maps": t["mailboxes"],
        "transport_maps": t["transport"],
        "alias_maps": t["aliases"],
        "smtpd_recipient_restrictions": "check_recipient_access " + t["access"],
    })
    inst.write_config()
    inst.start()
    return inst


def rcpt(inst, address):
    with inst.smtp() as s:
        s.ehlo("client.example")
        assert s.mail("sender@example.org")[0] == 250
        return s.rcpt(address)


def send(inst, rcpts, tag):
    with inst.smtp() as s:
        s.sendmail("sender@example.org", rcpts,
                   b"Subject: %s\r\nMessage-ID: <%s@test>\r\n\r\nbody\r\n"
                   % (tag.encode(), tag.encode()))


def tags(sink):
    found = []
    for m in sink.messages:
        mo = re.search(rb"Message-ID: <([^@>]+)@test>", m.data)
        if mo:
            found.append(mo.group(1).decode())
    return found


def test_two_nodes_one_database(make_instance, pg, shared):
    sink_addr = random_loopback()
    sink_port = free_port(sink_addr)
    db = shared
    pg.sql("INSERT INTO domains VALUES ('corp.test')", db=db)
    pg.sql("INSERT INTO mailboxes VALUES ('alice@corp.test'), ('bob@corp.test')", db=db)
    pg.sql("INSERT INTO aliases VALUES ('staff', 'alice@corp.test'), "
           "('staff', 'bob@corp.test')", db=db)
    pg.sql("INSERT INTO transport VALUES ('corp.test', 'smtp:[%s]:%d')"
           % (sink_addr, sink_port), db=db)
    pg.sql("INSERT INTO access VALUES ('mallory@corp.test', 'REJECT account closed')", db=db)
    a = make_node(make_instance, pg, db)
    b = make_node(make_instance, pg, db)
    assert a.addr != b.addr

    # The same answers from either node: no per-node table to keep in step.
    for node in (a, b):
        assert rcpt(node, "alice@corp.test")[0] == 250
        assert rcpt(node, "nobody@corp.test")[0] == 550
        code, msg = rcpt(node, "mallory@corp.test")
        assert code == 554 and b"account closed" in msg
        assert rcpt(node, "carol@corp.test")[0] == 550

    # A user added once is seen by both nodes at the next lookup.
    pg.sql("INSERT INTO mailboxes VALUES ('carol@corp.test')", db=db)
    assert rcpt(a, "carol@corp.test")[0] == 250
    assert rcpt(b, "carol@corp.test")[0] == 250

    # The delivery host is down: each node keeps what it accepted in its
    # own queue (the queue is per node).
    sent = []
    for i in range(5):
        for name, node in (("a", a), ("b", b)):
            tag = "%s%d" % (name, i)
            send(node, ["alice@corp.test", "carol@corp.test"], tag)
            sent.append(tag)
    send(a, ["staff@localhost"], "a-alias")
    sent.append("a-alias")
    wait_for(lambda: a.queue_count() == 6 and b.queue_count() == 5, 30, "mail queued on both nodes")

    # Node A dies hard with mail in its queue; node B goes on accepting.
    a.kill9_all()
    assert rcpt(b, "bob@corp.test")[0] == 250
    send(b, ["bob@corp.test"], "b-while-a-down")
    sent.append("b-while-a-down")

    sink = Sink(host=sink_addr, port=sink_port)
    sink.start()
    try:
        a.start()
        for node in (a, b):
            node.postern(["flush"])
        wait_for(lambda: set(tags(sink)) >= set(sent), 90, "every message delivered")
        wait_for(lambda: a.queue_count() == 0 and b.queue_count() == 0, 30, "both queues empty")
        # Delivered the same way by both nodes: same sink, same recipients.
        for m in sink.messages:
            got = sorted(re.search(r"<[^>]*>", r).group(0) for r in m.rcpt_args)
            assert got in (["<alice@corp.test>", "<carol@corp.test>"],
                           ["<bob@corp.test>"],
                           ["<alice@corp.test>", "<bob@corp.test>"],
                           ["<alice@corp.test>"], ["<bob@corp.test>"]), got
        for node in (a, b):
            assert "status=bounced" not in node.log()
    finally:
        sink.stop()
