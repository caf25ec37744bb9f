"""smtp/lmtp client parameters that Postfix administrators set: per-server
EHLO keyword discarding, reply filtering, source-address enforcement.
The real smtp program gets delivery requests (smtp_driver.py) and talks to
scripted servers on loopback (sink.py)."""

import os
import re

import pytest

from harness import BIN, random_loopback
from smtp_driver import ClientEnv

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "smtp")),
                                reason="smtp not built")

BODY = b"From: a@client.test\nTo: b@x.test\nSubject: params\n\nbody\n"


@pytest.fixture
def env(tmp_path):
    return ClientEnv(tmp_path)


def table(tmp_path, name, lines):
    path = tmp_path / name
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def send(env, server, overrides, rcpt="b@x.test", **kw):
    qid = env.make_message("s@client.test", [rcpt], BODY)
    return env.deliver([env.request(qid, server.nexthop, [rcpt], **kw)],
                       overrides=overrides)


# smtp_discard_ehlo_keyword_address_maps

def test_discard_maps_entry_for_server_address(env, sink, tmp_path):
    maps = table(tmp_path, "discard", ["%s dsn, pipelining" % sink.addr])
    res = send(env, sink, {"smtp_discard_ehlo_keyword_address_maps": "texthash:" + maps,
                           "smtp_discard_ehlo_keywords": "8bitmime"},
               notify=["SUCCESS"])
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    # The entry replaces the global list: 8BITMIME stays, DSN goes.
    mail = [c for c in sink.command_lines() if c.startswith("MAIL")][0]
    rcpt = [c for c in sink.command_lines() if c.startswith("RCPT")][0]
    assert "NOTIFY" not in rcpt
    assert res.by_rcpt()[0]["action"] == "relayed"
    assert "BODY=8BITMIME" not in mail   # 7-bit body: no BODY= either way
    assert re.search(r"discarding EHLO keywords: (PIPELINING DSN|DSN PIPELINING)$",
                     res.log, re.M), res.log


def test_discard_maps_other_address_uses_global_list(env, sink, tmp_path):
    maps = table(tmp_path, "discard", ["127.255.255.254 dsn"])
    res = send(env, sink, {"smtp_discard_ehlo_keyword_address_maps": "texthash:" + maps,
                           "smtp_discard_ehlo_keywords": "silent-discard, size"},
               notify=["SUCCESS"])
    rcpt = [c for c in sink.command_lines() if c.startswith("RCPT")][0]
    mail = [c for c in sink.command_lines() if c.startswith("MAIL")][0]
    assert "NOTIFY=SUCCESS" in rcpt and "SIZE=" not in mail
    assert res.by_rcpt()[0]["action"] == "delivered"
    assert "discarding EHLO keywords" not in res.log


def test_discard_maps_lookup_error_defers(env, sink, tmp_path):
    res = send(env, sink, {"smtp_discard_ehlo_keyword_address_maps":
                           "texthash:" + str(tmp_path / "missing")})
    r = res.by_rcpt()[0]
    assert r["status"] == "4.3.0", r
    assert "smtp_discard_ehlo_keyword_address_maps map lookup error for %s" % sink.addr \
        in res.log
    assert not [c for c in sink.command_lines() if c.startswith("MAIL")]


def test_lmtp_discard_lhlo_keyword_address_maps(env, tmp_path):
    from harness import random_loopback
    from sink import Sink
    with Sink(host=random_loopback(), lmtp=True) as server:
        maps = table(tmp_path, "discard", ["%s dsn" % server.addr])
        qid = env.make_message("s@client.test", ["b@x.test"], BODY)
        res = env.deliver([env.request(qid, "inet:%s:%d" % (server.addr, server.port),
                                       ["b@x.test"], transport="lmtp",
                                       notify=["SUCCESS"])],
                          overrides={"lmtp_discard_lhlo_keyword_address_maps":
                                     "texthash:" + maps},
                          service="lmtp")
        assert res.by_rcpt()[0]["status"] == "2.0.0", res.log
        rcpt = [c for c in server.command_lines() if c.startswith("RCPT")][0]
        assert "NOTIFY" not in rcpt
        assert "discarding EHLO keywords: DSN" in res.log


