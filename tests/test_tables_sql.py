"""SQL lookup tables (issue 15): sqlite:, pgsql:, mysql: against real servers.

A private PostgreSQL and MariaDB (tests/dbservers.py, started once for this
module) and an SQLite file hold the domains, mailboxes, aliases, transports
and access rules of an instance:

    relay_domains = TYPE:domains.cf            defer_unauth_destination
    relay_recipient_maps = TYPE:mailboxes.cf   550 5.1.1 for the unlisted
    transport_maps = TYPE:transport.cf         relay.test -> the sink
    alias_maps = TYPE:aliases.cf               team@localhost -> user@relay.test
    check_recipient_access TYPE:access.cf      REJECT per address

Checked: mail is routed by what the database says; a row added is seen by
the next lookup without a reload; addresses carrying SQL (quotes,
"'; DROP TABLE") are quoted harmlessly; `postern map -q` works for each
type; and a database server stopped mid-run makes smtpd answer 451 4.3.0
and qmgr/local defer with 4.3.0, nothing is lost, and everything is
delivered once the server is back (the kept connection is re-established).
"""
import os
import re
import secrets
import sqlite3

import pytest

from dbservers import mariadb, pg  # noqa: F401 (fixtures)
from harness import free_port, wait_for

FAST = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
        "queue_run_delay": "1s"}

SCHEMA = [
    "CREATE TABLE domains (domain varchar(255) PRIMARY KEY)",
    "CREATE TABLE mailboxes (address varchar(255) PRIMARY KEY)",
    "CREATE TABLE aliases (address varchar(255), goto varchar(255))",
    "CREATE TABLE transport (domain varchar(255) PRIMARY KEY, nexthop varchar(255))",
    "CREATE TABLE access (k varchar(255) PRIMARY KEY, action varchar(255))",
]

QUERIES = {
    "domains": "SELECT domain FROM domains WHERE domain='%s'",
    "mailboxes": "SELECT address FROM mailboxes WHERE address='%s'",
    "aliases": "SELECT goto FROM aliases WHERE address='%s'",
    "transport": "SELECT nexthop FROM transport WHERE domain='%s'",
    "access": "SELECT action FROM access WHERE k='%s'",
}


def q(s):
    return s.replace("'", "''")


class Engine:
    """One database behind the tables of one test."""

    def __init__(self, kind, tmp_path, pg=None, mariadb=None):
        self.kind = kind
        self.db = "m" + secrets.token_hex(4)
        self.server = None
        if kind == "sqlite":
            d = tmp_path / "sqlite"
            d.mkdir()
            os.chmod(str(d), 0o755)
            self.path = str(d / "mail.db")
            self.head = "dbpath = %s\n" % self.path
        elif kind == "pgsql":
            self.server = pg
            pg.create_db(self.db, "u" + self.db, "pw'" + self.db)
            self.head = ("hosts = inet:127.0.0.1:%d\nuser = u%s\npassword = pw'%s\n"
                         "dbname = %s\nretry_interval = 1\nconnect_timeout = 5\n"
                         % (pg.port, self.db, self.db, self.db))
        else:
            self.server = mariadb
            mariadb.create_db(self.db, "u" + self.db, "pw" + self.db)
            self.head = ("hosts = 127.0.0.1:%d\nuser = u%s\npassword = pw%s\n"
                         "dbname = %s\nretry_interval = 1\nconnect_timeout = 5\n"
                         % (mariadb.port, self.db, self.db, self.db))
        for stmt in SCHEMA:
            self.sql(stmt)
        if kind == "pgsql":
            self.sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO u%s" % self.db)
        if kind == "sqlite":
            os.chmod(self.path, 0o644)

    def sql(self, stmt):
        if self.kind == "sqlite":
            conn = sqlite3.connect(self.path)
            try:
                conn.execute(stmt)
                conn.commit()
            finally:
                conn.close()
        else:
            self.server.sql(stmt, db=self.db)

    def write_cf(self, inst, name, query, extra=""):
        path = os.path.join(inst.config_dir, name + ".cf")
        with open(path, "w") as f:
            f.write("# %s table\n%squery = %s\n%s" % (name, self.head, query, extra))
        return "%s:%s" % (self.kind, path)


