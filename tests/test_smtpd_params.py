"""smtpd parameters Postfix administrators set: smtpd_per_record_deadline and
smtpd_min_data_rate (slow clients), smtpd_command_filter."""
import os
import re
import select
import time

from harness import free_port, notify_bits, starttls_connect
from test_smtpd_lib import Client, parse_qf, smtpd_instance, smtpd_instance_with_files
from test_tls import pki  # noqa: F401 (fixture)

TIMEOUT_421 = "421 4.4.2 localhost Error: timeout exceeded"


def trickle(c, data, gap):
    """Send data one byte every gap seconds until it is all sent or the
    server answers; (reply or None, seconds taken)."""
    t0 = time.monotonic()
    for i in range(len(data)):
        try:
            c.send(data[i:i + 1])
        except OSError:
            break
        r, _, _ = select.select([c.sock], [], [], gap)
        if r:
            try:
                return c.reply(), time.monotonic() - t0
            except (EOFError, OSError):
                return None, time.monotonic() - t0
    return None, time.monotonic() - t0


def envelope(c, data=True):
    assert c.banner[0] == 220
    c.send("EHLO client.example\r\n")
    assert c.reply()[0] == 250
    c.send("MAIL FROM:<a@example.org>\r\nRCPT TO:<postmaster@localhost>\r\n"
           + ("DATA\r\n" if data else ""))
    assert [c.reply()[0] for _ in range(3 if data else 2)] == \
        [250, 250, 354][:3 if data else 2]


def test_command_per_read_timeout_by_default(make_instance):
    # Each byte comes well within smtpd_timeout: without deadlines the
    # command is served, however long the whole line takes.
    inst = smtpd_instance(make_instance, smtpd_timeout="2s")
    c = Client(inst)
    reply, took = trickle(c, b"HELO client.example\r\n", 0.25)
    assert reply is not None and reply[0] == 250, reply
    assert took > 4


def test_command_deadline(make_instance):
    inst = smtpd_instance(make_instance, smtpd_timeout="2s",
                          smtpd_per_record_deadline="yes")
    mark = inst.log_mark()
    c = Client(inst)
    assert c.banner[0] == 220
    # Quick commands are served as usual.
    c.send("HELO client.example\r\n")
    assert c.reply()[0] == 250
    reply, took = trickle(c, b"NOOP and a good deal of padding text\r\n", 0.25)
    assert reply == (421, TIMEOUT_421), reply
    assert 1.5 < took < 8
    inst.wait_log(r"timeout after HELO from unknown\[127", since=mark)


def test_data_min_rate(make_instance):
    body = b"Subject: slow\r\n\r\n" + b"x" * 60 + b"\r\n.\r\n"
    # 20 bytes/s against the default 500: cut off after smtpd_timeout.
    inst = smtpd_instance(make_instance, smtpd_timeout="2s",
                          smtpd_per_record_deadline="yes")
    mark = inst.log_mark()
    c = Client(inst)
    envelope(c)
    reply, took = trickle(c, body, 0.05)
    assert reply == (421, TIMEOUT_421), reply
    assert 1.5 < took < 8
    inst.wait_log(r"timeout after DATA from unknown\[127", since=mark)
    assert inst.queue_files() == []
    # 20 bytes/s against a minimum of 10: each byte buys more time than it
    # took, the message (longer than smtpd_timeout) is accepted.
    inst.stop()
    inst.main_cf_extra["smtpd_min_data_rate"] = "10"
    inst.write_main_cf()
    inst.start()
    c = Client(inst)
    envelope(c)
    reply, took = trickle(c, body, 0.05)
    assert reply is not None and reply[0] == 250, reply
    assert took > 2
    assert len(inst.queue_files()) == 1


def test_bdat_min_rate(make_instance):
    inst = smtpd_instance(make_instance, smtpd_timeout="2s",
                          smtpd_per_record_deadline="yes")
    mark = inst.log_mark()
    c = Client(inst)
    envelope(c, data=False)
    chunk = b"Subject: slow\r\n\r\n" + b"y" * 80 + b"\r\n"
    c.send(b"BDAT %d LAST\r\n" % len(chunk))
    reply, took = trickle(c, chunk, 0.05)
    assert reply == (421, TIMEOUT_421), reply
    inst.wait_log(r"timeout after BDAT from unknown\[127", since=mark)