# smtp_connection_cache_on_demand, smtp_connection_cache_destinations,
# smtp_connection_reuse_count_limit

def deliver_many(env, server, n, overrides):
    qids = [env.make_message("s@client.test", ["b@x.test"], b"Subject: %d\n\nmsg\n" % i)
            for i in range(n)]
    conf = {"smtp_connection_cache_time_limit": "10s"}
    conf.update(overrides)
    res = env.deliver([env.request(q, server.nexthop, ["b@x.test"]) for q in qids],
                      overrides=conf)
    server.wait_for(n)
    assert all(r[0]["status"] == "2.0.0" for r in res.replies), res.log
    return res


def test_cache_on_demand_default_reuses(env, sink):
    deliver_many(env, sink, 3, {})
    assert sink.connections == 1


def test_cache_on_demand_off_closes_each_session(env, sink):
    deliver_many(env, sink, 3, {"smtp_connection_cache_on_demand": "no"})
    assert sink.connections == 3
    assert "RSET" not in sink.command_lines()


@pytest.mark.parametrize("listed", [True, False])
def test_cache_destinations_always_cached(env, sink, tmp_path, listed):
    dest = sink.nexthop if listed else "[127.255.255.254]:25"
    pats = table(tmp_path, "cachedests", ["other.example", dest.upper()])
    deliver_many(env, sink, 3, {"smtp_connection_cache_on_demand": "no",
                                "smtp_connection_cache_destinations": pats})
    assert sink.connections == (1 if listed else 3)


def test_cache_destinations_table(env, sink, tmp_path):
    t = table(tmp_path, "cachetab", ["%s yes" % sink.nexthop])
    deliver_many(env, sink, 2, {"smtp_connection_cache_on_demand": "no",
                                "smtp_connection_cache_destinations": "texthash:" + t})
    assert sink.connections == 1


def test_reuse_count_limit(env, sink):
    # Limit 2: a session carries at most 3 requests.
    deliver_many(env, sink, 7, {"smtp_connection_reuse_count_limit": "2"})
    assert sink.connections == 3
    assert len(sink.messages) == 7


# smtp_reply_filter

def test_reply_filter_rewrites_lines(env, sink, tmp_path):
    sink.set_rcpt_reply("gone@x.test", "550 5.1.1 <gone@x.test>: no such user")
    filt = table(tmp_path, "reply_filter", [
        r"/^550 5\.1\.1 (.*)$/ 450 4.1.1 filtered: $1",
        r"/^250-PIPELINING$/ 250-X-IGNORED",
    ])
    qid = env.make_message("s@client.test", ["gone@x.test", "ok@x.test"], BODY)
    res = env.deliver([env.request(qid, sink.nexthop, ["gone@x.test", "ok@x.test"])],
                      overrides={"smtp_reply_filter": "regexp:" + filt,
                                 "debug_peer_list": sink.addr})
    got = {r["rcpt_index"]: r for r in res.replies[0]}
    assert got["0"]["status"] == "4.1.1", got
    assert "450 4.1.1 filtered: <gone@x.test>: no such user" in got["0"]["reason"]
    assert got["1"]["status"] == "2.0.0"
    # The transcript shows the lines after the filter; PIPELINING is gone,
    # so each command waits for its reply.
    assert "< %s[%s]: 250-X-IGNORED" % (sink.addr, sink.addr) in res.log
    assert "]: 250-PIPELINING" not in res.log
    seq = re.findall(r"([<>]) \S+\[[^]]+\]: (\S+)", res.log)
    i = [w for d, w in seq].index("MAIL")
    assert [d for d, w in seq[i:i + 4]] == [">", "<", ">", "<"]


