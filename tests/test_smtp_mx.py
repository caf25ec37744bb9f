"""MX handling of the smtp client, with a test DNS server on loopback
(dns_resolver_address) and scripted SMTP servers on distinct loopback
addresses sharing one port (smtp_tcp_port)."""

import os
import re

import pytest

from dnsserver import DNSServer
from harness import BIN, random_loopback
from smtp_driver import ClientEnv, pick_port
from sink import Sink

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "smtp")),
                                reason="smtp not built")

BODY = b"Subject: mx\n\nbody\n"


class Net:
    """n servers on distinct addresses, a port free on all, a DNS zone."""

    def __init__(self, tmp_path, n, zone_fn, main_cf=None):
        self.addrs = [random_loopback() for _ in range(n + 2)]
        self.port = pick_port(self.addrs)
        self.servers = [Sink(host=a, port=self.port).start() for a in self.addrs[:n]]
        self.spare = self.addrs[n:]         # addresses where nothing listens
        self.dns = DNSServer(zone_fn(self)).start()
        conf = {"dns_resolver_address": self.dns.spec, "smtp_tcp_port": str(self.port),
                "inet_protocols": "ipv4"}
        conf.update(main_cf or {})
        self.env = ClientEnv(tmp_path, conf)

    def send(self, nexthop, rcpts=("a@dest.test",), overrides=None):
        qid = self.env.make_message("s@client.test", list(rcpts), BODY)
        return self.env.deliver([self.env.request(qid, nexthop, list(rcpts))], overrides=overrides)

    def close(self):
        for s in self.servers:
            s.stop()
        self.dns.stop()


@pytest.fixture
def net(tmp_path):
    made = []

    def make(n, zone_fn, main_cf=None):
        made.append(Net(tmp_path, n, zone_fn, main_cf))
        return made[-1]
    yield make
    for m in made:
        m.close()


def two_mx(n):
    return {
        "dest.test": {"MX": [(20, "mx2.dest.test"), (10, "mx1.dest.test")]},
        "mx1.dest.test": {"A": [n.addrs[0]]},
        "mx2.dest.test": {"A": [n.addrs[1]]},
    }


def test_mx_preference_order(net):
    n = net(2, two_mx)
    res = n.send("dest.test")
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert len(n.servers[0].wait_for(1)) == 1
    assert n.servers[1].messages == [] and n.servers[1].connections == 0
    assert "relay=mx1.dest.test[%s]:%d" % (n.addrs[0], n.port) in res.log
    assert ("dest.test", "MX") in n.dns.queries


def test_next_mx_when_first_refuses(net):
    n = net(1, lambda n: {
        "dest.test": {"MX": [(10, "down.dest.test"), (20, "up.dest.test")]},
        "down.dest.test": {"A": [n.spare[0]]},
        "up.dest.test": {"A": [n.addrs[0]]},
    })
    res = n.send("dest.test")
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert len(n.servers[0].wait_for(1)) == 1
    assert re.search(r"connect to down\.dest\.test\[%s\]:%d: .*refused" % (re.escape(n.spare[0]), n.port),
                     res.log, re.I), res.log


@pytest.mark.parametrize("greeting", ["421 4.3.2 busy", "554 5.7.1 go away"])
def test_next_mx_when_first_greets_badly(net, greeting):
    n = net(2, two_mx)
    n.servers[0].greeting = greeting
    res = n.send("dest.test")
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert len(n.servers[1].wait_for(1)) == 1
    assert n.servers[0].messages == [] and n.servers[0].connections == 1
    assert "refused to talk to me: %s" % greeting in res.log


def test_next_mx_after_rcpt_4xx(net):
    n = net(2, two_mx)
    n.servers[0].set_rcpt_default("451 4.3.0 greylisted")
    res = n.send("dest.test")
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert len(n.servers[1].wait_for(1)) == 1


def test_all_mx_fail_deferred_with_last_reason(net):
    n = net(2, two_mx)
    for s in n.servers:
        s.greeting = "421 4.3.2 busy"
    res = n.send("dest.test")
    r = res.by_rcpt()[0]
    assert r["action"] == "delayed" and r["status"] == "4.3.2"
    assert "mx2.dest.test" in r["reason"]


