"""The cleanup stage (src/global/cleanup*.c) on every entry path: canonical
mapping, masquerading, virtual aliasing (one-to-many, recursion and expansion
limits, loops, catch-alls), bcc, header rewriting and completion, the
message-id= log line, and recipient validation at RCPT with Postfix's codes
and texts. The smtpd instances run only smtpd (mail stays in incoming/ where
the tests read it); the sendmail ones run only pickup."""
import os
import re

import pytest

from harness import BIN, wait_for
from test_smtpd_lib import (Client, config_files, no_crash, parse_qf, queued_id, smtpd_instance,
                            smtpd_instance_with_files, wait_qf)

PICKUP_ONLY = "pickup unix n - n 60 1 pickup\n"


def send(inst, sender, rcpts, body, expect=250):
    """One transaction; returns (queue id or None, rcpt replies, final reply)."""
    with Client(inst) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        assert c.cmd("MAIL FROM:<%s>" % sender)[0] == 250
        replies = [c.cmd("RCPT TO:<%s>" % r) for r in rcpts]
        if not any(code == 250 for code, _ in replies):
            return None, replies, None
        assert c.cmd("DATA")[0] == 354
        if isinstance(body, str):
            body = body.encode()
        c.send(body.replace(b"\n", b"\r\n") + b".\r\n")
        final = c.reply()
        assert final[0] == expect, final
        qid = queued_id(final[1]) if final[0] == 250 else None
        return qid, replies, final


def rcpt_addrs(qf):
    return [r["addr"] for r in qf["rcpts"]]


def test_canonical_envelope_and_headers_keep_8bit_and_rfc2047(make_instance):
    inst = smtpd_instance_with_files(
        make_instance,
        {"canon": "old@example.com new@example.com\n"
                  "@olddom.example @newdom.example\n"},
        canonical_maps="texthash:{canon}", recipient_delimiter="+")
    body = ("From: =?UTF-8?B?w6lsw6h2ZQ==?= <old@example.com>\n"
            "To: \"B\xf8b, Jr.\" <bob@olddom.example>, other@x.example (Other)\n"
            "Cc: undisclosed:;\n"
            "Subject: caf\xe9 =?ISO-8859-1?Q?caf=E9?=\n\nold@example.com stays in the body\n")
    qid, replies, _ = send(inst, "old@example.com", ["bob+tag@olddom.example"],
                           body.encode("latin-1"))
    qf = wait_qf(inst, qid)
    assert qf["sender"] == "new@example.com"
    # "@domain @other" keeps the local part, extension included.
    assert qf["rcpts"] == [{"addr": "bob+tag@newdom.example", "notify": 0,
                            "orcpt": "rfc822;bob+tag@olddom.example"}]
    content = qf["content"]
    assert b"\nFrom: =?UTF-8?B?w6lsw6h2ZQ==?= <new@example.com>\n" in content
    assert ("\nTo: \"B\xf8b, Jr.\" <bob@newdom.example>, other@x.example (Other)\n"
            .encode("latin-1")) in content
    assert b"\nCc: undisclosed:;\n" in content
    assert "\nSubject: caf\xe9 =?ISO-8859-1?Q?caf=E9?=\n".encode("latin-1") in content
    assert content.endswith(b"\n\nold@example.com stays in the body\n")


def test_canonical_classes_and_propagated_extension(make_instance):
    inst = smtpd_instance_with_files(
        make_instance,
        {"scanon": "joe@example.com joseph@example.com\n",
         "rcanon": "joe@example.com jo@example.net\n"},
        sender_canonical_maps="texthash:{scanon}",
        recipient_canonical_maps="texthash:{rcanon}",
        recipient_canonical_classes="envelope_recipient",
        recipient_delimiter="+")
    body = "From: joe@example.com\nTo: joe@example.com\nSubject: s\n\nx\n"
    qid, _, _ = send(inst, "joe@example.com", ["joe+list@example.com"], body)
    qf = wait_qf(inst, qid)
    assert qf["sender"] == "joseph@example.com"
    # user+ext@domain not in the table, user@domain is: the extension follows.
    assert rcpt_addrs(qf) == ["jo+list@example.net"]
    assert b"\nFrom: joseph@example.com\n" in qf["content"]
    # header_recipient is not in recipient_canonical_classes.
    assert b"\nTo: joe@example.com\n" in qf["content"]


