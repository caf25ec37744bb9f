"""smtpd: relay control and restrictions (mynetworks, check_*_access,
reject_non_fqdn_*, unlisted recipients, HOLD, DISCARD, delay_reject)."""
import re

from test_smtpd_lib import Client, find_qf, queued_id, smtpd_instance, wait_qf

MSG = "Subject: policy\r\n\r\nbody\r\n.\r\n"


def table(inst, name, text):
    return "texthash:" + inst.config_file(name, text)


def policy_instance(make_instance, tables=None, **main_cf):
    """An instance whose tables live in its config directory."""
    inst = smtpd_instance(make_instance, **main_cf) if not tables else None
    if inst is None:
        inst = make_instance(main_cf_extra={"smtpd_peername_lookup": "no",
                                            "alias_maps": ""},
                             master_cf="{addr}:{port} inet n - n - - smtpd\n")
        extra = dict(main_cf)
        for param, (fname, text, fmt) in tables.items():
            extra[param] = fmt % table(inst, fname, text)
        inst.main_cf_extra.update(extra)
        inst.write_main_cf()
        inst.start()
    return inst


def transaction(c, sender, rcpt, helo="client.example"):
    assert c.cmd("EHLO %s" % helo)[0] == 250
    code, text = c.cmd("MAIL FROM:<%s>" % sender)
    if code != 250:
        return code, text
    return c.cmd("RCPT TO:<%s>" % rcpt)


def test_relay_denied_outside_mynetworks(make_instance):
    inst = smtpd_instance(make_instance, mynetworks="127.0.0.1/32")
    with Client(inst, source="127.0.0.9") as c:
        code, text = transaction(c, "a@example.com", "x@elsewhere.example")
        assert code == 454, text          # defer_unauth_destination (the default)
        assert text == "454 4.7.1 <x@elsewhere.example>: Relay access denied"
        # Local recipients are accepted from anywhere.
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 250
        assert c.cmd("DATA")[0] == 354
        code, text = c.cmd(MSG)
        assert code == 250
    qf = wait_qf(inst, queued_id(text))
    assert [r["addr"] for r in qf["rcpts"]] == ["root@localhost"]
    assert qf["attrs"]["client_addr"] == "127.0.0.9"
    inst.wait_log(r"NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.9\]: 454 4\.7\.1 "
                  r"<x@elsewhere\.example>: Relay access denied; from=<a@example\.com> "
                  r"to=<x@elsewhere\.example> proto=ESMTP helo=<client\.example>")


def test_relay_allowed_inside_mynetworks(make_instance):
    inst = smtpd_instance(make_instance, mynetworks="127.0.0.1/32")
    with Client(inst, source="127.0.0.1") as c:
        assert transaction(c, "a@example.com", "x@elsewhere.example")[0] == 250


def test_reject_unauth_destination_and_relay_domains(make_instance):
    inst = smtpd_instance(make_instance, mynetworks="127.0.0.1/32",
                          relay_domains="relay.example",
                          smtpd_relay_restrictions="permit_mynetworks, reject_unauth_destination")
    with Client(inst, source="127.0.0.9") as c:
        assert transaction(c, "a@example.com", "x@elsewhere.example") == \
            (554, "554 5.7.1 <x@elsewhere.example>: Relay access denied")
        assert c.cmd("RCPT TO:<x@relay.example>")[0] == 250
        assert c.cmd("RCPT TO:<x@sub.relay.example>")[0] == 250
        assert c.cmd("RCPT TO:<x%elsewhere.example@relay.example>")[0] == 554


def test_unknown_local_recipient(make_instance):
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        code, text = transaction(c, "a@example.com", "nosuchuser4711@localhost")
        assert text == ("550 5.1.1 <nosuchuser4711@localhost>: Recipient address "
                        "rejected: User unknown in local recipient table")
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 250
        assert c.cmd("RCPT TO:<root>")[0] == 250          # + @$myorigin
        assert c.cmd("VRFY nosuchuser4711@localhost")[0] == 550