@pytest.fixture(params=["sqlite", "pgsql", "mysql"])
def engine(request, tmp_path):
    kind = request.param
    if kind == "pgsql":
        return Engine(kind, tmp_path, pg=request.getfixturevalue("pg"))
    if kind == "mysql":
        return Engine(kind, tmp_path, mariadb=request.getfixturevalue("mariadb"))
    return Engine(kind, tmp_path)


def setup_instance(make_instance, engine, sink, extra=None):
    engine.sql("INSERT INTO domains VALUES ('relay.test')")
    engine.sql("INSERT INTO mailboxes VALUES ('user@relay.test')")
    engine.sql("INSERT INTO mailboxes VALUES ('%s')" % q("o'brien@relay.test"))
    engine.sql("INSERT INTO mailboxes VALUES ('blocked@relay.test')")
    engine.sql("INSERT INTO aliases VALUES ('team', 'user@relay.test')")
    engine.sql("INSERT INTO transport VALUES ('relay.test', 'smtp:[%s]:%d')"
               % (sink.addr, sink.port))
    engine.sql("INSERT INTO access VALUES ('blocked@relay.test', 'REJECT no thanks')")
    inst = make_instance()
    tables = {name: engine.write_cf(inst, name, query) for name, query in QUERIES.items()}
    cf = dict(FAST)
    cf.update({
        "mynetworks": "192.0.2.0/24",
        "relay_domains": tables["domains"],
        "relay_recipient_maps": tables["mailboxes"],
        "transport_maps": tables["transport"],
        "alias_maps": tables["aliases"],
        "smtpd_recipient_restrictions": "check_recipient_access %s" % tables["access"],
    })
    cf.update(extra or {})
    inst.main_cf_extra.update(cf)
    inst.write_config()
    inst.start()
    return inst, tables


def path(line):
    return re.search(r"<[^>]*>", line).group(0)


def rcpt_reply(inst, rcpt, sender="sender@example.org"):
    with inst.smtp() as s:
        s.ehlo("client.example")
        code, _ = s.mail(sender)
        assert code == 250
        return s.rcpt(rcpt)


def send(inst, rcpts, body=b"Subject: t\r\n\r\nhello\r\n"):
    with inst.smtp() as s:
        s.sendmail("sender@example.org", rcpts, body)


def test_routes_access_and_live_changes(make_instance, engine, sink):
    inst, tables = setup_instance(make_instance, engine, sink)

    # Accepted and routed by the database: relay domain, mailbox, transport.
    send(inst, ["user@relay.test", "o'brien@relay.test"])
    sink.wait_for(1)
    assert sorted(path(r) for r in sink.messages[0].rcpt_args) == \
        ["<o'brien@relay.test>", "<user@relay.test>"]

    # An alias in the database (local delivery) to a mailbox elsewhere.
    send(inst, ["team@localhost"])
    sink.wait_for(2)
    assert [path(r) for r in sink.messages[1].rcpt_args] == ["<user@relay.test>"]

    # Unknown mailbox, unknown domain, an access rule.
    code, msg = rcpt_reply(inst, "nobody@relay.test")
    assert code == 550 and b"5.1.1" in msg
    code, msg = rcpt_reply(inst, "user@elsewhere.test")
    assert code == 454 and b"4.7.1" in msg and b"Relay access denied" in msg
    code, msg = rcpt_reply(inst, "blocked@relay.test")
    assert code == 554 and b"no thanks" in msg

    # SQL in addresses is quoted, not run; the tables are intact afterwards.
    for evil in ["\"x'; DROP TABLE mailboxes; --\"@relay.test",
                 "\"x' OR '1'='1\"@relay.test",
                 "\"a\\\\'; DELETE FROM domains; --\"@relay.test",
                 "x'--@relay.test"]:
        code, msg = rcpt_reply(inst, evil)
        assert code == 550, (evil, code, msg)
    code, _ = rcpt_reply(inst, "user@relay.test")
    assert code == 250

    # A row added is seen at the next lookup, without a reload.
    code, _ = rcpt_reply(inst, "new@relay.test")
    assert code == 550
    engine.sql("INSERT INTO mailboxes VALUES ('new@relay.test')")
    code, _ = rcpt_reply(inst, "new@relay.test")
    assert code == 250
    engine.sql("INSERT INTO domains VALUES ('second.test')")
    engine.sql("INSERT INTO mailboxes VALUES ('x@second.test')")
    engine.sql("INSERT INTO transport VALUES ('second.test', 'smtp:[%s]:%d')"
               % (sink.addr, sink.port))
    send(inst, ["x@second.test"])
    sink.wait_for(3)
    assert [path(r) for r in sink.messages[2].rcpt_args] == ["<x@second.test>"]
    assert "Temporary lookup failure" not in inst.log()


