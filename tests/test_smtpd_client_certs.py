"""smtpd: TLS client certificates. smtpd_tls_ask_ccert, smtpd_tls_req_ccert,
smtpd_tls_fingerprint_digest, permit_tls_clientcerts (relay_clientcerts),
permit_tls_all_clientcerts, check_ccert_access, and the policy attributes
ccert_fingerprint / ccert_pubkey_fingerprint.

A throwaway CA (pki fixture of test_tls), two client certificates it signs
and one signed by another CA are made with openssl(1) in the test's
temporary directory; the client is Python's ssl, presenting one or none.
"""
import hashlib
import os
import ssl
import subprocess

import pytest

from harness import _make_traversable
from policy_server import PolicyServer
from test_smtpd_lib import Client, no_crash, queued_id, wait_qf
from test_tls import make_ca, make_cert, pki, tls_smtpd  # noqa: F401 (fixture)


def fingerprint(crt):
    with open(crt) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return ":".join("%02X" % b for b in hashlib.sha256(der).digest())


def pkey_fingerprint(crt, digest="sha256"):
    pem = subprocess.run(["openssl", "x509", "-in", crt, "-pubkey", "-noout"],
                         check=True, capture_output=True, timeout=60).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pem,
                         check=True, capture_output=True, timeout=60).stdout
    return ":".join("%02X" % b for b in hashlib.new(digest, der).digest())


@pytest.fixture
def ccerts(tmp_path, pki):  # noqa: F811
    """client and client2 (signed by the pki's CA), stranger (another CA)."""
    d = str(tmp_path / "ccerts")
    os.makedirs(d)
    other = make_ca(d, "strangeca")
    made = {"client": make_cert(d, (pki["ca"], pki["ca"][:-4] + ".key"), "client",
                                ["DNS:client.example"]),
            "client2": make_cert(d, (pki["ca"], pki["ca"][:-4] + ".key"), "client2",
                                 ["DNS:client2.example"]),
            "stranger": make_cert(d, other, "stranger", ["DNS:stranger.example"])}
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)
    os.chmod(d, 0o755)
    _make_traversable(d)
    made["dir"] = d
    return made


def table(ccerts, name, entries):
    """A texthash table beside the certificates: its spec."""
    path = os.path.join(ccerts["dir"], name)
    with open(path, "w") as f:
        f.write("".join("%s %s\n" % kv for kv in entries.items()))
    os.chmod(path, 0o644)
    return "texthash:" + path


def tls_client(inst, cert=None):
    """EHLO, STARTTLS, handshake presenting cert ((crt, key) or None)."""
    c = Client(inst)
    c.cmd("EHLO client.example")
    code, text = c.cmd("STARTTLS")
    assert code == 220, text
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if cert:
        ctx.load_cert_chain(cert[0], cert[1])
    c.sock = ctx.wrap_socket(c.sock)
    return c


def relay_reply(inst, cert):
    with tls_client(inst, cert) as c:
        c.cmd("EHLO client.example")
        assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
        return c.cmd("RCPT TO:<x@elsewhere.example>")


def certs_instance(make_instance, pki, relay_rest, **extra):  # noqa: F811
    # The test client is in mynetworks: only the certificate may decide.
    return tls_smtpd(make_instance, pki, smtpd_tls_ask_ccert="yes",
                     smtpd_tls_CAfile=pki["ca"], smtpd_tls_loglevel="1",
                     smtpd_relay_restrictions=relay_rest, **extra)


def test_permit_tls_clientcerts_by_fingerprint(make_instance, pki, ccerts):  # noqa: F811
    spec = table(ccerts, "relay_ccerts", {
        fingerprint(ccerts["client"][0]): "client.example",
        pkey_fingerprint(ccerts["stranger"][0]): "pinned key"})
    inst = certs_instance(make_instance, pki, "permit_tls_clientcerts, reject_unauth_destination",
                          relay_clientcerts=spec)
    mark = inst.log_mark()
    assert relay_reply(inst, ccerts["client"])[0] == 250
    inst.wait_log(r"Trusted TLS connection established from", since=mark)
    inst.wait_log(r": subject_CN=client, issuer=testca, fingerprint=%s, pkey_fingerprint=%s"
                  % (fingerprint(ccerts["client"][0]),
                     pkey_fingerprint(ccerts["client"][0])), since=mark)
    # A pinned public key needs no trusted CA.
    mark = inst.log_mark()
    assert relay_reply(inst, ccerts["stranger"])[0] == 250
    inst.wait_log(r"Untrusted TLS connection established from", since=mark)
    for cert in (ccerts["client2"], None):
        code, text = relay_reply(inst, cert)
        assert code == 554 and "Relay access denied" in text, text
    # The Received: header says who the certificate names.
    with tls_client(inst, ccerts["client"]) as c:
        c.envelope()
        assert c.cmd("DATA")[0] == 354
        code, text = c.cmd("Subject: cc\r\n\r\nhi\r\n.")
        assert code == 250, text
        qid = queued_id(text)
    with tls_client(inst, None) as c:
        c.envelope()
        c.cmd("DATA")
        qid2 = queued_id(c.cmd("Subject: cc\r\n\r\nhi\r\n.")[1])
    assert '(Client CN "client", Issuer "testca" (verified OK))' in \
        wait_qf(inst, qid)["content"].decode()
    assert "(Client did not present a certificate)" in wait_qf(inst, qid2)["content"].decode()
    no_crash(inst)


