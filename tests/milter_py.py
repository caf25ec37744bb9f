"""A small milter on libmilter's Python binding (Debian's python3-milter),
for the milter tests. Run: /usr/bin/python3 milter_py.py SOCKET LOGFILE
(SOCKET as libmilter spells it: inet:PORT@127.0.0.1 or unix:/path).

What it does is keyed on the mail, so that one milter serves every test:
  MAIL FROM <reject-mail@...>      REJECT (the default 550 5.7.1)
  MAIL FROM <slow@...>             sleeps 10 s before answering
  RCPT TO <reject@...>             550 5.7.1 milter says no (setreply)
  RCPT TO <tempfail@...>           TEMPFAIL
  RCPT TO <multi@...>              a three-line 550 5.7.1 (smfi_setmlreply)
  Subject contains, at end of message:
    quarantine   quarantine("test quarantine")
    chgsubj      Subject changed to "changed by milter"
    addrcpt      recipient <added@x.test> added
    delrcpt      recipient <gone@x.test> deleted
    chgfrom      sender changed to <new-sender@x.test>
    replbody     body replaced by "replaced body\\r\\n"
    reject-eom   554 5.7.1 content refused by milter
    multi-eom    a two-line 554 5.7.1 (smfi_setmlreply)
    discard      DISCARD
  always: X-Milter: seen (client_addr, i) added.
Each callback appends a line to LOGFILE (events and macros seen).
"""
import sys
import time

import Milter


LOG = None


def log(*words):
    with open(LOG, "a") as f:
        f.write(" ".join(str(w) for w in words) + "\n")


class TestMilter(Milter.Base):
    def __init__(self):
        self.subject = ""
        self.rcpts = []

    def connect(self, hostname, family, hostaddr):
        log("connect", hostname, hostaddr[0] if hostaddr else "-",
            self.getsymval("j"), self.getsymval("{daemon_name}"))
        return Milter.CONTINUE

    def hello(self, helo):
        log("helo", helo)
        return Milter.CONTINUE

    def envfrom(self, mailfrom, *args):
        log("mail", mailfrom, self.getsymval("{mail_addr}"))
        self.subject = ""
        if mailfrom.startswith("<slow@"):
            time.sleep(10)
        if mailfrom.startswith("<reject-mail@"):
            return Milter.REJECT
        return Milter.CONTINUE

    def envrcpt(self, to, *args):
        log("rcpt", to, self.getsymval("{rcpt_addr}"))
        if to.startswith("<reject@"):
            self.setreply("550", "5.7.1", "milter says no")
            return Milter.REJECT
        if to.startswith("<tempfail@"):
            return Milter.TEMPFAIL
        if to.startswith("<multi@"):
            self.setreply("550", "5.7.1", "first line", "second line",
                          "third line")
            return Milter.REJECT
        return Milter.CONTINUE

    def header(self, name, value):
        log("header", name, value)
        if name.lower() == "subject":
            self.subject = value
        return Milter.CONTINUE

    def eoh(self):
        log("eoh")
        return Milter.CONTINUE

    def body(self, chunk):
        log("body", len(chunk))
        return Milter.CONTINUE

    def eom(self):
        s = self.subject
        log("eom", s, self.getsymval("i"))
        self.addheader("X-Milter", "seen %s" % self.getsymval("i"))
        if "quarantine" in s:
            self.quarantine("test quarantine")
        if "chgsubj" in s:
            self.chgheader("Subject", 1, "changed by milter")
        if "addrcpt" in s:
            self.addrcpt("<added@x.test>")
        if "delrcpt" in s:
            self.delrcpt("<gone@x.test>")
        if "chgfrom" in s:
            self.chgfrom("<new-sender@x.test>")
        if "replbody" in s:
            self.replacebody(b"replaced body\r\n")
        if "multi-eom" in s:
            self.setreply("554", "5.7.1", "refused, line one", "see line two")
            return Milter.REJECT
        if "reject-eom" in s:
            self.setreply("554", "5.7.1", "content refused by milter")
            return Milter.REJECT
        if "discard" in s:
            return Milter.DISCARD
        return Milter.ACCEPT

    def abort(self):
        log("abort")
        return Milter.CONTINUE

    def close(self):
        log("close")
        return Milter.CONTINUE


def main():
    global LOG
    sock, LOG = sys.argv[1], sys.argv[2]
    Milter.factory = TestMilter
    Milter.set_flags(Milter.ADDHDRS | Milter.CHGHDRS | Milter.ADDRCPT
                     | Milter.DELRCPT | Milter.QUARANTINE | Milter.CHGFROM
                     | Milter.CHGBODY)
    log("ready")
    Milter.runmilter("testmilter", sock, 30)


if __name__ == "__main__":
    main()