def test_postern_map_query(make_instance, engine):
    engine.sql("INSERT INTO aliases VALUES ('team', 'a@x.test')")
    engine.sql("INSERT INTO aliases VALUES ('team', 'b@x.test')")
    engine.sql("INSERT INTO aliases VALUES ('%s', 'quoted')" % q("o'neil"))
    inst = make_instance()
    spec = engine.write_cf(inst, "aliases", QUERIES["aliases"])
    r = inst.postern(["map", "-q", "team", spec])
    assert r.returncode == 0, r.stderr
    assert sorted(r.stdout.decode().strip().split(",")) == ["a@x.test", "b@x.test"]
    r = inst.postern(["map", "-q", "o'neil", spec])
    assert r.stdout.decode().strip() == "quoted"
    r = inst.postern(["map", "-q", "x' OR '1'='1", spec])
    assert r.returncode == 1 and r.stdout == b""
    # result_format, expansion_limit and domain, as Postfix documents them.
    spec2 = engine.write_cf(inst, "fmt", "SELECT goto FROM aliases WHERE address='%u'",
                            "result_format = <%s>\ndomain = example.com\n")
    r = inst.postern(["map", "-q", "team@example.com", spec2])
    assert sorted(r.stdout.decode().strip().split(",")) == ["<a@x.test>", "<b@x.test>"]
    r = inst.postern(["map", "-q", "team@other.com", spec2])
    assert r.returncode == 1
    spec3 = engine.write_cf(inst, "lim", QUERIES["aliases"], "expansion_limit = 1\n")
    r = inst.postern(["map", "-q", "team", spec3])
    assert r.returncode not in (0, 1) and b"expansion limit" in r.stderr


def test_types_listed(make_instance):
    inst = make_instance()
    r = inst.postern(["config", "-m"])
    types = r.stdout.decode().split()
    for t in ("sqlite", "pgsql", "mysql", "ldap", "memcache", "socketmap", "tcp"):
        assert t in types


@pytest.mark.parametrize("kind", ["pgsql", "mysql"])
def test_server_down_defers_then_delivers(make_instance, kind, sink, tmp_path, request):
    srv = request.getfixturevalue("pg" if kind == "pgsql" else "mariadb")
    engine = Engine(kind, tmp_path, pg=srv, mariadb=srv)
    inst, tables = setup_instance(make_instance, engine, sink)
    try:
        server_down_scenario(inst, srv, sink)
    except Exception:
        print(inst.log_tail(80))
        raise


def server_down_scenario(inst, srv, sink):
    send(inst, ["user@relay.test"])
    sink.wait_for(1)

    srv.stop()
    try:
        # smtpd: 451 4.3.0 for lookups that need the database, never 5xx.
        code, msg = rcpt_reply(inst, "user@relay.test")
        assert code == 451 and b"4.3.0" in msg, (code, msg)
        code, msg = rcpt_reply(inst, "nobody@relay.test")
        assert code == 451, (code, msg)
        # qmgr: transport_maps fails -> deferred with 4.3.0, not bounced.
        r = inst.sendmail(["-f", "sender@example.org", "user@relay.test"],
                          input=b"Subject: queued while down\r\n\r\nx\r\n")
        assert r.returncode == 0, r.stderr
        # local: alias_maps fails -> deferred with 4.3.0.
        r = inst.sendmail(["-f", "sender@example.org", "team@localhost"],
                          input=b"Subject: alias while down\r\n\r\ny\r\n")
        assert r.returncode == 0, r.stderr
        inst.wait_log(r"to=<user@relay\.test>.*dsn=4\.3\.0, status=deferred", timeout=30)
        inst.wait_log(r"to=<team@localhost>.*dsn=4\.3\.0, status=deferred", timeout=30)
        assert "status=bounced" not in inst.log()
        assert inst.queue_count() == 2
        assert len(sink.messages) == 1
    finally:
        srv.start()

    # Back: the kept connections reconnect, the deferred mail goes out.
    inst.postern(["flush"])
    sink.wait_for(3, timeout=60)
    wait_for(lambda: inst.queue_count() == 0, 30, "queue empty")
    subjects = sorted(re.search(rb"Subject: [^\r]*", m.data).group(0)
                      for m in sink.messages[1:])
    assert subjects == [b"Subject: alias while down", b"Subject: queued while down"]
    code, _ = rcpt_reply(inst, "user@relay.test")
    assert code == 250
    assert "status=bounced" not in inst.log()


