"""Postfix restrictions beyond the common ones, with Postfix's replies and
log lines: reject_unauth_pipelining, defer_if_permit, defer_if_reject,
warn_if_reject, sleep, permit_auth_destination,
reject_multi_recipient_bounce, reject_plaintext_session,
smtpd_null_access_lookup_key, the MX/NS/A access checks
(check_sender_mx_access and friends, DNS from the loopback test server),
permit_mx_backup and smtpd_log_access_permit_actions."""
import re
import time

from dnsserver import DNSServer
from harness import other_loopback
from test_screen import rev
from test_smtpd_lib import Client, smtpd_instance
from test_tls import client_ctx, pki, tls_smtpd  # noqa: F401 (pki: a fixture)

MSG = "Subject: t\r\n\r\nbody\r\n.\r\n"
PIPE_TEXT = "Improper use of SMTP command pipelining"


def restart(inst):
    """Apply inst.main_cf_extra: a stop and start (no reload race)."""
    inst.stop()
    inst.write_main_cf()
    inst.start()


def instance(make_instance, **main_cf):
    extra = {"local_recipient_maps": "", "smtpd_forbid_unauth_pipelining": "no",
             "mynetworks": "192.0.2.0/24"}
    extra.update(main_cf)
    return smtpd_instance(make_instance, **extra)


# ---- reject_unauth_pipelining ------------------------------------------------

def test_unauth_pipelining_after_helo_rejected_at_data(make_instance):
    inst = instance(make_instance, smtpd_data_restrictions="reject_unauth_pipelining")
    with Client(inst) as c:
        assert c.cmd("HELO client.example")[0] == 250
        # Three commands in one write, although HELO offered no PIPELINING.
        c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<root@localhost>\r\nDATA\r\n")
        assert c.reply()[0] == 250
        assert c.reply()[0] == 250
        assert c.reply() == (503, "503 5.5.0 <DATA>: Data command rejected: " + PIPE_TEXT)
        # Not disconnected (smtpd_forbid_unauth_pipelining = no).
        assert c.cmd("QUIT")[0] == 221
    inst.wait_log(r"improper command pipelining after MAIL from unknown\[[0-9.]+\]: "
                  r"RCPT TO:<root@localhost>\\r\\nDATA\\r\\n$")
    # The queue file exists since the first recipient: its id, as Postfix.
    inst.wait_log(r"\w+: reject: DATA from unknown\[[0-9.]+\]: 503 5\.5\.0 <DATA>: "
                  r"Data command rejected: %s; from=<a@example\.com> .*proto=SMTP "
                  r"helo=<client\.example>$" % PIPE_TEXT)
    # Logged once per session, as in Postfix.
    assert len(re.findall("improper command pipelining", inst.log())) == 1
    assert inst.queue_files("incoming") == []


def test_pipelining_after_ehlo_is_accepted(make_instance):
    inst = instance(make_instance, smtpd_data_restrictions="reject_unauth_pipelining",
                    smtpd_client_restrictions="reject_unauth_pipelining")
    with Client(inst) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<root@localhost>\r\n"
               "RCPT TO:<other@localhost>\r\nDATA\r\n")
        assert [c.reply()[0] for _ in range(4)] == [250, 250, 250, 354]
        assert c.cmd(MSG)[0] == 250
        assert c.cmd("QUIT")[0] == 221
    assert "improper command pipelining" not in inst.log()
    assert len(inst.queue_files("incoming")) == 1
    # Message content sent with DATA, before the 354: DATA ends a group.
    with Client(inst) as c:
        c.envelope()
        c.send("DATA\r\nSubject: early\r\n\r\n.\r\n")
        assert c.reply() == (503, "503 5.5.0 <DATA>: Data command rejected: " + PIPE_TEXT)
    inst.wait_log(r"improper command pipelining after DATA from unknown\[[0-9.]+\]: "
                  r"Subject: early\\r\\n\\r\\n\.\\r\\n$")
    assert len(inst.queue_files("incoming")) == 1


