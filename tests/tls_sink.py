"""tls_sink - a small SMTP test peer with optional STARTTLS (stdlib only).

    with TLSSink(addr, certfile=crt, keyfile=key) as s:
        ... relay to s.nexthop ("[addr]:port") ...
        msg = s.wait_messages(1)[0]
        assert msg["tls"] == "TLSv1.3"

Options: starttls=False does not offer STARTTLS; break_tls=True answers 220
to STARTTLS and then closes the connection (a failed handshake).
auth={"user": "password"} makes a smarthost that demands SMTP AUTH: AUTH
(mechanisms auth_mechs, PLAIN and LOGIN by default) is announced only
after STARTTLS unless auth_plaintext=True, and MAIL without it gets
"530 5.7.0 Authentication required"; bad credentials get
"535 5.7.8 Error: authentication failed: authentication failure", or
auth_fail_reply when set. auth_log records (mechanism, user, ok); sni the SNI name of each
handshake (None when the client sent none). Each
recorded message is a dict: conn (connection number), tls (protocol
version, or None for plaintext), helo, sender, rcpts, data (bytes), auth
(the user, or None).
Commands are served one at a time (no PIPELINING offered). Loopback only.
"""
import base64
import socket
import ssl
import threading
import time


class TLSSink:
    def __init__(self, addr="127.0.0.1", certfile=None, keyfile=None, starttls=True,
                 break_tls=False, auth=None, auth_mechs=("PLAIN", "LOGIN"),
                 auth_plaintext=False, auth_fail_reply=None):
        self.auth = auth
        self.auth_mechs = list(auth_mechs)
        self.auth_plaintext = auth_plaintext
        self.auth_fail_reply = auth_fail_reply
        self.auth_log = []
        self.sni = []           # the SNI name of each handshake (None: none sent)
        self.ctx = None
        if certfile:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(certfile, keyfile)
            self.ctx.sni_callback = self._sni
        self.starttls = starttls and self.ctx is not None
        self.break_tls = break_tls
        self.messages = []
        self.connections = 0
        self.errors = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, 0))
        self.sock.listen(16)
        self.addr, self.port = self.sock.getsockname()
        self.nexthop = "[%s]:%d" % (self.addr, self.port)
        self.stopping = False
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _sni(self, sslobj, name, ctx):
        with self.lock:
            self.sni.append(name)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping = True
        self.sock.close()

    def wait_messages(self, n, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.02)
        raise TimeoutError("%d messages wanted, have %r" % (n, self.messages))

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                no = self.connections
            threading.Thread(target=self._serve, args=(conn, no), daemon=True).start()

    def _serve(self, conn, no):
        conn.settimeout(30)
        try:
            _Session(self, conn, no).run()
        except (OSError, EOFError, ssl.SSLError):
            pass
        except Exception as e:  # noqa: BLE001 - reported to the test
            self.errors.append(e)
        finally:
            conn.close()


