"""The virtual(8) delivery agent: virtual_mailbox_domains delivered into Maildir
and mbox files under virtual_mailbox_base, with the ids of virtual_uid_maps and
virtual_gid_maps, virtual_minimum_uid, virtual_mailbox_limit and
virtual_mailbox_lock, through the mailbox writers shared with local(8)."""
import os
import re

import pytest

from harness import BIN, account_ids, wait_for
from test_smtpd_lib import Client

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "virtual")),
                                reason="virtual not built")


def virtual_instance(make_instance, **extra):
    inst = make_instance(main_cf_extra={"smtpd_peername_lookup": "no"})
    base = os.path.join(inst.dir, "vmail")
    os.makedirs(base)
    os.chmod(base, 0o755)
    uid, gid = account_ids()
    os.chown(base, uid, gid)        # as an admin makes /var/mail/vhosts the vmail user's
    maps = os.path.join(inst.config_dir, "vmailbox")
    with open(maps, "w") as f:
        f.write("md@vd.test vd.test/md/\nmb@vd.test vd.test/mb\n"
                "low@vd.test vd.test/low/\nbad@vd.test ../escape/\n")
    uids = os.path.join(inst.config_dir, "vuid")
    with open(uids, "w") as f:
        f.write("low@vd.test 5\n@vd.test %d\n" % uid)
    cf = {"virtual_mailbox_domains": "vd.test",
          "virtual_mailbox_maps": "texthash:" + maps,
          "virtual_mailbox_base": base,
          "virtual_uid_maps": "texthash:" + uids,
          "virtual_gid_maps": "static:%d" % gid,
          "virtual_minimum_uid": "10"}
    cf.update(extra)
    inst.main_cf_extra.update(cf)
    inst.write_main_cf()
    inst.start()
    return inst, base


def send(inst, rcpts, body):
    with Client(inst) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        assert c.cmd("MAIL FROM:<sender@example.org>")[0] == 250
        for r in rcpts:
            assert c.cmd("RCPT TO:<%s>" % r)[0] == 250
        assert c.cmd("DATA")[0] == 354
        c.send(body.replace(b"\n", b"\r\n") + b".\r\n")
        assert c.reply()[0] == 250


def test_maildir_and_mbox_delivery(make_instance):
    inst, base = virtual_instance(make_instance)
    send(inst, ["md@vd.test", "mb@vd.test"],
         b"Subject: v\nFrom: sender@example.org\n\nFrom the start\nbody\n")
    inst.wait_log(r"virtual\[\d+\]: [0-9a-f]{8}: to=<md@vd.test>, relay=virtual, "
                  r"delay=[\d.]+, delays=[\d.]+/[\d.]+/[\d.]+/[\d.]+, dsn=2\.0\.0, "
                  r"status=sent \(delivered to maildir\)", timeout=20)
    inst.wait_log(r"to=<mb@vd.test>, relay=virtual, .*status=sent \(delivered to mailbox\)",
                  timeout=20)
    new = os.path.join(base, "vd.test", "md", "new")
    [name] = os.listdir(new)
    with open(os.path.join(new, name), "rb") as f:
        data = f.read()
    assert data.startswith(b"Return-Path: <sender@example.org>\nX-Original-To: md@vd.test\n"
                           b"Delivered-To: md@vd.test\n")
    assert data.endswith(b"\n\nFrom the start\nbody\n")
    uid, gid = account_ids()
    st = os.stat(os.path.join(new, name))
    assert (st.st_uid, st.st_gid) == (uid, gid)
    assert os.stat(os.path.join(base, "vd.test")).st_uid == uid
    with open(os.path.join(base, "vd.test", "mb"), "rb") as f:
        mbox = f.read()
    assert mbox.startswith(b"From sender@example.org  ")
    assert b"\nDelivered-To: mb@vd.test\n" in mbox
    assert mbox.endswith(b"\n\n>From the start\nbody\n\n")
    assert os.stat(os.path.join(base, "vd.test", "mb")).st_uid == uid
    assert not os.path.exists(os.path.join(base, "vd.test", "mb.lock"))


def test_minimum_uid_and_bad_path_defer(make_instance):
    inst, base = virtual_instance(make_instance)
    send(inst, ["low@vd.test", "bad@vd.test"], b"Subject: d\n\nx\n")
    inst.wait_log(r"bad uid 5 in virtual_uid_maps \(below virtual_minimum_uid 10\)",
                  timeout=20)
    inst.wait_log(r"to=<low@vd.test>, relay=virtual, .*dsn=4\.3\.0, status=deferred",
                  timeout=20)
    inst.wait_log(r"to=<bad@vd.test>, relay=virtual, .*dsn=4\.3\.0, status=deferred "
                  r"\(bad mailbox path name", timeout=20)
    assert not os.path.exists(os.path.join(base, "..", "escape"))
    assert not os.path.exists(os.path.join(base, "vd.test", "low"))


def test_mailbox_limit_bounces(make_instance):
    inst, base = virtual_instance(make_instance, virtual_mailbox_limit="2000",
                                  virtual_mailbox_lock="dotlock")
    send(inst, ["mb@vd.test", "md@vd.test"], b"Subject: big\n\n" + b"x" * 4000 + b"\n")
    inst.wait_log(r"to=<mb@vd.test>, relay=virtual, .*dsn=5\.2\.2, status=bounced", timeout=20)
    inst.wait_log(r"to=<md@vd.test>, relay=virtual, .*dsn=5\.2\.2, status=bounced", timeout=20)
    mb = os.path.join(base, "vd.test", "mb")
    assert not os.path.exists(mb) or os.path.getsize(mb) == 0
    assert not os.path.exists(mb + ".lock")