def test_unauth_pipelining_in_client_restrictions(make_instance):
    # smtpd_delay_reject: the client list runs at RCPT; the flag set at MAIL.
    inst = instance(make_instance, smtpd_client_restrictions="reject_unauth_pipelining")
    with Client(inst) as c:
        assert c.cmd("HELO client.example")[0] == 250
        c.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<root@localhost>\r\n")
        assert c.reply()[0] == 250
        code, text = c.reply()
        assert (code, text) == (503, "503 5.5.0 <unknown[%s]>: Client host rejected: %s"
                                % (c.sock.getsockname()[0], PIPE_TEXT))
    inst.wait_log(r"NOQUEUE: reject: RCPT from unknown\[[0-9.]+\]: 503 5\.5\.0 "
                  r"<unknown\[[0-9.]+\]>: Client host rejected: %s; from=<a@example\.com> "
                  r"to=<root@localhost> proto=SMTP helo=<client\.example>$" % PIPE_TEXT)
    # A client that waits for each reply is not affected.
    with Client(inst) as c:
        assert c.cmd("HELO client.example")[0] == 250
        assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 250


def test_sleep_then_reject_unauth_pipelining_before_greeting(make_instance):
    # Postfix's recipe against clients that talk before the greeting.
    inst = instance(make_instance, smtpd_delay_reject="no",
                    smtpd_client_restrictions="sleep 1, reject_unauth_pipelining")
    with Client(inst, greet=False) as c:
        c.send("EHLO early.example\r\n")
        assert c.reply() == (503, "503 5.5.0 <unknown[%s]>: Client host rejected: %s"
                             % (c.sock.getsockname()[0], PIPE_TEXT))
        # Access denied for the session: every command but QUIT gets 503.
        assert c.reply()[1] == (
            "503 5.7.0 Error: access denied for unknown[%s]" % c.sock.getsockname()[0])
    inst.wait_log(r"improper command pipelining after CONNECT from unknown\[[0-9.]+\]: "
                  r"EHLO early\.example\\r\\n$")
    inst.wait_log(r"NOQUEUE: reject: CONNECT from unknown\[[0-9.]+\]: 503 5\.5\.0 "
                  r"<unknown\[[0-9.]+\]>: Client host rejected: %s; proto=SMTP$" % PIPE_TEXT)
    start = time.monotonic()
    with Client(inst) as c:                 # waits for the greeting: served
        assert c.banner[0] == 220
        assert time.monotonic() - start >= 0.9
        assert c.cmd("EHLO polite.example")[0] == 250


# ---- defer_if_permit, defer_if_reject, warn_if_reject -----------------------

def rcpt(inst, to, sender="a@example.com", helo="client.example", source=None):
    with Client(inst, source=source, timeout=30) as c:
        c.cmd("EHLO " + helo)
        assert c.cmd("MAIL FROM:<%s>" % sender)[0] == 250
        return c.cmd("RCPT TO:<%s>" % to)


def test_defer_if_permit_and_defer_if_reject(make_instance):
    inst = instance(make_instance, smtpd_recipient_restrictions=
                    "defer_if_permit, check_recipient_access inline:{ok@localhost=OK}")
    assert rcpt(inst, "ok@localhost") == (
        450, "450 4.7.0 <ok@localhost>: Recipient address rejected: "
        "defer_if_permit requested")
    inst.wait_log(r"NOQUEUE: reject: RCPT from unknown\[[0-9.]+\]: 450 4\.7\.0 "
                  r"<ok@localhost>: Recipient address rejected: defer_if_permit "
                  r"requested; from=<a@example\.com> to=<ok@localhost> proto=ESMTP "
                  r"helo=<client\.example>$")
    inst.main_cf_extra["smtpd_recipient_restrictions"] = (
        "defer_if_reject, check_recipient_access inline:{no@localhost=REJECT}")
    restart(inst)
    assert rcpt(inst, "no@localhost") == (
        450, "450 4.7.0 <no@localhost>: Recipient address rejected: "
        "defer_if_reject requested")
    assert rcpt(inst, "yes@localhost")[0] == 250


