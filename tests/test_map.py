"""Black-box tests of `postern map` (postmap-like table building and queries).

Runs the built `postern` binary ($POSTERN_BUILD/bin/postern, default
../build/bin/postern) in a private temporary directory; touches no network.
"""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.environ.get("POSTERN_BUILD", os.path.join(HERE, "..", "build"))
POSTERN = os.path.join(BUILD, "bin", "postern")

pytestmark = pytest.mark.skipif(
    not os.access(POSTERN, os.X_OK), reason="postern not built at " + POSTERN)


def pmap(*args, stdin=None, cwd=None):
    env = dict(os.environ)
    env.pop("MAIL_CONFIG", None)
    r = subprocess.run([POSTERN, "map", *args], input=stdin, cwd=cwd,
                       capture_output=True, text=True, timeout=30, env=env,
                       errors="replace")
    assert "Sanitizer" not in r.stderr and "runtime error" not in r.stderr, r.stderr
    assert "panic" not in r.stderr, r.stderr
    return r


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return str(path)


ACCESS = """# access table
Example.COM      OK
bad@Spam.org     REJECT go away
    and stay away
nokey
example.com      DUPLICATE
"""


def test_build_and_query(tmp_path):
    src = write(tmp_path / "access", ACCESS)
    r = pmap(src)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(src + ".db")
    assert "access:5" in r.stderr and "access:6" in r.stderr
    assert [p.name for p in tmp_path.iterdir() if "tmp" in p.name] == []
    r = pmap("-q", "EXAMPLE.com", "hash:" + src)
    assert (r.returncode, r.stdout) == (0, "OK\n")
    r = pmap("-q", "bad@spam.org", src)
    assert r.returncode == 0 and r.stdout.startswith("REJECT go away")
    assert "stay away" in r.stdout
    r = pmap("-q", "nokey", src)
    assert (r.returncode, r.stdout) == (1, "")


def test_rebuild_replaces_file_atomically(tmp_path):
    src = write(tmp_path / "t", "a 1\n")
    assert pmap(src).returncode == 0
    ino = os.stat(src + ".db").st_ino
    write(src, "a 2\nb 3\n")
    assert pmap(src).returncode == 0
    assert os.stat(src + ".db").st_ino != ino
    assert pmap("-q", "a", src).stdout == "2\n"


def test_fold_flag(tmp_path):
    src = write(tmp_path / "t", "MiXed value\n")
    assert pmap("-f", src).returncode == 0
    assert pmap("-f", "-q", "MiXed", src).returncode == 0
    assert pmap("-f", "-q", "mixed", src).returncode == 1


def test_btree_and_dump(tmp_path):
    src = write(tmp_path / "t", "k1 v1\nk2 v two\n")
    assert pmap("btree:" + src).returncode == 0
    r = pmap("-s", "btree:" + src)
    assert r.returncode == 0
    assert sorted(r.stdout.splitlines()) == ["k1\tv1", "k2\tv two"]


def test_query_stdin(tmp_path):
    src = write(tmp_path / "t", "a 1\nb 2\n")
    assert pmap(src).returncode == 0
    r = pmap("-q", "-", src, stdin="a\nzz\nB\n")
    assert r.returncode == 0
    assert r.stdout == "a\t1\nB\t2\n"
    assert pmap("-q", "-", src, stdin="x\ny\n").returncode == 1


def test_insert_and_delete(tmp_path):
    src = str(tmp_path / "t")
    r = pmap("-i", src, stdin="new value\nother thing\n")
    assert r.returncode == 0, r.stderr
    assert pmap("-q", "new", src).stdout == "value\n"
    assert pmap("-i", src, stdin="new replaced\n").returncode == 0
    assert pmap("-q", "new", src).stdout == "replaced\n"
    assert pmap("-d", "new", src).returncode == 0
    assert pmap("-d", "new", src).returncode == 1
    assert pmap("-q", "new", src).returncode == 1
    assert pmap("-q", "other", src).stdout == "thing\n"


