"""Network lookup tables (issue 15): ldap:, memcache:, socketmap:, tcp:.

Real servers: a private slapd with LDIF data and memcached
(tests/dbservers.py, started once for this module); socketmap and
tcp_table servers written in the test. Checked for each: lookups through
smtpd (relay_recipient_maps, check_recipient_access), qmgr
(transport_maps), local (alias_maps) and `postern map -q`; a change on the
server seen at the next lookup; a server stopped makes smtpd answer 451
4.3.0 and qmgr defer 4.3.0, a restart is picked up by the kept connection.
"""
import os
import re

import pytest

from dbservers import (Memcached, Slapd, SocketmapServer, TcpTableServer,  # noqa: F401
                       memcached)
from harness import random_loopback, wait_for
from sink import Sink
from test_tables_sql import rcpt_reply, send

FAST = {"minimal_backoff_time": "1s", "maximal_backoff_time": "2s",
        "queue_run_delay": "1s", "mynetworks": "192.0.2.0/24"}

BASE = Slapd.suffix

LDIF = """dn: ou=people,%(b)s
objectClass: organizationalUnit
ou: people

dn: ou=groups,%(b)s
objectClass: organizationalUnit
ou: groups

dn: ou=domains,%(b)s
objectClass: organizationalUnit
ou: domains

dn: uid=user,ou=people,%(b)s
objectClass: inetOrgPerson
objectClass: inetLocalMailRecipient
uid: user
cn: User
sn: User
mailLocalAddress: user@relay.test
mailRoutingAddress: user@relay.test

dn: uid=other,ou=people,%(b)s
objectClass: inetOrgPerson
objectClass: inetLocalMailRecipient
uid: other
cn: Other
sn: Other
mailLocalAddress: other@relay.test
mailRoutingAddress: other@relay.test

dn: cn=team,ou=groups,%(b)s
objectClass: groupOfNames
cn: team
member: uid=user,ou=people,%(b)s
member: uid=other,ou=people,%(b)s

dn: ou=relay.test,ou=domains,%(b)s
objectClass: organizationalUnit
objectClass: domainRelatedObject
ou: relay.test
associatedDomain: relay.test
description: smtp:[%(addr)s]:%(port)d

"""


@pytest.fixture(scope="module")
def sink():
    srv = Sink(host=random_loopback())
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def slapd(sink):
    srv = Slapd(LDIF % {"b": BASE, "addr": sink.addr, "port": sink.port})
    try:
        srv.start()
    except Exception:
        srv.close()
        raise
    yield srv
    srv.close()


def start_with_recipient_access(inst, spec):
    """Start inst relaying for example.com, its recipients checked by
    check_recipient_access spec."""
    inst.main_cf_extra.update(FAST)
    inst.main_cf_extra.update({"relay_domains": "example.com",
                               "smtpd_recipient_restrictions":
                               "check_recipient_access " + spec})
    inst.write_config()
    inst.start()


def path(line):
    return re.search(r"<[^>]*>", line).group(0)


# ---- LDAP ---------------------------------------------------------------------

def ldap_cf(slapd, filt, attrs, extra=""):
    return ("server_host = ldap://127.0.0.1:%d/\nsearch_base = %s\nversion = 3\n"
            "bind = no\ntimeout = 5\nquery_filter = %s\nresult_attribute = %s\n%s"
            % (slapd.port, BASE, filt, attrs, extra))


def ldap_instance(make_instance, slapd, sink):
    inst = make_instance()
    t = {
        "domains": inst.config_file("domains.cf", ldap_cf(slapd, "(associatedDomain=%s)",
                                                      "associatedDomain")),
        "mailboxes": inst.config_file("mailboxes.cf", ldap_cf(slapd, "(mailLocalAddress=%s)",
                                                          "mailLocalAddress")),
        "transport": inst.config_file("transport.cf", ldap_cf(slapd, "(associatedDomain=%s)",
                                                          "description")),
        "aliases": inst.config_file("aliases.cf", ldap_cf(
            slapd, "(&(objectClass=groupOfNames)(cn=%s))", "mailRoutingAddress",
            "special_result_attribute = member\n")),
    }
    inst.main_cf_extra.update(FAST)
    inst.main_cf_extra.update({
        "relay_domains": "ldap:" + t["domains"],
        "relay_recipient_maps": "ldap:" + t["mailboxes"],
        "transport_maps": "ldap:" + t["transport"],
        "alias_maps": "ldap:" + t["aliases"],
    })
    inst.write_config()
    inst.start()
    return inst, t


