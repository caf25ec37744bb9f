"""smtpd: smtpd_upstream_proxy_protocol = haproxy (HAProxy's PROXY protocol,
v1 text and v2 binary) and smtpd_upstream_proxy_timeout.

The client connects from a 127.x address (inside mynetworks) and sends a
header naming another client; smtpd must use the proxied address for the
log, mynetworks, access tables, anvil and the queue file, and drop a
connection whose header is bad without a greeting."""
import shutil
import socket
import ssl
import struct
import time

import pytest

from dnsserver import DNSServer
from test_smtpd_lib import Client, no_crash, queued_id, smtpd_instance, wait_qf
from test_tls import pki, tls_smtpd  # noqa: F401 (fixture)

V2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def v2(cmd, fam, body):
    return V2_SIG + bytes([cmd, fam]) + struct.pack("!H", len(body)) + body


def v2_tcp4(src, dst, sport, dport, tlvs=b""):
    return v2(0x21, 0x11, socket.inet_aton(src) + socket.inet_aton(dst)
              + struct.pack("!HH", sport, dport) + tlvs)


def v2_tcp6(src, dst, sport, dport, tlvs=b""):
    return v2(0x21, 0x21, socket.inet_pton(socket.AF_INET6, src)
              + socket.inet_pton(socket.AF_INET6, dst)
              + struct.pack("!HH", sport, dport) + tlvs)


def proxy_instance(make_instance, **main_cf):
    # The readiness probe sends no header: it must not wait for a banner.
    inst = smtpd_instance(make_instance, wait_banner=False,
                          smtpd_upstream_proxy_protocol="haproxy", **main_cf)
    inst.wait_log(r"warning: haproxy read: unexpected EOF; proxy 127\.")
    return inst


