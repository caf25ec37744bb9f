#!/usr/bin/python3
"""sink - a scriptable SMTP/LMTP test peer (stdlib only).

A Sink listens on a loopback address and port (port 0: the kernel picks one)
or on a UNIX socket path, speaks SMTP (or LMTP with lmtp=True), and records
every transaction. It is what Postern delivers to in the black-box tests.

    from sink import Sink
    with Sink(rcpt_replies={"bad@example.com": "550 5.1.1 no such user"}) as s:
        ... deliver to s.nexthop ("[127.0.0.1]:PORT") ...
        msgs = s.wait_for(1, timeout=10)
        assert msgs[0].rcpts == ["good@example.com"]
        assert msgs[0].data == b"Subject: x\\r\\n\\r\\nbody\\r\\n"

Replies are scripted. Wherever a reply is configured, give either one string
(always used), a list of strings (used in turn; the last one repeats), so
"451 then 250" is ["451 4.3.0 try later", "250 2.0.0 ok"], or a function
that returns the reply (called with the address for MAIL, RCPT and the LMTP
replies, with no argument otherwise; it may sleep, or raise OSError to drop
the connection). A reply may span lines ("250-first\\n250 last"); line ends
are sent as CRLF. The reply "CLOSE" drops the connection instead of answering
(a peer that dies mid-transaction; after DATA the message counts as not
accepted).

    greeting          "220 ..." by default; "421 ..." is sent and the connection
                      closed, any other 4xx/5xx (e.g. "554 no service") is sent
                      and then every command but QUIT gets 503.
    behaviour         "normal", "refuse" (accept and close at once, no greeting)
                      or "hang" (accept and never say anything).
    ehlo              False: EHLO (and LHLO) get 502, as from an old server.
    pipelining, eightbitmime, dsn, enhancedstatuscodes, chunking, xforward
                      (booleans; xforward may also be the attribute names to
                      announce, "NAME ADDR") and size (int limit advertised and
                      enforced, or None) select the EHLO keywords.
    mail_reply        reply to MAIL FROM (default 250).
    rcpt_reply        reply to RCPT TO for the addresses not in rcpt_replies
                      (set_rcpt_default() while running).
    rcpt_replies      {address: reply(s)}, per recipient (case-insensitive),
                      consumed per RCPT of that address; others get rcpt_reply.
    data_reply        reply to the DATA command (default 354).
    message_replies   reply(s) after the message (end of DATA), consumed one per
                      message; in LMTP the default for every recipient.
    lmtp_replies      {address: reply(s)}: LMTP per-recipient replies after DATA;
                      lmtp_reply (set_lmtp_default()) for the others, else
                      the message reply.
    message_delay     seconds to wait before the end-of-data reply (time-outs).
    max_messages      after this many messages in one connection, MAIL gets
                      "421 4.3.2 closing" and the connection is closed.

TLS and AUTH (a relay or smarthost):
    certfile, keyfile offer STARTTLS with this certificate (starttls=False:
                      not offered); break_tls answers 220 to STARTTLS and
                      closes the connection (a failed handshake). Commands
                      pipelined behind STARTTLS close the connection too.
    auth              {user: password}: a smarthost that demands SMTP AUTH
                      (mechanisms auth_mechs, PLAIN and LOGIN by default),
                      announced only after STARTTLS unless auth_plaintext;
                      MAIL without it gets "530 5.7.0 Authentication
                      required", bad credentials "535 5.7.8 Error:
                      authentication failed: authentication failure" or
                      auth_fail_reply.

Records (all thread-safe to read while the sink runs):
    messages          accepted messages (Message objects), in order; in LMTP a
                      message counts when at least one recipient got 2xx.
    transactions      every transaction that reached end of DATA, accepted or not.
    connections       number of connections accepted so far.
    peers             the client address of each connection ("unix" for a
                      UNIX socket), in order.
    commands          (connection number, command line) for every command;
                      command_lines() gives the lines alone.
    header_numbers(name) the numbers N of "name: N" in the accepted messages.
    errors            exceptions raised while serving (a test may assert it is empty).
    sni               the SNI name of each TLS handshake (None: none sent).
    auth_log          (mechanism, user, ok) of each AUTH.

Message fields: conn (1-based connection number; equal numbers mean one reused
connection), peer ("addr" or "unix"), helo, protocol ("SMTP", "ESMTP",
"LMTP"), sender ("" for <>), mail_params {KEY: value}, rcpts (accepted at
RCPT), rcpt_params {rcpt: {KEY: value}}, xforward {KEY: value}, data (bytes of
the content after dot-unstuffing, line ends as received), reply (the
end-of-data reply; in LMTP replies {rcpt: reply}), accepted_rcpts, tls (the
TLS protocol version, or None), resumed (the TLS session was resumed), auth
(the AUTH user, or None); and as the
client sent them: mail (the MAIL argument after "FROM:"), rcpt_args (the
accepted RCPT arguments after "TO:") and raw (the DATA bytes before
dot-unstuffing, without the final "."). DATA ends only at <CR><LF>.<CR><LF>.

DownSink is the address of a sink that is not there yet: nexthop and maps()
name it for Postern (connections are refused, the mail is deferred), up(**kw)
starts a Sink there (the same keywords), stop() stops it if it runs.

As a command: python3 sink.py [-l host:port | -u path] [--lmtp] [--save DIR]
[--rcpt ADDR=REPLY]... [--message-reply REPLY]... [--greeting REPLY]
prints a line per message (and saves each as DIR/N.eml) until interrupted.
"""