def test_ldap_routes_groups_and_changes(make_instance, slapd, sink):
    inst, t = ldap_instance(make_instance, slapd, sink)
    n = len(sink.messages)
    send(inst, ["user@relay.test"])
    sink.wait_for(n + 1)
    assert [path(r) for r in sink.messages[n].rcpt_args] == ["<user@relay.test>"]

    # A group (special_result_attribute = member) as a local alias.
    send(inst, ["team@localhost"])
    sink.wait_for(n + 2)
    wait_for(lambda: len(sink.messages) >= n + 2, 10)
    got = sorted(path(r) for m in sink.messages[n + 1:] for r in m.rcpt_args)
    assert got == ["<other@relay.test>", "<user@relay.test>"]

    code, msg = rcpt_reply(inst, "nobody@relay.test")
    assert code == 550 and b"5.1.1" in msg
    # Filter metacharacters are escaped: no wildcard, no injected term.
    for evil in ["*@relay.test", "\"x)(mailLocalAddress=*\"@relay.test",
                 "\"*)(|(uid=*\"@relay.test"]:
        code, msg = rcpt_reply(inst, evil)
        assert code == 550, (evil, code, msg)

    # An entry added is seen at the next lookup.
    assert rcpt_reply(inst, "new@relay.test")[0] == 550
    slapd.ldapadd("dn: uid=new,ou=people,%s\nobjectClass: inetOrgPerson\n"
                  "objectClass: inetLocalMailRecipient\nuid: new\ncn: N\nsn: N\n"
                  "mailLocalAddress: new@relay.test\n" % BASE)
    assert rcpt_reply(inst, "new@relay.test")[0] == 250

    # postern map -q, with an authenticated bind.
    bound = inst.config_file("bound.cf", ldap_cf(slapd, "(mailLocalAddress=%s)", "uid",
                                            "bind = yes\nbind_dn = %s\nbind_pw = %s\n"
                                            % (slapd.rootdn, slapd.rootpw)))
    r = inst.postern(["map", "-q", "other@relay.test", "ldap:" + bound])
    assert r.returncode == 0 and r.stdout.decode().strip() == "other", r.stderr
    r = inst.postern(["map", "-q", "*", "ldap:" + bound])
    assert r.returncode == 1
    badpw = inst.config_file("badpw.cf", ldap_cf(slapd, "(mailLocalAddress=%s)", "uid",
                                            "bind = yes\nbind_dn = %s\nbind_pw = wrong\n"
                                            % slapd.rootdn))
    r = inst.postern(["map", "-q", "other@relay.test", "ldap:" + badpw])
    assert r.returncode not in (0, 1) and b"Invalid credentials" in r.stderr


def test_ldap_server_down(make_instance, slapd, sink):
    inst, t = ldap_instance(make_instance, slapd, sink)
    assert rcpt_reply(inst, "user@relay.test")[0] == 250    # connection kept
    n = len(sink.messages)
    slapd.stop()
    try:
        code, msg = rcpt_reply(inst, "user@relay.test")
        assert code == 451 and b"4.3.0" in msg, (code, msg)
        r = inst.sendmail(["-f", "sender@example.org", "user@relay.test"],
                          input=b"Subject: ldap down\r\n\r\nx\r\n")
        assert r.returncode == 0
        inst.wait_log(r"to=<user@relay\.test>.*dsn=4\.3\.0, status=deferred", timeout=30)
        assert inst.queue_count() == 1
    finally:
        slapd.start()
    assert rcpt_reply(inst, "user@relay.test")[0] == 250
    inst.postern(["flush"])
    sink.wait_for(n + 1, timeout=60)
    wait_for(lambda: inst.queue_count() == 0, 30, "queue empty")
    assert "status=bounced" not in inst.log()


# ---- memcache -----------------------------------------------------------------

def test_memcache_cache_in_front_of_a_table(make_instance, memcached):
    inst = make_instance()
    backup = inst.config_file("backup", "k1@example.com REJECT from backup\n"
                                   "k2@example.com OK\n")
    cf = inst.config_file("mc.cf", "memcache = inet:127.0.0.1:%d\nbackup = texthash:%s\n"
                              "key_format = access:%%s\nttl = 60\n" % (memcached.port, backup))
    spec = "memcache:" + cf
    memcached.delete("access:k1@example.com")
    r = inst.postern(["map", "-q", "k1@example.com", spec])
    assert r.stdout.decode().strip() == "REJECT from backup", r.stderr
    # Filled in: the next lookup, by any process, is served by memcached.
    assert memcached.get("access:k1@example.com") == "REJECT from backup"
    memcached.set("access:k1@example.com", "REJECT from cache")
    r = inst.postern(["map", "-q", "k1@example.com", spec])
    assert r.stdout.decode().strip() == "REJECT from cache"
    r = inst.postern(["map", "-q", "none@example.com", spec])
    assert r.returncode == 1

    # In smtpd, across a memcached restart (the kept connection is redone).
    start_with_recipient_access(inst, spec)
    code, msg = rcpt_reply(inst, "k1@example.com")
    assert code == 554 and b"from cache" in msg
    memcached.stop()
    memcached.start()
    code, msg = rcpt_reply(inst, "k1@example.com")      # empty cache: backup
    assert code == 554 and b"from backup" in msg
    # memcached down: the backup answers alone.
    memcached.stop()
    try:
        code, msg = rcpt_reply(inst, "k1@example.com")
        assert code == 554 and b"from backup" in msg
    finally:
        memcached.start()


