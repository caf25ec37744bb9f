"""check_policy_service: Postfix's policy delegation protocol (attributes,
connection reuse and limits, every action), and policy servers that are
down, slow, or answer garbage or 100 KB."""
import re
import time

from policy_server import PolicyServer
from test_smtpd_lib import Client, parse_qf, smtpd_instance, smtpd_transaction, wait_qf

MSG = "Subject: policy\r\n\r\nbody\r\n.\r\n"

POSTFIX_ATTRIBUTES = [
    "request", "protocol_state", "protocol_name", "helo_name", "queue_id",
    "sender", "recipient", "recipient_count", "client_address", "client_name",
    "reverse_client_name", "instance", "sasl_method", "sasl_username",
    "sasl_sender", "size", "ccert_subject", "ccert_issuer", "ccert_fingerprint",
    "ccert_pubkey_fingerprint", "encryption_protocol", "encryption_cipher",
    "encryption_keysize", "etrn_domain", "stress", "server_address",
    "server_port", "policy_context",
]


def instance(make_instance, restriction, **main_cf):
    extra = {"local_recipient_maps": "",
             "smtpd_recipient_restrictions": restriction}
    extra.update(main_cf)
    return smtpd_instance(make_instance, **extra)


def session(inst, rcpts, sender="s@example.com", data=True):
    """EHLO, MAIL, RCPTs; DATA when any was accepted. (replies, queue id)."""
    return smtpd_transaction(inst, rcpts, sender, MSG, " SIZE=123", data)


def test_attributes_instance_and_connection_reuse(make_instance):
    with PolicyServer(lambda req: "action=DUNNO") as ps:
        inst = instance(make_instance, "check_policy_service " + ps.spec,
                        smtpd_policy_service_policy_context="ctx1")
        replies, _ = session(inst, ["a@localhost", "b@localhost"])
        assert [code for code, _ in replies] == [250, 250]
        replies, _ = session(inst, ["c@localhost"])
        assert len(ps.requests) == 3
        first = ps.requests[0]
        for name in POSTFIX_ATTRIBUTES:
            assert name in first, name
        assert first["request"] == "smtpd_access_policy"
        assert first["protocol_state"] == "RCPT"
        assert first["protocol_name"] == "ESMTP"
        assert first["helo_name"] == "client.example"
        assert first["sender"] == "s@example.com"
        assert first["recipient"] == "a@localhost"
        assert first["recipient_count"] == "0"
        assert first["client_address"] == "127.0.0.1"
        assert first["client_name"] == "unknown"
        assert first["size"] == "123"
        assert first["server_address"] == inst.addr
        assert first["server_port"] == str(inst.port)
        assert first["policy_context"] == "ctx1"
        second, third = ps.requests[1], ps.requests[2]
        assert second["recipient_count"] == "1"
        assert second["instance"] == first["instance"]
        assert third["instance"] != first["instance"]
        # One connection for the requests of a session.
        assert ps.connections <= 2


def test_request_limit_and_unix_socket(make_instance, tmp_path):
    path = str(tmp_path / "policy.sock")
    with PolicyServer(lambda req: "action=DUNNO", unix_path=path) as ps:
        inst = instance(make_instance, "check_policy_service { unix:%s, "
                        "request_limit=1 }" % path)
        session(inst, ["a@localhost", "b@localhost", "c@localhost"])
        assert len(ps.requests) == 3
        assert ps.connections == 3


ACTIONS = {
    "reject": "action=REJECT go away",
    "defer": "action=DEFER not now",
    "code": "action=521 5.7.0 Custom text",
    "ok": "action=OK",
    "dip": "action=DEFER_IF_PERMIT Greylisted for a while",
    "dir": "action=DEFER_IF_REJECT Maybe later",
    "hold": "action=HOLD suspicious",
    "discard": "action=DISCARD junk",
    "prepend": "action=PREPEND X-Policy: checked by test",
    "redirect": "action=REDIRECT catcher@localhost",
    "filter": "action=FILTER smtp:[127.0.0.1]:10025",
    "garbage": "action=NO_SUCH_ACTION",
    "dsn": "action=REJECT 5.7.9 With its own status",
}


def by_local_part(req):
    return ACTIONS.get(req.get("recipient", "").split("@")[0], "action=DUNNO")