def test_sender_access(make_instance):
    inst = policy_instance(make_instance, tables={
        "smtpd_sender_restrictions": ("sender_access", "spammer@example.com REJECT go away\n"
                                      "example.net 451 4.7.9 come back later\n"
                                      "ok.example.net OK\n",
                                      "check_sender_access %s")})
    with Client(inst) as c:
        assert transaction(c, "spammer@example.com", "root@localhost") == \
            (554, "554 5.7.1 <spammer@example.com>: Sender address rejected: go away")
        c.cmd("RSET")
        assert c.cmd("MAIL FROM:<x@sub.example.net>")[0] == 250   # delay_reject
        assert c.cmd("RCPT TO:<root@localhost>") == \
            (451, "451 4.7.9 <x@sub.example.net>: Sender address rejected: come back later")
        c.cmd("RSET")
        c.cmd("MAIL FROM:<x@ok.example.net>")
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 250
    inst.wait_log(r"NOQUEUE: reject: RCPT from \S+\[127\.0\.0\.1\]: 554 5\.7\.1 "
                  r"<spammer@example\.com>: Sender address rejected: go away; "
                  r"from=<spammer@example\.com> to=<root@localhost> proto=ESMTP "
                  r"helo=<client\.example>")


def test_recipient_client_helo_access(make_instance):
    inst = policy_instance(make_instance, tables={
        "smtpd_recipient_restrictions": ("rcpt_access", "root@localhost DEFER not today\n",
                                         "check_recipient_access %s"),
        "smtpd_helo_restrictions": ("helo_access", "bad.example REJECT\n",
                                    "check_helo_access %s"),
        "smtpd_client_restrictions": ("client_access", "127.0.0.9 550 no thanks\n"
                                      "127.0.0.10 551 5.7.9 own code\n"
                                      "127.0.0.11 550 9.99999.9 not a code\n"
                                      "127.0.0.12 550 " + "\u00e9" * 300 + "\n",
                                      "check_client_access %s"),
    })
    with Client(inst) as c:
        assert transaction(c, "a@example.com", "root@localhost") == \
            (450, "450 4.7.1 <root@localhost>: Recipient address rejected: not today")
    with Client(inst) as c:
        assert transaction(c, "a@example.com", "postmaster@localhost",
                           helo="host.bad.example") == \
            (554, "554 5.7.1 <host.bad.example>: Helo command rejected: Access denied")
    with Client(inst, source="127.0.0.9") as c:
        code, text = transaction(c, "a@example.com", "postmaster@localhost")
        assert text == "550 5.7.1 <unknown[127.0.0.9]>: Client host rejected: no thanks"
    # A valid enhanced status code in a numeric result is the reply's; one
    # that is not valid stays text and the default 5.7.1 is used (Postfix).
    with Client(inst, source="127.0.0.10") as c:
        code, text = transaction(c, "a@example.com", "postmaster@localhost")
        assert text == "551 5.7.9 <unknown[127.0.0.10]>: Client host rejected: own code"
    with Client(inst, source="127.0.0.11") as c:
        code, text = transaction(c, "a@example.com", "postmaster@localhost")
        assert text == ("550 5.7.1 <unknown[127.0.0.11]>: Client host rejected: "
                        "9.99999.9 not a code")
    # A reply line is at most 512 octets with its CRLF (RFC 5321
    # 4.5.3.1.5): longer text is cut, never inside a UTF-8 sequence.
    with Client(inst, source="127.0.0.12") as c:
        code, text = transaction(c, "a@example.com", "postmaster@localhost")
        raw = text.encode("utf-8")
        assert code == 550 and 509 <= len(raw) <= 510, len(raw)
        assert "\ufffd" not in text and text.endswith("\u00e9")


