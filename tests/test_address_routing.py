"""Address rewriting and resolution: allow_percent_hack, swap_bangpath,
resolve_dequoted_address, resolve_numeric_domain, allow_untrusted_routing.

Each instance sends "remote" mail (default_transport, relay_transport) to
one sink and local mail (local_transport) to another, both on loopback, so
that where an address went is seen from outside. smtpd's relay control
judges the resolved destination: user%remote@localhost, remote!user@localhost
and "user@remote"@localhost from a client outside mynetworks get "Relay
access denied" exactly when they would leave this host, and a client in
mynetworks has them delivered to the remote destination as user@remote.
"""
import pytest

from harness import random_loopback, wait_for
from sink import Sink
from test_resolve_class import rcpt_code as rcpt, relay_denied as denied


@pytest.fixture
def sinks():
    remote = Sink(host=random_loopback()).start()
    local = Sink(host=random_loopback()).start()
    yield remote, local
    remote.stop()
    local.stop()


def instance(make_instance, sinks, **extra):
    remote, local = sinks
    inside = random_loopback()
    cf = {
        "mynetworks": "%s/32" % inside,
        "default_transport": "smtp:[%s]:%d" % (remote.addr, remote.port),
        "relay_transport": "smtp:[%s]:%d" % (remote.addr, remote.port),
        "local_transport": "smtp:[%s]:%d" % (local.addr, local.port),
        "local_recipient_maps": "",
        "disable_dns_lookups": "yes",
    }
    cf.update(extra)
    inst = make_instance(main_cf_extra=cf)
    inst.inside = inside
    inst.start()
    return inst


def outside(inst):
    src = random_loopback()
    while src == inst.inside:
        src = random_loopback()
    return inst.smtp(source_address=(src, 0))


def inside(inst):
    return inst.smtp(source_address=(inst.inside, 0))


def send(s, rcpts):
    s.sendmail("a@client.test", rcpts, b"Subject: routing\r\n\r\nhello\r\n")


def rcpts_of(sink, n):
    """The recipients the sink accepted, once there are at least n."""
    def got():
        return sorted(r for m in sink.messages for r in m.rcpts)
    wait_for(lambda: len(got()) >= n, what="%d recipients" % n)
    return got()


def test_sendmail_rewrites_bang_path_and_percent(make_instance, sinks):
    remote, local = sinks
    inst = instance(make_instance, sinks)
    r = inst.sendmail(["-f", "a@localhost", "remote.test!u1", "u2%remote.test",
                       "localhost!u3"], input=b"Subject: x\n\nx\n")
    assert r.returncode == 0, r.stderr
    assert rcpts_of(remote, 2) == ["u1@remote.test", "u2@remote.test"]
    assert rcpts_of(local, 1) == ["u3@localhost"]


def test_sendmail_operators_off(make_instance, sinks):
    remote, local = sinks
    inst = instance(make_instance, sinks, allow_percent_hack="no",
                    swap_bangpath="no")
    r = inst.sendmail(["-f", "a@localhost", "remote.test!u1", "u2%remote.test"],
                      input=b"Subject: x\n\nx\n")
    assert r.returncode == 0, r.stderr
    # Unqualified local names with odd characters: @$myorigin, local.
    assert rcpts_of(local, 2) == ["remote.test!u1@localhost",
                                  "u2%remote.test@localhost"]
    assert not remote.messages


def test_percent_hack_relay_control(make_instance, sinks):
    remote, local = sinks
    inst = instance(make_instance, sinks)
    with outside(inst) as s:
        assert denied(rcpt(s, "u%remote.test@localhost"))
        assert denied(rcpt(s, "remote.test!u@localhost"))
        # An unquoted second "@" is refused as syntax before relay control.
        assert rcpt(s, "u@remote.test@localhost")[0] == 501
        assert denied(rcpt(s, "u%remote.test%localhost@localhost"))
        assert denied(rcpt(s, "u%remote.test"))
        assert denied(rcpt(s, "remote.test!u"))
        # Routing that ends on this host is local mail.
        assert rcpt(s, "u%localhost@localhost")[0] == 250
        send(s, ["u%localhost@localhost"])
    assert rcpts_of(local, 1) == ["u@localhost"]
    with inside(inst) as s:
        send(s, ["u%remote.test@localhost", "remote.test!v@localhost"])
    assert rcpts_of(remote, 2) == ["u@remote.test", "v@remote.test"]
    inst.wait_log(r"to=<u@remote\.test>, orig_to=<u%remote\.test@localhost>,"
                  r" relay=\S+, .*status=sent")
    assert len(local.messages) == 1


def test_percent_hack_off_is_local(make_instance, sinks):
    remote, local = sinks
    inst = instance(make_instance, sinks, allow_percent_hack="no")
    with outside(inst) as s:
        assert rcpt(s, "u%remote.test@localhost")[0] == 250
        # swap_bangpath is still on.
        assert denied(rcpt(s, "remote.test!u@localhost"))
        send(s, ["u%remote.test@localhost"])
    assert rcpts_of(local, 1) == ["u%remote.test@localhost"]
    assert not remote.messages