import argparse
import base64
import os
import re
import selectors
import socket
import ssl
import sys
import threading
import time

from harness import free_port, listen_socket, random_loopback

MAX_LINE = 1 << 20
MAX_DATA = 64 << 20


class Message:
    def __init__(self, conn, peer, helo, protocol):
        self.conn = conn
        self.peer = peer
        self.helo = helo
        self.protocol = protocol
        self.sender = None
        self.mail_params = {}
        self.rcpts = []
        self.rcpt_params = {}
        self.xforward = {}
        self.data = b""
        self.reply = None
        self.replies = {}
        self.accepted_rcpts = []
        self.time = None
        self.mail = None
        self.rcpt_args = []
        self.raw = b""
        self.tls = None
        self.resumed = False
        self.auth = None

    def __repr__(self):
        return "<Message conn=%d from=<%s> to=%r %d bytes reply=%r>" % (
            self.conn, self.sender, self.rcpts, len(self.data), self.reply)


class _Script:
    """One reply, a sequence of replies (the last one repeating) or a function."""

    def __init__(self, value):
        self.func = value if callable(value) else None
        self.items = [value] if isinstance(value, str) or self.func else list(value)
        if not self.items:
            raise ValueError("empty reply sequence")

    def next(self, *args):
        if self.func:
            return self.func(*args)
        return self.items.pop(0) if len(self.items) > 1 else self.items[0]


def _params(words):
    out = {}
    for w in words:
        k, _, v = w.partition("=")
        out[k.upper()] = v
    return out


def _path_arg(arg):
    """'<a@b> K=V ...' (after 'FROM:'/'TO:') -> (address, params) or None."""
    arg = arg.strip()
    if not arg.startswith("<"):
        return None
    end = arg.find(">")
    if end < 0:
        return None
    return arg[1:end], _params(arg[end + 1:].split())


