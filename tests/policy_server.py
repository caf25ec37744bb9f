"""policy_server - a scripted Postfix policy delegation server, for tests.

    with PolicyServer(lambda req: "action=DUNNO") as ps:       # inet on 127.0.0.1
        main_cf["smtpd_recipient_restrictions"] = "check_policy_service " + ps.spec
        ...
        ps.requests        # [dict of attributes, ...]
        ps.connections     # connections accepted so far

answer(req) returns the reply: a str ("action=..." lines, the empty line is
added), bytes (sent as they are, for garbage), or a callable taking the
socket (to sleep, close, ...). PolicyServer(unix_path=...) listens on a UNIX
socket instead. Serving is one thread per connection, bounded by a stop
event.
"""
import os
import socket
import threading


class PolicyServer:
    def __init__(self, answer, unix_path=None):
        self.answer = answer
        self.unix_path = unix_path
        self.requests = []
        self.connections = 0
        self._stop = threading.Event()
        self._threads = []

    def __enter__(self):
        if self.unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(self.unix_path)
            os.chmod(self.unix_path, 0o666)
            self.spec = "unix:" + self.unix_path
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind(("127.0.0.1", 0))
            self.port = self.sock.getsockname()[1]
            self.spec = "inet:127.0.0.1:%d" % self.port
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in list(self._threads):
            t.join(10)
        self.sock.close()

    def _accept(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()
            self._threads.append(t)

    def _serve(self, conn):
        conn.settimeout(0.2)
        buf = b""
        with conn:
            while not self._stop.is_set():
                while b"\n\n" not in buf:
                    try:
                        chunk = conn.recv(65536)
                    except socket.timeout:
                        if self._stop.is_set():
                            return
                        continue
                    except OSError:
                        return
                    if not chunk:
                        return
                    buf += chunk
                raw, buf = buf.split(b"\n\n", 1)
                req = {}
                for line in raw.decode(errors="replace").split("\n"):
                    name, _, value = line.partition("=")
                    req[name] = value
                self.requests.append(req)
                reply = self.answer(req)
                if callable(reply):
                    if reply(conn) is False:
                        return
                    continue
                if isinstance(reply, str):
                    reply = (reply.rstrip("\n") + "\n\n").encode()
                try:
                    conn.sendall(reply)
                except OSError:
                    return