def test_percent_hack_off_unknown_user(make_instance, sinks):
    remote, local = sinks
    inst = instance(make_instance, sinks, allow_percent_hack="no",
                    local_recipient_maps="inline:{u=1}")
    with outside(inst) as s:
        code, text = rcpt(s, "u%remote.test@localhost")
        assert code == 550 and b"User unknown in local recipient table" in text
        assert rcpt(s, "u@localhost")[0] == 250


@pytest.mark.parametrize("dequote", ["yes", "no"])
def test_quoted_address(make_instance, sinks, dequote):
    remote, local = sinks
    inst = instance(make_instance, sinks, resolve_dequoted_address=dequote)
    quoted = '"u@remote.test"@localhost'
    spaced = '"remote.test!u b"@localhost'
    with outside(inst) as s:
        # Quotes that are not needed change nothing (as queued: u%remote...).
        assert denied(rcpt(s, '"u%remote.test"@localhost'))
        assert denied(rcpt(s, '"u%remote.test"'))
        if dequote == "yes":
            assert denied(rcpt(s, quoted))
            assert denied(rcpt(s, spaced))
        else:
            assert rcpt(s, quoted)[0] == 250
            assert rcpt(s, spaced)[0] == 250
            send(s, [quoted, spaced])
            assert rcpts_of(local, 2) == sorted([quoted, spaced])
    if dequote == "yes":
        with inside(inst) as s:
            send(s, [quoted])
        assert rcpts_of(remote, 1) == ["u@remote.test"]
    assert (remote.messages if dequote == "no" else local.messages) == []


@pytest.mark.parametrize("numeric", ["yes", "no"])
def test_numeric_domain(make_instance, sinks, numeric):
    remote, local = sinks
    inst = instance(make_instance, sinks, resolve_numeric_domain=numeric)
    own = "u@%s" % inst.addr
    with outside(inst) as s:
        if numeric == "no":
            # As Postfix: a bare IP address is not a valid domain.
            code, text = rcpt(s, own)
            assert code == 501 and b"Bad recipient address syntax" in text
            return
        assert rcpt(s, own)[0] == 250
        assert denied(rcpt(s, "u@%s" % ("127.0.0.1" if inst.addr != "127.0.0.1"
                                       else "127.0.0.2")))
        send(s, [own])
    # Queued as the address literal, which the queue manager routes locally.
    assert rcpts_of(local, 1) == ["u@[%s]" % inst.addr]
    assert not remote.messages


@pytest.mark.parametrize("null", ["yes", "no"])
def test_null_domain(make_instance, sinks, null):
    remote, local = sinks
    inst = instance(make_instance, sinks, resolve_null_domain=null)
    with outside(inst) as s:
        code, text = rcpt(s, "u@")
        if null == "no":
            assert code == 501 and b"Bad recipient address syntax" in text
            return
        assert code == 250
        send(s, ["u@"])
    # As if the local host name ($myhostname) had been given.
    assert rcpts_of(local, 1) == ["u@localhost"]
    assert not remote.messages


@pytest.mark.parametrize("allow", ["yes", "no"])
def test_untrusted_routing_to_relay_domains(make_instance, sinks, allow):
    remote, local = sinks
    inst = instance(make_instance, sinks, relay_domains="relay.test",
                    myorigin="relay.test", allow_untrusted_routing=allow)
    with outside(inst) as s:
        assert rcpt(s, "u@relay.test")[0] == 250
        assert denied(rcpt(s, "u%remote.test@localhost"))
        # Rewritten before @$myorigin is added, as the cleanup stage does.
        assert denied(rcpt(s, "u%remote.test"))
        assert denied(rcpt(s, "remote.test!u"))
        reply = rcpt(s, "u%other.test@relay.test")
        if allow == "no":
            assert denied(reply)
            assert denied(rcpt(s, "u%other.test%relay.test@localhost"))
            return
        assert reply[0] == 250
        assert rcpt(s, "u%other.test%relay.test@localhost")[0] == 250
        send(s, ["u%other.test%relay.test@localhost"])
    assert rcpts_of(remote, 1) == ["u%other.test@relay.test"]


@pytest.mark.parametrize("allow", ["yes", "no"])
def test_untrusted_routing_and_access_ok(make_instance, sinks, allow):
    remote, local = sinks
    inst = instance(make_instance, sinks, allow_untrusted_routing=allow,
                    smtpd_relay_restrictions="check_recipient_access "
                    "inline:{remote.test=OK}, reject_unauth_destination")
    with outside(inst) as s:
        assert rcpt(s, "u@remote.test")[0] == 250
        # An OK for an address that routes on from there is no OK.
        reply = rcpt(s, "u%evil.test@remote.test")
        assert denied(reply) if allow == "no" else reply[0] == 250
