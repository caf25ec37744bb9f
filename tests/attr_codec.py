"""attr_codec - Postern's attribute protocol (src/util/attr.c), for the tests.

A request or reply is a list of "name=value" lines ended by an empty line;
in values '%', every byte below 0x20 and DEL travel as %XX (upper-case hex),
other bytes as they are. Names may repeat, so a list is a list of
(name, value) pairs; the one codec every test uses:

    encode([("request", "show_queue"), ("id", qid)])   -> bytes of one list
    decode(data)            -> every complete list in data, each [(name, value)]
    read(f)                 -> the next list from a binary file object as
                               [(name, value)], or None at end of file
"""

import re


def escape(value):
    """One value (str, int...) as bytes on the wire."""
    out = []
    for ch in str(value).encode():
        if ch < 0x20 or ch == 0x7f or ch == ord("%"):
            out.append(b"%%%02X" % ch)
        else:
            out.append(bytes([ch]))
    return b"".join(out)


def unescape(value):
    """A value as received (bytes) back to str."""
    return re.sub(rb"%([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]),
                  value).decode(errors="replace")


def encode(pairs):
    """One attribute list from (name, value) pairs or a dict."""
    if isinstance(pairs, dict):
        pairs = pairs.items()
    return b"".join(n.encode() + b"=" + escape(v) + b"\n" for n, v in pairs) + b"\n"


def _pair(line):
    name, _, value = line.partition(b"=")
    return name.decode(), unescape(value)


def decode(data):
    """The complete attribute lists in data, each a list of (name, value)."""
    lists, cur = [], []
    for line in data.split(b"\n"):
        if line == b"":
            if cur:
                lists.append(cur)
            cur = []
            continue
        cur.append(_pair(line))
    return lists


def read(f):
    """The next list from f (binary, line-buffered reads); None at EOF."""
    cur = []
    while True:
        line = f.readline()
        if not line:
            return None
        line = line.rstrip(b"\n")
        if line == b"":
            return cur
        cur.append(_pair(line))
