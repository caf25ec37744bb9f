"""dnsserver - a small authoritative DNS server on loopback, for tests.

Usage:

    zone = {
        "example.test": {"MX": [(10, "mx1.example.test"), (20, "mx2.example.test")]},
        "mx1.example.test": {"A": ["127.1.2.3"]},
        "mx2.example.test": {"A": ["127.1.2.4"], "AAAA": ["::1"]},
        "alias.test": {"CNAME": "mx1.example.test"},
        "broken.test": "SERVFAIL",          # every query: SERVFAIL
        "slow.test": "TIMEOUT",             # every query: no answer at all
        "txt.test": {"TXT": ["v=spf1 -all"]},
    }
    with DNSServer(zone) as dns:            # UDP and TCP on 127.0.0.1:<free port>
        main_cf["dns_resolver_address"] = dns.spec   # "127.0.0.1:port"
        ...
        dns.queries                         # [(name, type), ...] asked so far

A name that is not in the zone gets NXDOMAIN; a name without the asked type
gets NOERROR with no answer (NODATA). A CNAME is answered together with the
target's records when the target is in the zone. truncate_udp=True answers
every UDP query with TC set, so that the client must retry over TCP. The zone
may be changed while the server runs (server.zone[name] = ...).

Uses dnspython for the wire format only; serving is plain sockets in one
background thread, bounded by a stop event.
"""

import select
import socket
import struct
import threading

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset


class DNSServer:
    def __init__(self, zone, addr="127.0.0.1", port=0, truncate_udp=False, ttl=60):
        self.zone = {k.lower().rstrip("."): v for k, v in zone.items()}
        self.addr = addr
        self.port = port
        self.truncate_udp = truncate_udp
        self.ttl = ttl
        self.queries = []
        self._stop = threading.Event()
        self._thread = None
        self._udp = self._tcp = None

    @property
    def spec(self):
        """The dns_resolver_address value for this server."""
        if ":" in self.addr:
            return "[%s]:%d" % (self.addr, self.port)
        return "%s:%d" % (self.addr, self.port)

    def _bind(self):
        fam = socket.AF_INET6 if ":" in self.addr else socket.AF_INET
        for _ in range(50):
            udp = socket.socket(fam, socket.SOCK_DGRAM)
            tcp = socket.socket(fam, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                udp.bind((self.addr, self.port))
                port = udp.getsockname()[1]
                tcp.bind((self.addr, port))
                tcp.listen(16)
            except OSError:
                udp.close()
                tcp.close()
                if self.port:
                    raise
                continue
            self.port = port
            return udp, tcp
        raise OSError("no free port for the DNS server on %s" % self.addr)

    def start(self):
        self._udp, self._tcp = self._bind()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join(5)
        for s in (self._udp, self._tcp):
            if s:
                s.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ---- answering ---------------------------------------------------------
    def _add(self, resp, name, rtype, values):
        if rtype == "MX":
            texts = ["%d %s." % (pref, host.rstrip(".")) for pref, host in values]
        elif rtype == "CNAME":
            texts = [values.rstrip(".") + "."]
        elif rtype == "TXT":
            texts = ['"%s"' % v.replace('"', '\\"') for v in values]
        else:
            texts = list(values)
        rrset = dns.rrset.from_text_list(name + ".", self.ttl, dns.rdataclass.IN,
                                         dns.rdatatype.from_text(rtype), texts)
        resp.answer.append(rrset)

    def answer(self, query):
        resp = dns.message.make_response(query)
        resp.flags |= dns.flags.AA
        q = query.question[0]
        name = q.name.to_text().rstrip(".").lower()
        rtype = dns.rdatatype.to_text(q.rdtype)
        self.queries.append((name, rtype))
        for _ in range(10):
            entry = self.zone.get(name)
            if entry is None:
                if not resp.answer:
                    resp.set_rcode(dns.rcode.NXDOMAIN)
                return resp
            if entry == "TIMEOUT":
                return None
            if entry == "SERVFAIL":
                resp.answer = []
                resp.set_rcode(dns.rcode.SERVFAIL)
                return resp
            if entry == "REFUSED":
                resp.answer = []
                resp.set_rcode(dns.rcode.REFUSED)
                return resp
            if "CNAME" in entry and rtype != "CNAME":
                self._add(resp, name, "CNAME", entry["CNAME"])
                name = entry["CNAME"].rstrip(".").lower()
                continue
            if rtype in entry:
                self._add(resp, name, rtype, entry[rtype])
            return resp
        return resp

    def _serve(self):
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._udp, self._tcp], [], [], 0.1)
            except (OSError, ValueError):
                return
            for s in ready:
                try:
                    if s is self._udp:
                        self._serve_udp()
                    else:
                        self._serve_tcp()
                except Exception:
                    pass    # a bad query must never kill the server

    def _serve_udp(self):
        data, peer = self._udp.recvfrom(4096)
        query = dns.message.from_wire(data)
        resp = self.answer(query)
        if resp is None:
            return
        if self.truncate_udp:
            resp.answer = []
            resp.flags |= dns.flags.TC
        self._udp.sendto(resp.to_wire(), peer)

    def _serve_tcp(self):
        conn, _ = self._tcp.accept()
        with conn:
            conn.settimeout(5)
            hdr = self._recv(conn, 2)
            data = self._recv(conn, struct.unpack("!H", hdr)[0])
            resp = self.answer(dns.message.from_wire(data))
            if resp is None:
                return
            wire = resp.to_wire()
            conn.sendall(struct.pack("!H", len(wire)) + wire)

    @staticmethod
    def _recv(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise OSError("short read")
            buf += chunk
        return buf