def test_deadline_default_follows_stress(make_instance):
    inst = smtpd_instance(make_instance)
    r = inst.postern(["config", "-d", "smtpd_per_record_deadline"])
    assert r.returncode == 0, r.stderr
    assert re.search(rb"stress\?\{yes\}:\{no\}", r.stdout), r.stdout


# smtpd_command_filter

CMD_FILTER = r"""/^HELO\s*$/ HELO domain.invalid
/^\s*$/ NOOP
/^(RCPT\s+TO:\s*<)'([^[:space:]]+)'(>.*)/ $1$2$3
"""


def test_command_filter(make_instance):
    inst = smtpd_instance_with_files(make_instance, {"cmdfilter": CMD_FILTER},
                                     smtpd_command_filter="pcre:{cmdfilter}")
    mark = inst.log_mark()
    c = Client(inst)
    assert c.banner[0] == 220
    c.send("HELO\r\n")
    code, text = c.reply()
    assert code == 250, text
    c.send("\r\n")
    assert c.reply() == (250, "250 2.0.0 Ok")
    c.send("EHLO client.example\r\n")
    assert c.reply()[0] == 250
    c.send("MAIL FROM:<a@example.org>\r\n")
    assert c.reply()[0] == 250
    # The filter keeps what follows the address: NOTIFY still parses.
    c.send("RCPT TO:<'postmaster@localhost'> NOTIFY=NEVER\r\n")
    code, text = c.reply()
    assert code == 250, text
    c.send("DATA\r\n")
    assert c.reply()[0] == 354
    c.send("Subject: filtered\r\n\r\n'quoted' body\r\n.\r\n")
    assert c.reply()[0] == 250
    c.send("QUIT\r\n")
    assert c.reply()[0] == 221
    inst.wait_log(r'unknown\[127[.0-9]*\]: replacing command "HELO" with '
                  r'"HELO domain.invalid"', since=mark)
    inst.wait_log(r'replacing command "" with "NOOP"', since=mark)
    (qf,) = inst.queue_files()
    m = parse_qf(os.path.join(inst.queue_dir, "incoming", qf))
    assert [r["addr"] for r in m["rcpts"]] == ["postmaster@localhost"]
    assert m["rcpts"][0]["notify"] == notify_bits("NEVER")
    assert b"'quoted' body" in m["content"]


def test_command_filter_lookup_error(make_instance):
    port = free_port()
    inst = smtpd_instance(make_instance,
                          smtpd_command_filter="tcp:127.0.0.1:%d" % port)
    mark = inst.log_mark()
    c = Client(inst)
    assert c.banner[0] == 220
    c.send("HELO client.example\r\n")
    assert c.reply() == (421, "421 4.3.0 localhost Server local data error")
    inst.wait_log(r'warning: smtpd_command_filter lookup error for '
                  r'"HELO client.example"', since=mark)


# show_user_unknown_table_name, unknown_address_tempfail_action

def rcpt_reply(inst, sender, rcpt):
    c = Client(inst)
    assert c.banner[0] == 220
    c.send("EHLO client.example\r\n")
    assert c.reply()[0] == 250
    c.send("MAIL FROM:<%s>\r\n" % sender)
    assert c.reply()[0] == 250
    c.send("RCPT TO:<%s>\r\n" % rcpt)
    reply = c.reply()
    c.send("QUIT\r\n")
    return reply


def test_show_user_unknown_table_name(make_instance):
    inst = smtpd_instance(make_instance)
    assert rcpt_reply(inst, "a@example.com", "nosuchuser4711@localhost") == \
        (550, "550 5.1.1 <nosuchuser4711@localhost>: Recipient address "
              "rejected: User unknown in local recipient table")
    inst.stop()
    inst.main_cf_extra["show_user_unknown_table_name"] = "no"
    inst.write_main_cf()
    inst.start()
    assert rcpt_reply(inst, "a@example.com", "nosuchuser4711@localhost") == \
        (550, "550 5.1.1 <nosuchuser4711@localhost>: Recipient address "
              "rejected: User unknown")
    assert rcpt_reply(inst, "a@example.com", "root@localhost")[0] == 250


