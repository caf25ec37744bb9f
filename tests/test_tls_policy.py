"""smtp_tls_policy_maps (none, may, encrypt, fingerprint, verify, secure;
match=, protocols=, ciphers=, servername=) and smtp_tls_servername, with
the TLS test sink and a throwaway CA (test_tls.pki).
"""
import hashlib
import ssl

from test_tls import need_relay, pki, relay_through, texthash_table, tls_sink  # noqa: F401


def policy_table(tmp_path, entries):
    return texthash_table(tmp_path, "tls_policy", entries)


def relay(make_instance, sink, **extra):
    """No cached connections: each test case negotiates its own TLS."""
    return relay_through(make_instance, sink,
                         **dict({"smtp_connection_cache_time_limit": "0"}, **extra))


def fingerprint(certfile):
    with open(certfile) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return ":".join("%02X" % b for b in hashlib.sha256(der).digest())


@need_relay
def test_policy_encrypt_over_global_none_and_none_over_encrypt(make_instance, pki, tmp_path):
    with tls_sink(pki) as sink:
        maps = policy_table(tmp_path, {sink.nexthop: "encrypt protocols=>=TLSv1.2 ciphers=high"})
        inst = relay(make_instance, sink, smtp_tls_security_level="none",
                     smtp_tls_policy_maps=maps)
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        assert sink.wait_for(1, timeout=20)[0].tls
    with tls_sink(pki) as sink:
        maps = policy_table(tmp_path, {sink.nexthop: "none"})
        inst = relay(make_instance, sink, smtp_tls_security_level="encrypt",
                     smtp_tls_policy_maps=maps)
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        assert sink.wait_for(1, timeout=20)[0].tls is None


@need_relay
def test_policy_protocols(make_instance, pki, tmp_path):
    with tls_sink(pki) as sink:
        maps = policy_table(tmp_path, {sink.nexthop: "encrypt protocols=<=TLSv1.2"})
        inst = relay(make_instance, sink, smtp_tls_policy_maps=maps)
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        assert sink.wait_for(1, timeout=20)[0].tls == "TLSv1.2"


@need_relay
def test_policy_verify_and_secure_match(make_instance, pki, tmp_path):
    with tls_sink(pki) as sink:
        maps = policy_table(tmp_path, {sink.nexthop: "verify"})
        inst = relay(make_instance, sink, smtp_tls_policy_maps=maps)   # no CA: untrusted
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=deferred \(Server certificate "
                      r"not trusted", timeout=20)
        assert sink.messages == []
    with tls_sink(pki) as sink:
        maps = policy_table(tmp_path, {sink.nexthop: "secure match=nexthop"})
        inst = relay(make_instance, sink, smtp_tls_policy_maps=maps, smtp_tls_CAfile=pki["ca"])
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        inst.wait_log(r"Verified TLS connection established to")
    with tls_sink(pki) as sink:
        maps = policy_table(tmp_path, {sink.nexthop: "secure match=mx.other.example:.other.example"})
        inst = relay(make_instance, sink, smtp_tls_policy_maps=maps, smtp_tls_CAfile=pki["ca"])
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=deferred \(Server certificate "
                      r"not verified", timeout=20)
        inst.wait_log(r"Trusted TLS connection established to")
        assert sink.messages == []


@need_relay
def test_policy_fingerprint(make_instance, pki, tmp_path):
    fp = fingerprint(pki["cert"])
    with tls_sink(pki) as sink:
        maps = policy_table(tmp_path, {sink.nexthop: "fingerprint match=AA:BB|" + fp})
        inst = relay(make_instance, sink, smtp_tls_policy_maps=maps)
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        inst.wait_log(r"Verified TLS connection established to")
    with tls_sink(pki) as sink:
        # Another fingerprint: the first digit changed (a replace of "A"
        # would leave a fingerprint without one as it was).
        other = ("1" if fp[0] != "1" else "2") + fp[1:]
        maps = policy_table(tmp_path, {sink.nexthop: "fingerprint match=" + other})
        inst = relay(make_instance, sink, smtp_tls_policy_maps=maps)
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=deferred \(Server certificate "
                      r"not verified", timeout=20)
        assert sink.messages == []


@need_relay
def test_servername_sni(make_instance, pki, tmp_path):
    with tls_sink(pki) as sink:
        inst = relay(make_instance, sink, smtp_tls_security_level="encrypt")
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        assert sink.sni == [None]            # Postfix's default: no SNI
    with tls_sink(pki) as sink:
        inst = relay(make_instance, sink, smtp_tls_security_level="encrypt",
                     smtp_tls_servername="mail.example.test")
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        assert sink.sni == ["mail.example.test"]
    with tls_sink(pki) as sink:
        maps = policy_table(tmp_path, {sink.nexthop: "encrypt servername=other.example.test"})
        inst = relay(make_instance, sink, smtp_tls_policy_maps=maps,
                     smtp_tls_servername="mail.example.test")
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        assert sink.sni == ["other.example.test"]


@need_relay
def test_bad_policy_defers_and_dane_needs_dnssec(make_instance, pki, tmp_path):
    with tls_sink(pki) as sink:
        maps = policy_table(tmp_path, {sink.nexthop: "bogus-level"})
        inst = relay(make_instance, sink, smtp_tls_policy_maps=maps)
        inst.wait_log(r"to=<b@x\.test>, relay=.*dsn=4\.3\.0, status=deferred \(TLS policy "
                      r"for \S+: invalid security level\)", timeout=20)
        assert sink.messages == []
    with tls_sink(pki) as sink:
        maps = policy_table(tmp_path, {sink.nexthop: "dane"})
        inst = relay(make_instance, sink, smtp_tls_policy_maps=maps)
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        inst.wait_log(r'warning: TLS level "dane" needs smtp_dns_support_level = dnssec: '
                      r'using "may"')