class Sink:
    def __init__(self, host="127.0.0.1", port=0, unix_path=None, lmtp=False,
                 hostname="sink.test", greeting=None, behaviour="normal", ehlo=True,
                 pipelining=True, eightbitmime=True, size=10240000, dsn=True,
                 enhancedstatuscodes=True, chunking=False, xforward=False,
                 mail_reply="250 2.1.0 Ok", rcpt_reply="250 2.1.5 Ok",
                 rcpt_replies=None, data_reply="354 End data with <CR><LF>.<CR><LF>",
                 message_replies=None, lmtp_replies=None, lmtp_reply=None, message_delay=0,
                 max_messages=None, timeout=60, certfile=None, keyfile=None, starttls=True,
                 break_tls=False, auth=None, auth_mechs=("PLAIN", "LOGIN"),
                 auth_plaintext=False, auth_fail_reply=None):
        self.host, self.port, self.unix_path = host, port, unix_path
        self.lmtp = lmtp
        self.hostname = hostname
        self.greeting = greeting or "220 %s %s sink" % (hostname, "LMTP" if lmtp else "ESMTP")
        self.behaviour = behaviour
        self.ehlo = ehlo
        self.pipelining, self.eightbitmime, self.size = pipelining, eightbitmime, size
        self.dsn, self.enhancedstatuscodes = dsn, enhancedstatuscodes
        self.chunking, self.xforward = chunking, xforward
        self.message_delay = message_delay
        self.max_messages = max_messages
        self.timeout = timeout
        self._lock = threading.Condition()
        self.set_mail_reply(mail_reply)
        self.set_data_reply(data_reply)
        self.set_rset_reply("250 2.0.0 Ok")
        self.set_message_replies(message_replies or "250 2.0.0 Ok: queued as %(id)s")
        self._rcpt_default = _Script(rcpt_reply)
        self._rcpt = {}
        for addr, r in (rcpt_replies or {}).items():
            self.set_rcpt_reply(addr, r)
        self._lmtp = {}
        self._lmtp_default = _Script(lmtp_reply) if lmtp_reply else None
        for addr, r in (lmtp_replies or {}).items():
            self.set_lmtp_reply(addr, r)
        self.messages, self.transactions, self.commands, self.errors = [], [], [], []
        self.ctx = None
        if certfile:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(certfile, keyfile)
            self.ctx.sni_callback = self._sni
        self.starttls = starttls and self.ctx is not None
        self.break_tls = break_tls
        self.auth, self.auth_mechs = auth, list(auth_mechs)
        self.auth_plaintext, self.auth_fail_reply = auth_plaintext, auth_fail_reply
        self.sni, self.auth_log = [], []
        self.connections = 0
        self.peers = []
        self._sock = None
        self._stop = threading.Event()
        self._threads = []
        self._conns = set()

    # Scripting, also while running.
    def _set(self, attr, r):
        with self._lock:
            setattr(self, attr, _Script(r))

    def set_mail_reply(self, r):
        self._set("_mail", r)

    def set_data_reply(self, r):
        self._set("_data", r)

    def set_rset_reply(self, r):
        """A 4xx/5xx reply to RSET; "421 ..." also closes the connection."""
        self._set("_rset", r)

    def set_message_replies(self, r):
        self._set("_message", r)

    def set_rcpt_default(self, r):
        self._set("_rcpt_default", r)

    def set_lmtp_default(self, r):
        self._set("_lmtp_default", r)

    def set_rcpt_reply(self, addr, r):
        with self._lock:
            self._rcpt[addr.lower()] = _Script(r)

    def set_ehlo_keywords(self, keywords):
        """Announce exactly these EHLO keywords ("SIZE 100", "XFORWARD NAME
        ADDR"...); None: EHLO gets 502."""
        self.ehlo = keywords is not None
        words = {k.split()[0].upper(): k.split()[1:] for k in keywords or []}
        self.pipelining = "PIPELINING" in words
        self.eightbitmime = "8BITMIME" in words
        self.dsn = "DSN" in words
        self.enhancedstatuscodes = "ENHANCEDSTATUSCODES" in words
        self.chunking = "CHUNKING" in words
        self.size = int(words["SIZE"][0]) if words.get("SIZE") else None
        self.xforward = " ".join(words["XFORWARD"]) if "XFORWARD" in words else False

    def header_numbers(self, name):
        """The number in each accepted message's first "name: N" header line,
        in order (the tests tag their messages with X-Seq: N)."""
        pattern = re.compile(rb"^" + re.escape(name.encode()) + rb": (\d+)", re.M)
        with self._lock:
            found = [pattern.search(m.data) for m in self.messages]
        return [int(f.group(1)) for f in found if f]

    def command_lines(self):
        with self._lock:
            return [line for _, line in self.commands]

    def set_lmtp_reply(self, addr, r):
        with self._lock:
            self._lmtp[addr.lower()] = _Script(r)

    def _sni(self, sslobj, name, ctx):
        with self._lock:
            self.sni.append(name)

    def _next(self, script, *args):
        if script.func:     # outside the lock: it may sleep
            return script.func(*args)
        with self._lock:
            return script.next()

    # Life cycle.
    def start(self):
        s = listen_socket(self.unix_path, self.host, self.port, 128)
        if not self.unix_path:
            self.port = s.getsockname()[1]
        self._sock = s
        t = threading.Thread(target=self._accept_loop, name="sink-accept", daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        with self._lock:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in list(self._threads):
            t.join(5)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        if self.unix_path and os.path.exists(self.unix_path):
            os.unlink(self.unix_path)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def addr(self):
        """The listening address (host), as given to the constructor."""
        return self.host

    @property
    def address(self):
        return self.unix_path or (self.host, self.port)

    @property
    def nexthop(self):
        """"[addr]:port" (smtp/lmtp nexthop syntax) or "unix:/path"."""
        if self.unix_path:
            return "unix:" + self.unix_path
        return "[%s]:%d" % (self.host, self.port)

    def wait_for(self, n, timeout=10):
        """Wait until at least n messages were accepted; return them all."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("sink: %d of %d messages after %.1fs"
                                       % (len(self.messages), n, timeout))
                self._lock.wait(left)
            return list(self.messages)

    def wait_connections(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        with self._lock:
            while self.connections < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("sink: %d of %d connections" % (self.connections, n))
                self._lock.wait(left)
            return self.connections

    # Serving.
    def _accept_loop(self):
        sel = selectors.DefaultSelector()
        sel.register(self._sock, selectors.EVENT_READ)
        while not self._stop.is_set():
            if not sel.select(0.1):
                continue
            try:
                conn, peer = self._sock.accept()
            except OSError:
                continue
            with self._lock:
                self.connections += 1
                self.peers.append(peer[0] if isinstance(peer, tuple) and peer else "unix")
                no = self.connections
                self._conns.add(conn)
                self._lock.notify_all()
            t = threading.Thread(target=self._serve, args=(conn, peer, no),
                                 name="sink-%d" % no, daemon=True)
            t.start()
            self._threads.append(t)
        sel.close()

    def _serve(self, conn, peer, no):
        try:
            conn.settimeout(self.timeout)
            if self.behaviour == "refuse":
                return
            if self.behaviour == "hang":
                while not self._stop.wait(0.1):
                    pass
                return
            _Session(self, conn, peer, no).run()
        except (OSError, EOFError):
            pass
        except Exception as e:   # record, never kill the sink
            with self._lock:
                self.errors.append(e)
        finally:
            with self._lock:
                self._conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def _record(self, no, line):
        with self._lock:
            self.commands.append((no, line))

    def _finish(self, msg, accepted):
        with self._lock:
            msg.time = time.time()
            self.transactions.append(msg)
            if accepted:
                self.messages.append(msg)
            self._lock.notify_all()


class DownSink:
    """A sink's loopback address and port that refuse connections until up()."""

    def __init__(self):
        self.addr = random_loopback()
        self.port = free_port(self.addr)
        self.sink = None

    @property
    def nexthop(self):
        return "[%s]:%d" % (self.addr, self.port)

    def maps(self, *domains):
        """transport_maps sending these domains here."""
        return "inline:{ %s }" % ", ".join("%s=smtp:%s" % (d, self.nexthop) for d in domains)

    def up(self, **kw):
        self.sink = Sink(host=self.addr, port=self.port, **kw).start()
        return self.sink

    def stop(self):
        if self.sink:
            self.sink.stop()


class _Session:
    def __init__(self, sink, conn, peer, no):
        self.sink, self.conn, self.no = sink, conn, no
        self.peer = peer[0] if isinstance(peer, tuple) else "unix"
        if self.peer.startswith("::ffff:"):
            self.peer = self.peer[7:]
        self.buf = b""
        self.tls = None
        self.user = None
        self.helo = None
        self.esmtp = False
        self.xforward = {}
        self.msg = None
        self.count = 0

    def send(self, text):
        if text == "CLOSE":
            raise EOFError("scripted close")
        self.conn.sendall(text.replace("\r\n", "\n").replace("\n", "\r\n").encode() + b"\r\n")

    def _fill(self):
        chunk = self.conn.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def readline(self):
        """One line with its ending; at most MAX_LINE bytes (then a piece)."""
        while b"\n" not in self.buf and len(self.buf) < MAX_LINE:
            self._fill()
        end = self.buf.find(b"\n")
        end = end + 1 if 0 <= end < MAX_LINE else MAX_LINE
        line, self.buf = self.buf[:end], self.buf[end:]
        return line

    def read(self, n):
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def run(self):
        s = self.sink
        code = s.greeting[:3]
        self.send(s.greeting)
        if code == "421":
            return
        refusing = code[0] in "45"
        while True:
            line = self.readline().rstrip(b"\r\n").decode("utf-8", "replace")
            s._record(self.no, line)
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "QUIT":
                self.send("221 2.0.0 Bye")
                return
            if refusing:
                self.send("503 5.5.1 Error: no service")
                continue
            handler = getattr(self, "cmd_" + verb.lower(), None)
            if handler is None:
                self.send("500 5.5.2 Error: command not recognized")
            elif handler(arg) == "close":
                return

    def ehlo_lines(self):
        s = self.sink
        lines = [s.hostname]
        if s.pipelining:
            lines.append("PIPELINING")
        if s.size is not None:
            lines.append("SIZE %d" % s.size)
        if s.eightbitmime:
            lines.append("8BITMIME")
        if s.dsn:
            lines.append("DSN")
        if s.enhancedstatuscodes:
            lines.append("ENHANCEDSTATUSCODES")
        if s.chunking:
            lines.append("CHUNKING")
        if s.starttls and self.tls is None:
            lines.append("STARTTLS")
        if self.auth_offered():
            lines.append("AUTH " + " ".join(s.auth_mechs))
        if s.xforward:
            lines.append("XFORWARD " + (s.xforward if isinstance(s.xforward, str)
                                        else "NAME ADDR PROTO HELO SOURCE PORT IDENT"))
        return "\n".join("250%s%s" % ("-" if i < len(lines) - 1 else " ", l)
                         for i, l in enumerate(lines))

    def greet(self, arg, esmtp):
        if esmtp and not self.sink.ehlo:
            self.send("502 5.5.2 Error: command not recognized")
            return
        if not arg.strip():
            self.send("501 5.5.4 Syntax: %s hostname" % ("LHLO" if self.sink.lmtp else "EHLO"))
            return
        self.helo, self.esmtp, self.msg = arg.strip(), esmtp, None
        self.send(self.ehlo_lines() if esmtp else "250 " + self.sink.hostname)

    def cmd_ehlo(self, arg):
        if self.sink.lmtp:
            self.send("500 5.5.1 Error: LMTP requires LHLO")
        else:
            self.greet(arg, True)

    def cmd_helo(self, arg):
        if self.sink.lmtp:
            self.send("500 5.5.1 Error: LMTP requires LHLO")
        else:
            self.greet(arg, False)

    def cmd_lhlo(self, arg):
        if not self.sink.lmtp:
            self.send("500 5.5.2 Error: command not recognized")
        else:
            self.greet(arg, True)

    def cmd_starttls(self, arg):
        s = self.sink
        if not s.starttls or self.tls:
            self.send("502 5.5.1 Error: STARTTLS not possible now")
            return None
        self.send("220 2.0.0 Ready to start TLS")
        if s.break_tls or self.buf:
            return "close"
        plain = self.conn
        self.conn = s.ctx.wrap_socket(plain, server_side=True)
        with s._lock:
            s._conns.discard(plain)
            s._conns.add(self.conn)
        self.tls = self.conn.version()
        self.helo, self.user, self.msg = None, None, None
        return None

    def auth_offered(self):
        return self.sink.auth is not None and bool(self.tls or self.sink.auth_plaintext)

    @staticmethod
    def _b64(text):
        try:
            return base64.b64decode(text, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None

    def _auth_line(self):
        return self.readline().rstrip(b"\r\n").decode(errors="replace")

    def cmd_auth(self, arg):
        s, words = self.sink, arg.split()
        if not self.auth_offered() or self.user or not words:
            self.send("503 5.5.1 Error: AUTH not possible now")
            return
        mech = words[0].upper()
        if mech not in s.auth_mechs or mech not in ("PLAIN", "LOGIN"):
            self.send("504 5.5.4 Unrecognized authentication type")
            return
        if mech == "PLAIN":
            if len(words) < 2:
                self.send("334 ")
            fields = (self._b64(words[1] if len(words) > 1 else self._auth_line())
                      or "").split("\0")
            user, password = (fields[1], fields[2]) if len(fields) == 3 else (None, None)
        else:
            if len(words) < 2:
                self.send("334 VXNlcm5hbWU6")
            user = self._b64(words[1] if len(words) > 1 else self._auth_line())
            self.send("334 UGFzc3dvcmQ6")
            password = self._b64(self._auth_line())
        ok = user is not None and s.auth.get(user) == password
        with s._lock:
            s.auth_log.append((mech, user, ok))
        if ok:
            self.user = user
            self.send("235 2.7.0 Authentication successful")
        else:
            self.send(s.auth_fail_reply or
                      "535 5.7.8 Error: authentication failed: authentication failure")

    def cmd_xforward(self, arg):
        if not self.sink.xforward:
            self.send("500 5.5.2 Error: command not recognized")
            return
        self.xforward.update(_params(arg.split()))
        self.send("250 2.0.0 Ok")

    def cmd_mail(self, arg):
        s = self.sink
        if self.helo is None:
            self.send("503 5.5.1 Error: send HELO/EHLO first")
            return
        if self.msg is not None:
            self.send("503 5.5.1 Error: nested MAIL command")
            return
        if s.auth is not None and self.user is None:
            self.send("530 5.7.0 Authentication required")
            return
        if s.max_messages is not None and self.count >= s.max_messages:
            self.send("421 4.3.2 %s closing: too many messages" % s.hostname)
            return "close"
        if not arg[:5].upper() == "FROM:" or _path_arg(arg[5:]) is None:
            self.send("501 5.5.4 Syntax: MAIL FROM:<address>")
            return
        addr, params = _path_arg(arg[5:])
        if s.size is not None and params.get("SIZE", "0").isdigit() and \
                int(params.get("SIZE", "0")) > s.size:
            self.send("552 5.3.4 Message size exceeds fixed limit")
            return
        reply = s._next(s._mail, addr)
        if reply.startswith("2"):
            proto = "LMTP" if s.lmtp else ("ESMTP" if self.esmtp else "SMTP")
            self.msg = Message(self.no, self.peer, self.helo, proto)
            self.msg.sender, self.msg.mail_params = addr, params
            self.msg.mail = arg[5:]
            self.msg.tls, self.msg.auth = self.tls, self.user
            self.msg.resumed = bool(self.tls and self.conn.session_reused)
            self.msg.xforward = dict(self.xforward)
        self.send(reply)

    def cmd_rcpt(self, arg):
        s = self.sink
        if self.msg is None:
            self.send("503 5.5.1 Error: need MAIL command")
            return
        if not arg[:3].upper() == "TO:" or _path_arg(arg[3:]) is None:
            self.send("501 5.5.4 Syntax: RCPT TO:<address>")
            return
        addr, params = _path_arg(arg[3:])
        script = s._rcpt.get(addr.lower(), s._rcpt_default)
        reply = s._next(script, addr)
        if reply.startswith("2"):
            self.msg.rcpts.append(addr)
            self.msg.rcpt_params[addr] = params
            self.msg.rcpt_args.append(arg[3:])
        self.send(reply)

    def cmd_data(self, arg):
        s = self.sink
        if self.msg is None:
            self.send("503 5.5.1 Error: need MAIL command")
            return
        if not self.msg.rcpts:
            self.send("554 5.5.1 Error: no valid recipients")
            return
        reply = s._next(s._data)
        self.send(reply)
        if not reply.startswith("3"):
            return
        self.msg.raw, self.msg.data = self.read_data()
        self.end_of_message()

    def cmd_bdat(self, arg):
        s = self.sink
        words = arg.split()
        if not s.chunking or not words or not words[0].isdigit():
            self.send("500 5.5.2 Error: command not recognized")
            return
        n = int(words[0])
        last = len(words) > 1 and words[1].upper() == "LAST"
        chunk = self.read(n)
        if self.msg is None or not self.msg.rcpts:
            self.send("503 5.5.1 Error: no valid transaction")
            return
        self.msg.data += chunk
        if len(self.msg.data) > MAX_DATA:
            raise EOFError
        if last:
            self.end_of_message()
        else:
            self.send("250 2.0.0 Ok: %d bytes" % n)

    def read_data(self):
        """(raw, unstuffed) content up to <CR><LF>.<CR><LF>."""
        raw, parts, total, bol = [], [], 0, True
        while True:
            line = self.readline()
            if bol and line == b".\r\n":
                return b"".join(raw), b"".join(parts)
            raw.append(line)
            bol = line.endswith(b"\r\n")
            if line.startswith(b"."):
                line = line[1:]
            total += len(line)
            if total > MAX_DATA:
                raise EOFError
            parts.append(line)

    def end_of_message(self):
        s, msg = self.sink, self.msg
        self.msg = None
        self.count += 1
        if s.message_delay:
            time.sleep(s.message_delay)     # scripted slowness, on purpose
        reply = s._next(s._message).replace("%(id)s", "SINK%d.%d" % (self.no, self.count))
        if not s.lmtp:
            msg.reply = reply
            msg.accepted_rcpts = list(msg.rcpts) if reply.startswith("2") else []
            s._finish(msg, reply.startswith("2"))
            self.send(reply)
            return
        for rcpt in msg.rcpts:
            script = s._lmtp.get(rcpt.lower(), s._lmtp_default)
            msg.replies[rcpt] = s._next(script, rcpt) if script else reply
        msg.accepted_rcpts = [r for r in msg.rcpts if msg.replies[r].startswith("2")]
        s._finish(msg, bool(msg.accepted_rcpts))
        for rcpt in msg.rcpts:
            self.send(msg.replies[rcpt])

    def cmd_rset(self, arg):
        self.msg = None
        reply = self.sink._next(self.sink._rset)
        self.send(reply)
        if reply.startswith("421"):
            return "close"

    def cmd_noop(self, arg):
        self.send("250 2.0.0 Ok")

    def cmd_vrfy(self, arg):
        self.send("252 2.0.0 Cannot VRFY, but will accept")

    def cmd_help(self, arg):
        self.send("214 2.0.0 See RFC 5321")


def _main(argv):
    p = argparse.ArgumentParser(description="SMTP/LMTP test sink")
    p.add_argument("-l", "--listen", default="127.0.0.1:2526", help="host:port")
    p.add_argument("-u", "--unix", help="UNIX socket path instead of host:port")
    p.add_argument("--lmtp", action="store_true")
    p.add_argument("--greeting")
    p.add_argument("--rcpt", action="append", default=[], metavar="ADDR=REPLY")
    p.add_argument("--message-reply", action="append", metavar="REPLY")
    p.add_argument("--save", metavar="DIR", help="save each message as DIR/N.eml")
    a = p.parse_args(argv)
    host, _, port = a.listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if not (host.startswith("127.") or host == "::1"):
        p.error("the sink listens on loopback only")
    sink = Sink(host=host, port=int(port), unix_path=a.unix, lmtp=a.lmtp,
                greeting=a.greeting, message_replies=a.message_reply,
                rcpt_replies=dict(r.split("=", 1) for r in a.rcpt))
    sink.start()
    print("sink listening on %s" % sink.nexthop, flush=True)
    seen = 0
    try:
        while True:
            try:
                msgs = sink.wait_for(seen + 1, timeout=3600)
            except TimeoutError:
                continue
            for m in msgs[seen:]:
                seen += 1
                if a.save:
                    with open(os.path.join(a.save, "%d.eml" % seen), "wb") as f:
                        f.write(m.data)
                print("#%d conn=%d from=<%s> to=%s %d bytes: %s" % (
                    seen, m.conn, m.sender, ",".join(m.accepted_rcpts),
                    len(m.data), m.reply or m.replies), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