def test_reply_filter_lookup_error_fails_session(env, sink, tmp_path):
    res = send(env, sink, {"smtp_reply_filter": "texthash:" + str(tmp_path / "missing")})
    r = res.by_rcpt()[0]
    assert r["status"].startswith("4."), r
    assert "table lookup error" in r["reason"]
    assert "smtp_reply_filter: table lookup error for \"220 " in res.log
    assert not sink.messages


# smtp_dns_reply_filter (DNS from tests/dnsserver.py on loopback)

from test_smtp_mx import net, two_mx  # noqa: E402,F401


def dns_filter(tmp_path, lines):
    return "regexp:" + table(tmp_path, "dns_filter", lines)


def test_dns_reply_filter_drops_mx_record(net, tmp_path):
    n = net(2, two_mx)
    res = n.send("dest.test", overrides={"smtp_dns_reply_filter": dns_filter(
        tmp_path, [r"/^dest\.test\. [0-9]+ IN MX 10 mx1\.dest\.test\.$/ IGNORE"])})
    assert res.by_rcpt()[0]["status"] == "2.0.0", res.log
    assert len(n.servers[1].wait_for(1)) == 1
    assert n.servers[0].connections == 0


def test_dns_reply_filter_drops_address_record(net, tmp_path):
    n = net(2, two_mx)
    res = n.send("dest.test", overrides={"smtp_dns_reply_filter": dns_filter(
        tmp_path, [r"/ IN A %s$/ ignore" % re.escape(n.addrs[0])])})
    assert res.by_rcpt()[0]["status"] == "2.0.0", res.log
    assert len(n.servers[1].wait_for(1)) == 1
    assert n.servers[0].connections == 0


def test_dns_reply_filter_drops_everything(net, tmp_path):
    n = net(1, lambda n: {"dest.test": {"MX": [(10, "mx1.dest.test")]},
                          "mx1.dest.test": {"A": [n.addrs[0]]}})
    res = n.send("dest.test", overrides={"smtp_dns_reply_filter": dns_filter(
        tmp_path, [r"/ IN MX / IGNORE"])})
    r = res.by_rcpt()[0]
    assert r["status"] == "4.7.0", r
    assert "Error looking up name=dest.test type=MX: DNS reply filter drops all results" \
        in r["reason"]
    assert n.servers[0].connections == 0


def test_dns_reply_filter_other_values_keep(net, tmp_path):
    n = net(2, two_mx)
    res = n.send("dest.test", overrides={"smtp_dns_reply_filter": dns_filter(
        tmp_path, [r"/ IN MX 10 / DUNNO"])})
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert len(n.servers[0].wait_for(1)) == 1


# smtp_bind_address_enforce. 192.0.2.1 (TEST-NET-1) is on no interface of
# the test machine: bind() fails locally, no packet leaves loopback.

def test_bind_failure_falls_back_by_default(env, sink):
    res = send(env, sink, {"smtp_bind_address": "192.0.2.1"})
    assert res.by_rcpt()[0]["status"] == "2.0.0", res.log
    assert re.search(r"warning: bind 192\.0\.2\.1: ", res.log), res.log
    assert len(sink.messages) == 1


def test_bind_address_enforce_defers(env, sink):
    res = send(env, sink, {"smtp_bind_address": "192.0.2.1",
                           "smtp_bind_address_enforce": "yes"})
    r = res.by_rcpt()[0]
    assert r["status"] == "4.4.0" and r["action"] == "delayed", r
    assert "cannot bind smtp_bind_address to 192.0.2.1: " in r["reason"]
    assert sink.connections == 0


def test_bind_address_enforce_when_bind_works(env, sink):
    from harness import random_loopback
    local = random_loopback()
    res = send(env, sink, {"smtp_bind_address": local, "smtp_bind_address_enforce": "yes"})
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert sink.peers == [local]


# lmtp_assume_final

