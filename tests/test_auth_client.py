"""SMTP AUTH in the smtp client (smtp_sasl_*): a smarthost sink that
demands AUTH over STARTTLS (sink.Sink with auth=...), credentials
by nexthop, by host and by sender, security options and the mechanism
filter, 535 deferring (or bouncing) with the server's text, and the
client in wrapper mode against Postern's own submissions service.
"""
import os
import re

import pytest

from auth_lib import b64, make_passwd
from harness import BIN
from test_smtpd_lib import no_crash
from test_tls import MSG, need_relay, pki, relay_through, texthash_table, tls_sink  # noqa: F401

USER, PASSWORD = "relayuser", "Sm4rt-h0st-pw"


def sasl_table(tmp_path, entries):
    return texthash_table(tmp_path, "sasl_passwd", entries)


def relay(make_instance, sink, sender="a@client.test", **extra):
    conf = {"smtp_tls_security_level": "encrypt", "smtp_sasl_auth_enable": "yes",
            "smtp_sasl_security_options": "noanonymous",
            "smtp_connection_cache_time_limit": None}
    conf.update(extra)
    return relay_through(make_instance, sink, sender, **conf)


@need_relay
def test_smarthost_auth_over_starttls(make_instance, pki, tmp_path):
    with tls_sink(pki, auth={USER: PASSWORD}) as sink:
        maps = sasl_table(tmp_path, {sink.nexthop: "%s:%s" % (USER, PASSWORD)})
        inst = relay(make_instance, sink, smtp_sasl_password_maps=maps,
                     debug_peer_list=sink.addr)
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        msg = sink.wait_for(1, timeout=20)[0]
        assert msg.auth == USER and msg.tls
        assert sink.auth_log[0][0] == "PLAIN"
        # The transcript shows the command, never the credentials.
        inst.wait_log(r"> \S+: AUTH PLAIN$")
        assert PASSWORD not in inst.log()
        assert b64("%s\0%s\0%s" % (USER, USER, PASSWORD)) not in inst.log()
        assert not sink.errors
        no_crash(inst)


@need_relay
def test_lookup_by_host_and_mechanism_filter(make_instance, pki, tmp_path):
    with tls_sink(pki, auth={USER: PASSWORD}) as sink:
        maps = sasl_table(tmp_path, {sink.addr: "%s:%s" % (USER, PASSWORD),
                                     "[other.example]:25": "x:y"})
        inst = relay(make_instance, sink, smtp_sasl_password_maps=maps,
                     smtp_sasl_mechanism_filter="login")
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        assert sink.wait_for(1, timeout=20)[0].auth == USER
        assert sink.auth_log == [("LOGIN", USER, True)]


@need_relay
def test_sender_dependent_authentication(make_instance, pki, tmp_path):
    with tls_sink(pki, auth={USER: PASSWORD, "carol": "C4rol"}) as sink:
        maps = sasl_table(tmp_path, {"carol@client.test": "carol:C4rol",
                                     sink.nexthop: "%s:%s" % (USER, PASSWORD)})
        inst = relay(make_instance, sink, sender="carol@client.test",
                     smtp_sasl_password_maps=maps,
                     smtp_sender_dependent_authentication="yes")
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        assert sink.wait_for(1, timeout=20)[0].auth == "carol"
        with inst.smtp() as s:
            s.sendmail("dave@client.test", ["b@x.test"], MSG)
        assert sink.wait_for(2, timeout=20)[1].auth == USER


@need_relay
def test_default_security_options_refuse_plaintext_mechanisms(make_instance, pki, tmp_path):
    with tls_sink(pki, auth={USER: PASSWORD}) as sink:
        maps = sasl_table(tmp_path, {sink.nexthop: "%s:%s" % (USER, PASSWORD)})
        inst = relay(make_instance, sink, smtp_sasl_password_maps=maps,
                     smtp_sasl_security_options="noplaintext, noanonymous")
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=deferred \(SASL authentication "
                      r"failed: cannot authenticate to server \S+\[[0-9.]+\]: "
                      r"no mechanism available\)", timeout=20)
        assert sink.auth_log == [] and sink.messages == []