def test_warn_if_reject_logs_reject_warning(make_instance):
    inst = instance(make_instance, smtpd_relay_restrictions="",
                    smtpd_recipient_restrictions=
                    "warn_if_reject, reject_unauth_destination, "
                    "warn_if_reject, defer_if_permit, permit")
    assert rcpt(inst, "x@remote.test")[0] == 250
    inst.wait_log(r"NOQUEUE: reject_warning: RCPT from unknown\[[0-9.]+\]: 554 5\.7\.1 "
                  r"<x@remote\.test>: Relay access denied; from=<a@example\.com> "
                  r"to=<x@remote\.test> proto=ESMTP helo=<client\.example>$")
    inst.wait_log(r"NOQUEUE: reject_warning: RCPT from unknown\[[0-9.]+\]: 450 4\.7\.0 "
                  r"<x@remote\.test>: Recipient address rejected: defer_if_permit "
                  r"requested; from=<a@example\.com>")
    assert "NOQUEUE: reject:" not in inst.log()


# ---- sleep ------------------------------------------------------------------

def test_sleep_pauses_and_bad_argument_is_config_error(make_instance):
    inst = instance(make_instance, smtpd_recipient_restrictions="sleep 1, permit")
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
        start = time.monotonic()
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 250
        assert time.monotonic() - start >= 0.9
    inst.main_cf_extra["smtpd_recipient_restrictions"] = "sleep soon, permit"
    restart(inst)
    assert rcpt(inst, "root@localhost") == (451, "451 4.3.5 Server configuration error")
    inst.wait_log(r"warning: restriction sleep must be followed by number")


# ---- permit_auth_destination, reject_multi_recipient_bounce -----------------

def test_permit_auth_destination(make_instance):
    inst = instance(make_instance, relay_domains="relay.test",
                    smtpd_relay_restrictions="permit_auth_destination, reject")
    assert rcpt(inst, "root@localhost")[0] == 250
    assert rcpt(inst, "x@relay.test")[0] == 250
    assert rcpt(inst, "x@remote.test") == (
        554, "554 5.7.1 <x@remote.test>: Recipient address rejected: Access denied")


def test_reject_multi_recipient_bounce(make_instance):
    inst = instance(make_instance,
                    smtpd_recipient_restrictions="reject_multi_recipient_bounce",
                    smtpd_data_restrictions="reject_multi_recipient_bounce")
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<>")[0] == 250
        assert c.cmd("RCPT TO:<one@localhost>")[0] == 250
        assert c.cmd("RCPT TO:<two@localhost>") == (
            550, "550 5.5.3 <two@localhost>: Recipient address rejected: "
            "Multi-recipient bounce")
        assert c.cmd("DATA")[0] == 354      # one recipient: a bounce may go
        assert c.cmd(MSG)[0] == 250
        # A real sender may have many recipients.
        assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
        assert c.cmd("RCPT TO:<one@localhost>")[0] == 250
        assert c.cmd("RCPT TO:<two@localhost>")[0] == 250
    inst.wait_log(r"\w+: reject: RCPT from unknown\[[0-9.]+\]: 550 5\.5\.3 "
                  r"<two@localhost>: Recipient address rejected: Multi-recipient bounce; "
                  r"from=<> to=<two@localhost> proto=ESMTP helo=<client\.example>$")
    # At DATA (recipient list without it): more than one recipient.
    inst.main_cf_extra.update({"smtpd_recipient_restrictions": "",
                               "multi_recipient_bounce_reject_code": "554"})
    restart(inst)
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<>")[0] == 250
        assert c.cmd("RCPT TO:<one@localhost>")[0] == 250
        assert c.cmd("RCPT TO:<two@localhost>")[0] == 250
        assert c.cmd("DATA") == (554, "554 5.5.3 <DATA>: Data command rejected: "
                                 "Multi-recipient bounce")


# ---- reject_plaintext_session, smtpd_null_access_lookup_key ----------------

def test_reject_plaintext_session(make_instance):
    inst = instance(make_instance, smtpd_sender_restrictions="reject_plaintext_session")
    assert rcpt(inst, "root@localhost") == (450, "450 4.7.1 Session encryption is required")
    inst.wait_log(r"NOQUEUE: reject: RCPT from unknown\[[0-9.]+\]: 450 4\.7\.1 Session "
                  r"encryption is required; from=<a@example\.com> to=<root@localhost> "
                  r"proto=ESMTP helo=<client\.example>$")
    inst.main_cf_extra["plaintext_reject_code"] = "554"
    restart(inst)
    assert rcpt(inst, "root@localhost") == (554, "554 5.7.1 Session encryption is required")