@pytest.mark.parametrize("final", [None, "yes"])
def test_lmtp_assume_final(env, final):
    from harness import random_loopback
    from sink import Sink
    with Sink(host=random_loopback(), lmtp=True, dsn=False) as server:
        qid = env.make_message("s@client.test", ["b@x.test", "c@x.test"], BODY)
        req = env.request(qid, "inet:%s:%d" % (server.addr, server.port),
                          ["b@x.test", "c@x.test"], transport="lmtp",
                          notify=["SUCCESS", "FAILURE"])
        res = env.deliver([req], service="lmtp",
                          overrides={"lmtp_assume_final": final} if final else None)
        got = {r["rcpt_index"]: r for r in res.replies[0]}
        assert got["0"]["status"] == "2.0.0" and got["1"]["status"] == "2.0.0"
        # Without DSN at the server, a success notice says "relayed" unless
        # the LMTP server is assumed to deliver finally.
        assert got["0"]["action"] == ("delivered" if final else "relayed")
        assert got["1"]["action"] == "delivered"


# smtp_send_dummy_mail_auth

@pytest.mark.parametrize("dummy", [None, "yes"])
def test_send_dummy_mail_auth(env, tmp_path, dummy):
    from harness import random_loopback
    from sink import Sink
    with Sink(host=random_loopback(), auth={"u": "pw"}, auth_plaintext=True) as server:
        passwd = table(tmp_path, "sasl_passwd", ["%s u:pw" % server.nexthop])
        conf = {"smtp_sasl_auth_enable": "yes", "smtp_sasl_security_options": "noanonymous",
                "smtp_sasl_password_maps": "texthash:" + passwd}
        if dummy:
            conf["smtp_send_dummy_mail_auth"] = dummy
        res = send(env, server, conf)
        assert res.by_rcpt()[0]["status"] == "2.0.0", res.log
        assert server.wait_for(1)[0].auth == "u"
        mail = [c for c in server.command_lines() if c.startswith("MAIL")][0]
        assert mail.endswith(" AUTH=<>") == bool(dummy), mail


def test_no_dummy_mail_auth_without_sasl(env, sink):
    send(env, sink, {"smtp_send_dummy_mail_auth": "yes"})
    mail = [c for c in sink.command_lines() if c.startswith("MAIL")][0]
    assert "AUTH=" not in mail


# smtp_cname_overrides_servername

@pytest.mark.parametrize("override", [None, "yes"])
def test_cname_overrides_servername(net, tmp_path, override):
    n = net(1, lambda n: {
        "dest.test": {"MX": [(10, "alias.dest.test")]},
        "alias.dest.test": {"CNAME": "real.dest.test"},
        "real.dest.test": {"A": [n.addrs[0]]},
    })
    res = n.send("dest.test", overrides={"smtp_cname_overrides_servername": override}
                 if override else None)
    r = res.by_rcpt()[0]
    name = "real.dest.test" if override else "alias.dest.test"
    assert r["status"] == "2.0.0"
    assert r["relay"] == "%s[%s]:%d" % (name, n.addrs[0], n.port), r


# smtp_balance_inet_protocols: three IPv4 addresses and one IPv6 address
# where nothing listens, smtp_mx_address_limit = 2, IPv4 preferred.

def ipv6_loopback():
    import socket
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.parametrize("balance", [None, "no"])
def test_balance_inet_protocols(net, balance):
    if not ipv6_loopback():
        pytest.skip("no IPv6 loopback")
    n = net(0, lambda n: {"dest.test": {"A": [random_loopback() for _ in range(3)],
                                        "AAAA": ["::1"]}},
            main_cf={"inet_protocols": "all", "smtp_address_preference": "ipv4",
                     "smtp_mx_address_limit": "2"})
    over = {"smtp_balance_inet_protocols": balance} if balance else None
    res = n.send("dest.test", overrides=over)
    assert res.by_rcpt()[0]["action"] == "delayed"
    tried = re.findall(r"connect to dest\.test\[([^]]+)\]:%d" % n.port, res.log)
    assert len(set(tried)) == 2, res.log
    if balance:
        assert "::1" not in tried
    else:
        assert "::1" in tried and len([t for t in set(tried) if ":" not in t]) == 1