def test_masquerade_domains_exceptions(make_instance):
    inst = smtpd_instance_with_files(make_instance,
                    masquerade_domains="!keep.example.org, example.org",
                    masquerade_exceptions="root")
    body = ("From: joe@host.example.org\nSender: root@host.example.org\n"
            "Reply-To: ann@mx.keep.example.org\nTo: bob@a.b.example.org\n\nx\n")
    qid, _, _ = send(inst, "joe@host.example.org", ["bob@a.b.example.org"], body)
    qf = wait_qf(inst, qid)
    assert qf["sender"] == "joe@example.org"
    assert rcpt_addrs(qf) == ["bob@a.b.example.org"]   # envelope_recipient: not a class
    c = qf["content"]
    assert b"\nFrom: joe@example.org\n" in c
    assert b"\nSender: root@host.example.org\n" in c
    assert b"\nReply-To: ann@mx.keep.example.org\n" in c
    assert b"\nTo: bob@example.org\n" in c


VIRTUAL = ("virt.test anything\n"
           "info@virt.test a@dest.example, b@dest.example\n"
           "sales@virt.test info@virt.test, c@dest.example\n"
           "self@virt.test self@virt.test, copy@dest.example\n"
           "loop1@virt.test loop2@virt.test\n"
           "loop2@virt.test loop1@virt.test\n"
           "@virt.test catchall@dest.example\n"
           "virt2.test anything\n"
           "known@virt2.test k@dest.example\n"
           "user@virt2.test u@dest.example\n")


def test_virtual_alias_one_to_many_recursion_catchall_orcpt(make_instance):
    inst = smtpd_instance_with_files(make_instance, {"virtual": VIRTUAL},
                    virtual_alias_maps="texthash:{virtual}", recipient_delimiter="+")
    qid, replies, _ = send(inst, "s@example.com",
                           ["sales@virt.test", "self@virt.test", "zz@virt.test",
                            "user+x@virt2.test"], "Subject: v\n\nbody\n")
    assert [code for code, _ in replies] == [250, 250, 250, 250]
    qf = wait_qf(inst, qid)
    got = {r["addr"]: r["orcpt"] for r in qf["rcpts"]}
    assert got == {
        "a@dest.example": "rfc822;sales@virt.test",
        "b@dest.example": "rfc822;sales@virt.test",
        "c@dest.example": "rfc822;sales@virt.test",
        "self@virt.test": None,                      # names itself: kept as is
        "copy@dest.example": "rfc822;self@virt.test",
        "catchall@dest.example": "rfc822;zz@virt.test",
        "u+x@dest.example": "rfc822;user+x@virt2.test",  # extension propagated
    }


def test_virtual_alias_loop_ends(make_instance):
    inst = smtpd_instance_with_files(make_instance, {"virtual": VIRTUAL},
                    virtual_alias_maps="texthash:{virtual}")
    qid, _, _ = send(inst, "s@example.com", ["loop1@virt.test"], "Subject: l\n\nx\n")
    assert rcpt_addrs(wait_qf(inst, qid)) == ["loop1@virt.test"]
    no_crash(inst)


def test_unknown_in_virtual_alias_table(make_instance):
    inst = smtpd_instance_with_files(make_instance, {"virtual": VIRTUAL},
                    virtual_alias_maps="texthash:{virtual}")
    _, replies, _ = send(inst, "s@example.com", ["nobody@virt2.test", "known@virt2.test"],
                         "Subject: x\n\nx\n")
    assert replies[0] == (550, "550 5.1.1 <nobody@virt2.test>: Recipient address "
                               "rejected: User unknown in virtual alias table")
    assert replies[1][0] == 250
    inst.main_cf_extra["unknown_virtual_alias_reject_code"] = "450"
    inst.write_main_cf()
    inst.reload()
    wait_for(lambda: send(inst, "s@example.com", ["nobody@virt2.test"], "")[1][0][0] == 450,
             10, "new reject code")


def test_reject_unlisted_sender(make_instance):
    inst = smtpd_instance_with_files(make_instance, {"virtual": VIRTUAL},
                    virtual_alias_maps="texthash:{virtual}",
                    smtpd_reject_unlisted_sender="yes")
    with Client(inst) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<ghost@virt2.test>")[0] == 250
        code, text = c.cmd("RCPT TO:<known@virt2.test>")
        assert (code, text) == (550, "550 5.1.0 <ghost@virt2.test>: Sender address "
                                     "rejected: User unknown in virtual alias table")


