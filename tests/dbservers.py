"""dbservers - private database and directory servers for the table tests.

Each class starts a real server from Debian's packages in a temporary
directory under /tmp, on a free port of 127.0.0.1, and stops it again:

    Postgres()    initdb + postgres (binaries in /usr/lib/postgresql/*/bin),
                  TCP with scram-sha-256 passwords; .sql(text, db) runs SQL
                  as the superuser over the UNIX socket (psycopg2).
    MariaDB()     mariadb-install-db + mariadbd; .sql(text, db) runs SQL as
                  root over the UNIX socket (the mariadb client).
    Slapd()       slapd with a private slapd.conf (back_mdb, the core,
                  cosine, inetorgperson and misc schemas), data loaded
                  with slapadd; .ldapadd(ldif) / .ldapdelete(dn) as rootdn.
    Memcached()   memcached; .get(key) / .set(key, value) / .flush().
    SocketmapServer(handler)
                  a socketmap (netstring) server on a thread: handler(name,
                  key) returns the reply text ("OK value", "NOTFOUND ", ...).
    TcpTableServer(handler)
                  a tcp_table(5) server on a thread: handler(key) returns
                  the reply line ("200 value", "500 no", "400 later").

Every server has stop() and start() (same port, same data: a restart), and
close() (stop and remove the directory). PostgreSQL, MariaDB, slapd and
memcached refuse to run as root or should not: when the tests run as root
they run as the `postern` account (made by mk/install-deps test), or
`nobody` when that is missing, and their directory is theirs.

The pytest fixtures at the end (pg, mariadb, slapd, memcached) are
module-scoped: each server starts once per test module (per xdist worker)
and is stopped at the end of the module. Import them into a test module
to use them: `from dbservers import pg`.
"""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from harness import free_port, listen_socket, wait_for

ROOT_RUNS_AS = "postern"


