"""Issue 13 #2: "/file/name" values read as Postfix reads them: myorigin =
/etc/mailname (Debian's setting) and the match lists (mydestination,
mynetworks, relay_domains, debug_peer_list ...)."""

import os
import re
import smtplib

import pytest

from harness import BIN
from test_local import aliases, mbox, rcpt_user, wait_file

pytestmark = pytest.mark.skipif(
    not all(os.path.exists(os.path.join(BIN, p)) for p in ("sendmail", "pickup", "local", "qmgr")),
    reason="sendmail, pickup, local or qmgr not built")


def write(inst, name, text):
    path = os.path.join(inst.dir, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return path


def test_myorigin_file_and_local_postmaster(make_instance):
    """myorigin = /file: sender and bare recipients are qualified with the
    file's domain, and postmaster (an alias of a local user) is delivered
    locally, not relayed."""
    inst = make_instance()
    mailname = write(inst, "mailname", "mail.example.org\n")
    dests = write(inst, "dests", "# local domains\nlocalhost, mail.example.org\n")
    inst.main_cf_extra.update({"myorigin": mailname, "mydestination": dests,
                               "alias_maps": aliases(inst, "postmaster %s\n" % rcpt_user())})
    inst.write_main_cf()
    inst.start()
    r = inst.sendmail(["-f", "root", "postmaster"], input=b"Subject: origin\n\nhello\n")
    assert r.returncode == 0, r.stderr
    inst.wait_log(r"from=<root@mail\.example\.org>", timeout=15)
    inst.wait_log(r"to=<%s@mail\.example\.org>, orig_to=<postmaster@mail\.example\.org>, relay=local, .*"
                  r"status=sent" % re.escape(rcpt_user()), timeout=15)
    assert "Subject: origin" in wait_file(mbox(inst), "Subject: origin")
    assert "/mailname" not in inst.log()


def test_mynetworks_and_relay_domains_files(make_instance):
    inst = make_instance()
    nets = write(inst, "nets", "# trusted\n192.0.2.0/24\n")
    relays = write(inst, "relays", "relay.example\n")
    inst.main_cf_extra.update({"mynetworks": nets, "relay_domains": relays,
                               "smtpd_peername_lookup": "no"})
    inst.write_main_cf()
    inst.start()
    with smtplib.SMTP(inst.addr, inst.port, timeout=10) as s:
        s.ehlo("client.example")
        s.mail("a@example.com")
        # 127.x is not in the mynetworks file: no open relay
        # (defer_unauth_destination, Postfix's default, answers 454)...
        assert s.rcpt("b@elsewhere.example")[0] in (454, 554)
        # ... but the domain in the relay_domains file is accepted.
        assert s.rcpt("b@relay.example")[0] == 250


def test_unreadable_file_is_fatal_with_its_name(make_instance):
    inst = make_instance()
    inst.main_cf_extra.update({"myorigin": os.path.join(inst.dir, "missing")})
    inst.write_main_cf()
    r = inst.postern(["check"])
    text = r.stderr.decode()
    assert r.returncode != 0
    assert "parameter myorigin: open %s" % os.path.join(inst.dir, "missing") in text, text
