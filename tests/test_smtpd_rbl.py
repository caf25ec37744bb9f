"""DNS-based restrictions through the configured resolver (the loopback test
DNS server): reject_rbl_client and the RHSBL family, allow lists, filters,
rbl_reply_maps, default_rbl_reply, smtpd_dns_reply_filter, client and HELO
host name checks, the per-session cache, time-outs and truncated replies."""
import os
import re
import time

from dnsserver import DNSServer
from harness import other_loopback
from test_screen import fail2ban_hosts, rev
from test_smtpd_lib import Client, smtpd_instance


def instance(make_instance, dns, restrictions, **main_cf):
    extra = {"dns_resolver_address": dns.spec, "local_recipient_maps": "",
             "smtpd_recipient_restrictions": restrictions}
    extra.update(main_cf)
    return smtpd_instance(make_instance, **extra)


def rcpt(inst, src, to="u@localhost", sender="s@example.com", helo="client.example",
         more=()):
    c = Client(inst, source=src, timeout=30)
    c.cmd("EHLO %s" % helo)
    assert c.cmd("MAIL FROM:<%s>" % sender)[0] == 250
    out = [c.cmd("RCPT TO:<%s>" % to)]
    out += [c.cmd("RCPT TO:<%s>" % r) for r in more]
    c.cmd("QUIT")
    return out if more else out[0]


def test_reject_rbl_client_default_reply(make_instance):
    with DNSServer({}) as dns:
        inst = instance(make_instance, dns, "reject_rbl_client bl.test")
        src = other_loopback(inst.addr)
        dns.zone[rev(src) + ".bl.test"] = {"A": ["127.0.0.2"],
                                           "TXT": ["Listed, see http://bl.test/q"]}
        code, text = rcpt(inst, src)
        assert (code, text) == (554, "554 5.7.1 Service unavailable; Client host "
                                "[%s] blocked using bl.test; Listed, see "
                                "http://bl.test/q" % src)
        inst.wait_log(r"NOQUEUE: reject: RCPT from unknown\[%s\]: 554 5.7.1 "
                      r"Service unavailable; Client host \[%s\] blocked using "
                      r"bl.test; Listed, see http://bl.test/q; from=<s@example.com> "
                      r"to=<u@localhost> proto=ESMTP helo=<client.example>"
                      % (re.escape(src), re.escape(src)))
        # fail2ban's postfix filter reads the reject.
        hosts = fail2ban_hosts(inst)
        assert hosts is None or src in hosts, hosts
        # Not listed: accepted.
        assert rcpt(inst, other_loopback(inst.addr))[0] == 250


def test_filters_and_allow_lists(make_instance):
    with DNSServer({}) as dns:
        inst = instance(make_instance, dns,
                        "permit_dnswl_client wl.test=127.0.[0..15].[2;4], "
                        "reject_rbl_client bl.test=127.0.0.[2..11]")
        listed, high, white = (other_loopback(inst.addr) for _ in range(3))
        dns.zone[rev(listed) + ".bl.test"] = {"A": ["127.0.0.11"]}
        dns.zone[rev(high) + ".bl.test"] = {"A": ["127.0.0.12"]}
        dns.zone[rev(white) + ".bl.test"] = {"A": ["127.0.0.2"]}
        dns.zone[rev(white) + ".wl.test"] = {"A": ["127.0.5.4"]}
        dns.zone[rev(listed) + ".wl.test"] = {"A": ["127.0.5.3"]}  # filtered out
        assert rcpt(inst, listed)[0] == 554
        assert rcpt(inst, high)[0] == 250
        assert rcpt(inst, white)[0] == 250


def test_rhsbl_sender_helo_client_and_reply_maps(make_instance):
    with DNSServer({}) as dns:
        inst = instance(make_instance, dns, "")
        path = os.path.join(inst.config_dir, "rbl_reply")
        with open(path, "w") as f:
            f.write("rhs.test $rbl_code 5.7.9 $rbl_class <$rbl_what> is on "
                    "$rbl_domain${rbl_reason?: $rbl_reason}${rbl_reason:, no reason}\n")
        inst.main_cf_extra.update({
            "smtpd_recipient_restrictions": "reject_rhsbl_sender rhs.test, "
            "reject_rhsbl_helo rhs.test, reject_rhsbl_recipient rhs.test",
            "rbl_reply_maps": "texthash:" + path, "maps_rbl_reject_code": "550"})
        inst.write_main_cf()
        inst.stop()
        inst.start()
        dns.zone["spammer.test.rhs.test"] = {"A": ["127.0.0.2"], "TXT": ["bad"]}
        dns.zone["bad.helo.test.rhs.test"] = {"A": ["127.0.0.2"]}
        dns.zone["evil.test.rhs.test"] = {"A": ["127.0.0.2"]}
        src = other_loopback(inst.addr)
        assert rcpt(inst, src, sender="x@spammer.test") == (
            550, "550 5.7.9 Sender address <spammer.test> is on rhs.test: bad")
        assert rcpt(inst, src, helo="bad.helo.test") == (
            550, "550 5.7.9 Helo command <bad.helo.test> is on rhs.test, no reason")
        assert rcpt(inst, src, to="u@evil.test")[0] == 550
        assert rcpt(inst, src)[0] == 250


