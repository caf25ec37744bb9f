"""DANE (RFC 7672): smtp_tls_security_level = dane / dane-only with
smtp_dns_support_level = dnssec, TLSA records from the loopback test DNS
server, which sets AD (DNSSEC-validated) on its answers.
"""
import os
import subprocess

from dnsserver import DNSServer
from harness import _make_traversable
from test_tls import MSG, need_relay, pki, tls_sink  # noqa: F401 (fixture)


def spki_sha256(certfile):
    pub = subprocess.run(["openssl", "x509", "-in", certfile, "-noout", "-pubkey"],
                         capture_output=True, check=True, timeout=30).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pub,
                         capture_output=True, check=True, timeout=30).stdout
    dgst = subprocess.run(["openssl", "dgst", "-sha256", "-hex"], input=der,
                          capture_output=True, check=True, timeout=30).stdout
    return dgst.decode().split()[-1].upper()


def dane_relay(make_instance, sink, tlsa, level="dane", authenticated=True, **extra):
    zone = {"mx.dane.test": {"A": [sink.addr]}}
    if tlsa:
        zone["_%d._tcp.mx.dane.test" % sink.port] = {"TLSA": tlsa}
    dns = DNSServer(zone, authenticated=authenticated).start()
    conf = {"default_transport": "smtp", "relayhost": "[mx.dane.test]:%d" % sink.port,
            "dns_resolver_address": dns.spec, "smtp_dns_support_level": "dnssec",
            "smtp_tls_security_level": level, "smtp_connection_cache_time_limit": "0"}
    conf.update(extra)
    inst = make_instance(main_cf_extra=conf)
    inst.start()
    with inst.smtp() as s:
        s.sendmail("a@client.test", ["b@x.test"], MSG)
    return inst, dns


@need_relay
def test_dane_ee_3_1_1(make_instance, pki):
    with tls_sink(pki) as sink:
        inst, dns = dane_relay(make_instance, sink, ["3 1 1 " + spki_sha256(pki["cert"])])
        try:
            inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
            inst.wait_log(r"Verified TLS connection established to mx\.dane\.test")
            assert sink.sni == ["mx.dane.test"]
        finally:
            dns.stop()
    with tls_sink(pki) as sink:
        inst, dns = dane_relay(make_instance, sink, ["3 1 1 " + "AB" * 32])
        try:
            inst.wait_log(r"to=<b@x\.test>, relay=.*status=deferred \(Server certificate "
                          r"not trusted", timeout=20)
            inst.wait_log(r"Untrusted TLS connection established to mx\.dane\.test")
            assert sink.messages == []
        finally:
            dns.stop()


@need_relay
def test_dane_ta_2_1_1(make_instance, pki, tmp_path):
    d = str(tmp_path / "chain")
    os.makedirs(d)
    chain = os.path.join(d, "chain.pem")
    with open(chain, "w") as f:          # the server sends its CA too
        f.write(open(pki["cert"]).read() + open(pki["ca"]).read())
    os.chmod(chain, 0o644)
    _make_traversable(d)
    # The test certificate names localhost and addresses: call the MX that.
    with tls_sink(pki, certfile=chain) as sink:
        dns = DNSServer({"localhost": {"A": [sink.addr]},
                         "_%d._tcp.localhost" % sink.port: {
                             "TLSA": ["2 1 1 " + spki_sha256(pki["ca"])]}},
                        authenticated=True).start()
        try:
            inst = make_instance(main_cf_extra={
                "default_transport": "smtp", "relayhost": "[localhost]:%d" % sink.port,
                "dns_resolver_address": dns.spec, "smtp_dns_support_level": "dnssec",
                "smtp_tls_security_level": "dane", "smtp_host_lookup": "dns"})
            inst.start()
            with inst.smtp() as s:
                s.sendmail("a@client.test", ["b@x.test"], MSG)
            inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
            inst.wait_log(r"Verified TLS connection established to localhost")
        finally:
            dns.stop()


@need_relay
def test_dane_without_validation_or_records(make_instance, pki):
    # Not validated (no AD): dane is opportunistic, dane-only refuses.
    with tls_sink(pki) as sink:
        inst, dns = dane_relay(make_instance, sink, ["3 1 1 " + "AB" * 32],
                               authenticated=False)
        try:
            inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
            inst.wait_log(r"Untrusted TLS connection established")
        finally:
            dns.stop()
    with tls_sink(pki) as sink:
        inst, dns = dane_relay(make_instance, sink, None, level="dane-only")
        try:
            inst.wait_log(r"to=<b@x\.test>, relay=.*dsn=4\.7\.5, status=deferred \(no "
                          r"DNSSEC-validated TLSA records for mx\.dane\.test\)", timeout=20)
            assert sink.messages == []
        finally:
            dns.stop()
    # Without smtp_dns_support_level = dnssec: a warning, and may.
    with tls_sink(pki) as sink:
        inst, dns = dane_relay(make_instance, sink, ["3 1 1 " + "AB" * 32],
                               smtp_dns_support_level="")
        try:
            inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
            inst.wait_log(r'warning: TLS level "dane" needs smtp_dns_support_level = dnssec')
        finally:
            dns.stop()
