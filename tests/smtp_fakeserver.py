"""smtp_fakeserver - a scriptable SMTP/LMTP server for the smtp client tests.

    srv = FakeServer(addr="127.3.4.5")            # TCP on a free port
    srv = FakeServer(unix_path="/tmp/x/lmtp", lmtp=True)
    srv.start()
    ... deliver ...
    srv.wait_messages(1)
    srv.messages[0].data       # content as received, dot-unstuffed, CRLF lines
    srv.messages[0].raw        # the bytes between 354 and ".", as sent
    srv.stop()

Knobs (attributes, may be changed while running): greeting ("220 ... ESMTP"),
features (EHLO keywords; None: EHLO gets 502), reply_mail(sender),
reply_rcpt(rcpt), reply_data() (SMTP, after the dot), reply_lmtp(rcpt) (LMTP,
one per accepted recipient), lmtp (expect LHLO, per-recipient replies).
Every command line received is kept in srv.commands, each connection counts
in srv.connections, and each finished transaction becomes a Message.
Bounded: every socket has a timeout, threads stop with stop().
"""

import os
import socket
import threading
import time


class Message:
    def __init__(self, conn_no, helo, mail, rcpts, raw):
        self.conn_no = conn_no
        self.helo = helo
        self.mail = mail            # the MAIL FROM line after the colon
        self.rcpts = rcpts          # accepted RCPT TO lines after the colon
        self.raw = raw
        lines = raw.split(b"\r\n")
        self.data = b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines)


class FakeServer:
    def __init__(self, addr="127.0.0.1", port=0, unix_path=None, lmtp=False,
                 features=("PIPELINING", "8BITMIME", "SIZE 10240000", "DSN")):
        self.addr = addr
        self.port = port
        self.unix_path = unix_path
        self.lmtp = lmtp
        self.greeting = "220 fake.test ESMTP ready"
        self.features = list(features) if features is not None else None
        self.reply_mail = lambda sender: "250 2.1.0 Ok"
        self.reply_rcpt = lambda rcpt: "250 2.1.5 Ok"
        self.reply_data = lambda: "250 2.0.0 Ok: queued as FAKE1"
        self.reply_lmtp = lambda rcpt: "250 2.0.0 <%s> delivered" % rcpt.strip("<>")
        self.commands = []
        self.messages = []
        self.connections = 0
        self.peers = []             # client addresses, per connection
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sock = None
        self._threads = []

    def start(self):
        if self.unix_path:
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._sock.bind(self.unix_path)
            os.chmod(self.unix_path, 0o777)
        else:
            fam = socket.AF_INET6 if ":" in self.addr else socket.AF_INET
            self._sock = socket.socket(fam, socket.SOCK_STREAM)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._sock.bind((self.addr, self.port))
            self.port = self._sock.getsockname()[1]
        self._sock.listen(32)
        self._sock.settimeout(0.1)
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(5)
        if self._sock:
            self._sock.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def nexthop(self):
        if self.unix_path:
            return "unix:" + self.unix_path
        if ":" in self.addr:
            return "[%s]:%d" % (self.addr, self.port)
        return "[%s]:%d" % (self.addr, self.port)

    def wait_messages(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.02)
        raise TimeoutError("expected %d messages, have %d; commands: %r"
                           % (n, len(self.messages), self.commands[-20:]))

    # ---- serving --------------------------------------------------------------
    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, peer = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self.peers.append(peer[0] if isinstance(peer, tuple) else peer)
                no = self.connections
            t = threading.Thread(target=self._serve, args=(conn, no), daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self, conn, no):
        conn.settimeout(10)
        f = conn.makefile("rb")
        try:
            self._session(conn, f, no)
        except (OSError, ValueError):
            pass
        finally:
            f.close()
            conn.close()

    def _send(self, conn, text):
        conn.sendall(text.encode() + b"\r\n")

    def _session(self, conn, f, no):
        self._send(conn, self.greeting)
        if not self.greeting.startswith("2"):
            line = f.readline()
            if line:
                self.commands.append(line.rstrip(b"\r\n").decode(errors="replace"))
                self._send(conn, "221 bye")
            return
        helo, mail, rcpts = None, None, []
        while not self._stop.is_set():
            line = f.readline()
            if not line:
                return
            cmd = line.rstrip(b"\r\n").decode(errors="replace")
            with self._lock:
                self.commands.append(cmd)
            verb = cmd.split(" ", 1)[0].upper()
            arg = cmd[len(verb):].strip()
            if verb in ("EHLO", "LHLO"):
                if self.features is None or (verb == "LHLO") != self.lmtp:
                    self._send(conn, "502 5.5.2 no")
                    continue
                helo = arg
                lines = ["fake.test"] + self.features
                for i, l in enumerate(lines):
                    self._send(conn, "250%s%s" % ("-" if i < len(lines) - 1 else " ", l))
            elif verb == "HELO":
                helo = arg
                self._send(conn, "250 fake.test")
            elif verb == "MAIL":
                r = self.reply_mail(arg)
                mail = arg if r.startswith("2") else None
                rcpts = []
                self._send(conn, r)
            elif verb == "RCPT":
                r = self.reply_rcpt(arg.split(":", 1)[1].split(" ")[0] if ":" in arg else arg)
                if r.startswith("2") and mail is not None:
                    rcpts.append(arg.split(":", 1)[1])
                self._send(conn, r)
            elif verb == "DATA":
                if mail is None or not rcpts:
                    self._send(conn, "554 5.5.1 no valid recipients")
                    continue
                self._send(conn, "354 go ahead")
                raw = self._read_data(f)
                with self._lock:
                    self.messages.append(Message(no, helo, mail, list(rcpts), raw))
                if self.lmtp:
                    for r in rcpts:
                        self._send(conn, self.reply_lmtp(r.split(" ")[0]))
                else:
                    self._send(conn, self.reply_data())
                mail, rcpts = None, []
            elif verb == "RSET":
                mail, rcpts = None, []
                self._send(conn, "250 2.0.0 Ok")
            elif verb == "QUIT":
                self._send(conn, "221 2.0.0 Bye")
                return
            elif verb == "NOOP":
                self._send(conn, "250 2.0.0 Ok")
            elif verb == "XFORWARD":
                self._send(conn, "250 2.0.0 Ok")
            else:
                self._send(conn, "502 5.5.2 unknown command")

    @staticmethod
    def _read_data(f):
        lines = []
        while True:
            line = f.readline()
            if not line:
                raise OSError("eof in data")
            if line == b".\r\n":
                return b"".join(lines)
            lines.append(line)