def test_per_session_cache_and_truncated_replies(make_instance):
    with DNSServer({}, truncate_udp=True) as dns:
        inst = instance(make_instance, dns, "reject_rbl_client bl.test, "
                        "reject_rbl_client bl2.test")
        src = other_loopback(inst.addr)
        dns.zone[rev(src) + ".bl2.test"] = {"A": ["127.0.0.2"]}
        replies = rcpt(inst, src, more=["v@localhost", "w@localhost"])
        assert [code for code, _ in replies] == [554, 554, 554]
        asked = [q for q in dns.queries if q[0].endswith(rev(src) + ".bl.test")]
        assert asked == [(rev(src) + ".bl.test", "A")] * 2     # UDP, then TCP
        asked2 = [q for q in dns.queries if q == (rev(src) + ".bl2.test", "A")]
        assert len(asked2) == 2


def test_dns_timeouts(make_instance):
    with DNSServer({}) as dns:
        inst = instance(make_instance, dns, "permit_dnswl_client slow.test, "
                        "reject_rbl_client slow.test, check_recipient_access "
                        "inline:{ bad@localhost=REJECT }")
        src = other_loopback(inst.addr)
        dns.zone[rev(src) + ".slow.test"] = "TIMEOUT"
        t0 = time.monotonic()
        # A block list that does not answer does not list anyone...
        assert rcpt(inst, src)[0] == 250
        # ...and an allow list that does not answer turns a reject into a defer.
        code, text = rcpt(inst, src, to="bad@localhost")
        assert code == 450, text
        assert time.monotonic() - t0 < 60
        inst.wait_log(r"warning: unknown\[%s\]: DNS lookup error for %s"
                      % (re.escape(src), re.escape(rev(src) + ".slow.test")))


def test_reply_filter(make_instance):
    with DNSServer({}) as dns:
        inst = instance(make_instance, dns, "reject_rbl_client bl.test")
        path = os.path.join(inst.config_dir, "dns_filter")
        with open(path, "w") as f:
            f.write("/ IN A 127\\.0\\.0\\.3$/ IGNORE\n")
        inst.main_cf_extra["smtpd_dns_reply_filter"] = "regexp:" + path
        inst.write_main_cf()
        inst.stop()
        inst.start()
        ignored, listed = other_loopback(inst.addr), other_loopback(inst.addr)
        dns.zone[rev(ignored) + ".bl.test"] = {"A": ["127.0.0.3"]}
        dns.zone[rev(listed) + ".bl.test"] = {"A": ["127.0.0.2"]}
        assert rcpt(inst, ignored)[0] == 250
        assert rcpt(inst, listed)[0] == 554


def test_client_and_helo_hostnames(make_instance):
    with DNSServer({}) as dns:
        inst = instance(make_instance, dns, "reject_unknown_reverse_client_hostname, "
                        "reject_unknown_client_hostname, reject_unknown_helo_hostname",
                        smtpd_peername_lookup="yes")
        good, noptr, mismatch, temp = (other_loopback(inst.addr) for _ in range(4))
        dns.zone[rev(good) + ".in-addr.arpa"] = {"PTR": ["good.test."]}
        dns.zone["good.test"] = {"A": [good]}
        dns.zone[rev(mismatch) + ".in-addr.arpa"] = {"PTR": ["liar.test."]}
        dns.zone["liar.test"] = {"A": ["192.0.2.1"]}
        dns.zone[rev(temp) + ".in-addr.arpa"] = "SERVFAIL"
        dns.zone["client.example"] = {"A": ["192.0.2.9"]}
        assert rcpt(inst, good)[0] == 250
        inst.wait_log(r"connect from good.test\[%s\]" % re.escape(good))
        assert rcpt(inst, noptr) == (450, "450 4.7.25 Client host rejected: cannot "
                                     "find your reverse hostname, [%s]" % noptr)
        assert rcpt(inst, mismatch) == (450, "450 4.7.25 Client host rejected: "
                                        "cannot find your hostname, [%s]" % mismatch)
        inst.wait_log(r"hostname liar.test does not resolve to address %s"
                      % re.escape(mismatch))
        assert rcpt(inst, temp)[0] == 450
        assert rcpt(inst, good, helo="nohost.test") == (
            450, "450 4.7.1 <nohost.test>: Helo command rejected: Host not found")


def test_unknown_client_reject_code(make_instance):
    with DNSServer({}) as dns:
        inst = instance(make_instance, dns, "reject_unknown_client_hostname",
                        smtpd_peername_lookup="yes", unknown_client_reject_code="550")
        src = other_loopback(inst.addr)
        assert rcpt(inst, src) == (550, "550 5.7.25 Client host rejected: cannot "
                                   "find your hostname, [%s]" % src)