def test_no_mx_uses_a_record(net):
    n = net(1, lambda n: {"dest.test": {"A": [n.addrs[0]]}})
    res = n.send("dest.test")
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert len(n.servers[0].wait_for(1)) == 1
    assert ("dest.test", "MX") in n.dns.queries and ("dest.test", "A") in n.dns.queries


def test_cname_followed(net):
    n = net(1, lambda n: {
        "dest.test": {"MX": [(10, "alias.dest.test")]},
        "alias.dest.test": {"CNAME": "real.dest.test"},
        "real.dest.test": {"A": [n.addrs[0]]},
    })
    assert n.send("dest.test").by_rcpt()[0]["status"] == "2.0.0"


def test_nxdomain_bounces_servfail_defers(net):
    n = net(0, lambda n: {"broken.test": "SERVFAIL"})
    r = n.send("nowhere.test").by_rcpt()[0]
    assert r["status"] == "5.4.4" and r["action"] == "failed"
    assert "Host or domain name not found" in r["reason"]
    r = n.send("broken.test").by_rcpt()[0]
    assert r["status"] == "4.4.3" and r["action"] == "delayed"


def test_ignore_mx_lookup_error(net):
    n = net(1, lambda n: {"dest.test": {"A": [n.addrs[0]]}})
    n.dns.zone["dest.test"] = {"A": [n.addrs[0]], "MX": []}
    # MX lookup fails temporarily, A works: only with ignore_mx_lookup_error.
    orig = n.dns.answer

    def answer(query):
        import dns.rcode
        resp = orig(query)
        if query.question[0].rdtype == 15:
            resp.answer = []
            resp.set_rcode(dns.rcode.SERVFAIL)
        return resp
    n.dns.answer = answer
    assert n.send("dest.test").by_rcpt()[0]["status"] == "4.4.3"
    res = n.send("dest.test", overrides={"ignore_mx_lookup_error": "yes"})
    assert res.by_rcpt()[0]["status"] == "2.0.0"


def test_mx_without_address(net):
    n = net(0, lambda n: {"dest.test": {"MX": [(10, "ghost.dest.test")]}})
    assert n.send("dest.test").by_rcpt()[0]["status"] == "5.4.4"
    r = n.send("dest.test", overrides={"smtp_defer_if_no_mx_address_found": "yes"}).by_rcpt()[0]
    assert r["status"].startswith("4.") and r["action"] == "delayed"


def test_mx_address_limit(net):
    n = net(1, lambda n: {
        "dest.test": {"MX": [(10, "down.dest.test"), (20, "up.dest.test")]},
        "down.dest.test": {"A": [n.spare[0]]},
        "up.dest.test": {"A": [n.addrs[0]]},
    })
    r = n.send("dest.test", overrides={"smtp_mx_address_limit": "1"}).by_rcpt()[0]
    assert r["action"] == "delayed"
    assert n.servers[0].connections == 0


def test_fallback_relay(net):
    n = net(1, lambda n: {
        "dest.test": {"MX": [(10, "down.dest.test")]},
        "down.dest.test": {"A": [n.spare[0]]},
    })
    res = n.send("dest.test", overrides={"smtp_fallback_relay": "[%s]:%d" % (n.addrs[0], n.port)})
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert len(n.servers[0].wait_for(1)) == 1


def test_loops_back_to_myself(net, tmp_path):
    n = net(1, lambda n: {
        "dest.test": {"MX": [(10, "me.dest.test"), (20, "other.dest.test")]},
        "me.dest.test": {"A": [n.spare[1]]},
        "other.dest.test": {"A": [n.addrs[0]]},
    })
    # This host is the best MX: the lower-preference MX must not be used.
    res = n.send("dest.test", overrides={"inet_interfaces": n.spare[1]})
    r = res.by_rcpt()[0]
    assert r["status"] == "5.4.6" and "loops back to myself" in r["reason"]
    assert n.servers[0].connections == 0


