"""Virtual alias and mailbox domains served from a database (issue 15).

virtual_alias_domains/virtual_alias_maps, virtual_mailbox_domains,
virtual_mailbox_maps and virtual_uid_maps all in PostgreSQL or MariaDB
(tests/dbservers.py): the alias is expanded on the way in by the cleanup
stage, the mailbox delivered by virtual(8) into a Maildir; a mailbox
added to the database is accepted and delivered at once; the database
down makes smtpd answer 451 4.3.0 and locally submitted mail wait in
maildrop/ (cleanup cannot expand the aliases), delivered once the database
is back; nothing is bounced.
"""
import os

import pytest

from dbservers import mariadb, pg  # noqa: F401 (fixtures)
from harness import BIN, account_ids, wait_for
from test_tables_sql import Engine, rcpt_reply, send

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "virtual")),
                                reason="virtual not built")

FAST = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
        "queue_run_delay": "1s", "mynetworks": "192.0.2.0/24"}

SCHEMA = [
    "CREATE TABLE vdomains (domain varchar(255) PRIMARY KEY, kind varchar(16))",
    "CREATE TABLE vmailbox (address varchar(255) PRIMARY KEY, path varchar(255))",
    "CREATE TABLE valias (address varchar(255), goto varchar(255))",
]


def maildir_count(base, path):
    new = os.path.join(base, path, "new")
    return len(os.listdir(new)) if os.path.isdir(new) else 0


@pytest.mark.parametrize("kind", ["pgsql", "mysql"])
def test_virtual_domains_from_database(make_instance, kind, tmp_path, request):
    srv = request.getfixturevalue("pg" if kind == "pgsql" else "mariadb")
    engine = Engine(kind, tmp_path, pg=srv, mariadb=srv)
    for stmt in SCHEMA:
        engine.sql(stmt)
    if kind == "pgsql":
        engine.sql("GRANT SELECT ON ALL TABLES IN SCHEMA public TO u%s" % engine.db)
    engine.sql("INSERT INTO vdomains VALUES ('vd.test', 'mailbox'), ('va.test', 'alias')")
    engine.sql("INSERT INTO vmailbox VALUES ('ann@vd.test', 'vd.test/ann/')")
    engine.sql("INSERT INTO valias VALUES ('team@va.test', 'ann@vd.test')")
    inst = make_instance(main_cf_extra={"smtpd_peername_lookup": "no"})
    base = os.path.join(inst.dir, "vmail")
    os.makedirs(base)
    os.chmod(base, 0o755)
    uid, gid = account_ids()
    os.chown(base, uid, gid)
    w = lambda name, q: engine.write_cf(inst, name, q)   # noqa: E731
    cf = dict(FAST)
    cf.update({
        "virtual_alias_domains": w("vad", "SELECT domain FROM vdomains "
                                          "WHERE domain='%s' AND kind='alias'"),
        "virtual_alias_maps": w("valias", "SELECT goto FROM valias WHERE address='%s'"),
        "virtual_mailbox_domains": w("vmd", "SELECT domain FROM vdomains "
                                            "WHERE domain='%s' AND kind='mailbox'"),
        "virtual_mailbox_maps": w("vmb", "SELECT path FROM vmailbox WHERE address='%s'"),
        "virtual_mailbox_base": base,
        "virtual_uid_maps": "static:%d" % uid,
        "virtual_gid_maps": "static:%d" % gid,
        "virtual_minimum_uid": "1",
    })
    inst.main_cf_extra.update(cf)
    inst.write_main_cf()
    inst.start()
    try:
        send(inst, ["ann@vd.test", "team@va.test"])
        wait_for(lambda: maildir_count(base, "vd.test/ann") == 2, 30, "two deliveries")
        assert rcpt_reply(inst, "nobody@vd.test")[0] == 550
        assert rcpt_reply(inst, "nobody@va.test")[0] == 550

        # A mailbox added is accepted and delivered at once.
        engine.sql("INSERT INTO vmailbox VALUES ('bob@vd.test', 'vd.test/bob/')")
        send(inst, ["bob@vd.test"])
        wait_for(lambda: maildir_count(base, "vd.test/bob") == 1, 30, "bob's mail")

        # The database down: 451 at RCPT; mail already queued waits.
        srv.stop()
        try:
            code, msg = rcpt_reply(inst, "ann@vd.test")
            assert code == 451 and b"4.3.0" in msg, (code, msg)
            # Submitted locally: the cleanup stage cannot expand
            # virtual_alias_maps, so it refuses the message and pickup
            # leaves it in maildrop/ to try again (as Postfix does).
            r = inst.sendmail(["-f", "sender@example.org", "ann@vd.test"],
                              input=b"Subject: while down\r\n\r\nz\r\n")
            assert r.returncode == 0
            inst.wait_log(r"virtual_alias_maps map lookup problem for ann@vd\.test "
                          r"-- message not accepted, try again later", timeout=30)
            assert len(inst.queue_files("maildrop")) == 1
            assert maildir_count(base, "vd.test/ann") == 2
        finally:
            srv.start()
        # Back: the next pickup run (here: triggered by the next submission)
        # takes both; nothing was lost or bounced.
        r = inst.sendmail(["-f", "sender@example.org", "ann@vd.test"],
                          input=b"Subject: after\r\n\r\nz\r\n")
        assert r.returncode == 0
        wait_for(lambda: maildir_count(base, "vd.test/ann") == 4, 60, "delivered after restart")
        wait_for(lambda: inst.queue_count() == 0 and not inst.queue_files("maildrop"), 30,
                 "queue empty")
        assert "status=bounced" not in inst.log()
    except Exception:
        print(inst.log_tail(60))
        raise
