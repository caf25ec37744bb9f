"""The TLS module: smtpd, smtp and lmtp do not link OpenSSL; tls.so (built
from src/util/tls.c, installed in daemon_directory) is loaded only when the
configuration makes a TLS context. Without TLS configured a process maps
neither libssl nor libcrypto. Without the module, TLS is off with a clear
reason, as in Postfix when TLS cannot be initialised: smtpd does not offer
STARTTLS, smtp at level encrypt defers. (test_tls.py checks that an smtpd
with TLS maps the module and one without maps no OpenSSL library.)
"""
import os
import re
import shutil
import subprocess

import pytest

from harness import BIN, _make_traversable
from test_tls import (MSG, OPENSSL_LIBS, client_ctx, need_relay, pki,  # noqa: F401
                      program_maps, relay_through, tls_sink, tls_smtpd)

pytestmark = [
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl(1)"),
    pytest.mark.skipif(not os.path.exists(os.path.join(BIN, "tls.so")),
                       reason="tls.so not built (no OpenSSL at build time)"),
]

def daemon_dir_without_module(tmp_path):
    """A daemon_directory holding the build's programs but no tls.so."""
    d = str(tmp_path / "libexec")
    os.makedirs(d)
    for name in os.listdir(BIN):
        if name != "tls.so":
            os.symlink(os.path.join(BIN, name), os.path.join(d, name))
    os.chmod(d, 0o755)
    _make_traversable(d)
    return d


@pytest.mark.parametrize("prog", ["smtpd", "smtp"])
def test_programs_do_not_link_openssl(prog):
    path = os.path.join(BIN, prog)
    if not os.path.exists(path):
        pytest.skip(prog + " not built")
    out = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    assert not OPENSSL_LIBS.search(out), out
    out = subprocess.run(["ldd", os.path.join(BIN, "tls.so")], capture_output=True,
                         text=True, check=True).stdout
    assert "libssl.so" in out and "libcrypto.so" in out


def test_missing_module_smtpd_offers_no_starttls(make_instance, pki, tmp_path):  # noqa: F811
    ddir = daemon_dir_without_module(tmp_path)
    inst = tls_smtpd(make_instance, pki, daemon_directory=ddir)
    with inst.smtp() as s:
        s.ehlo("client.example")
        assert not s.has_extn("starttls")
        assert s.docmd("STARTTLS")[0] == 502
        s.sendmail("a@client.test", ["root@localhost"], MSG)     # level may: plaintext
    inst.wait_log(r"warning: TLS is off: TLS support module %s/tls\.so could not be "
                  r"loaded: No such file or directory" % re.escape(ddir))


@need_relay
def test_missing_module_smtp_encrypt_defers(make_instance, pki, tmp_path):  # noqa: F811
    ddir = daemon_dir_without_module(tmp_path)
    with tls_sink(pki) as sink:
        inst = relay_through(make_instance, sink, smtp_tls_security_level="encrypt",
                             daemon_directory=ddir)
        inst.wait_log(r"warning: cannot initialize TLS: TLS support module %s/tls\.so "
                      r"could not be loaded" % re.escape(ddir), timeout=20)
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=deferred \(.*TLS is required, "
                      r"but our TLS engine is unavailable", timeout=20)
        assert sink.messages == []


def test_installed_daemons_load_installed_module(make_instance, pki, tmp_path):  # noqa: F811
    """make install puts tls.so beside the daemons, where they find it."""
    prefix = str(tmp_path / "prefix")
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run(["sh", os.path.join(top, "mk", "install"), os.path.dirname(BIN), "",
                    prefix], check=True, capture_output=True, timeout=60)
    ddir = os.path.join(prefix, "libexec", "postern")
    assert os.path.isfile(os.path.join(ddir, "tls.so"))
    for dirpath, dirnames, _ in os.walk(prefix):
        os.chmod(dirpath, 0o755)
    _make_traversable(ddir)
    inst = tls_smtpd(make_instance, pki, daemon_directory=ddir)
    with inst.smtp() as s:
        s.ehlo("client.example")
        s.starttls(context=client_ctx())
        s.ehlo("client.example")
        maps = program_maps(inst, "smtpd")
    assert os.path.join(ddir, "smtpd") in maps
    assert os.path.join(ddir, "tls.so") in maps