class _Session:
    def __init__(self, sink, conn, no):
        self.sink, self.conn, self.no = sink, conn, no
        self.buf = b""
        self.tls = None
        self.user = None
        self.reset()
        self.helo = None

    def reset(self):
        self.sender, self.rcpts = None, []

    def send(self, text):
        self.conn.sendall(text.encode() + b"\r\n")

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.conn.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
            if len(self.buf) > 1 << 20:
                raise EOFError
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r")

    def run(self):
        self.send("220 sink.test ESMTP")
        while True:
            words = self.line().decode(errors="replace").split(" ", 1)
            verb, arg = words[0].upper(), words[1] if len(words) > 1 else ""
            if verb == "QUIT":
                self.send("221 bye")
                return
            handler = getattr(self, "cmd_" + verb.lower(), None)
            if handler is None:
                self.send("502 5.5.2 unknown command")
            elif handler(arg) == "close":
                return

    def cmd_ehlo(self, arg):
        self.helo = arg
        self.reset()
        lines = ["sink.test", "8BITMIME"]
        if self.sink.starttls and self.tls is None:
            lines.append("STARTTLS")
        if self._auth_offered():
            lines.append("AUTH " + " ".join(self.sink.auth_mechs))
        for i, text in enumerate(lines):
            self.send("250%s%s" % ("-" if i < len(lines) - 1 else " ", text))

    def cmd_lhlo(self, arg):    # LMTP (one recipient per message: one DATA reply)
        self.cmd_ehlo(arg)

    def cmd_helo(self, arg):
        self.helo = arg
        self.send("250 sink.test")

    def cmd_starttls(self, arg):
        if not self.sink.starttls or self.tls:
            self.send("502 5.5.1 not now")
            return None
        self.send("220 2.0.0 go ahead")
        if self.sink.break_tls or self.buf:
            return "close"
        self.conn = self.sink.ctx.wrap_socket(self.conn, server_side=True)
        self.tls = self.conn.version()
        self.helo = None
        self.user = None
        self.reset()
        return None

    def _auth_offered(self):
        return self.sink.auth is not None and (self.tls or self.sink.auth_plaintext)

    def _b64(self, text):
        try:
            return base64.b64decode(text, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None

    def cmd_auth(self, arg):
        words = arg.split()
        if not self._auth_offered() or self.user or not words:
            self.send("503 5.5.1 Error: AUTH not possible now")
            return None
        mech = words[0].upper()
        if mech not in self.sink.auth_mechs or mech not in ("PLAIN", "LOGIN"):
            self.send("504 5.5.4 Unrecognized authentication type")
            return None
        if mech == "PLAIN":
            if len(words) > 1:
                resp = words[1]
            else:
                self.send("334 ")
                resp = self.line().decode(errors="replace")
            fields = (self._b64(resp) or "").split("\0")
            user, password = (fields[1], fields[2]) if len(fields) == 3 else (None, None)
        else:
            if len(words) > 1:
                user = self._b64(words[1])
            else:
                self.send("334 VXNlcm5hbWU6")
                user = self._b64(self.line().decode(errors="replace"))
            self.send("334 UGFzc3dvcmQ6")
            password = self._b64(self.line().decode(errors="replace"))
        ok = user is not None and self.sink.auth.get(user) == password
        with self.sink.lock:
            self.sink.auth_log.append((mech, user, ok))
        if ok:
            self.user = user
            self.send("235 2.7.0 Authentication successful")
        else:
            self.send(self.sink.auth_fail_reply or
                      "535 5.7.8 Error: authentication failed: authentication failure")
        return None

    def cmd_mail(self, arg):
        if self.sink.auth is not None and self.user is None:
            self.send("530 5.7.0 Authentication required")
            return None
        self.sender = arg.split(":", 1)[-1].strip().split()[0].strip("<>")
        self.send("250 2.1.0 ok")

    def cmd_rcpt(self, arg):
        self.rcpts.append(arg.split(":", 1)[-1].strip().split()[0].strip("<>"))
        self.send("250 2.1.5 ok")

    def cmd_rset(self, arg):
        self.reset()
        self.send("250 2.0.0 ok")

    def cmd_noop(self, arg):
        self.send("250 2.0.0 ok")

    def cmd_data(self, arg):
        if self.sender is None or not self.rcpts:
            self.send("503 5.5.1 no recipients")
            return
        self.send("354 go ahead")
        data = []
        while True:
            line = self.line()
            if line == b".":
                break
            data.append(line[1:] if line.startswith(b".") else line)
        with self.sink.lock:
            self.sink.messages.append({"conn": self.no, "tls": self.tls, "helo": self.helo,
                                       "sender": self.sender, "rcpts": list(self.rcpts),
                                       "auth": self.user,
                                       "data": b"\r\n".join(data) + b"\r\n"})
        self.reset()
        self.send("250 2.0.0 queued")