def _account():
    """(uid, gid) the servers run as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    for name in (ROOT_RUNS_AS, "nobody"):
        try:
            pw = pwd.getpwnam(name)
            return pw.pw_uid, pw.pw_gid
        except KeyError:
            continue
    raise RuntimeError("no unprivileged account to run the servers as")


def _as_user():
    """subprocess keyword arguments that drop to the server account."""
    acct = _account()
    if acct is None:
        return {}
    return {"user": acct[0], "group": acct[1], "extra_groups": []}


def private_dir(prefix):
    """A fresh directory under /tmp owned by the server account."""
    d = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    acct = _account()
    if acct is not None:
        os.chown(d, *acct)
    os.chmod(d, 0o755)
    return d


def make_cert(directory, name="server"):
    """A self-signed certificate for 127.0.0.1/localhost in directory:
    (cert, key), the key readable only by the server account."""
    cert = os.path.join(directory, name + ".crt")
    key = os.path.join(directory, name + ".key")
    _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
          "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
          "-keyout", key, "-out", cert])
    os.chmod(key, 0o600)
    os.chmod(cert, 0o644)
    if _account():
        os.chown(key, *_account())
        os.chown(cert, *_account())
    return cert, key


def _port_open(port, addr="127.0.0.1"):
    try:
        with socket.create_connection((addr, port), timeout=0.5):
            return True
    except OSError:
        return False


def _run(argv, **kw):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=kw.pop("timeout", 120), **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (argv[0], r.returncode,
                                                    r.stdout.decode(errors="replace")[-2000:]))
    return r.stdout.decode(errors="replace")


class _Server:
    """A foreground server process with stop/start on a fixed port."""

    name = "server"

    def __init__(self, prefix):
        self.dir = private_dir(prefix)
        self.port = free_port("127.0.0.1")
        self.proc = None
        self.log = os.path.join(self.dir, "server.log")

    def argv(self):
        raise NotImplementedError

    def ready(self):
        return _port_open(self.port)

    def start(self, timeout=60):
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=logf, stderr=logf,
                                     stdin=subprocess.DEVNULL, cwd=self.dir,
                                     start_new_session=True, **_as_user())
        logf.close()

        def up():
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited: %s" % (self.name, self.log_tail()))
            return self.ready()
        wait_for(up, timeout, "%s on port %d" % (self.name, self.port), interval=0.05)

    def stop_signal(self):
        return signal.SIGTERM

    def stop(self, timeout=60):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(self.stop_signal())
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
        wait_for(lambda: not _port_open(self.port), 20, "%s port closed" % self.name)

    def close(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n=3000):
        try:
            with open(self.log, "rb") as f:
                return f.read()[-n:].decode(errors="replace")
        except OSError:
            return ""


# ---- PostgreSQL ------------------------------------------------------------

def _pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not dirs:
        pytest.skip("PostgreSQL server binaries not installed")
    return dirs[-1]


class Postgres(_Server):
    """A private PostgreSQL cluster. Roles: the superuser `admin` (password
    adminpw; trust over the UNIX socket) and whatever tests create."""

    name = "postgres"
    superuser = "admin"

    def __init__(self):
        super().__init__("postern-pg-")
        self.bindir = _pg_bindir()
        self.data = os.path.join(self.dir, "data")
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write("adminpw\n")
        if _account():
            os.chown(pwfile, *_account())
        _run([os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", self.superuser,
              "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
              "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
             cwd=self.dir, **_as_user())
        self.cert, self.key = make_cert(self.dir)

    def argv(self):
        return [os.path.join(self.bindir, "postgres"), "-D", self.data,
                "-c", "ssl=on", "-c", "ssl_cert_file=" + self.cert,
                "-c", "ssl_key_file=" + self.key,
                "-k", self.dir, "-h", "127.0.0.1", "-p", str(self.port),
                "-c", "fsync=off", "-c", "synchronous_commit=off",
                "-c", "full_page_writes=off", "-c", "shared_buffers=16MB",
                "-c", "max_connections=60", "-c", "logging_collector=off"]

    def stop_signal(self):
        return signal.SIGINT        # "fast": disconnect the clients

    def ready(self):
        return os.path.exists(os.path.join(self.dir, ".s.PGSQL.%d" % self.port)) \
            and _port_open(self.port) and self._try_connect()

    def _try_connect(self):
        import psycopg2
        try:
            psycopg2.connect(host=self.dir, port=self.port, user=self.superuser,
                             dbname="postgres", connect_timeout=2).close()
            return True
        except psycopg2.OperationalError:
            return False

    def sql(self, text, db="postgres", params=None):
        """Run SQL as the superuser; the rows of the last statement (or [])."""
        import psycopg2
        conn = psycopg2.connect(host=self.dir, port=self.port, user=self.superuser,
                                dbname=db, connect_timeout=10)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(text, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def create_db(self, db, user, password):
        self.sql("CREATE ROLE %s LOGIN PASSWORD '%s'" % (user, password.replace("'", "''")))
        self.sql("CREATE DATABASE %s OWNER %s" % (db, user))

    def require_tls(self, user):
        """Refuse user's TCP connections without TLS (pg_hba.conf, reload)."""
        hba = os.path.join(self.data, "pg_hba.conf")
        with open(hba) as f:
            text = f.read()
        with open(hba, "w") as f:
            f.write("hostnossl all %s 127.0.0.1/32 reject\n" % user + text)
        self.sql("SELECT pg_reload_conf()")


# ---- MariaDB ---------------------------------------------------------------

