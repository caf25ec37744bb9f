"""delivery_status_filter: smtp_/local_delivery_status_filter tables
replace a recipient's status and text before the transport logs it and
replies (Postfix's dsn filter): 4.x.x made permanent, 5.x.x made temporary,
a success kept a success."""
import pytest

from harness import SLOW_RETRY, random_loopback
from sink import Sink
from test_local import msg, send, started


@pytest.fixture
def sink():
    srv = Sink(host=random_loopback())
    srv.set_rcpt_default(lambda r: "451 4.2.0 mailbox busy" if "busy" in r else
                         "452 4.2.2 over quota" if "quota" in r else "250 2.1.5 Ok")
    srv.start()
    yield srv
    srv.stop()


def relay(make_instance, srv, tmp_path, rules):
    f = tmp_path / "dsn_filter"
    f.write_text(rules)
    inst = make_instance(main_cf_extra=dict(
        SLOW_RETRY, transport_maps="inline:{ s.test=smtp:[%s]:%d }" % (srv.addr, srv.port),
        smtp_delivery_status_filter="pcre:%s" % f))
    inst.start()
    return inst


def test_smtp_filter_soft_to_hard(make_instance, sink, tmp_path):
    inst = relay(make_instance, sink, tmp_path,
                 "/^4\\.(\\d+\\.\\d+ .*mailbox busy.*)/ 5.$1\n"
                 "/^4\\.2\\.2 (.*)/ 2.0.0 not allowed: $1\n"
                 "/^2\\.0\\.0 (.*)/ 2.0.0 relayed fine: $1\n")
    with inst.smtp() as s:
        s.sendmail("me@s.test", ["busy@s.test", "quota@s.test", "ok@s.test"],
                   b"Subject: f\r\n\r\nx\r\n")
    inst.wait_log(r"to=<busy@s\.test>.*dsn=5\.2\.0, status=bounced \(host \S+ said: "
                  r"451 4\.2\.0 mailbox busy")
    # 4.x.x cannot become a success: ignored with a warning.
    inst.wait_log(r"to=<quota@s\.test>.*dsn=4\.2\.2, status=deferred")
    inst.wait_log(r"warning: smtp_delivery_status_filter: \"2\.0\.0 not allowed: .*\" "
                  r"would turn 4\.2\.2 into 2\.0\.0: ignored")
    inst.wait_log(r"to=<ok@s\.test>.*dsn=2\.0\.0, status=sent \(relayed fine: 250 ")


def test_local_filter_hard_to_soft(make_instance, tmp_path):
    f = tmp_path / "local_filter"
    f.write_text("/^5\\.1\\.1 (unknown user.*)/ 4.1.1 held for the admin: $1\n")
    inst = started(make_instance, main={"local_recipient_maps": "",
                                        "local_delivery_status_filter": "regexp:%s" % f})
    send(inst, ["nosuchuser12@localhost"], msg("filtered"))
    inst.wait_log(r"to=<nosuchuser12@localhost>.*dsn=4\.1\.1, status=deferred "
                  r"\(held for the admin: unknown user", timeout=15)