def test_unknown_address_tempfail_action(make_instance):
    from dnsserver import DNSServer
    zone = {"broken.test": "SERVFAIL", "mx.example.test": {"MX": [(10, "mail.example.test")]}}
    domain_not_found = (450, "450 4.1.8 <u@broken.test>: Sender address "
                             "rejected: Domain not found")
    with DNSServer(zone) as dns:
        # defer_if_permit (the default): a later reject wins ...
        inst = smtpd_instance(make_instance, dns_resolver_address=dns.spec,
                              smtpd_sender_restrictions="reject_unknown_sender_domain, "
                              "check_sender_access inline:{ u@broken.test=REJECT }")
        assert rcpt_reply(inst, "u@broken.test", "root@localhost") == \
            (554, "554 5.7.1 <u@broken.test>: Sender address rejected: Access denied")
        # ... and without one the client is deferred at the end.
        inst.stop()
        inst.main_cf_extra["smtpd_sender_restrictions"] = "reject_unknown_sender_domain"
        inst.write_main_cf()
        inst.start()
        assert rcpt_reply(inst, "u@broken.test", "root@localhost") == domain_not_found
        assert rcpt_reply(inst, "u@mx.example.test", "root@localhost")[0] == 250
        # defer: at once; the default follows reject_tempfail_action.
        for name in ("unknown_address_tempfail_action", "reject_tempfail_action"):
            inst.stop()
            inst.main_cf_extra["smtpd_sender_restrictions"] = (
                "reject_unknown_sender_domain, "
                "check_sender_access inline:{ u@broken.test=REJECT }")
            inst.main_cf_extra.pop("unknown_address_tempfail_action", None)
            inst.main_cf_extra[name] = "defer"
            inst.write_main_cf()
            inst.start()
            assert rcpt_reply(inst, "u@broken.test", "root@localhost") == domain_not_found


def test_tempfail_action_invalid(make_instance):
    inst = smtpd_instance(make_instance)
    inst.stop()
    inst.main_cf_extra["unknown_address_tempfail_action"] = "bounce"
    inst.write_main_cf()
    mark = inst.log_mark()
    inst.start(wait_banner=False)
    inst.wait_log(r'fatal: invalid unknown_address_tempfail_action value: '
                  r'"bounce"', since=mark)


# smtpd_delay_open_until_valid_rcpt

def mail_only(inst):
    c = Client(inst)
    assert c.banner[0] == 220
    c.send("EHLO client.example\r\n")
    assert c.reply()[0] == 250
    c.send("MAIL FROM:<a@example.org>\r\n")
    assert c.reply()[0] == 250
    return c


def test_delay_open_until_valid_rcpt(make_instance):
    # Default yes: no queue file for a transaction without a recipient.
    inst = smtpd_instance(make_instance)
    mark = inst.log_mark()
    c = mail_only(inst)
    c.send("RCPT TO:<nosuchuser4711@localhost>\r\n")
    assert c.reply()[0] == 550
    inst.wait_log(r"NOQUEUE: reject: RCPT from unknown\[127[.0-9]*\]: 550 5.1.1 "
                  r"<nosuchuser4711@localhost>", since=mark)
    c.send("QUIT\r\n")
    assert c.reply()[0] == 221
    assert not re.search(r": client=unknown", inst.log(mark))
    # no: the queue file at MAIL FROM; rejects carry its id.
    inst.stop()
    inst.main_cf_extra["smtpd_delay_open_until_valid_rcpt"] = "no"
    inst.write_main_cf()
    inst.start()
    mark = inst.log_mark()
    c = mail_only(inst)
    m = inst.wait_log(r"(\w+): client=unknown\[127[.0-9]*\]", since=mark)
    qid = m.group(1)
    c.send("RCPT TO:<nosuchuser4711@localhost>\r\n")
    assert c.reply()[0] == 550
    inst.wait_log(r"%s: reject: RCPT from unknown\[127[.0-9]*\]: 550 5.1.1 "
                  r"<nosuchuser4711@localhost>" % qid, since=mark)
    # A transaction that ends without a recipient leaves nothing behind.
    c.send("RSET\r\n")
    assert c.reply()[0] == 250
    assert inst.queue_files("incoming", dot=True) == []
    assert inst.tmp_leftovers() == []
    # A new transaction gets a new file, and the message its id.
    c.send("MAIL FROM:<b@example.org>\r\nRCPT TO:<postmaster@localhost>\r\nDATA\r\n")
    assert [c.reply()[0] for _ in range(3)] == [250, 250, 354]
    c.send("Subject: early\r\n\r\nbody\r\n.\r\n")
    code, text = c.reply()
    assert code == 250, text
    (qf,) = inst.queue_files()
    assert text.endswith("queued as %s" % qf) and qf != qid
    assert parse_qf(os.path.join(inst.queue_dir, "incoming", qf))["sender"] == "b@example.org"