def test_other_types(tmp_path):
    pcre = write(tmp_path / "hc.pcre",
                 "/^Subject: (.*) (spam)$/  REJECT $2: ${1}\n"
                 "if /^From:/\n!/@example\\.com/ WARN outside\nendif\n")
    r = pmap("-q", "Subject: cheap SPAM", "pcre:" + pcre)
    assert (r.returncode, r.stdout) == (0, "REJECT SPAM: cheap\n")
    assert pmap("-q", "From: a@b.org", "pcre:" + pcre).stdout == "WARN outside\n"
    assert pmap("-q", "From: a@example.com", "pcre:" + pcre).returncode == 1
    rx = write(tmp_path / "r", "/^([a-z]+)@/ user=$1\n")
    assert pmap("-q", "joe@x", "regexp:" + rx).stdout == "user=joe\n"
    cidr = write(tmp_path / "c", "10.0.0.0/8 TEN\n2001:db8::/32 DOC\n")
    assert pmap("-q", "10.9.8.7", "cidr:" + cidr).stdout == "TEN\n"
    assert pmap("-q", "2001:db8::1", "cidr:" + cidr).stdout == "DOC\n"
    assert pmap("-q", "11.0.0.1", "cidr:" + cidr).returncode == 1
    th = write(tmp_path / "th", "Key value\n")
    assert pmap("-q", "KEY", "texthash:" + th).stdout == "value\n"
    assert pmap("-q", "b", "inline:{ a=1, { b = two words } }").stdout == "two words\n"
    assert pmap("-q", "anything", "static:{ fixed answer }").stdout == "fixed answer\n"
    r = pmap("-q", "root", "unix:passwd.byname")
    assert r.returncode == 0 and r.stdout.startswith("root:")
    # Several tables: the first that has the key answers.
    assert pmap("-q", "a", "inline:{b=1}", "inline:{a=2}", "static:3").stdout == "2\n"


def test_errors(tmp_path):
    r = pmap(str(tmp_path / "missing"))
    assert r.returncode == 1 and "missing" in r.stderr
    # Issue 13 #8: postmap exits 1 for a missing .db, so must we.
    r = pmap("-q", "k", "hash:" + str(tmp_path / "missing"))
    assert r.returncode == 1 and r.stdout == "" and "missing" in r.stderr
    bad = write(tmp_path / "bad.pcre", "/ok/ OK\n\n/a(b/ X\n")
    r = pmap("pcre:" + bad)
    assert r.returncode == 1 and "bad.pcre:3:" in r.stderr
    r = pmap("-q", "ok", "pcre:" + bad)
    assert r.returncode == 1 and "bad.pcre" in r.stderr
    assert pmap("-q", "k", "nosuchtype:x").returncode == 1
    assert pmap().returncode == 2
    assert pmap("-q", "a", "-s", "x").returncode == 2


def test_hostile_input(tmp_path):
    src = write(tmp_path / "t", "k v\n")
    assert pmap(src).returncode == 0
    r = pmap("-q", "x" * 100000, src)
    assert r.returncode == 1
    junk = tmp_path / "junk"
    junk.write_bytes(b"\x00\xff\xfe binary\n" + b"A" * 70000 + b" v\n")
    r = pmap(str(junk))
    assert r.returncode == 1 and "junk:2" in r.stderr
    assert not os.path.exists(str(junk) + ".db")
    r = pmap("-q", "-", src, stdin="k\n" + "y" * 200000 + "\n")
    assert r.returncode == 1 and r.stdout == "k\tv\n"


def test_default_type_from_main_cf(tmp_path):
    conf = tmp_path / "conf"
    conf.mkdir()
    write(conf / "main.cf", "default_database_type = btree\n")
    src = write(tmp_path / "t", "k v\n")
    assert pmap("-c", str(conf), src).returncode == 0
    assert pmap("-c", str(conf), "-q", "k", "btree:" + src).stdout == "v\n"
    r = pmap("-q", "k", "hash:" + src)
    assert r.returncode == 1 and "not a hash" in r.stderr
