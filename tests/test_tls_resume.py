"""TLS session resumption: smtpd issues tickets sealed with keys that every
smtpd process shares (queue pid/ directory), and the smtp client offers
the session again (with smtp_tls_session_cache_database set, as Postfix).
"""
import os
import ssl

from harness import starttls_connect
from test_smtpd_lib import no_crash, smtpd_instance
from test_tls import MSG, need_relay, pki, tls_sink  # noqa: F401 (fixture)


def starttls(inst, ctx, session=None):
    """One STARTTLS session; (session, reused)."""
    with starttls_connect(inst.addr, inst.port, ctx, "localhost", session) as tls:
        tls.sendall(b"EHLO client.example\r\n")   # reads the tickets too
        data = b""
        while b"\r\n250 " not in data and not data.startswith(b"250 "):
            data += tls.recv(4096)
        tls.sendall(b"QUIT\r\n")
        tls.recv(4096)
        reused, sess = tls.session_reused, tls.session
        tls.close()
        return sess, reused


def test_server_resumes_across_processes(make_instance, pki):
    inst = smtpd_instance(make_instance, smtpd_tls_security_level="may",
                          smtpd_tls_cert_file=pki["cert"], smtpd_tls_key_file=pki["key"])
    ctx = ssl.create_default_context(cafile=pki["ca"])
    sess, reused = starttls(inst, ctx)
    assert not reused and sess is not None
    # Several times: new connections may meet other smtpd processes.
    for _ in range(3):
        _, reused = starttls(inst, ctx, sess)
        assert reused
    assert os.path.exists(os.path.join(inst.queue_dir, "pid", "smtpd_tls_ticket.key"))
    off = smtpd_instance(make_instance, smtpd_tls_security_level="may",
                         smtpd_tls_cert_file=pki["cert"], smtpd_tls_key_file=pki["key"],
                         smtpd_tls_session_cache_timeout="0")
    sess, _ = starttls(off, ctx)
    assert not starttls(off, ctx, sess)[1]
    no_crash(inst)


@need_relay
def test_client_resumes(make_instance, pki, tmp_path):
    with tls_sink(pki) as sink:
        master = None
        inst = make_instance(main_cf_extra={
            "default_transport": "smtp", "relayhost": sink.nexthop,
            "smtp_tls_security_level": "encrypt", "smtp_connection_cache_time_limit": "0",
            "smtp_tls_session_cache_database": "btree:" + str(tmp_path / "smtp_scache")})
        # One smtp process, so that both deliveries share its memory.
        master = inst.default_master_cf().replace("smtp unix - - n - - smtp",
                                                  "smtp unix - - n - 1 smtp")
        inst.master_cf_text = master
        inst.write_master_cf()
        inst.start()
        for n in (1, 2):
            with inst.smtp() as s:
                s.sendmail("a@client.test", ["b@x.test"], MSG)
            msgs = sink.wait_for(n, timeout=20)
        assert [m.resumed for m in msgs] == [False, True]
        assert msgs[0].conn != msgs[1].conn