def test_hold_and_discard(make_instance):
    inst = policy_instance(make_instance, tables={
        "smtpd_recipient_restrictions": ("rcpt_access", "root@localhost HOLD check it\n"
                                         "daemon@localhost DISCARD\n",
                                         "check_recipient_access %s")})
    with Client(inst) as c:
        transaction(c, "a@example.com", "root@localhost")
        assert c.cmd("DATA")[0] == 354
        code, held = c.cmd(MSG)
        assert code == 250
        c.cmd("MAIL FROM:<a@example.com>")
        assert c.cmd("RCPT TO:<daemon@localhost>")[0] == 250
        assert c.cmd("DATA")[0] == 354
        code, dropped = c.cmd(MSG)
        assert code == 250
    assert inst.queue_files("hold") == [queued_id(held)]
    assert find_qf(inst, queued_id(dropped)) is None
    assert inst.queue_files("incoming") == []
    inst.wait_log(r"%s: hold: " % queued_id(held))
    inst.wait_log(r"%s: discard: " % queued_id(dropped))


def test_non_fqdn_and_invalid_helo(make_instance):
    inst = smtpd_instance(make_instance,
                          smtpd_helo_restrictions="reject_invalid_helo_hostname, "
                                                  "reject_non_fqdn_helo_hostname",
                          smtpd_sender_restrictions="reject_non_fqdn_sender",
                          smtpd_recipient_restrictions="reject_non_fqdn_recipient")
    with Client(inst) as c:
        assert transaction(c, "a@example.com", "root@localhost", helo="bad_helo!")[1] == \
            "501 5.5.2 <bad_helo!>: Helo command rejected: Invalid name"
    with Client(inst) as c:
        assert transaction(c, "a@example.com", "root@localhost", helo="shortname")[1] == \
            "504 5.5.2 <shortname>: Helo command rejected: need fully-qualified hostname"
    with Client(inst) as c:
        assert transaction(c, "a@nodots", "root@localhost")[1] == \
            "504 5.5.2 <a@nodots>: Sender address rejected: need fully-qualified address"
        c.cmd("RSET")
        c.cmd("MAIL FROM:<>")
        assert c.cmd("RCPT TO:<root>")[1] == \
            "504 5.5.2 <root>: Recipient address rejected: need fully-qualified address"
        assert c.cmd("RCPT TO:<root@[127.0.0.1]>")[0] != 504


def test_no_delay_reject_rejects_early(make_instance):
    inst = policy_instance(make_instance, smtpd_delay_reject="no", tables={
        "smtpd_sender_restrictions": ("sender_access", "bad@example.com REJECT\n",
                                      "check_sender_access %s")})
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<bad@example.com>")[1] == \
            "554 5.7.1 <bad@example.com>: Sender address rejected: Access denied"
        assert c.cmd("MAIL FROM:<good@example.com>")[0] == 250


def test_client_rejected_at_connect_without_delay(make_instance):
    inst = smtpd_instance(make_instance, smtpd_delay_reject="no",
                          smtpd_client_restrictions="reject", wait_banner=False)
    with Client(inst, greet=False) as c:
        code, text = c.reply()
        assert code == 554 and "Client host rejected: Access denied" in text
        assert c.cmd("EHLO x.example")[0] == 503
        assert c.cmd("QUIT")[0] == 221


def test_warn_if_reject_only_logs(make_instance):
    inst = smtpd_instance(make_instance,
                          smtpd_recipient_restrictions="warn_if_reject reject")
    with Client(inst) as c:
        assert transaction(c, "a@example.com", "root@localhost")[0] == 250
    inst.wait_log(r"NOQUEUE: reject_warning: RCPT from .*Access denied")


def test_unknown_restriction_is_config_error(make_instance):
    inst = smtpd_instance(make_instance, smtpd_recipient_restrictions="frobnicate")
    with Client(inst) as c:
        assert transaction(c, "a@example.com", "root@localhost") == \
            (451, "451 4.3.5 Server configuration error")
    inst.wait_log(re.escape('unknown smtpd restriction: "frobnicate"'))


def test_always_bcc(make_instance):
    inst = smtpd_instance(make_instance, always_bcc="archive@localhost")
    with Client(inst) as c:
        transaction(c, "a@example.com", "root@localhost")
        c.cmd("DATA")
        code, text = c.cmd(MSG)
        assert code == 250
    qf = wait_qf(inst, queued_id(text))
    assert [r["addr"] for r in qf["rcpts"]] == ["root@localhost", "archive@localhost"]


