"""Helpers for the SMTP AUTH tests (test_auth*.py); no tests here.

make_passwd(dir, users) writes a texthash: table of "user  hash" lines with
hashes from `smtpctl encrypt`, readable by mail_owner.
auth_smtpd(make_instance, table, **main_cf) starts an smtpd-only instance
with the built-in (postern) SASL back end.
b64 / plain_resp encode SASL responses.
UnixPeer(path, script) is a scripted authentication server on a UNIX socket
(a context manager): each connection goes to script(conn).
"""
import base64
import os
import socket
import subprocess
import threading

from harness import BIN, _make_traversable
from test_smtpd_lib import SMTPD_ONLY, smtpd_instance


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def plain_resp(user, password, authz=""):
    return b64("%s\0%s\0%s" % (authz, user, password))


def encrypt(password):
    out = subprocess.run([os.path.join(BIN, "smtpctl"), "encrypt", password],
                         capture_output=True, text=True, check=True, timeout=30)
    return out.stdout.strip()


def make_passwd(directory, users):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "sasl_passwd")
    with open(path, "w") as f:
        for user, password in users.items():
            f.write("%s %s\n" % (user, encrypt(password)))
    os.chmod(path, 0o644)
    os.chmod(directory, 0o755)
    _make_traversable(directory)
    return path


def auth_smtpd(make_instance, table, master_cf=SMTPD_ONLY, **main_cf):
    conf = {"smtpd_sasl_auth_enable": "yes", "smtpd_sasl_type": "postern",
            "smtpd_sasl_password_maps": "texthash:" + table}
    conf.update(main_cf)
    return smtpd_instance(make_instance, master_cf=master_cf, **conf)


class UnixPeer:
    """A peer listening on the UNIX socket path while the with block runs;
    script(conn) speaks to each client (5 s time-out, socket errors end it)."""

    def __init__(self, path, script):
        self.path, self.script = path, script
        self.stop = threading.Event()

    def __enter__(self):
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind(self.path)
        os.chmod(self.path, 0o777)
        self.srv.listen(4)
        self.srv.settimeout(0.2)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        return self

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.srv.accept()
            except OSError:
                continue
            with conn:
                try:
                    conn.settimeout(5)
                    self.script(conn)
                except OSError:
                    pass

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.srv.close()