def pg_connections(srv, user):
    return int(srv.sql("SELECT count(*) FROM pg_stat_activity WHERE usename = %s",
                       params=(user,))[0][0])


def test_proxy_shares_connections_and_is_bounded(make_instance, pg, sink, tmp_path):
    """proxy:pgsql: lookups go through proxymap: one database connection for
    every smtpd process; proxy_read_maps bounds what proxymap opens."""
    engine = Engine("pgsql", tmp_path, pg=pg)
    user = "u" + engine.db
    engine.sql("INSERT INTO domains VALUES ('relay.test')")
    engine.sql("INSERT INTO mailboxes VALUES ('user@relay.test')")
    engine.sql("INSERT INTO access VALUES ('blocked@relay.test', 'REJECT via proxy')")
    engine.sql("INSERT INTO transport VALUES ('relay.test', 'smtp:[%s]:%d')"
               % (sink.addr, sink.port))
    inst = make_instance()
    t = {name: engine.write_cf(inst, name, query) for name, query in QUERIES.items()}
    other = engine.write_cf(inst, "other", QUERIES["aliases"])
    inst.main_cf_extra.update(FAST)
    inst.main_cf_extra.update({
        "mynetworks": "192.0.2.0/24",
        "relay_domains": "proxy:" + t["domains"],
        "relay_recipient_maps": "proxy:" + t["mailboxes"],
        "transport_maps": "proxy:" + t["transport"],
        "smtpd_recipient_restrictions": "check_recipient_access proxy:%s" % t["access"],
    })
    inst.write_config()
    inst.start()

    # Three SMTP sessions at once: three smtpd processes, and still only
    # proxymap's connections (one per table it holds open).
    sessions = []
    first = None
    try:
        for _ in range(3):
            s = inst.smtp()
            s.ehlo("client.example")
            assert s.mail("sender@example.org")[0] == 250
            assert s.rcpt("user@relay.test")[0] == 250
            code, msg = s.rcpt("blocked@relay.test")
            assert code == 554 and b"REJECT via proxy" not in msg and b"via proxy" in msg
            assert s.rcpt("nobody@relay.test")[0] == 550
            sessions.append(s)
            if first is None:
                first = pg_connections(pg, user)
        assert 1 <= first <= 3
        assert pg_connections(pg, user) == first
    finally:
        for s in sessions:
            s.quit()
    send(inst, ["user@relay.test"])
    sink.wait_for(1)
    assert pg_connections(pg, user) == first + 1    # + transport_maps

    # postern map -q through proxymap, and the proxy_read_maps bound.
    r = inst.postern(["map", "-q", "user@relay.test", "proxy:" + t["mailboxes"]])
    assert r.returncode == 0 and r.stdout.decode().strip() == "user@relay.test", r.stderr
    r = inst.postern(["map", "-q", "team", "proxy:" + other])
    assert r.returncode not in (0, 1) and b"proxy_read_maps" in r.stderr
    inst.wait_log(r"proxymap.*unapproved table")

    # The database down: proxymap answers "temporary failure": 451.
    pg.stop()
    try:
        code, msg = rcpt_reply(inst, "user@relay.test")
        assert code == 451 and b"4.3.0" in msg
    finally:
        pg.start()
    # Back after at most retry_interval (1s here) without touching Postern.
    wait_for(lambda: rcpt_reply(inst, "user@relay.test")[0] == 250, 10,
             "lookups through proxymap work again")