def test_reject_unknown_sender_domain(make_instance):
    from dnsserver import DNSServer
    zone = {"mx.example.test": {"MX": [(10, "mail.example.test")]},
            "a.example.test": {"A": ["127.1.2.3"]},
            "broken.test": "SERVFAIL"}
    with DNSServer(zone) as dns:
        inst = smtpd_instance(make_instance, dns_resolver_address=dns.spec,
                              smtpd_sender_restrictions="reject_unknown_sender_domain")
        with Client(inst) as c:
            assert transaction(c, "u@mx.example.test", "root@localhost")[0] == 250
            c.cmd("RSET")
            c.cmd("MAIL FROM:<u@a.example.test>")
            assert c.cmd("RCPT TO:<root@localhost>")[0] == 250
            c.cmd("RSET")
            c.cmd("MAIL FROM:<u@nowhere.test>")
            assert c.cmd("RCPT TO:<root@localhost>") == \
                (450, "450 4.1.8 <u@nowhere.test>: Sender address rejected: Domain not found")
            c.cmd("RSET")
            c.cmd("MAIL FROM:<u@broken.test>")
            assert c.cmd("RCPT TO:<root@localhost>")[0] == 450
            c.cmd("RSET")
            c.cmd("MAIL FROM:<>")
            assert c.cmd("RCPT TO:<root@localhost>")[0] == 250


def test_recipient_bcc_maps(make_instance):
    inst = policy_instance(make_instance, tables={
        "recipient_bcc_maps": ("bcc", "root@localhost copy1@localhost\n"
                               "@other.example copy2@localhost\n", "%s")},
        mynetworks="127.0.0.0/8")
    with Client(inst) as c:
        transaction(c, "a@example.com", "root@localhost")
        assert c.cmd("RCPT TO:<x@other.example>")[0] == 250
        c.cmd("DATA")
        code, text = c.cmd(MSG)
        assert code == 250
    qf = wait_qf(inst, queued_id(text))
    assert [r["addr"] for r in qf["rcpts"]] == \
        ["root@localhost", "x@other.example", "copy1@localhost", "copy2@localhost"]


def test_peername_lookup(make_instance):
    inst = smtpd_instance(make_instance, smtpd_peername_lookup="yes")
    with Client(inst, source="127.0.0.1") as c:
        c.cmd("QUIT")
    inst.wait_log(r"connect from localhost\[127\.0\.0\.1\]")


def test_restriction_classes(make_instance):
    """smtpd_restriction_classes: a named list used from an access table."""
    inst = smtpd_instance(make_instance, **{
        "smtpd_restriction_classes": "from_partners",
        "from_partners": "check_sender_access inline:{partner@ok.test=OK}, reject",
        "smtpd_recipient_restrictions":
            "check_recipient_access inline:{boss@localhost=from_partners}, "
            "permit_mynetworks, reject_unauth_destination",
        "local_recipient_maps": ""})
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        c.cmd("MAIL FROM:<someone@else.test>")
        code, text = c.cmd("RCPT TO:<boss@localhost>")
        assert code == 554 and "Access denied" in text, text
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 250
        c.cmd("RSET")
        c.cmd("MAIL FROM:<partner@ok.test>")
        assert c.cmd("RCPT TO:<boss@localhost>")[0] == 250
    log = open(inst.log_file).read()
    assert "unknown parameter from_partners" not in log


def test_undefined_restriction_class(make_instance):
    inst = smtpd_instance(make_instance, **{
        "smtpd_restriction_classes": "nowhere",
        "smtpd_recipient_restrictions": "nowhere, permit_mynetworks, reject",
        "local_recipient_maps": ""})
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        c.cmd("MAIL FROM:<a@b.test>")
        assert c.cmd("RCPT TO:<root@localhost>") == (451, "451 4.3.5 Server configuration error")
    inst.wait_log(r"restriction class nowhere is not defined")