def test_reject_plaintext_session_passes_tls(make_instance, pki):  # noqa: F811
    inst = tls_smtpd(make_instance, pki, local_recipient_maps="",
                     smtpd_sender_restrictions="reject_plaintext_session")
    with inst.smtp() as s:
        s.ehlo("client.example")
        assert s.starttls(context=client_ctx())[0] == 220
        s.ehlo("client.example")
        assert s.mail("a@example.com")[0] == 250
        assert s.rcpt("root@localhost")[0] == 250
    assert rcpt(inst, "root@localhost")[0] == 450


def test_null_access_lookup_key(make_instance):
    inst = instance(make_instance, smtpd_sender_restrictions=
                    "check_sender_access inline:{{<>=REJECT no bounces}, "
                    "{nullsender=REJECT null key}}")
    assert rcpt(inst, "root@localhost", sender="") == (
        554, "554 5.7.1 <>: Sender address rejected: no bounces")
    inst.main_cf_extra["smtpd_null_access_lookup_key"] = "nullsender"
    restart(inst)
    assert rcpt(inst, "root@localhost", sender="") == (
        554, "554 5.7.1 <>: Sender address rejected: null key")
    assert rcpt(inst, "root@localhost")[0] == 250


# ---- check_*_{mx,ns,a}_access, check_reverse_client_hostname_access --------

ZONE = {
    "spam.test": {"MX": [(10, "mx.spam.test"), (20, "mx2.spam.test")]},
    "mx.spam.test": {"A": ["127.66.1.1"]},
    "mx2.spam.test": {"A": ["127.30.0.1"]},
    "nomx.test": {"A": ["127.66.2.2"]},
    "good.test": {"MX": [(10, "mx.good.test")]},
    "mx.good.test": {"A": ["127.30.0.2"]},
    "named.test": {"MX": [(10, "mx.badhost.test")]},
    "mx.badhost.test": {"A": ["127.30.0.3"]},
    "null.test": {"MX": [(0, ".")]},
    "broken.test": "SERVFAIL",
    "ns.test": {"NS": ["ns1.ns.test."], "A": ["127.30.0.4"]},
    "sub.ns.test": {"A": ["127.30.0.5"]},
    "ns1.ns.test": {"A": ["127.66.3.3"]},
    "okns.test": {"NS": ["ns.okns.test."]},
    "ns.okns.test": {"A": ["127.30.0.6"]},
    "helo.test": {"A": ["127.66.4.4"]},
}


def test_sender_mx_and_ns_access(make_instance):
    with DNSServer(dict(ZONE)) as dns:
        inst = instance(make_instance, dns_resolver_address=dns.spec)
        cidr = inst.config_file("bad.cidr", "127.66.0.0/16 REJECT bad server\n")
        inst.main_cf_extra["smtpd_sender_restrictions"] = (
            "check_sender_mx_access cidr:%s, check_sender_ns_access cidr:%s, "
            "check_sender_mx_access inline:{{badhost.test=REJECT bad MX name}}"
            % (cidr, cidr))
        restart(inst)
        # An MX host's address is in the table.
        assert rcpt(inst, "root@localhost", sender="a@spam.test") == (
            554, "554 5.7.1 <a@spam.test>: Sender address rejected: bad server")
        inst.wait_log(r"NOQUEUE: reject: RCPT from unknown\[[0-9.]+\]: 554 5\.7\.1 "
                      r"<a@spam\.test>: Sender address rejected: bad server; "
                      r"from=<a@spam\.test> to=<root@localhost> proto=ESMTP "
                      r"helo=<client\.example>$")
        # No MX record: the domain is its own MX host.
        assert rcpt(inst, "root@localhost", sender="a@nomx.test")[0] == 554
        # The MX host's name, and its parent domains.
        assert rcpt(inst, "root@localhost", sender="a@named.test") == (
            554, "554 5.7.1 <a@named.test>: Sender address rejected: bad MX name")
        # No NS record for sub.ns.test: those of ns.test.
        assert rcpt(inst, "root@localhost", sender="a@sub.ns.test") == (
            554, "554 5.7.1 <a@sub.ns.test>: Sender address rejected: bad server")
        # An address literal is its own MX host.
        assert rcpt(inst, "root@localhost", sender="a@[127.66.9.9]")[0] == 554
        # Good servers, a null MX, a DNS failure, the null sender: no decision.
        for sender in ("a@good.test", "a@okns.test", "a@null.test", "a@broken.test", ""):
            assert rcpt(inst, "root@localhost", sender=sender)[0] == 250, sender
        inst.wait_log(r"warning: Unable to look up MX host for broken\.test: ")
        assert ("mx.spam.test", "A") in dns.queries
        assert ("ns.test", "NS") in dns.queries