# smtp_pix_workarounds, smtp_pix_workaround_maps: a greeting of asterisks

PIX_GREETING = "220 ******************************"


def pix_send(env, server, overrides):
    server.greeting = PIX_GREETING
    return send(env, server, overrides)


def test_pix_default_workarounds(env, sink):
    res = pix_send(env, sink, {"smtp_pix_workaround_delay_time": "0s"})
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert sink.command_lines()[0].startswith("HELO ")
    assert "enabling PIX workarounds: disable_esmtp delay_dotcrlf for %s[%s]:%d" % (
        sink.addr, sink.addr, sink.port) in res.log


def test_pix_workarounds_list(env, sink):
    res = pix_send(env, sink, {"smtp_pix_workarounds": "delay_dotcrlf",
                               "smtp_pix_workaround_delay_time": "0s"})
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert sink.command_lines()[0].startswith("EHLO ")
    assert "enabling PIX workarounds: delay_dotcrlf for" in res.log


def test_pix_workaround_maps(env, sink, tmp_path):
    maps = table(tmp_path, "pix", ["%s disable_esmtp" % sink.addr])
    res = pix_send(env, sink, {"smtp_pix_workaround_maps": "texthash:" + maps})
    assert res.by_rcpt()[0]["status"] == "2.0.0"
    assert sink.command_lines()[0].startswith("HELO ")
    assert "enabling PIX workarounds: disable_esmtp for" in res.log
    # delay_dotcrlf is not in the entry: the dot goes with the content.
    assert "<CR><LF>.<CR><LF> workaround" not in res.log


def test_pix_workarounds_not_for_normal_greeting(env, sink):
    res = send(env, sink, {"smtp_pix_workarounds": "disable_esmtp"})
    assert sink.command_lines()[0].startswith("EHLO ")
    assert "PIX" not in res.log


# smtp_per_record_deadline: a server that trickles its greeting, one byte
# every 0.4 s (each read well within smtp_helo_timeout = 1s, the whole line
# not), then closes after the next command.

class Trickler:
    def __init__(self):
        import socket
        import threading
        self.addr = random_loopback()
        self.sock = socket.socket()
        self.sock.bind((self.addr, 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        import time
        try:
            conn, _ = self.sock.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(10)
            try:
                for b in b"220 x\r\n":
                    conn.sendall(bytes([b]))
                    time.sleep(0.4)
                conn.recv(1024)
            except OSError:
                pass

    def close(self):
        self.sock.close()
        self.thread.join(10)


@pytest.mark.parametrize("deadline", [None, "yes"])
def test_per_record_deadline(env, deadline):
    t = Trickler()
    try:
        qid = env.make_message("s@client.test", ["b@x.test"], BODY)
        conf = {"smtp_helo_timeout": "1s"}
        if deadline:
            conf["smtp_per_record_deadline"] = deadline
        res = env.deliver([env.request(qid, "[%s]:%d" % (t.addr, t.port), ["b@x.test"])],
                          overrides=conf)
    finally:
        t.close()
    r = res.by_rcpt()[0]
    assert r["action"] == "delayed"
    if deadline:
        assert "timed out while receiving the initial server greeting" in r["reason"], r
    else:
        assert "initial server greeting" not in r["reason"], r
        assert "EHLO" in r["reason"], r


def test_per_record_deadline_normal_delivery(env, sink):
    body = b"Subject: big\n\n" + b"".join(b"line %d %s\n" % (i, b"x" * 200)
                                          for i in range(3000))
    qids = [env.make_message("s@client.test", ["b@x.test"], body) for _ in range(2)]
    res = env.deliver([env.request(q, sink.nexthop, ["b@x.test"]) for q in qids],
                      overrides={"smtp_per_record_deadline": "yes",
                                 "smtp_connection_cache_time_limit": "10s"})
    assert all(r[0]["status"] == "2.0.0" for r in res.replies), res.log
    msgs = sink.wait_for(2)
    assert msgs[0].data == body.replace(b"\n", b"\r\n")
    assert sink.connections == 1