def test_recursion_past_the_limit_defers(make_instance):
    chain = "".join("c%d@virt.test c%d@virt.test\n" % (i, i + 1) for i in range(12))
    inst = smtpd_instance_with_files(make_instance, {"virtual": "virt.test x\n" + chain +
                                    "c12@virt.test end@dest.example\n"},
                    virtual_alias_maps="texthash:{virtual}",
                    virtual_alias_recursion_limit="5")
    _, replies, _ = send(inst, "s@example.com", ["c0@virt.test"], "")
    assert replies[0][0] == 451 and "4.3.0" in replies[0][1]
    inst.wait_log(r"cleanup\[\d+\]: warning: [0-9a-f]{8}: unreasonable virtual_alias_maps "
                  r"map nesting for c0@virt.test -- message not accepted, try again later")
    # Within the limit: delivered to the end of the chain.
    qid, replies, _ = send(inst, "s@example.com", ["c9@virt.test"], "Subject: c\n\nx\n")
    assert rcpt_addrs(wait_qf(inst, qid)) == ["end@dest.example"]


def big_alias_tables(n_groups=10, per_group=1000):
    text = "virt.test x\nbig@virt.test %s\n" % ", ".join(
        "g%d@virt.test" % g for g in range(n_groups))
    for g in range(n_groups):
        text += "g%d@virt.test %s\n" % (g, ", ".join(
            "u%d.%d@dest.example" % (g, i) for i in range(per_group)))
    return text


def test_ten_thousand_address_expansion(make_instance):
    inst = smtpd_instance_with_files(make_instance, {"virtual": big_alias_tables()},
                    virtual_alias_maps="texthash:{virtual}")
    # Over virtual_alias_expansion_limit (default 1000): not accepted.
    _, replies, _ = send(inst, "s@example.com", ["big@virt.test"], "")
    assert replies[0][0] == 451
    inst.wait_log(r"unreasonable virtual_alias_maps map expansion size for big@virt.test")
    inst.main_cf_extra["virtual_alias_expansion_limit"] = "20000"
    inst.write_main_cf()
    inst.reload()

    def accepted():
        qid, replies, _ = send(inst, "s@example.com", ["big@virt.test"], "Subject: b\n\nx\n")
        return qid
    qid = None
    wait_for(lambda: bool(accepted()), 20, "expansion accepted after reload")
    qids = inst.queue_files("incoming")
    assert len(qids) == 1
    qf = parse_qf(os.path.join(inst.queue_dir, "incoming", qids[0]))
    assert len(qf["rcpts"]) == 10000
    assert len(set(rcpt_addrs(qf))) == 10000
    no_crash(inst)


def test_missing_map_defers_never_accepts(make_instance, tmp_path):
    inst = smtpd_instance_with_files(make_instance, virtual_alias_maps="hash:%s/none" % tmp_path,
                    virtual_alias_domains="virt.test")
    _, replies, _ = send(inst, "s@example.com", ["a@virt.test", "b@elsewhere.example"], "")
    for code, text in replies:
        assert code == 451 and "4.3.0" in text, text
    assert inst.queue_files("incoming") == []
    no_crash(inst)


@pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "pickup")), reason="no pickup")
def test_sendmail_path_missing_map_keeps_the_file(make_instance, tmp_path):
    inst = make_instance(main_cf_extra={"virtual_alias_maps": "hash:%s/none" % tmp_path},
                         master_cf=PICKUP_ONLY)
    inst.start(wait_banner=False)
    r = inst.sendmail(["-f", "s@example.com", "r@example.com"], input=b"Subject: m\n\nx\n")
    assert r.returncode == 0, r.stderr
    inst.wait_log(r"map lookup problem for r@example.com -- message not accepted")
    inst.wait_log(r"will retry")
    assert inst.queue_files("incoming") == []
    assert [f for f in os.listdir(os.path.join(inst.queue_dir, "maildrop"))
            if not f.startswith(".")], "maildrop file must stay"


@pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "pickup")), reason="no pickup")
def test_sendmail_path_gets_canonical_virtual_bcc(make_instance):
    inst = make_instance(master_cf=PICKUP_ONLY)
    paths = config_files(inst, virtual="virt.test x\nteam@virt.test a@dest.example, b@dest.example\n",
                         canon="me@localhost boss@example.com\n")
    inst.main_cf_extra.update({"virtual_alias_maps": "texthash:" + paths["virtual"],
                               "sender_canonical_maps": "texthash:" + paths["canon"],
                               "always_bcc": "archive@example.net"})
    inst.write_main_cf()
    inst.start(wait_banner=False)
    r = inst.sendmail(["-f", "me", "team@virt.test"], input=b"Subject: p\n\nbody\n")
    assert r.returncode == 0, r.stderr
    wait_for(lambda: inst.queue_files("incoming"), 10, "queued")
    qf = parse_qf(os.path.join(inst.queue_dir, "incoming", inst.queue_files("incoming")[0]))
    assert qf["sender"] == "boss@example.com"
    assert [(x["addr"], x["notify"]) for x in qf["rcpts"]] == [
        ("a@dest.example", 0), ("b@dest.example", 0), ("archive@example.net", 1)]
    assert re.search(rb"\nFrom: (\S+ <)?boss@example.com>?\n", qf["content"])
    inst.wait_log(r"postern/cleanup\[\d+\]: [0-9a-f]{8}: message-id=<\d+\.[0-9a-f]{8}@localhost>")


def test_bcc_maps_and_always_bcc_notify_never(make_instance):
    inst = smtpd_instance_with_files(make_instance,
                    {"sbcc": "s@example.com sent@archive.example\n",
                     "rbcc": "r@example.com rcvd@archive.example\n"},
                    sender_bcc_maps="texthash:{sbcc}", recipient_bcc_maps="texthash:{rbcc}",
                    always_bcc="all@archive.example")
    qid, _, _ = send(inst, "s@example.com", ["r@example.com", "q@example.com"],
                     "Subject: b\n\nx\n")
    qf = wait_qf(inst, qid)
    assert [(x["addr"], x["notify"]) for x in qf["rcpts"]] == [
        ("r@example.com", 0), ("q@example.com", 0), ("sent@archive.example", 1),
        ("rcvd@archive.example", 1), ("all@archive.example", 1)]


def test_message_id_log_line_and_header_completion(make_instance):
    inst = smtpd_instance_with_files(make_instance, local_header_rewrite_clients="",
                    always_add_missing_headers="no")
    qid, _, _ = send(inst, "s@example.com", ["r@example.com"],
                     "Message-ID: <abc.123@client.example>\nSubject: m\n\nx\n")
    inst.wait_log(r"postern/cleanup\[\d+\]: %s: message-id=<abc.123@client.example>" % qid)
    # A remote client's message without Message-Id: gets none, but the line.
    qid2, _, _ = send(inst, "s@example.com", ["r@example.com"], "Subject: n\n\nx\n")
    inst.wait_log(r"cleanup\[\d+\]: %s: message-id=<>" % qid2)
    assert b"Message-Id" not in wait_qf(inst, qid2)["content"]
    # message_drop_headers (bcc, content-length, resent-bcc) always apply.
    qid3, _, _ = send(inst, "s@example.com", ["r@example.com"],
                      "Bcc: hidden@example.com\nContent-Length: 3\nSubject: d\n\nx\n")
    c = wait_qf(inst, qid3)["content"]
    assert b"hidden@example.com" not in c and b"Content-Length" not in c


def test_always_add_missing_headers_and_remote_rewrite_domain(make_instance):
    inst = smtpd_instance_with_files(make_instance, local_header_rewrite_clients="",
                    always_add_missing_headers="yes",
                    remote_header_rewrite_domain="remote.example")
    qid, _, _ = send(inst, "s@example.com", ["r@example.com"],
                     "To: bob, carol@host\nSubject: r\n\nx\n")
    c = wait_qf(inst, qid)["content"]
    assert b"\nTo: bob@remote.example, carol@host\n" in c
    assert re.search(rb"\nMessage-Id: <\d{14}\.%s@localhost>\n" % qid.encode(), c)
    assert b"\nDate: " in c and b"\nFrom: s@example.com\n" in c
    inst.wait_log(r"cleanup\[\d+\]: %s: message-id=<\d{14}\.%s@localhost>" % (qid, qid))