def test_command_deadline_under_tls(make_instance, pki):
    # The TLS layer reads within what is left of the deadline too.
    import ssl
    inst = smtpd_instance(make_instance, smtpd_timeout="2s",
                          smtpd_per_record_deadline="yes",
                          smtpd_tls_security_level="may",
                          smtpd_tls_cert_file=pki["cert"], smtpd_tls_key_file=pki["key"])
    mark = inst.log_mark()
    ctx = ssl.create_default_context(cafile=pki["ca"])
    tls = starttls_connect(inst.addr, inst.port, ctx, "localhost")
    tls.settimeout(0.25)
    data, t0 = b"", time.monotonic()
    try:
        for b in b"NOOP and a good deal of padding text\r\n":
            tls.sendall(bytes([b]))
            try:
                data += tls.recv(4096)
            except (TimeoutError, ssl.SSLWantReadError):
                continue
            if data:
                break
    except OSError:
        pass
    took = time.monotonic() - t0
    tls.close()
    assert data.startswith(b"421 4.4.2 localhost Error: timeout exceeded"), data
    assert 1.5 < took < 8
    inst.wait_log(r"timeout after STARTTLS from unknown\[127", since=mark)


# smtpd_tls_session_cache_database

def tls12_no_tickets(pki):
    import ssl
    ctx = ssl.create_default_context(cafile=pki["ca"])
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.options |= ssl.OP_NO_TICKET
    return ctx


def resume_in_other_process(inst, ctx):
    """Hold one TLS session open, resume it on a second connection (which
    another smtpd process must serve); whether it was resumed."""
    mark = inst.log_mark()
    first = starttls_connect(inst.addr, inst.port, ctx, "localhost")
    try:
        sess = first.session
        assert sess is not None
        second = starttls_connect(inst.addr, inst.port, ctx, "localhost", sess)
        reused = second.session_reused
        second.sendall(b"EHLO client.example\r\n")
        assert second.recv(4096).startswith(b"250")
        second.close()
    finally:
        first.close()
    pids = re.findall(r"smtpd\[(\d+)\]: connect from", inst.log(mark))
    assert len(set(pids)) == 2, pids
    return reused


def test_tls_session_cache_database(make_instance, pki):
    ctx = tls12_no_tickets(pki)
    inst = smtpd_instance(make_instance, smtpd_tls_security_level="may",
                          smtpd_tls_cert_file=pki["cert"], smtpd_tls_key_file=pki["key"])
    # Tickets refused, no cache: another process cannot resume.
    assert not resume_in_other_process(inst, ctx)
    inst.stop()
    db = os.path.join(inst.queue_dir, "pid", "smtpd_scache")
    inst.main_cf_extra["smtpd_tls_session_cache_database"] = "btree:" + db
    inst.write_main_cf()
    inst.start()
    assert resume_in_other_process(inst, ctx)
    assert os.stat(db + ".db").st_mode & 0o077 == 0    # session keys
    # An expired entry is not used (smtpd_tls_session_cache_timeout).
    inst.stop()
    inst.main_cf_extra["smtpd_tls_session_cache_timeout"] = "1s"
    inst.write_main_cf()
    inst.start()
    first = starttls_connect(inst.addr, inst.port, ctx, "localhost")
    sess = first.session
    first.close()
    time.sleep(2.1)
    second = starttls_connect(inst.addr, inst.port, ctx, "localhost", sess)
    assert not second.session_reused
    second.close()


def test_tls_session_cache_database_unsupported(make_instance, pki):
    inst = smtpd_instance(make_instance, smtpd_tls_security_level="may",
                          smtpd_tls_cert_file=pki["cert"], smtpd_tls_key_file=pki["key"],
                          smtpd_tls_session_cache_database="texthash:/nonexistent")
    mark = inst.log_mark()
    c = Client(inst)
    assert c.banner[0] == 220
    inst.wait_log(r'warning: smtpd_tls_session_cache_database: unsupported table '
                  r'"texthash:/nonexistent"', since=0)
