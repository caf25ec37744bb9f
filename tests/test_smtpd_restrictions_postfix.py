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
from test_smtpd_lib import Client, smtpd_instance

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

def rcpt(inst, to, sender="a@example.com", helo="client.example"):
    with Client(inst) as c:
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