def test_actions(make_instance):
    with PolicyServer(by_local_part) as ps:
        inst = instance(make_instance, "check_policy_service %s, "
                        "check_recipient_access inline:{ dir@localhost=REJECT }"
                        % ps.spec)
        replies, _ = session(inst, ["reject@localhost", "defer@localhost",
                                    "code@localhost", "dip@localhost",
                                    "dir@localhost", "garbage@localhost",
                                    "dsn@localhost"],
                             data=False)
        assert replies[0] == (554, "554 5.7.1 <reject@localhost>: Recipient "
                              "address rejected: go away")
        assert replies[1] == (450, "450 4.7.1 <defer@localhost>: Recipient "
                              "address rejected: not now")
        assert replies[2] == (521, "521 5.7.0 <code@localhost>: Recipient "
                              "address rejected: Custom text")
        assert replies[3] == (450, "450 4.7.1 <dip@localhost>: Recipient "
                              "address rejected: Greylisted for a while")
        assert replies[4] == (450, "450 4.7.1 <dir@localhost>: Recipient "
                              "address rejected: Maybe later")
        assert replies[5][0] == 451 and "4.3.5" in replies[5][1]
        assert replies[6] == (554, "554 5.7.9 <dsn@localhost>: Recipient "
                              "address rejected: With its own status")
        inst.wait_log(r"NOQUEUE: reject: RCPT from unknown\[127.0.0.1\]: 450 "
                      r"4.7.1 <dip@localhost>: Recipient address rejected: "
                      r"Greylisted for a while; from=<s@example.com> "
                      r"to=<dip@localhost> proto=ESMTP helo=<client.example>")

        # HOLD: the message waits in hold/.
        _, qid = session(inst, ["hold@localhost"])
        wait_qf(inst, qid, "hold")
        inst.wait_log(r"hold: RCPT from \S+: <hold@localhost>: Recipient "
                      r"address suspicious")
        # DISCARD: accepted, never queued.
        replies, _ = session(inst, ["discard@localhost"])
        assert replies[0][0] == 250
        inst.wait_log(r"discard: RCPT from \S+: <discard@localhost>")

        # PREPEND: the header on top, above Received:.
        _, qid = session(inst, ["prepend@localhost"])
        qf = wait_qf(inst, qid)
        assert qf["content"].startswith(b"X-Policy: checked by test\n"
                                        b"Received: "), qf["content"][:200]
        # REDIRECT: the recipient replaced, the original kept as ORCPT.
        _, qid = session(inst, ["redirect@localhost"])
        qf = wait_qf(inst, qid)
        assert [r["addr"] for r in qf["rcpts"]] == ["catcher@localhost"]
        assert qf["rcpts"][0]["orcpt"] == "rfc822;redirect@localhost"
        inst.wait_log(r"redirect: RCPT from \S+: <redirect@localhost>: "
                      r"Recipient address triggers REDIRECT catcher@localhost")
        # FILTER: the queue file carries the content filter for the qmgr.
        _, qid = session(inst, ["filter@localhost"])
        qf = wait_qf(inst, qid)
        assert qf["attrs"]["content_filter"] == "smtp:[127.0.0.1]:10025"
        inst.wait_log(r"filter: RCPT from \S+: <filter@localhost>: Recipient "
                      r"address triggers FILTER smtp:\[127.0.0.1\]:10025")


def test_policy_in_client_and_sender_lists(make_instance):
    def answer(req):
        if req["protocol_state"] == "CONNECT":
            return "action=REJECT no such luck"
        return "action=DUNNO"
    with PolicyServer(answer) as ps:
        inst = instance(make_instance, "", smtpd_delay_reject="no",
                        smtpd_client_restrictions="check_policy_service " + ps.spec,
                        wait_banner=False)
        inst.wait_port(banner=False)
        c = Client(inst)
        assert c.banner == (554, "554 5.7.1 <unknown[127.0.0.1]>: Client host "
                            "rejected: no such luck")
        assert ps.requests[-1]["protocol_state"] == "CONNECT"