def test_recipient_helo_client_a_access_and_ok_refused(make_instance):
    with DNSServer(dict(ZONE)) as dns:
        inst = instance(make_instance, dns_resolver_address=dns.spec,
                        smtpd_peername_lookup="yes")
        cidr = inst.config_file("bad.cidr", "127.66.0.0/16 REJECT bad server\n")
        inst.main_cf_extra.update({
            "smtpd_relay_restrictions": "permit",
            "smtpd_helo_restrictions": "check_helo_a_access cidr:%s" % cidr,
            "smtpd_recipient_restrictions":
                "check_recipient_mx_access cidr:%s, "
                "check_recipient_ns_access inline:{ns.okns.test=OK}, "
                "check_client_a_access cidr:%s" % (cidr, cidr)})
        restart(inst)
        assert rcpt(inst, "x@spam.test") == (
            554, "554 5.7.1 <x@spam.test>: Recipient address rejected: bad server")
        assert rcpt(inst, "root@localhost", helo="helo.test") == (
            554, "554 5.7.1 <helo.test>: Helo command rejected: bad server")
        # OK is not allowed from these tables (Postfix): a configuration error.
        assert rcpt(inst, "x@okns.test") == (451, "451 4.3.5 Server configuration error")
        inst.wait_log(r"warning: restriction check_recipient_ns_access returns OK "
                      r"for x@okns\.test")
        inst.wait_log(r"warning: use DUNNO instead of OK if you want to make an exception")
        # The verified client name's address.
        src = other_loopback(inst.addr)
        dns.zone[rev(src) + ".in-addr.arpa"] = {"PTR": ["client.spam.test."]}
        dns.zone["client.spam.test"] = {"A": [src, "127.66.7.7"]}
        assert rcpt(inst, "root@localhost", source=src) == (
            554, "554 5.7.1 <client.spam.test[%s]>: Client host rejected: bad server" % src)


def test_reverse_client_hostname_access(make_instance):
    with DNSServer({}) as dns:
        inst = instance(make_instance, dns_resolver_address=dns.spec,
                        smtpd_peername_lookup="yes", smtpd_client_restrictions=
                        "check_reverse_client_hostname_access "
                        "inline:{{dynamic.test=REJECT dynamic host}, {ok.test=OK}}")
        bad, ok, plain = (other_loopback(inst.addr) for _ in range(3))
        # Unverified: the PTR name need not resolve back.
        dns.zone[rev(bad) + ".in-addr.arpa"] = {"PTR": ["h1.dynamic.test."]}
        dns.zone[rev(ok) + ".in-addr.arpa"] = {"PTR": ["ok.test."]}
        assert rcpt(inst, "root@localhost", source=bad) == (
            554, "554 5.7.1 <h1.dynamic.test>: Unverified Client host rejected: "
            "dynamic host")
        inst.wait_log(r"NOQUEUE: reject: RCPT from unknown\[%s\]: 554 5\.7\.1 "
                      r"<h1\.dynamic\.test>: Unverified Client host rejected: dynamic "
                      r"host; from=<a@example\.com> to=<root@localhost>" % re.escape(bad))
        assert rcpt(inst, "root@localhost", source=ok)[0] == 451
        assert rcpt(inst, "root@localhost", source=plain)[0] == 250


