"""Issue 13 #8, the small ones: lmtp(8) exists, postern config -M prints
pipe arguments as written, sendmail -bi builds the aliases and sendmail(1)
says so (postern map -q on a missing .db: see test_map.py)."""

import os
import re

from harness import BIN

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_lmtp_page_links_to_smtp():
    with open(os.path.join(TOP, "man", "lmtp.8")) as f:
        assert f.read().strip() == ".so man8/smtp.8"
    assert os.path.exists(os.path.join(TOP, "man", "smtp.8"))


def test_config_M_pipe_arguments(make_instance):
    inst = make_instance(master_cf_extra="procmail unix - n n - - pipe flags=R "
                                         "user=nobody argv=/usr/bin/procmail -d ${recipient}")
    r = inst.postern(["config", "-M", "procmail/unix"])
    assert r.returncode == 0, r.stderr
    line = r.stdout.decode()
    assert line.rstrip("\n").endswith("pipe flags=R user=nobody argv=/usr/bin/procmail -d ${recipient}"), line
    assert "{" not in line.replace("${recipient}", "")


def test_sendmail_bi_builds_and_page_says_so(make_instance):
    inst = make_instance()
    src = os.path.join(inst.dir, "aliases")
    with open(src, "w") as f:
        f.write("postmaster: root\n")
    inst.main_cf_extra.update({"alias_database": "hash:" + src, "alias_maps": "hash:" + src})
    inst.write_main_cf()
    r = inst.sendmail(["-bi"])
    assert r.returncode == 0, r.stderr
    assert os.path.exists(src + ".db")
    with open(os.path.join(TOP, "man", "sendmail.1")) as f:
        page = f.read()
    bi = page[page.index(".BR \\-bi"):]
    bi = bi[:bi.index(".TP")]
    assert "69" not in bi and "not supported" not in bi
    assert re.search(r"exits 0", bi)
