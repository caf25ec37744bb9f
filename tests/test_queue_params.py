"""Queue-manager, notification and log parameters that Postern used to accept
without implementing them: postern logrotate with maillog_file_rotate_suffix
and maillog_file_compressor, ...
"""
import gzip
import os
import re

from harness import wait_for


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