def proxied(inst, header, pieces=1):
    """A Client that sends header (in pieces) before the greeting."""
    c = Client(inst, greet=False)
    step = max(1, len(header) // pieces)
    for i in range(0, len(header), step):
        c.send(header[i:i + step])
    c.banner = c.reply()
    assert c.banner[0] == 220, c.banner
    return c


def dropped(inst, data, regex, timeout=10):
    """data (bytes) then nothing: smtpd logs regex and closes, silent."""
    mark = inst.log_mark()
    s = socket.create_connection((inst.addr, inst.port), timeout=timeout)
    try:
        if data:
            s.sendall(data)
        got = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            got += chunk
    except ConnectionResetError:
        got = b""
    finally:
        s.close()
    assert got == b"", got
    inst.wait_log(r"warning: haproxy read: " + regex, since=mark)
    inst.wait_log(r"disconnect from unknown\[unknown\]", since=mark)


def relay(c):
    c.cmd("EHLO client.example")
    assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
    return c.cmd("RCPT TO:<x@elsewhere.example>")


def test_v1_proxied_client_decides_relay(make_instance):
    """mynetworks is matched against the proxied address, not the proxy's."""
    inst = proxy_instance(make_instance, mynetworks="192.0.2.0/24")
    mark = inst.log_mark()
    with proxied(inst, b"PROXY TCP4 192.0.2.7 198.51.100.1 40000 25\r\n", 3) as c:
        assert relay(c)[0] == 250
        c.cmd("QUIT")
    inst.wait_log(r"connect from unknown\[192\.0\.2\.7\]", since=mark)
    # UNKNOWN: the real peer (127.x, outside this mynetworks) is refused.
    with proxied(inst, b"PROXY UNKNOWN\r\n") as c:
        code, text = relay(c)
        assert code in (454, 554) and "Relay access denied" in text, text
    # Outside mynetworks through the proxy, though the proxy is 127.x.
    inst2 = proxy_instance(make_instance)
    with proxied(inst2, b"PROXY TCP4 203.0.113.9 198.51.100.1 1 25\r\n") as c:
        code, text = relay(c)
        assert code in (454, 554) and "Relay access denied" in text, text
    inst2.wait_log(r"reject: RCPT from unknown\[203\.0\.113\.9\]: \S+ \S+ "
                   r"<x@elsewhere\.example>: Relay access denied")
    no_crash(inst)


def test_v2_tcp6_with_tlvs_queue_file_and_access(make_instance):
    inst = proxy_instance(
        make_instance, smtpd_client_port_logging="yes",
        smtpd_client_restrictions="check_client_access inline:{192.0.2.66=REJECT}")
    tlvs = b"\x04\x00\x03abc" + b"\xea\x00\x05vpce1"    # NOOP, AWS
    mark = inst.log_mark()
    with proxied(inst, v2_tcp6("2001:db8::7", "2001:db8::25", 4567, 25, tlvs), 2) as c:
        c.envelope()
        assert c.cmd("DATA")[0] == 354
        code, text = c.cmd("Subject: pp\r\n\r\nhi\r\n.")
        assert code == 250, text
        qid = queued_id(text)
    inst.wait_log(r"connect from unknown\[2001:db8::7\]:4567", since=mark)
    qf = wait_qf(inst, qid)
    assert qf["attrs"]["client_addr"] == "2001:db8::7"
    assert qf["attrs"]["client_port"] == "4567"
    assert "[IPv6:2001:db8::7]" in qf["content"].decode().split("\n")[0]
    # check_client_access looks up the proxied IPv4 address.
    with proxied(inst, v2_tcp4("192.0.2.66", "198.51.100.1", 5000, 25)) as c:
        c.cmd("EHLO bad.example")
        c.cmd("MAIL FROM:<a@example.com>")
        code, text = c.cmd("RCPT TO:<root@localhost>")
        assert code == 554 and "[192.0.2.66]" in text, text
    no_crash(inst)


def test_v2_local_keeps_real_peer(make_instance):
    inst = proxy_instance(make_instance)
    mark = inst.log_mark()
    body = socket.inet_aton("192.0.2.7") * 2 + b"\x00\x01\x00\x19"
    with proxied(inst, v2(0x20, 0x11, body)) as c:      # LOCAL: a health check
        assert relay(c)[0] == 250                       # 127.x: mynetworks
    inst.wait_log(r"connect from unknown\[127\.", since=mark)
    assert "192.0.2.7" not in inst.log(since=mark)


def test_reverse_dns_of_proxied_address(make_instance):
    """The client name is looked up for the proxied address (our DNS)."""
    with DNSServer({}) as dns:
        dns.zone["7.2.0.192.in-addr.arpa"] = {"PTR": ["mx.proxied.test."]}
        dns.zone["mx.proxied.test"] = {"A": ["192.0.2.7"]}
        dns.zone["8.2.0.192.in-addr.arpa"] = {"PTR": ["liar.proxied.test."]}
        dns.zone["liar.proxied.test"] = {"A": ["192.0.2.1"]}
        inst = proxy_instance(make_instance, smtpd_peername_lookup="yes",
                              dns_resolver_address=dns.spec,
                              smtpd_client_restrictions="reject_unknown_client_hostname")
        mark = inst.log_mark()
        with proxied(inst, b"PROXY TCP4 192.0.2.7 198.51.100.1 1 25\r\n") as c:
            c.envelope()
            assert c.cmd("RCPT TO:<root@localhost>")[0] == 250
        inst.wait_log(r"connect from mx\.proxied\.test\[192\.0\.2\.7\]", since=mark)
        with proxied(inst, b"PROXY TCP4 192.0.2.8 198.51.100.1 1 25\r\n") as c:
            c.envelope()
            code, text = c.cmd("RCPT TO:<root@localhost>")
            assert code == 450 and "[192.0.2.8]" in text, text
        inst.wait_log(r"hostname liar\.proxied\.test does not resolve to address "
                      r"192\.0\.2\.8")
        assert ("7.2.0.192.in-addr.arpa", "PTR") in dns.queries


def test_anvil_counts_proxied_clients(make_instance):
    inst = proxy_instance(make_instance, smtpd_client_connection_rate_limit="1")
    with proxied(inst, b"PROXY TCP4 192.0.2.8 198.51.100.1 1 25\r\n") as c:
        c.cmd("QUIT")
    c = Client(inst, greet=False)
    c.send(b"PROXY TCP4 192.0.2.8 198.51.100.1 2 25\r\n")
    code, text = c.reply()
    assert code == 421 and "too many connections from 192.0.2.8" in text, text
    c.close()
    # Another proxied client through the same proxy is not limited.
    with proxied(inst, b"PROXY TCP4 192.0.2.9 198.51.100.1 3 25\r\n") as c:
        c.cmd("QUIT")


def test_bad_headers_dropped_without_greeting(make_instance):
    inst = proxy_instance(make_instance, smtpd_upstream_proxy_timeout="1s")
    dropped(inst, b"EHLO client.example\r\n", r"no PROXY protocol header")
    dropped(inst, b"PROXY TCP4 192.0.2.300 198.51.100.1 1 25\r\n", r"bad v1 address")
    dropped(inst, b"PROXY TCP4 192.0.2.3 198.51.100.1 1\r\n", r"malformed v1 header")
    dropped(inst, b"PROXY UNKNOWN " + b"x" * 200 + b"\r\n", r"v1 header too long")
    dropped(inst, V2_SIG + b"\x21\x11\x02\x09" + b"\x00" * 512,
            r"v2 header too long")
    dropped(inst, v2(0x21, 0x31, b"\x00" * 216),
            r"unsupported v2 address family or transport")
    dropped(inst, v2_tcp4("192.0.2.7", "198.51.100.1", 1, 25, b"\x01\x00\x09ab"),
            r"malformed v2 TLV")
    t0 = time.monotonic()
    dropped(inst, b"PROXY TCP4 192.0.2.7 ", r"time limit exceeded")
    assert time.monotonic() - t0 < 8
    dropped(inst, b"", r"time limit exceeded")
    no_crash(inst)


def test_off_by_default(make_instance):
    """Without the parameter a PROXY line is just an unknown command."""
    inst = smtpd_instance(make_instance)
    with Client(inst) as c:
        assert c.banner[0] == 220
        assert c.cmd("PROXY TCP4 192.0.2.7 198.51.100.1 1 25")[0] == 500
        assert relay(c)[0] == 250       # still the 127.x client


def test_bad_value_is_fatal(make_instance):
    inst = smtpd_instance(make_instance, wait_banner=False,
                          smtpd_upstream_proxy_protocol="nginx")
    inst.wait_log(r"fatal: unsupported smtpd_upstream_proxy_protocol value: "
                  r'"nginx"')


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl(1)")
def test_header_before_smtps_handshake(make_instance, pki):  # noqa: F811
    """SMTPS (wrapper mode): the header comes first, then TLS."""
    inst = tls_smtpd(make_instance, pki, smtpd_tls_wrappermode="yes", wait_banner=False,
                     smtpd_upstream_proxy_protocol="haproxy")
    inst.wait_log(r"warning: haproxy read: unexpected EOF; proxy 127\.")
    mark = inst.log_mark()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = Client(inst, greet=False)
    # Header and ClientHello may arrive together: smtpd must read no further.
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
    c.send(v2_tcp4("192.0.2.44", "198.51.100.1", 4444, 465))
    c.sock = ctx.wrap_socket(c.sock)
    with c:
        assert c.reply()[0] == 220
        assert c.cmd("EHLO client.example")[0] == 250
    inst.wait_log(r"TLS connection established from unknown\[192\.0\.2\.44\]", since=mark)