class MariaDB(_Server):
    name = "mariadbd"

    def __init__(self):
        super().__init__("postern-my-")
        if not shutil.which("mariadbd") and not os.path.exists("/usr/sbin/mariadbd"):
            pytest.skip("mariadbd not installed")
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "mysqld.sock")
        # Temporary tables in a directory of this server's own: in the shared
        # /tmp, two servers bootstrapping at once have been seen to collide
        # ("Unknown table 'mysql.tmp_user_sys'", "Error on delete of
        # '/tmp/#sql-temptable-...'").
        self.tmp = os.path.join(self.dir, "tmp")
        os.mkdir(self.tmp)
        acct = _account()
        if acct is not None:
            os.chown(self.tmp, *acct)
        _run(["mariadb-install-db", "--no-defaults", "--datadir=" + self.data,
              "--tmpdir=" + self.tmp,
              "--auth-root-authentication-method=normal", "--skip-test-db",
              "--skip-name-resolve"], cwd=self.dir, **_as_user())

    def argv(self):
        return ["/usr/sbin/mariadbd", "--no-defaults", "--datadir=" + self.data,
                "--tmpdir=" + self.tmp,
                "--socket=" + self.sock, "--port=%d" % self.port,
                "--bind-address=127.0.0.1", "--skip-name-resolve",
                "--pid-file=" + os.path.join(self.dir, "mysqld.pid"),
                "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M",
                "--innodb-flush-log-at-trx-commit=0", "--skip-log-bin",
                "--max-connections=60", "--performance-schema=off"]

    def ready(self):
        return os.path.exists(self.sock) and _port_open(self.port)

    def sql(self, text, db=None):
        argv = ["mariadb", "--no-defaults", "-S", self.sock, "-u", "root", "-N", "-B"]
        if db:
            argv.append(db)
        out = _run(argv + ["-e", text])
        return [tuple(line.split("\t")) for line in out.splitlines() if line]

    def create_db(self, db, user, password):
        self.sql("CREATE DATABASE %s; CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'; "
                 "GRANT SELECT ON %s.* TO '%s'@'127.0.0.1';"
                 % (db, user, password, db, user))


# ---- slapd -----------------------------------------------------------------