@need_relay
def test_535_defers_with_server_text_then_bounces(make_instance, pki, tmp_path):
    with tls_sink(pki, auth={USER: PASSWORD}) as sink:
        maps = sasl_table(tmp_path, {sink.nexthop: "%s:wrong-pw" % USER})
        inst = relay(make_instance, sink, smtp_sasl_password_maps=maps)
        inst.wait_log(r"to=<b@x\.test>, relay=.*dsn=4\.7\.8, status=deferred \(SASL "
                      r"authentication failed; server \S+\[[0-9.]+\] said: 535 5\.7\.8 "
                      r"Error: authentication failed: authentication failure\)", timeout=20)
        out = inst.smtpctl(["show", "queue"]).stdout.decode()
        assert "SASL authentication failed; server" in out and "535 5.7.8" in out, out
        assert "wrong-pw" not in inst.log()
    with tls_sink(pki, auth={USER: PASSWORD}) as sink:
        maps = sasl_table(tmp_path, {sink.nexthop: "%s:wrong-pw" % USER})
        inst = relay(make_instance, sink, smtp_sasl_password_maps=maps,
                     smtp_sasl_auth_soft_bounce="no")
        inst.wait_log(r"to=<b@x\.test>, relay=.*dsn=5\.7\.8, status=bounced \(SASL "
                      r"authentication failed; server .* said: 535 5\.7\.8", timeout=20)


@need_relay
def test_no_credentials_or_no_auth_offered_sends_plainly(make_instance, pki, tmp_path):
    with tls_sink(pki) as sink:             # no AUTH at all
        maps = sasl_table(tmp_path, {sink.nexthop: "%s:%s" % (USER, PASSWORD)})
        inst = relay(make_instance, sink, smtp_sasl_password_maps=maps)
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        assert sink.wait_for(1, timeout=20)[0].auth is None


@need_relay
def test_wrapper_mode_client_to_postern_submissions(make_instance, pki, tmp_path):
    """Postern's client (smtp_tls_wrappermode, Cyrus SASL client) against
    Postern's server (submissions, built-in SASL back end)."""
    table = make_passwd(str(tmp_path / "srv"), {USER: PASSWORD})
    server = make_instance(main_cf_extra={
        "smtpd_peername_lookup": "no", "mynetworks": "127.255.255.255/32",
        "smtpd_tls_cert_file": pki["cert"], "smtpd_tls_key_file": pki["key"],
        "smtpd_tls_wrappermode": "yes", "smtpd_sasl_auth_enable": "yes",
        "smtpd_sasl_type": "postern", "smtpd_sasl_password_maps": "texthash:" + table,
        "smtpd_relay_restrictions": "permit_sasl_authenticated, reject",
        "default_transport": "error:5.7.1 held here"},
        master_cf="{addr}:{port} inet n - n - - smtpd\n")
    server.start(wait_banner=False)
    nexthop = "[%s]:%d" % (server.addr, server.port)
    maps = sasl_table(tmp_path, {nexthop: "%s:%s" % (USER, PASSWORD)})
    client = make_instance(main_cf_extra={
        "default_transport": "smtp", "relayhost": nexthop,
        "smtp_tls_wrappermode": "yes", "smtp_tls_security_level": "encrypt",
        "smtp_sasl_auth_enable": "yes", "smtp_sasl_password_maps": maps,
        "smtp_sasl_security_options": "noanonymous"})
    client.start()
    with client.smtp() as s:
        s.sendmail("a@client.test", ["b@x.test"], MSG)
    client.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
    server.wait_log(r"client=\S+, sasl_method=PLAIN, sasl_username=%s" % USER)
    assert re.search(r"TLS connection established to", client.log())
    no_crash(server)


@need_relay
def test_lmtp_sasl(make_instance, pki, tmp_path):
    if not os.path.exists(os.path.join(BIN, "lmtp")):
        pytest.skip("no lmtp link in the build")
    with tls_sink(pki, auth={USER: PASSWORD}, lmtp=True) as sink:
        maps = sasl_table(tmp_path, {sink.addr: "%s:%s" % (USER, PASSWORD)})
        inst = make_instance(main_cf_extra={
            "default_transport": "lmtp:inet:%s:%d" % (sink.addr, sink.port),
            "lmtp_tls_security_level": "encrypt", "lmtp_sasl_auth_enable": "yes",
            "lmtp_sasl_password_maps": maps, "lmtp_sasl_security_options": "noanonymous"})
        inst.start()
        with inst.smtp() as s:
            s.sendmail("a@client.test", ["b@x.test"], MSG)
        inst.wait_log(r"to=<b@x\.test>, relay=.*status=sent", timeout=20)
        msg = sink.wait_for(1, timeout=20)[0]
        assert msg.auth == USER and msg.tls
