"""After-queue content filtering, the amavis pattern Postfix documents:
content_filter = smtp:[filter]:port sends every message to a filter (here a
test thread: it receives over SMTP, adds a header and re-injects), which
hands it back to a second smtpd with -o content_filter= and
-o receive_override_options=...; the final destination gets it once."""

import os
import smtplib
import threading
import time

import pytest

from harness import BIN, free_port, random_loopback, wait_for
from sink import Sink

pytestmark = pytest.mark.skipif(
    not all(os.path.exists(os.path.join(BIN, p)) for p in ("smtp", "smtpd", "qmgr", "master")),
    reason="programs not built")


class Reinjector:
    """The content filter: every message its sink takes is sent back
    with X-Filtered: added, to the re-injection smtpd."""

    def __init__(self, back_addr, back_port):
        self.srv = Sink(host=random_loopback()).start()
        self.back = (back_addr, back_port)
        self.done = 0
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop_ev.is_set():
            if len(self.srv.messages) > self.done:
                m = self.srv.messages[self.done]
                self.done += 1
                data = b"X-Filtered: by test filter\r\n" + m.data
                with smtplib.SMTP(*self.back, timeout=10) as s:
                    s.sendmail(m.sender, m.rcpts, data)
            time.sleep(0.02)

    def stop(self):
        self.stop_ev.set()
        self.thread.join(10)
        self.srv.stop()


def test_amavis_style_reinjection(make_instance, sink, tmp_path):
    hc = tmp_path / "header_checks"
    # Applied on the way in; never on re-injection (no_header_body_checks).
    hc.write_text("/^X-Filtered:/ REJECT filtered mail must not be checked twice\n")
    addr = random_loopback()
    back_port = free_port(addr)
    flt = Reinjector(addr, back_port)
    try:
        inst = make_instance(addr=addr, main_cf_extra={
            "default_transport": "smtp", "relayhost": sink.nexthop,
            "content_filter": "smtp:%s" % flt.srv.nexthop,
            "header_checks": "regexp:%s" % hc},
            master_cf_extra=(
                "{addr}:%d inet n - n - - smtpd\n"
                "  -o content_filter=\n"
                "  -o receive_override_options=no_unknown_recipient_checks,"
                "no_header_body_checks,no_milters\n"
                "  -o mynetworks=127.0.0.0/8" % back_port))
        inst.start()
        with inst.smtp() as s:
            s.sendmail("a@client.test", ["b@x.test", "c@x.test"],
                       b"Subject: to be filtered\r\n\r\nbody\r\n")
        msgs = sink.wait_for(1, timeout=30)
        inst.wait_log(r"to=<b@x\.test>, relay=%s.*status=sent" %
                      sink.addr.replace(".", r"\."), timeout=30)
        inst.wait_log(r"to=<c@x\.test>, relay=%s.*status=sent" %
                      sink.addr.replace(".", r"\."), timeout=30)
        # Through the filter exactly once, at the destination exactly once.
        assert len(flt.srv.messages) == 1
        assert sum(len(m.rcpts) for m in sink.messages) == 2
        assert len(sink.messages) == 1
        assert msgs[0].data.count(b"X-Filtered: by test filter") == 1
        assert b"Subject: to be filtered" in msgs[0].data
        inst.wait_log(r"to=<b@x\.test>, relay=%s.*status=sent" %
                      flt.srv.addr.replace(".", r"\."))
    finally:
        flt.stop()


def test_content_filter_per_service(make_instance, sink):
    """-o content_filter= on one smtpd only: the other port goes straight."""
    flt = Sink(host=random_loopback()).start()
    try:
        inst = make_instance(main_cf_extra={
            "default_transport": "smtp", "relayhost": sink.nexthop})
        port2 = free_port(inst.addr)
        inst.master_cf_extra = ("{addr}:%d inet n - n - - smtpd "
                                "-o content_filter=smtp:%s" % (port2, flt.nexthop))
        inst.write_master_cf()
        inst.start()
        with smtplib.SMTP(inst.addr, port2, timeout=10) as s:
            s.sendmail("a@client.test", ["b@x.test"], b"Subject: one\r\n\r\nx\r\n")
        with inst.smtp() as s:
            s.sendmail("a@client.test", ["b@x.test"], b"Subject: two\r\n\r\nx\r\n")
        assert b"Subject: one" in flt.wait_for(1, timeout=20)[0].data
        assert b"Subject: two" in sink.wait_for(1, timeout=20)[0].data
        assert len(flt.messages) == 1 and len(sink.messages) == 1
    finally:
        flt.stop()
