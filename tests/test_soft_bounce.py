"""soft_bounce: what would bounce is deferred, and smtpd answers 4xx."""
import os

from harness import random_loopback
from sink import Sink
from test_smtpd_lib import Client


def test_smtpd_rejects_become_temporary(make_instance):
    inst = make_instance(main_cf_extra={"soft_bounce": "yes"})
    inst.start()
    with Client(inst, source="127.0.0.9") as c:
        c.cmd("EHLO client.example")
        c.cmd("MAIL FROM:<a@example.com>")
        # Relaying is denied (mynetworks is 127.0.0.0/8 by the harness, so
        # use an unknown local user instead).
        code, text = c.cmd("RCPT TO:<no.such.user@localhost>")
        assert code == 450 and text.startswith("450 4."), text
        code, text = c.cmd("FOO")
        assert code == 400 and text.startswith("400 4.5.2"), text


def test_remote_5xx_is_deferred(make_instance):
    sink = Sink(host=random_loopback(), rcpt_reply="550 5.1.1 no such user here")
    sink.start()
    try:
        inst = make_instance(main_cf_extra={
            "soft_bounce": "yes", "default_transport": "smtp",
            "relayhost": "[%s]:%d" % (sink.host, sink.port)})
        inst.start()
        with inst.smtp() as s:
            s.sendmail("a@example.com", ["b@remote.test"], b"Subject: x\r\n\r\nhi\r\n")
        inst.wait_log(r"to=<b@remote\.test>, relay=.*dsn=4\.1\.1, status=deferred "
                      r"\(host .* said: 550 5\.1\.1 no such user here", timeout=20)
        inst.wait_log(r"status=deferred", timeout=10)
        assert "status=bounced" not in open(inst.log_file).read()
        assert len(inst.queue_files("deferred")) == 1
    finally:
        sink.stop()


def test_error_transport_is_deferred(make_instance):
    inst = make_instance(main_cf_extra={"soft_bounce": "yes"})
    inst.start()
    with inst.smtp() as s:
        s.sendmail("a@example.com", ["b@remote.test"], b"Subject: x\r\n\r\nhi\r\n")
    inst.wait_log(r"to=<b@remote\.test>, relay=none.*dsn=4\.7\.1, status=deferred", timeout=20)
    assert "status=bounced" not in open(inst.log_file).read()