class Slapd(_Server):
    name = "slapd"
    suffix = "dc=example,dc=com"
    rootdn = "cn=admin,dc=example,dc=com"
    rootpw = "secret"

    def __init__(self, ldif="", tls=False):
        super().__init__("postern-ldap-")
        if not os.path.exists("/usr/sbin/slapd"):
            pytest.skip("slapd not installed")
        self.conf = os.path.join(self.dir, "slapd.conf")
        db = os.path.join(self.dir, "db")
        os.mkdir(db)
        if _account():
            os.chown(db, *_account())
        tls_conf = ""
        if tls:
            self.cert, self.key = make_cert(self.dir)
            # Every operation but StartTLS itself needs TLS.
            tls_conf = ("TLSCertificateFile %s\nTLSCertificateKeyFile %s\n"
                        "security tls=1\n" % (self.cert, self.key))
        with open(self.conf, "w") as f:
            f.write(tls_conf + """include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/misc.schema
pidfile %(dir)s/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 16777216
suffix "%(suffix)s"
rootdn "%(rootdn)s"
rootpw %(rootpw)s
directory %(db)s
access to * by * read
""" % {"dir": self.dir, "suffix": self.suffix, "rootdn": self.rootdn,
                "rootpw": self.rootpw, "db": db})
        base = "dn: %s\nobjectClass: dcObject\nobjectClass: organization\n" \
               "o: Example\ndc: example\n\n" % self.suffix
        path = os.path.join(self.dir, "init.ldif")
        with open(path, "w") as f:
            f.write(base + ldif)
        _run(["/usr/sbin/slapadd", "-f", self.conf, "-l", path], cwd=self.dir, **_as_user())

    def argv(self):
        return ["/usr/sbin/slapd", "-f", self.conf, "-h",
                "ldap://127.0.0.1:%d/" % self.port, "-d", "0"]

    def ldapadd(self, ldif):
        return subprocess.run(["ldapadd", "-x", "-H", "ldap://127.0.0.1:%d/" % self.port,
                               "-D", self.rootdn, "-w", self.rootpw],
                              input=ldif.encode(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=30, check=True)

    def ldapdelete(self, dn):
        return subprocess.run(["ldapdelete", "-x", "-H", "ldap://127.0.0.1:%d/" % self.port,
                               "-D", self.rootdn, "-w", self.rootpw, dn],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=30, check=True)


# ---- memcached -------------------------------------------------------------

class Memcached(_Server):
    name = "memcached"

    def __init__(self):
        super().__init__("postern-mc-")
        if not shutil.which("memcached"):
            pytest.skip("memcached not installed")

    def argv(self):
        return ["memcached", "-l", "127.0.0.1", "-p", str(self.port), "-U", "0",
                "-m", "8", "-c", "128"]

    def _cmd(self, data, until):
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(data)
            buf = b""
            while not any(buf.endswith(u) for u in until):
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
            return buf

    def get(self, key):
        r = self._cmd(b"get %s\r\n" % key.encode(), (b"END\r\n",))
        if not r.startswith(b"VALUE"):
            return None
        return r.split(b"\r\n")[1].decode()

    def set(self, key, value, ttl=0):
        v = value.encode()
        r = self._cmd(b"set %s 0 %d %d\r\n%s\r\n" % (key.encode(), ttl, len(v), v),
                      (b"\r\n",))
        assert r.startswith(b"STORED"), r

    def delete(self, key):
        self._cmd(b"delete %s\r\n" % key.encode(), (b"\r\n",))


# ---- socketmap and tcp_table servers (in the test process) ----------------

class _LineServer:
    """A threaded TCP server on 127.0.0.1 (or a UNIX socket) that can be
    stopped and restarted on the same address."""

    def __init__(self, unix_path=None):
        self.unix_path = unix_path
        self.port = None if unix_path else free_port("127.0.0.1")
        self.sock = None
        self.threads = []
        self.conns = []
        self.connections = 0
        self.lock = threading.Lock()
        self.stopping = False

    def start(self):
        s = listen_socket(self.unix_path, "127.0.0.1", self.port, 16)
        s.settimeout(0.2)
        self.sock = s
        self.stopping = False
        t = threading.Thread(target=self._accept, daemon=True)
        t.start()
        self.threads.append(t)

    def _accept(self):
        sock = self.sock
        while not self.stopping:
            try:
                c, _ = sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.settimeout(30)
            with self.lock:
                self.connections += 1
                self.conns.append(c)
            t = threading.Thread(target=self._serve_safe, args=(c,), daemon=True)
            t.start()

    def _serve_safe(self, c):
        try:
            self.serve(c)
        except OSError:
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

    def stop(self):
        """Close the listener and every open connection (a server restart)."""
        self.stopping = True
        if self.sock:
            self.sock.close()
            self.sock = None
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.conns = []
        for t in self.threads:
            t.join(5)
        self.threads = []

    @property
    def endpoint(self):
        return "unix:%s" % self.unix_path if self.unix_path else "inet:127.0.0.1:%d" % self.port


class SocketmapServer(_LineServer):
    def __init__(self, handler, unix_path=None):
        super().__init__(unix_path)
        self.handler = handler
        self.requests = []

    @staticmethod
    def _netstring(f):
        n = b""
        while True:
            ch = f.read(1)
            if not ch:
                return None
            if ch == b":":
                break
            if not ch.isdigit() or len(n) > 6:
                raise OSError("bad netstring")
            n += ch
        data = f.read(int(n))
        if f.read(1) != b",":
            raise OSError("bad netstring")
        return data

    def serve(self, c):
        f = c.makefile("rb")
        while True:
            req = self._netstring(f)
            if req is None:
                return
            name, _, key = req.decode().partition(" ")
            self.requests.append((name, key))
            reply = self.handler(name, key).encode()
            c.sendall(b"%d:%s," % (len(reply), reply))


class TcpTableServer(_LineServer):
    def __init__(self, handler, unix_path=None):
        super().__init__(unix_path)
        self.handler = handler
        self.requests = []

    def serve(self, c):
        from urllib.parse import unquote
        f = c.makefile("rb")
        for line in f:
            line = line.rstrip(b"\r\n").decode()
            if not line.startswith("get "):
                c.sendall(b"400 bad request\n")
                continue
            key = unquote(line[4:])
            self.requests.append(key)
            c.sendall(self.handler(key).encode() + b"\n")


# ---- fixtures ----------------------------------------------------------------

def _fixture(cls):
    srv = cls()
    try:
        srv.start()
    except Exception:
        srv.close()
        raise
    return srv


@pytest.fixture(scope="module")
def pg():
    srv = _fixture(Postgres)
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def mariadb():
    srv = _fixture(MariaDB)
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def memcached():
    srv = _fixture(Memcached)
    yield srv
    srv.close()