def test_disable_mx_lookup(net):
    n = net(2, lambda n: {
        "dest.test": {"MX": [(10, "mx.dest.test")], "A": [n.addrs[1]]},
        "mx.dest.test": {"A": [n.addrs[0]]},
    })
    assert n.send("dest.test", overrides={"smtp_disable_mx_lookup": "yes"}).by_rcpt()[0]["status"] == "2.0.0"
    assert len(n.servers[1].wait_for(1)) == 1 and n.servers[0].connections == 0
    # Brackets: no MX lookup either.
    assert n.send("[dest.test]").by_rcpt()[0]["status"] == "2.0.0"
    assert len(n.servers[1].wait_for(2)) == 2


def test_dns_over_tcp_after_truncation(net):
    n = net(1, lambda n: {"dest.test": {"MX": [(10, "mx.dest.test")]},
                          "mx.dest.test": {"A": [n.addrs[0]]}})
    n.dns.truncate_udp = True
    assert n.send("dest.test").by_rcpt()[0]["status"] == "2.0.0"


def test_native_lookup(tmp_path):
    with Sink(host="127.0.0.1") as srv:
        env = ClientEnv(tmp_path, {"smtp_host_lookup": "native", "inet_protocols": "ipv4"})
        qid = env.make_message("s@client.test", ["a@x.test"], BODY)
        res = env.deliver([env.request(qid, "localhost:%d" % srv.port, ["a@x.test"])])
        assert res.by_rcpt()[0]["status"] == "2.0.0"
        res = env.deliver([env.request(qid, "localhost:%d" % srv.port, ["a@x.test"])],
                          overrides={"smtp_host_lookup": "dns", "disable_dns_lookups": "yes"})
        assert res.by_rcpt()[0]["status"] == "2.0.0"


def test_ipv6_literal(tmp_path):
    import socket
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    with Sink(host="::1") as srv:
        env = ClientEnv(tmp_path)
        qid = env.make_message("s@client.test", ["a@x.test"], BODY)
        res = env.deliver([env.request(qid, "[::1]:%d" % srv.port, ["a@x.test"])])
        assert res.by_rcpt()[0]["status"] == "2.0.0"
        assert res.by_rcpt()[0]["relay"] == "::1[::1]:%d" % srv.port


def test_best_mx_transport_handoff(net):
    import socket
    import threading
    from attr_codec import decode, encode
    n = net(1, lambda n: {
        "dest.test": {"MX": [(10, "me.dest.test"), (20, "other.dest.test")]},
        "me.dest.test": {"A": [n.spare[1]]},
        "other.dest.test": {"A": [n.addrs[0]]},
    })
    priv = os.path.join(n.env.queue_dir, "private")
    os.makedirs(priv, exist_ok=True)
    lsock = socket.socket(socket.AF_UNIX)
    lsock.bind(os.path.join(priv, "local"))
    lsock.listen(1)
    lsock.settimeout(20)
    got = []

    def transport():
        conn, _ = lsock.accept()
        with conn:
            buf = b""
            while b"\n\n" not in buf:
                buf += conn.recv(65536)
            req = dict(decode(buf)[0])
            got.append(req)
            conn.sendall(encode([("rcpt_index", 0), ("status", "2.0.0"),
                                 ("action", "delivered"), ("reason", "handed over")])
                         + encode([("done", 1)]))
    t = threading.Thread(target=transport, daemon=True)
    t.start()
    res = n.send("dest.test", overrides={"inet_interfaces": n.spare[1],
                                         "best_mx_transport": "local"})
    t.join(10)
    lsock.close()
    r = res.by_rcpt()[0]
    assert r["status"] == "2.0.0" and r["reason"] == "handed over"
    assert got and got[0]["transport"] == "local" and got[0]["nexthop"] == "dest.test"
    assert n.servers[0].connections == 0


def test_localhost_without_resolver(tmp_path):
    # No DNS server answers here (a port nobody listens on): "[localhost]"
    # still works, through the system's host lookup.
    with Sink(host="127.0.0.1") as srv:
        env = ClientEnv(tmp_path, {"dns_resolver_address": "127.0.0.1:9", "inet_protocols": "ipv4"})
        qid = env.make_message("s@client.test", ["a@x.test"], BODY)
        res = env.deliver([env.request(qid, "[localhost]:%d" % srv.port, ["a@x.test"])])
        assert res.by_rcpt()[0]["status"] == "2.0.0"
