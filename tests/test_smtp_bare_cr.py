"""Issue 13 #10: the smtp/lmtp client never emits a bare CR or LF, whatever
the queue file holds. The client normalises on output (smtp_out_text): a CR
or LF inside a content line ends the output line with CRLF and the next line
is dot-stuffed, so the SMTP smuggling sequences that smtpd keeps as content
(see test_smtpd_smuggling.py) cannot end the data at the next hop, even one
that takes a bare CR or LF as a line end."""

import os
import re

import pytest

from harness import BIN, random_loopback
from smtp_driver import ClientEnv
from sink import Sink
from test_smtpd_smuggling import SEQUENCES, SMUGGLED

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "smtp")),
                                reason="smtp not built")


def assert_clean(raw):
    """No bare CR or LF; no line, however split, is a lone "."."""
    assert re.search(rb"\r(?!\n)", raw) is None, raw
    assert re.search(rb"(?<!\r)\n", raw) is None, raw
    # A receiver that ends lines at any CR or LF sees no end of data.
    lines = re.split(rb"\r\n|\r|\n", raw)
    assert b"." not in lines[:-1], raw


@pytest.mark.parametrize("name", sorted(SEQUENCES))
@pytest.mark.parametrize("lmtp", [False, True])
def test_smuggling_sequence_normalised(tmp_path, name, lmtp):
    content = b"Subject: innocent\n\ntext" + SEQUENCES[name] + SMUGGLED + b"last\n"
    env = ClientEnv(tmp_path)
    if lmtp:
        srv = Sink(unix_path=os.path.join(str(tmp_path), "lmtp.sock"), lmtp=True,
                   eightbitmime=False, size=None, dsn=False, enhancedstatuscodes=False)
    else:
        srv = Sink(host=random_loopback())
    with srv:
        qid = env.make_message("s@client.test", ["b@x.test"], content)
        res = env.deliver([env.request(qid, srv.nexthop, ["b@x.test"],
                                       transport="lmtp" if lmtp else "smtp")],
                          service="lmtp" if lmtp else "smtp")
        assert res.by_rcpt()[0]["status"] == "2.0.0", res.log
        msgs = srv.wait_for(1)
        assert len(msgs) == 1
        assert_clean(msgs[0].raw)
        assert b"MAIL FROM:<evil@attacker.example>\r\n" in msgs[0].raw
        assert msgs[0].raw.endswith(b"last\r\n")
        assert not any("evil" in c for c in srv.command_lines())


def test_end_to_end_bare_cr_from_smtpd(make_instance):
    """Received over SMTP with <CR>.<CR>, relayed: nothing bare goes out."""
    if not os.path.exists(os.path.join(BIN, "smtpd")):
        pytest.skip("smtpd not built")
    with Sink(host=random_loopback()) as srv:
        inst = make_instance(main_cf_extra={"default_transport": "smtp",
                                            "relayhost": srv.nexthop})
        inst.start()
        from test_smtpd_lib import Client
        with Client(inst) as c:
            assert c.cmd("EHLO client.example")[0] == 250
            assert c.cmd("MAIL FROM:<good@example.com>")[0] == 250
            assert c.cmd("RCPT TO:<b@x.test>")[0] == 250
            assert c.cmd("DATA")[0] == 354
            c.send(b"Subject: innocent\r\n\r\ntext\r.\r" + SMUGGLED + b".\r\n")
            assert c.reply()[0] == 250
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        msgs = srv.wait_for(1)
        assert len(msgs) == 1
        assert_clean(msgs[0].raw)
