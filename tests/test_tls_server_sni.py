"""The server's certificates: tls_server_sni_maps (certificates chosen by
the client's SNI name) and smtpd_tls_chain_files with an RSA and an ECDSA
chain at once.
"""
import os
import ssl
import subprocess

import pytest

from harness import _make_traversable, starttls_connect
from test_smtpd_lib import no_crash, smtpd_instance
from test_tls import _openssl, make_ca, make_cert, pki  # noqa: F401 (fixture)


def chain_file(d, name, crt, key):
    path = os.path.join(d, name + ".chain.pem")
    with open(path, "w") as out:
        out.write(open(key).read() + open(crt).read())
    os.chmod(path, 0o644)
    return path


def peer_der(inst, sni=None, ctx=None):
    """STARTTLS with sni; the server certificate (DER)."""
    if ctx is None:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    with starttls_connect(inst.addr, inst.port, ctx, sni) as tls:
        return tls.getpeercert(binary_form=True)


def der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


@pytest.fixture
def certs(tmp_path, pki):  # noqa: F811
    d = str(tmp_path / "sni")
    os.makedirs(d)
    ca = (pki["ca"], pki["ca"].replace(".crt", ".key"))
    mail = make_cert(d, ca, "mail.example.test", ["DNS:mail.example.test"])
    wild = make_cert(d, ca, "any.example.org", ["DNS:*.example.org"])
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    os.chmod(d, 0o755)
    _make_traversable(d)
    return {"mail": mail, "wild": wild, "dir": d,
            "mail_chain": chain_file(d, "mail", *mail),
            "wild_chain": chain_file(d, "wild", *wild)}


def test_sni_maps_choose_the_certificate(make_instance, pki, certs):
    table = os.path.join(certs["dir"], "sni_map")
    with open(table, "w") as f:
        f.write("mail.example.test %s\n.example.org %s\n" % (certs["mail_chain"],
                                                             certs["wild_chain"]))
    os.chmod(table, 0o644)
    inst = smtpd_instance(make_instance, smtpd_tls_security_level="may",
                          smtpd_tls_cert_file=pki["cert"], smtpd_tls_key_file=pki["key"],
                          tls_server_sni_maps="texthash:" + table)
    assert peer_der(inst, "mail.example.test") == der(certs["mail"][0])
    assert peer_der(inst, "smtp.example.org") == der(certs["wild"][0])   # parent domain
    assert peer_der(inst, "unknown.example.net") == der(pki["cert"])    # default
    assert peer_der(inst, None) == der(pki["cert"])
    no_crash(inst)


def test_rsa_and_ecdsa_chain_files(make_instance, pki, tmp_path):
    d = str(tmp_path / "dual")
    os.makedirs(d)
    ca = (pki["ca"], pki["ca"].replace(".crt", ".key"))
    with open(os.path.join(d, "rsa.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    _openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "rsa.key", "-out", "rsa.csr",
              "-subj", "/CN=localhost"], d)
    _openssl(["x509", "-req", "-in", "rsa.csr", "-CA", ca[0], "-CAkey", ca[1],
              "-CAcreateserial", "-out", "rsa.crt", "-days", "2", "-extfile", "rsa.ext"], d)
    ec = make_cert(d, ca, "ec", ["DNS:localhost"])
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    os.chmod(d, 0o755)
    _make_traversable(d)
    rsa_chain = chain_file(d, "rsa", os.path.join(d, "rsa.crt"), os.path.join(d, "rsa.key"))
    ec_chain = chain_file(d, "ec", *ec)
    inst = smtpd_instance(make_instance, smtpd_tls_security_level="may",
                          smtpd_tls_chain_files="%s, %s" % (rsa_chain, ec_chain))
    for sigalgs, want in (("RSA+SHA256:rsa_pss_rsae_sha256", os.path.join(d, "rsa.crt")),
                          ("ECDSA+SHA256", ec[0])):
        out = subprocess.run(
            ["openssl", "s_client", "-starttls", "smtp", "-connect",
             "%s:%d" % (inst.addr, inst.port), "-sigalgs", sigalgs, "-showcerts"],
            input=b"QUIT\r\n", capture_output=True, timeout=30)
        pem = out.stdout.decode(errors="replace")
        start = pem.index("-----BEGIN CERTIFICATE-----")
        end = pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")
        assert ssl.PEM_cert_to_DER_cert(pem[start:end]) == der(want), sigalgs
    no_crash(inst)
