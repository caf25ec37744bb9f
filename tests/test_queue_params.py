"""Queue-manager, notification and log parameters that Postern used to accept
without implementing them: postern logrotate with maillog_file_rotate_suffix
and maillog_file_compressor; confirm_delay_cleared; qmgr_clog_warn_time;
qmgr_daemon_timeout.
"""
import email
import email.policy
import gzip
import os
import re
import signal
import time

import pytest

from harness import random_loopback, wait_for
from sink import Sink


def test_logrotate_running(make_instance):
    """The file is renamed with the strftime suffix, the master and its new
    processes log to a fresh maillog_file, and the old one is compressed once
    no process holds it open."""
    inst = make_instance(main_cf_extra={"maillog_file_rotate_suffix": "r-%Y"})
    inst.start()
    inst.wait_log(r"daemon started")
    r = inst.postern(["logrotate"])
    assert r.returncode == 0, r.stderr
    year = re.search(r"\d{4}", os.path.basename(
        [n for n in os.listdir(inst.dir) if n.startswith("maillog.r-")][0])).group(0)
    rotated = inst.log_file + ".r-" + year
    wait_for(lambda: os.path.exists(rotated + ".gz"), 20, "compressed log")
    assert not os.path.exists(rotated)
    with gzip.open(rotated + ".gz", "rt") as f:
        old = f.read()
    assert "daemon started" in old
    inst.wait_log(r"master\[\d+\]: reload -- version")
    with inst.smtp() as s:
        s.noop()
    inst.wait_log(r"smtpd\[\d+\]: connect from")
    assert "daemon started" not in inst.log()


def test_logrotate_no_compressor_not_running(make_instance):
    """Without a running system the file is only renamed; an empty
    maillog_file_compressor leaves it uncompressed; the same name twice is
    refused rather than overwritten."""
    inst = make_instance(main_cf_extra={"maillog_file_rotate_suffix": "old",
                                        "maillog_file_compressor": ""})
    with open(inst.log_file, "w") as f:
        f.write("line one\n")
    r = inst.postern(["logrotate"])
    assert r.returncode == 0, r.stderr
    with open(inst.log_file + ".old") as f:
        assert f.read() == "line one\n"
    assert not os.path.exists(inst.log_file)
    with open(inst.log_file, "w") as f:
        f.write("line two\n")
    r = inst.postern(["logrotate"])
    assert r.returncode == 1
    assert b"exists already" in r.stderr
    with open(inst.log_file) as f:
        assert f.read() == "line two\n"


def test_logrotate_refused(make_instance):
    """No maillog_file, a /dev/ file, or a suffix with a slash: exit 1."""
    for cf, why in (({"maillog_file": None}, b"no maillog_file"),
                    ({"maillog_file": "/dev/stdout"}, b"cannot be rotated"),
                    ({"maillog_file_rotate_suffix": "a/b"}, b'contains a "/"')):
        inst = make_instance(main_cf_extra=cf)
        if "maillog_file_rotate_suffix" in cf:
            open(inst.log_file, "w").close()
        r = inst.postern(["logrotate"])
        assert r.returncode == 1 and why in r.stderr, (cf, r.stderr)


def delay_sink(state):
    srv = Sink(host=random_loopback())
    srv.set_rcpt_default(lambda r: "451 4.2.0 mailbox busy"
                         if "soft" in r and not state["up"] else "250 2.1.5 Ok")
    return srv.start()


def notices(srv):
    return [email.message_from_bytes(m.data, policy=email.policy.compat32)
            for m in srv.messages if re.search(r"<[^>]*>", m.mail).group(0) == "<>"]


@pytest.mark.parametrize("cdc", ["yes", "no"])
def test_confirm_delay_cleared(make_instance, cdc):
    """After a delay warning, the delivery of that recipient is confirmed to
    the sender with a success notice when confirm_delay_cleared = yes, and
    only then."""
    state = {"up": False}
    srv = delay_sink(state)
    try:
        inst = make_instance(main_cf_extra={
            "transport_maps": "inline:{ s.test=smtp:[%s]:%d }" % (srv.addr, srv.port),
            "delay_warning_time": "1s", "minimal_backoff_time": "1s",
            "maximal_backoff_time": "1s", "queue_run_delay": "1s",
            "confirm_delay_cleared": cdc})
        inst.start()
        with inst.smtp() as s:
            s.sendmail("me@s.test", ["soft@s.test", "other@s.test"],
                       b"Subject: cdc\r\n\r\nhello\r\n")
        m = inst.wait_log(r"(\w{8}): sender delay notification", timeout=20)
        qid = m.group(1)
        state["up"] = True
        inst.wait_log(r"%s: to=<soft@s.test>.*status=sent" % qid, timeout=20)
        inst.wait_log(r"%s: removed" % qid, timeout=20)
        subjects = [n["Subject"] for n in notices(srv)]
        assert subjects.count("Delayed Mail (still being retried)") == 1
        if cdc == "no":
            assert "Successful Mail Delivery Report" not in subjects
            assert "delivery status notification" not in inst.log()
            return
        inst.wait_log(r"%s: sender delivery status notification: \w{8}" % qid)

        def success():
            return [n for n in notices(srv)
                    if n["Subject"] == "Successful Mail Delivery Report"]
        ok = wait_for(success, 20, "the success notice")
        assert len(ok) == 1
        text = ok[0].as_string()
        # Only the recipient that was warned about, not the one delivered at once.
        assert "soft@s.test" in text and "other@s.test" not in text
        dsn = [p for p in ok[0].walk() if p.get_content_type() == "message/delivery-status"]
        groups = [dict(g.items()) for g in dsn[0].get_payload()[1:]]
        assert len(groups) == 1 and groups[0]["Final-Recipient"] == "rfc822; soft@s.test"
        assert groups[0]["Action"] in ("delivered", "relayed")
        assert groups[0]["Status"].startswith("2.")
    finally:
        srv.stop()


