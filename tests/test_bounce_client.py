"""The qmgr's bounce client is asynchronous (issue 14): the qmgr goes on
working while the bounce service composes a notice, and a notice that the
service fails to write, hangs up on, or never answers is not lost: the
message stays deferred with its bounce log, and the notice goes out once the
service works again (postern flush).
"""
import os
import socket
import threading

from harness import wait_for

BAD = "inline:{ {b.test=error:5.1.1 no such user}, s.test=discard: }"


class FakeBounce:
    """A private/bounce that reads a request and then hangs up or says
    nothing, in place of the master's service."""

    def __init__(self, path, mode):
        self.path, self.mode = path, mode
        self.requests = []
        self.conns = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        self.sock.listen(16)
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            data = b""
            conn.settimeout(10)
            try:
                while b"\n\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            self.requests.append(data)
            if self.mode == "hangup":
                conn.close()
            else:
                self.conns.append(conn)     # silent: keep it open, unanswered

    def stop(self):
        self.sock.close()
        for c in self.conns:
            c.close()
        os.unlink(self.path)


def master_cf_without_bounce(inst):
    return "".join(line + "\n" for line in inst.default_master_cf().splitlines()
                   if line.split()[:1] not in (["bounce"], ["defer"], ["trace"]))


def submit(inst, rcpt):
    with inst.smtp() as s:
        s.sendmail("me@s.test", [rcpt], b"Subject: b\r\n\r\nbody\r\n")


def test_bounce_failures_keep_the_message_and_recover(make_instance):
    inst = make_instance(main_cf_extra={
        "transport_maps": BAD, "qmgr_ipc_timeout": "5s",
        "minimal_backoff_time": "300s", "maximal_backoff_time": "600s",
        "queue_run_delay": "300s"})
    inst.write_master_cf(text=master_cf_without_bounce(inst), extra="")
    inst.start()
    path = os.path.join(inst.queue_dir, "private", "bounce")
    fake = FakeBounce(path, "hangup")
    try:
        submit(inst, "bad1@b.test")
        m = inst.wait_log(r"(\w{8}): bounce service flush failed: "
                          r"the service hung up", timeout=15)
        first = m.group(1)
        fake.mode = "silent"
        mark = inst.log_mark()
        submit(inst, "bad2@b.test")
        wait_for(lambda: len(fake.requests) == 2, 10, "the second request")
        assert b"request=flush" in fake.requests[-1], fake.requests
        # The qmgr does not wait for the silent service: other mail goes
        # on while the request is out.
        submit(inst, "ok@s.test")
        inst.wait_log(r"to=<ok@s\.test>, .*status=sent", since=mark)
        assert "timeout" not in inst.log(since=mark), inst.log(since=mark)
        m = inst.wait_log(r"(\w{8}): bounce service flush failed: timeout",
                          timeout=15, since=mark)
        second = m.group(1)
        wait_for(lambda: sorted(inst.queue_files("deferred")) ==
                 sorted([first, second]), 10, "both messages deferred")
        for qid in (first, second):
            assert os.path.exists(os.path.join(inst.queue_dir, "bounce", qid))
            assert "%s: removed" % qid not in inst.log()
        assert "non-delivery notification" not in inst.log()
    finally:
        fake.stop()
    inst.write_master_cf(extra="")
    inst.reload()
    wait_for(lambda: os.path.exists(path), 10, "the master's private/bounce")
    mark = inst.log_mark()

    def flushed():
        inst.postern(["flush"])
        return "non-delivery notification" in inst.log(since=mark)
    wait_for(flushed, 15, "a notice after the flush", interval=0.5)
    for qid in (first, second):
        inst.wait_log(r"%s: sender non-delivery notification: \w{8}" % qid,
                      since=mark)
        inst.wait_log(r"%s: removed" % qid, since=mark)
    wait_for(lambda: all(inst.queue_files(q) == [] for q in
                         ("incoming", "active", "deferred")), 10, "an empty queue")