def test_megabyte_header_line(make_instance):
    inst = smtpd_instance_with_files(make_instance)
    big = "X-Big: " + "x" * (1024 * 1024) + "\n"
    qid, _, _ = send(inst, "s@example.com", ["r@example.com"],
                     "Subject: big\n" + big + "To: r@example.com\n\nbody after\n")
    c = wait_qf(inst, qid)["content"]
    line = [l for l in c.split(b"\n") if l.startswith(b"X-Big:")][0]
    assert len(line) == 102400                   # header_size_limit
    assert b"\nTo: r@example.com\n" in c and c.endswith(b"\n\nbody after\n")
    inst.wait_log(r"cleanup\[\d+\]: %s: header too long, truncated" % qid)
    no_crash(inst)


def test_relocated_maps(make_instance):
    inst = smtpd_instance_with_files(make_instance, {"reloc": "old@localhost new@place.example\n"},
                    relocated_maps="texthash:{reloc}")
    _, replies, _ = send(inst, "s@example.com", ["old@localhost"], "")
    assert replies[0] == (550, "550 5.1.6 <old@localhost>: Recipient address rejected: "
                               "User has moved to new@place.example")


@pytest.mark.parametrize("table,params,bad,good,why", [
    pytest.param({"vmbox": "u1@vbox.test vbox.test/u1/\n"},
                 {"virtual_mailbox_domains": "vbox.test",
                  "virtual_mailbox_maps": "texthash:{vmbox}"},
                 "u2@vbox.test", "u1@vbox.test", "virtual mailbox table",
                 id="virtual_mailbox_maps"),
    pytest.param({"relayrcpt": "ok@relay.test x\n"},
                 {"relay_domains": "relay.test",
                  "relay_recipient_maps": "texthash:{relayrcpt}"},
                 "no@relay.test", "ok@relay.test", "relay recipient table",
                 id="relay_recipient_maps"),
])
def test_recipient_table_validation(make_instance, table, params, bad, good, why):
    inst = smtpd_instance_with_files(make_instance, table, **params)
    _, replies, _ = send(inst, "s@example.com", [bad, good], "")
    assert replies[0] == (550, "550 5.1.1 <%s>: Recipient address rejected: "
                               "User unknown in %s" % (bad, why))
    assert replies[1][0] == 250


@pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "qmgr")), reason="no qmgr")
def test_qmgr_routes_classes_like_smtpd(make_instance):
    """Mail that entered without RCPT-time validation (sendmail) is routed by
    the same classes: an unaliased address in a virtual alias domain and a
    relocated user bounce with Postfix's texts; append_dot_mydomain
    completes user@host."""
    inst = make_instance()
    paths = config_files(inst, virtual="virt2.test x\nknown@virt2.test k@dest.example\n",
                         reloc="old@localhost.localdomain new@place.example\n")
    inst.main_cf_extra.update({"virtual_alias_maps": "texthash:" + paths["virtual"],
                               "relocated_maps": "texthash:" + paths["reloc"],
                               "append_dot_mydomain": "yes"})
    inst.write_main_cf()
    inst.start()
    r = inst.sendmail(["-f", "s@example.com", "nobody@virt2.test", "old@localhost",
                       "u@somehost"], input=b"Subject: q\n\nx\n")
    assert r.returncode == 0, r.stderr
    inst.wait_log(r"to=<nobody@virt2.test>, .*dsn=5\.1\.1, status=bounced "
                  r"\(User unknown in virtual alias table\)", timeout=20)
    # append_dot_mydomain completed it first, as Postfix's resolver does.
    inst.wait_log(r"to=<old@localhost.localdomain>, .*dsn=5\.1\.6, status=bounced "
                  r"\(User has moved to new@place.example\)", timeout=20)
    inst.wait_log(r"to=<u@somehost.localdomain>, ", timeout=20)


def test_hopcount_limit(make_instance):
    inst = smtpd_instance_with_files(make_instance, hopcount_limit="5")
    hops = "".join("Received: from h%d by h%d; Sat, 5 Dec 2026 00:00:00 +0000\n" % (i, i + 1)
                   for i in range(5))
    # Our own Received: makes six: over the limit, a mail loop.
    _, _, final = send(inst, "s@example.com", ["r@example.com"],
                       hops + "Subject: loop\n\nx\n", expect=554)
    assert final[1] == "554 5.4.0 Error: too many hops"
    inst.wait_log(r"cleanup\[\d+\]: [0-9a-f]{8}: too many hops: 6 Received: fields "
                  r"\(hopcount_limit 5\)")
    assert inst.queue_files("incoming") == []
    qid, _, _ = send(inst, "s@example.com", ["r@example.com"],
                     hops.split("\n", 1)[1] + "Subject: ok\n\nx\n")
    assert qid