@pytest.mark.parametrize("warn_time", ["300s", "0"])
def test_qmgr_clog_warn_time(make_instance, down, warn_time):
    """A destination whose entries take more than a fifth of
    qmgr_message_active_limit is warned about in Postfix's words, once per
    qmgr_clog_warn_time; 0 turns the warning off."""
    inst = make_instance(main_cf_extra={
        "transport_maps": "inline:{ s.test=smtp:%s }" % down.nexthop,
        "qmgr_message_active_limit": "5", "smtp_destination_recipient_limit": "1",
        "minimal_backoff_time": "1h", "maximal_backoff_time": "2h",
        "queue_run_delay": "1h", "qmgr_clog_warn_time": warn_time})
    inst.start()
    for n in range(2):
        with inst.smtp() as s:
            s.sendmail("me@s.test", ["a@s.test", "b@s.test", "c@s.test"],
                       b"Subject: clog\r\n\r\nhello\r\n")
        inst.wait_log(r"status=deferred", count=3 * (n + 1), timeout=20)
    warnings = re.findall(r"qmgr\[\d+\]: warning: mail for (\S+) is using up (\d+) "
                          r"of (\d+) active queue entries", inst.log())
    if warn_time == "0":
        assert warnings == []
        return
    assert len(warnings) == 1, inst.log_tail()
    assert int(warnings[0][1]) == 3 and int(warnings[0][2]) == 1
    assert "you may need" in inst.log()


def test_qmgr_daemon_timeout(make_instance):
    """A qmgr whose event loop does not turn for qmgr_daemon_timeout ends
    itself ("fatal: watchdog timeout") and the master starts a new one; an
    idle qmgr is never taken for a hung one."""
    inst = make_instance(main_cf_extra={"qmgr_daemon_timeout": "2s"})
    inst.start()
    pid = wait_for(lambda: inst.program_pids("qmgr"), 10, "a qmgr")[0]
    time.sleep(3)       # idle for longer than the timeout: nothing happens
    assert "watchdog timeout" not in inst.log()
    assert inst.program_pids("qmgr") == [pid]
    os.kill(pid, signal.SIGSTOP)    # a qmgr that hangs, as seen from outside
    time.sleep(3)
    os.kill(pid, signal.SIGCONT)
    inst.wait_log(r"qmgr\[%d\]: fatal: watchdog timeout" % pid)
    wait_for(lambda: inst.program_pids("qmgr") not in ([], [pid]), 15, "a new qmgr")


def test_bounce_service_names(make_instance):
    """bounce_service_name, defer_service_name and trace_service_name name
    the master.cf services that the qmgr asks for non-delivery reports,
    delay warnings and success notices; the usual names need not exist."""
    srv = Sink(host=random_loopback(), dsn=False)
    srv.set_rcpt_default(lambda r: "550 5.1.1 no such user" if "bad" in r else
                         "451 4.2.0 mailbox busy" if "soft" in r else "250 2.1.5 Ok")
    srv.start()
    try:
        inst = make_instance(main_cf_extra={
            "transport_maps": "inline:{ s.test=smtp:[%s]:%d }" % (srv.addr, srv.port),
            "delay_warning_time": "1s", "minimal_backoff_time": "1s",
            "maximal_backoff_time": "1s", "queue_run_delay": "1s",
            "bounce_service_name": "nbounce", "defer_service_name": "ndefer",
            "trace_service_name": "ntrace"})
        text = "".join(line + "\n" for line in inst.default_master_cf().splitlines()
                       if line.split()[0] not in ("bounce", "defer", "trace"))
        text += "".join("%s unix - - n - 0 bounce -o syslog_name=postern/%s\n" % (n, n)
                        for n in ("nbounce", "ndefer", "ntrace"))
        inst.write_master_cf(text)
        inst.start()
        with inst.smtp() as s:
            s.ehlo()
            s.mail("me@s.test")
            assert s.rcpt("bad@s.test")[0] == 250
            assert s.rcpt("ok@s.test", ["NOTIFY=SUCCESS"])[0] == 250
            s.data(b"Subject: names\r\n\r\nhello\r\n")
        with inst.smtp() as s:
            s.sendmail("me@s.test", ["soft@s.test"], b"Subject: later\r\n\r\nx\r\n")

        def subjects():
            return sorted(n["Subject"] for n in notices(srv))
        wait_for(lambda: len(subjects()) >= 3, 20, "three notices")
        assert subjects() == ["Delayed Mail (still being retried)",
                              "Successful Mail Delivery Report",
                              "Undelivered Mail Returned to Sender"]
        for name, what in (("nbounce", "non-delivery"), ("ndefer", "delay"),
                           ("ntrace", "delivery status")):
            inst.wait_log(r"postern/%s/bounce\[\d+\]: \w+: sender %s notification"
                          % (name, what))
        assert not os.path.exists(os.path.join(inst.queue_dir, "private", "bounce"))
    finally:
        srv.stop()