@pytest.mark.parametrize("kind", ["pgsql", "mysql"])
def test_hosts_fail_over(make_instance, kind, tmp_path, request):
    """Several hosts: a dead one is skipped, the next one answers."""
    srv = request.getfixturevalue("pg" if kind == "pgsql" else "mariadb")
    engine = Engine(kind, tmp_path, pg=srv, mariadb=srv)
    engine.sql("INSERT INTO mailboxes VALUES ('x@y.test')")
    dead = free_port("127.0.0.1")
    engine.head = re.sub(r"(?m)^hosts = .*$",
                         "hosts = inet:127.0.0.1:%d, inet:127.0.0.1:%d" % (dead, srv.port),
                         engine.head)
    inst = make_instance()
    spec = engine.write_cf(inst, "mb", QUERIES["mailboxes"])
    for _ in range(3):      # whichever host a process starts with
        r = inst.postern(["map", "-q", "x@y.test", spec])
        assert r.returncode == 0 and r.stdout.decode().strip() == "x@y.test", r.stderr
    # Only dead hosts: a temporary error, never "not found".
    engine.head = re.sub(r"(?m)^hosts = .*$", "hosts = inet:127.0.0.1:%d" % dead,
                         engine.head)
    spec = engine.write_cf(inst, "dead", QUERIES["mailboxes"])
    r = inst.postern(["map", "-q", "x@y.test", spec])
    assert r.returncode == 2 and r.stdout == b"", r


def test_pgsql_tls(make_instance, pg, tmp_path):
    """libpq TLS settings in the .cf file: a role that the server accepts
    over TLS only is reachable with sslmode=require or verify-full."""
    engine = Engine("pgsql", tmp_path, pg=pg)
    engine.sql("INSERT INTO mailboxes VALUES ('x@y.test')")
    pg.require_tls("u" + engine.db)
    inst = make_instance()
    plain = engine.write_cf(inst, "plain", QUERIES["mailboxes"], "sslmode = disable\n")
    r = inst.postern(["map", "-q", "x@y.test", plain])
    assert r.returncode == 2 and b"no encryption" in r.stderr, r
    for extra in ("sslmode = require\n",
                  "sslmode = verify-full\nsslrootcert = %s\n" % pg.cert):
        spec = engine.write_cf(inst, "tls", QUERIES["mailboxes"], extra)
        r = inst.postern(["map", "-q", "x@y.test", spec])
        assert r.returncode == 0 and r.stdout.decode().strip() == "x@y.test", r.stderr


def test_local_alias_database_down(make_instance, pg, sink, tmp_path):
    """local(8) itself: alias_maps in PostgreSQL, transport_maps elsewhere.
    The database down: local defers with 4.3.0 "alias database
    unavailable"; back up: the alias is expanded and delivered."""
    engine = Engine("pgsql", tmp_path, pg=pg)
    engine.sql("INSERT INTO aliases VALUES ('team', 'user@relay.test')")
    inst = make_instance()
    aliases = engine.write_cf(inst, "aliases", QUERIES["aliases"])
    inst.main_cf_extra.update(FAST)
    inst.main_cf_extra.update({
        "alias_maps": aliases,
        "local_recipient_maps": "",
        "transport_maps": "inline:{ relay.test=smtp:[%s]:%d }" % (sink.addr, sink.port),
    })
    inst.write_config()
    inst.start()
    pg.stop()
    try:
        r = inst.sendmail(["-f", "sender@example.org", "team@localhost"],
                          input=b"Subject: local while down\r\n\r\nz\r\n")
        assert r.returncode == 0, r.stderr
        inst.wait_log(r"local\[\d+\]: \w+: to=<team@localhost>.*relay=local.*"
                      r"dsn=4\.3\.0, status=deferred \(alias database unavailable\)",
                      timeout=30)
        assert inst.queue_count() == 1
    finally:
        pg.start()
    inst.postern(["flush"])
    sink.wait_for(1, timeout=60)
    assert [re.search(r"<[^>]*>", r).group(0) for r in sink.messages[0].rcpt_args] == \
        ["<user@relay.test>"]
    wait_for(lambda: inst.queue_count() == 0, 30, "queue empty")
    assert "status=bounced" not in inst.log()
