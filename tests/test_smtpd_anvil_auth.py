"""smtpd_client_auth_rate_limit (AUTH commands per client per
anvil_rate_time_unit) and the sasl_* attributes of policy requests."""
import re

import pytest

from auth_lib import auth_smtpd, make_passwd, plain_resp
from harness import other_loopback
from policy_server import PolicyServer
from test_smtpd_lib import Client

USERS = {"alice": "wonder land"}


@pytest.fixture
def table(tmp_path):
    return make_passwd(str(tmp_path / "sasl"), USERS)


def test_auth_rate_limit(make_instance, table):
    inst = auth_smtpd(make_instance, table, smtpd_client_auth_rate_limit="2",
                      smtpd_client_event_limit_exceptions="")
    src = other_loopback(inst.addr)
    c = Client(inst, source=src)
    c.cmd("EHLO client.example")
    for _ in range(2):
        assert c.cmd("AUTH PLAIN " + plain_resp("alice", "wrong"))[0] == 535
    assert c.cmd("AUTH PLAIN " + plain_resp("alice", USERS["alice"])) == (
        450, "450 4.7.1 Error: too many AUTH commands from %s" % src)
    c.cmd("QUIT")
    inst.wait_log(r"warning: AUTH command rate limit exceeded: 3 from "
                  r"unknown\[%s\] for service \S+" % re.escape(src))
    # The count is the client's, across sessions.
    c = Client(inst, source=src)
    c.cmd("EHLO client.example")
    assert c.cmd("AUTH PLAIN " + plain_resp("alice", USERS["alice"]))[0] == 450
    c.cmd("QUIT")
    # Another client is not affected.
    c = Client(inst, source=other_loopback(inst.addr))
    c.cmd("EHLO client.example")
    assert c.cmd("AUTH PLAIN " + plain_resp("alice", USERS["alice"]))[0] == 235
    c.cmd("QUIT")


def test_policy_sees_sasl_login(make_instance, table):
    with PolicyServer(lambda req: "action=DUNNO") as ps:
        inst = auth_smtpd(make_instance, table, local_recipient_maps="",
                          smtpd_recipient_restrictions="check_policy_service "
                          + ps.spec)
        c = Client(inst)
        c.cmd("EHLO client.example")
        assert c.cmd("AUTH PLAIN " + plain_resp("alice", USERS["alice"]))[0] == 235
        assert c.cmd("MAIL FROM:<alice@example.com>")[0] == 250
        assert c.cmd("RCPT TO:<u@localhost>")[0] == 250
        c.cmd("QUIT")
        req = ps.requests[-1]
        assert req["sasl_method"] == "PLAIN"
        assert req["sasl_username"] == "alice"