# ---- permit_mx_backup ----------------------------------------------------------

def test_permit_mx_backup(make_instance):
    with DNSServer({}) as dns:
        inst = instance(make_instance, dns_resolver_address=dns.spec,
                        smtpd_relay_restrictions="permit_mx_backup, "
                        "reject_unauth_destination")
        dns.zone.update({
            "backupme.test": {"A": [inst.addr]},
            "primary.test": {"A": ["127.30.1.1"]},
            "far.test": {"A": ["127.31.0.1"]},
            "backed.test": {"MX": [(10, "primary.test"), (20, "backupme.test")]},
            "byname.test": {"MX": [(10, "primary.test"), (20, "localhost")]},
            "primaryme.test": {"MX": [(10, "backupme.test"), (20, "primary.test")]},
            "notme.test": {"MX": [(10, "primary.test"), (20, "far.test")]},
            "outside.test": {"MX": [(10, "far.test"), (20, "backupme.test")]},
            "tmp.test": "SERVFAIL",
        })
        # This host is a backup MX (by address, by mydestination name).
        for domain in ("backed.test", "byname.test", "outside.test"):
            assert rcpt(inst, "x@" + domain)[0] == 250, domain
        # Local domains pass too (as permit_auth_destination).
        assert rcpt(inst, "root@localhost")[0] == 250
        # A primary MX, not an MX, no MX at all, an address literal: relaying.
        for to in ("x@primaryme.test", "x@notme.test", "x@nomx.test", "x@[127.30.1.1]"):
            assert rcpt(inst, to) == (
                554, "554 5.7.1 <%s>: Relay access denied" % to), to
        # A temporary DNS failure turns the reject into 450.
        code, text = rcpt(inst, "x@tmp.test")
        assert code == 450 and text.startswith(
            "450 4.4.4 <x@tmp.test>: Recipient address rejected: Unable to look up "
            "mail exchanger information: "), text
        # permit_mx_backup_networks: every primary must be in those networks.
        inst.main_cf_extra["permit_mx_backup_networks"] = "127.30.1.0/24"
        restart(inst)
        assert rcpt(inst, "x@backed.test")[0] == 250
        assert rcpt(inst, "x@outside.test")[0] == 554


# ---- smtpd_log_access_permit_actions -------------------------------------------

def test_log_access_permit_actions(make_instance):
    inst = instance(make_instance, mynetworks="127.0.0.0/8",
                    smtpd_log_access_permit_actions="permit_mynetworks, ok",
                    smtpd_relay_restrictions="permit_mynetworks, reject",
                    smtpd_sender_restrictions="check_sender_access "
                    "inline:{a@example.com=OK}, permit_auth_destination")
    assert rcpt(inst, "root@localhost")[0] == 250
    inst.wait_log(r"NOQUEUE: permit: RCPT from unknown\[([0-9.]+)\]: action=permit_mynetworks "
                  r"for Client host=unknown\[\1\]; from=<a@example\.com> "
                  r"to=<root@localhost> proto=ESMTP helo=<client\.example>$")
    inst.wait_log(r"NOQUEUE: permit: RCPT from unknown\[[0-9.]+\]: action=OK for Sender "
                  r"address=a@example\.com from inline:\{a@example\.com=OK\}; "
                  r"from=<a@example\.com> to=<root@localhost> proto=ESMTP")
    # Not listed: not logged.
    assert rcpt(inst, "root@localhost", sender="b@example.com")[0] == 250
    assert "action=permit_auth_destination" not in inst.log()
    # static:all lists every action; a pending DEFER_IF_PERMIT overrules.
    inst.main_cf_extra.update({"smtpd_log_access_permit_actions": "static:all",
                               "smtpd_relay_restrictions": "defer_if_permit, "
                               "permit_mynetworks"})
    restart(inst)
    mark = inst.log_mark()
    assert rcpt(inst, "root@localhost", sender="b@example.com")[0] == 450
    inst.wait_log(r"action=permit_auth_destination for Recipient address=root@localhost;",
                  since=mark)
    assert "action=permit_mynetworks" not in inst.log(mark)