def test_permit_tls_all_clientcerts(make_instance, pki, ccerts):  # noqa: F811
    inst = certs_instance(make_instance, pki,
                          "permit_tls_all_clientcerts, reject_unauth_destination")
    assert relay_reply(inst, ccerts["client2"])[0] == 250
    for cert in (ccerts["stranger"], None):
        assert relay_reply(inst, cert)[0] == 554


def test_not_asked_by_default(make_instance, pki, ccerts):  # noqa: F811
    inst = tls_smtpd(make_instance, pki, smtpd_tls_CAfile=pki["ca"],
                     smtpd_relay_restrictions="permit_tls_all_clientcerts, "
                     "reject_unauth_destination")
    mark = inst.log_mark()
    assert relay_reply(inst, ccerts["client"])[0] == 554
    inst.wait_log(r"Anonymous TLS connection established from", since=mark)


def test_check_ccert_access(make_instance, pki, ccerts):  # noqa: F811
    spec = table(ccerts, "ccert_access", {
        fingerprint(ccerts["client"][0]): "OK",
        pkey_fingerprint(ccerts["stranger"][0]): "REJECT 5.7.9 go away"})
    inst = certs_instance(make_instance, pki,
                          "check_ccert_access %s, reject_unauth_destination" % spec)
    assert relay_reply(inst, ccerts["client"])[0] == 250
    code, text = relay_reply(inst, ccerts["stranger"])
    assert code == 554 and text.endswith(">: Client certificate rejected: go away"), text
    assert "5.7.9 <unknown[127." in text
    inst.wait_log(r"reject: RCPT from unknown\[127\.[0-9.]+\]: 554 5\.7\.9 "
                  r"<unknown\[127\.[0-9.]+\]>: Client certificate rejected: go away")
    for cert in (ccerts["client2"], None):
        code, text = relay_reply(inst, cert)
        assert code == 554 and "Relay access denied" in text, text


def test_check_ccert_access_search_order_unsupported(make_instance, pki, ccerts):  # noqa: F811
    inst = certs_instance(make_instance, pki, "check_ccert_access { inline:{x=OK}, "
                          "search_order=pubkey_fingerprint }, reject_unauth_destination")
    code, text = relay_reply(inst, ccerts["client"])
    assert code == 451 and "Server configuration error" in text, text
    inst.wait_log(r"warning: check_ccert_access .*search_order form is not supported")


def test_req_ccert(make_instance, pki, ccerts):  # noqa: F811
    inst = tls_smtpd(make_instance, pki, level="encrypt", smtpd_tls_req_ccert="yes",
                     smtpd_tls_CAfile=pki["ca"])
    for cert, why in ((None, "No client certificate presented"),
                      (ccerts["stranger"], "Client certificate not trusted")):
        mark = inst.log_mark()
        with tls_client(inst, cert) as c:
            assert c.reply() == (421, "421 4.7.1 localhost Error: " + why)
            assert c.closed()
        inst.wait_log(r"NOQUEUE: abort: TLS from unknown\[127\.[0-9.]+\]: " + why,
                      since=mark)
    with tls_client(inst, ccerts["client"]) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
    no_crash(inst)


def test_req_ccert_smtps(make_instance, pki, ccerts):  # noqa: F811
    """Wrapper mode makes TLS mandatory: the requirement holds there."""
    inst = tls_smtpd(make_instance, pki, smtpd_tls_wrappermode="yes", wait_banner=False,
                     smtpd_tls_req_ccert="yes", smtpd_tls_CAfile=pki["ca"])
    for cert, first in ((None, 421), (ccerts["client"], 220)):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if cert:
            ctx.load_cert_chain(*cert)
        c = Client(inst, greet=False)
        c.sock = ctx.wrap_socket(c.sock)
        with c:
            assert c.reply()[0] == first
    inst.wait_log(r"abort: TLS from unknown\[127\.[0-9.]+\]: No client certificate presented")


def test_req_ccert_needs_encrypt(make_instance, pki):  # noqa: F811
    inst = tls_smtpd(make_instance, pki, smtpd_tls_req_ccert="yes",
                     smtpd_tls_CAfile=pki["ca"])
    with tls_client(inst, None) as c:
        assert c.cmd("EHLO client.example")[0] == 250
    inst.wait_log(r"warning: smtpd_tls_req_ccert = yes has no effect unless "
                  r"smtpd_tls_security_level = encrypt")


def test_policy_gets_fingerprints_and_digest(make_instance, pki, ccerts):  # noqa: F811
    with PolicyServer(lambda req: "action=DUNNO") as ps:
        inst = certs_instance(make_instance, pki, "permit",
                              smtpd_tls_fingerprint_digest="sha1",
                              smtpd_recipient_restrictions="check_policy_service " + ps.spec)
        with tls_client(inst, ccerts["client"]) as c:
            c.envelope()
        with tls_client(inst, None) as c:
            c.envelope()
        assert len(ps.requests) == 2
    crt = ccerts["client"][0]
    with open(crt) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    req = ps.requests[0]
    assert req["ccert_fingerprint"] == ":".join("%02X" % b for b in hashlib.sha1(der).digest())
    assert req["ccert_pubkey_fingerprint"] == pkey_fingerprint(crt, "sha1")
    assert req["ccert_subject"] == "client" and req["ccert_issuer"] == "testca"
    assert ps.requests[1]["ccert_fingerprint"] == ""