def test_server_down(make_instance):
    with PolicyServer(lambda req: "action=DUNNO") as ps:
        spec = ps.spec
    inst = instance(make_instance, "check_policy_service " + spec,
                    smtpd_policy_service_retry_delay="0s")
    replies, _ = session(inst, ["a@localhost"], data=False)
    assert replies[0] == (451, "451 4.3.5 <a@localhost>: Recipient address "
                          "rejected: Server configuration problem")
    inst.wait_log(r"warning: problem talking to server 127.0.0.1:\d+: ", count=2)


def test_slow_server_times_out(make_instance):
    def slow(req):
        return lambda conn: (time.sleep(5), False)[1]
    with PolicyServer(slow) as ps:
        inst = instance(make_instance, "check_policy_service { %s, timeout=1s, "
                        "try_limit=1, default_action=DUNNO }" % ps.spec)
        t0 = time.monotonic()
        replies, _ = session(inst, ["a@localhost"], data=False)
        assert replies[0][0] == 250
        assert time.monotonic() - t0 < 4
        inst.wait_log(r"warning: problem talking to server 127.0.0.1:\d+: timeout")


def test_garbage_and_huge_answers(make_instance):
    def answer(req):
        rcpt = req["recipient"]
        if rcpt.startswith("garbage"):
            return b"\x00\xff no equals sign here\n\n"
        if rcpt.startswith("huge"):
            return b"action=" + b"A" * 100000 + b"\n\n"
        if rcpt.startswith("many"):
            return b"x=y\n" * 5000 + b"action=OK\n\n"
        return "action=DUNNO"
    with PolicyServer(answer) as ps:
        inst = instance(make_instance, "check_policy_service " + ps.spec,
                        smtpd_policy_service_retry_delay="0s")
        replies, _ = session(inst, ["garbage@localhost", "huge@localhost",
                                    "many@localhost", "fine@localhost"],
                             data=False)
        assert [code for code, _ in replies] == [451, 451, 451, 250]
        log = inst.log()
        assert re.search(r"problem talking to server \S+: reply without action", log)
        assert re.search(r"problem talking to server \S+: reply line longer than", log)
        assert re.search(r"problem talking to server \S+: reply has too many lines", log)


def test_defer_if_permit_in_delayed_sender_list(make_instance):
    with PolicyServer(lambda req: "action=DEFER_IF_PERMIT 4.2.0 Try later") as ps:
        inst = instance(make_instance, "",
                        smtpd_sender_restrictions="check_policy_service " + ps.spec)
        replies, _ = session(inst, ["a@localhost", "b@localhost"], data=False)
        assert replies == [(450, "450 4.2.0 <s@example.com>: Sender address "
                            "rejected: Try later")] * 2
        # The sender list ran once for the transaction.
        assert len(ps.requests) == 1


def test_policy_in_etrn_restrictions(make_instance):
    with PolicyServer(lambda req: "action=REJECT no flush for you") as ps:
        inst = instance(make_instance, "",
                        smtpd_etrn_restrictions="check_policy_service " + ps.spec)
        c = Client(inst)
        c.cmd("EHLO client.example")
        code, text = c.cmd("ETRN example.com")
        assert code == 554, text
        c.cmd("QUIT")
        assert ps.requests[-1]["protocol_state"] == "ETRN"
        assert ps.requests[-1]["etrn_domain"] == "example.com"


def test_redirect_filter_with_control_characters_ignored(make_instance):
    """A REDIRECT or FILTER argument with a control character (the CR of a
    CRLF line, a binary byte) is a bad argument: warned about and ignored,
    never written into the queue file as a recipient or a content_filter."""
    answers = {"r": b"action=REDIRECT catcher@local\x01host\n\n",
               "f": b"action=FILTER smtp:[127.0.0.1]:10025\r\n\n"}
    with PolicyServer(lambda req: answers.get(
            req.get("recipient", "").split("@")[0], "action=DUNNO")) as ps:
        inst = instance(make_instance, "check_policy_service " + ps.spec)
        replies, qid = session(inst, ["r@localhost", "f@localhost"])
        assert [code for code, _ in replies[:2]] == [250, 250]
        qf = wait_qf(inst, qid)
        assert [r["addr"] for r in qf["rcpts"]] == ["r@localhost", "f@localhost"]
        assert "content_filter" not in qf["attrs"]
        inst.wait_log(r'warning: REDIRECT action with bad argument: "catcher@local\?host"')
        inst.wait_log(r"warning: FILTER action with bad argument")