def test_memcache_without_backup_fails_temporarily(make_instance, memcached):
    inst = make_instance()
    cf = inst.config_file("mc.cf", "memcache = inet:127.0.0.1:%d\n" % memcached.port)
    memcached.set("x@example.com", "REJECT cached")
    r = inst.postern(["map", "-q", "x@example.com", "memcache:" + cf])
    assert r.stdout.decode().strip() == "REJECT cached"
    memcached.stop()
    try:
        r = inst.postern(["map", "-q", "x@example.com", "memcache:" + cf])
        assert r.returncode not in (0, 1), r
        assert b"memcached" in r.stderr
    finally:
        memcached.start()


# ---- socketmap and tcp ---------------------------------------------------------

def test_socketmap_inet_and_unix(make_instance, tmp_path):
    data = {"access": {"bad@example.com": "REJECT go away", "temp@example.com": None}}

    def handler(name, key):
        if name not in data:
            return "PERM no such map"
        if key == "temp@example.com":
            return "TEMP try later"
        v = data[name].get(key)
        return "OK " + v if v else "NOTFOUND "
    srv = SocketmapServer(handler)
    srv.start()
    usock = str(tmp_path / "sm.sock")
    os.chmod(str(tmp_path), 0o755)
    usrv = SocketmapServer(handler, unix_path=usock)
    usrv.start()
    try:
        inst = make_instance()
        spec = "socketmap:%s:access" % srv.endpoint
        r = inst.postern(["map", "-q", "bad@example.com", spec])
        assert r.stdout.decode().strip() == "REJECT go away", r.stderr
        r = inst.postern(["map", "-q", "Bad@Example.COM", "socketmap:%s:access" % usrv.endpoint])
        assert r.stdout.decode().strip() == "REJECT go away"
        assert inst.postern(["map", "-q", "ok@example.com", spec]).returncode == 1
        r = inst.postern(["map", "-q", "temp@example.com", spec])
        assert r.returncode not in (0, 1) and b"TEMP" in r.stderr

        start_with_recipient_access(inst, spec)
        code, msg = rcpt_reply(inst, "bad@example.com")
        assert code == 554 and b"go away" in msg
        code, msg = rcpt_reply(inst, "temp@example.com")
        assert code == 451 and b"4.3.0" in msg
        before = srv.connections
        srv.stop()
        code, msg = rcpt_reply(inst, "bad@example.com")
        assert code == 451 and b"4.3.0" in msg
        srv.start()
        data["access"]["new@example.com"] = "REJECT new rule"
        code, msg = rcpt_reply(inst, "new@example.com")
        assert code == 554 and b"new rule" in msg
        assert srv.connections > before
    finally:
        srv.stop()
        usrv.stop()


def test_tcp_table(make_instance):
    table = {"a b@example.com": "value with spaces %", "x@example.com": "REJECT tcp"}

    def handler(key):
        from urllib.parse import quote
        if key == "later@example.com":
            return "400 not now"
        if key in table:
            return "200 " + quote(table[key], safe="@:[]")
        return "500 no such key"
    srv = TcpTableServer(handler)
    srv.start()
    try:
        inst = make_instance()
        spec = "tcp:127.0.0.1:%d" % srv.port
        r = inst.postern(["map", "-q", "a b@example.com", spec])
        assert r.stdout.decode().strip() == "value with spaces %", r.stderr
        assert srv.requests[-1] == "a b@example.com"
        assert inst.postern(["map", "-q", "nope@example.com", spec]).returncode == 1
        r = inst.postern(["map", "-q", "later@example.com", spec])
        assert r.returncode not in (0, 1)
        start_with_recipient_access(inst, spec)
        code, msg = rcpt_reply(inst, "x@example.com")
        assert code == 554 and b"REJECT tcp" not in msg and b"tcp" in msg
        srv.stop()
        code, msg = rcpt_reply(inst, "x@example.com")
        assert code == 451
        srv.start()
        code, msg = rcpt_reply(inst, "x@example.com")
        assert code == 554
    finally:
        srv.stop()


def test_ldap_start_tls(make_instance, tmp_path):
    """A directory that requires TLS: start_tls with the CA checked works;
    without StartTLS, or with an unverifiable certificate, the lookup fails
    temporarily."""
    srv = Slapd(LDIF % {"b": BASE, "addr": "127.0.0.1", "port": 25}, tls=True)
    try:
        srv.start()
        inst = make_instance()
        base = ldap_cf(srv, "(mailLocalAddress=%s)", "uid")
        good = inst.config_file("tls.cf", base + "start_tls = yes\ntls_require_cert = yes\n"
                                            "tls_ca_cert_file = %s\n" % srv.cert)
        r = inst.postern(["map", "-q", "user@relay.test", "ldap:" + good])
        assert r.returncode == 0 and r.stdout.decode().strip() == "user", r.stderr
        clear = inst.config_file("clear.cf", base)
        r = inst.postern(["map", "-q", "user@relay.test", "ldap:" + clear])
        assert r.returncode == 2 and b"onfidentiality" in r.stderr, r
        unverified = inst.config_file("unverified.cf", base + "start_tls = yes\n"
                                                         "tls_require_cert = yes\n")
        r = inst.postern(["map", "-q", "user@relay.test", "ldap:" + unverified])
        assert r.returncode == 2 and b"STARTTLS" in r.stderr, r
    finally:
        srv.close()
