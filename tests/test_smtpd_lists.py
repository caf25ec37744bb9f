"""smtpd with the shared list and address code of src/global: mynetworks as an
addr_match(3) list (files, tables, negation, IPv4-mapped patterns, lookup
failures), mydestination/relay_domains as domain_list(3) lists, paths parsed by
addr_parse(3) (Postfix tolerance for long local parts, tabs, quoted local
parts looked up unquoted)."""
import pytest

from test_smtpd_lib import Client, smtpd_instance, smtpd_instance_with_files

RELAY_ONLY = "permit_mynetworks, reject_unauth_destination"


def relay_code(inst, source):
    with Client(inst, source=source) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
        code, text = c.cmd("RCPT TO:<x@elsewhere.example>")
        return code, text


def test_mynetworks_file_negation_and_table(make_instance):
    inst = smtpd_instance_with_files(
        make_instance,
        {"nets": "# trusted\n!127.0.0.10\n127.0.0.8/29\n",
         "nettab": "127.0.0.30 ok\n"},
        mynetworks="{nets} texthash:{nettab}",
        smtpd_relay_restrictions=RELAY_ONLY)
    assert relay_code(inst, "127.0.0.9")[0] == 250
    assert relay_code(inst, "127.0.0.10")[0] == 554      # "!" in the file
    assert relay_code(inst, "127.0.0.30")[0] == 250      # table
    assert relay_code(inst, "127.0.0.31")[0] == 554


def test_mynetworks_ipv4_mapped_pattern(make_instance):
    inst = smtpd_instance(make_instance, mynetworks="[::ffff:127.0.0.0]/104",
                          smtpd_relay_restrictions=RELAY_ONLY)
    assert relay_code(inst, "127.0.0.9")[0] == 250


@pytest.mark.parametrize("params", [
    pytest.param({"mynetworks": "hash:/nonexistent/postern-test-mynetworks"},
                 id="mynetworks"),
    pytest.param({"mynetworks": "127.0.0.1/32",
                  "relay_domains": "hash:/nonexistent/postern-test-relay"},
                 id="relay_domains"),
])
def test_lookup_failure_defers(make_instance, params):
    inst = smtpd_instance(make_instance, smtpd_relay_restrictions=RELAY_ONLY,
                          **params)
    code, text = relay_code(inst, "127.0.0.9")
    assert code == 451 and text.startswith("451 4.3.0"), text


def test_relay_domains_without_parent_matching(make_instance):
    inst = smtpd_instance(make_instance, mynetworks="127.0.0.1/32",
                          relay_domains="relay.example, .wild.example",
                          parent_domain_matches_subdomains="",
                          smtpd_relay_restrictions=RELAY_ONLY)
    with Client(inst, source="127.0.0.9") as c:
        assert c.cmd("EHLO client.example")[0] == 250
        assert c.cmd("MAIL FROM:<a@example.com>")[0] == 250
        assert c.cmd("RCPT TO:<x@relay.example>")[0] == 250
        assert c.cmd("RCPT TO:<x@sub.relay.example>")[0] == 554
        assert c.cmd("RCPT TO:<x@a.wild.example>")[0] == 250
        assert c.cmd("RCPT TO:<x@wild.example>")[0] == 554


def test_path_syntax_tolerance(make_instance):
    inst = smtpd_instance(make_instance)
    srs = "SRS0=abcd=XY=" + "sender-domain.example" + "=" + "u" * 80
    with Client(inst) as c:
        assert c.cmd("EHLO client.example")[0] == 250
        # Longer than RFC 5321's 64-byte local part: Postfix accepts it.
        assert c.cmd("MAIL FROM:<%s@example.com>" % srs)[0] == 250
        c.cmd("RSET")
        assert c.cmd("MAIL FROM:<a@example.com>\tSIZE=100")[0] == 250
        c.cmd("RSET")
        assert c.cmd("MAIL FROM:<a@example.com> =x")[1].startswith("501 5.5.4")
        assert c.cmd("MAIL FROM:<a@%s.example>" % ("d" * 300))[1].startswith("501 5.1.7")
        assert c.cmd("MAIL FROM:a@example.com")[0] == 250     # no brackets
        # Recipient tables are searched with the unquoted local part.
        assert c.cmd('RCPT TO:<"root"@localhost>')[0] == 250
        code, text = c.cmd('RCPT TO:<"no such user"@localhost>')
        assert code == 550 and "User unknown" in text, text
        assert c.cmd("RCPT TO:<@a.example,@b.example:root@localhost>")[0] == 250
        assert c.cmd("RCPT TO:<@route-without-colon>")[1].startswith("501 5.1.3")
        assert c.cmd("VRFY root junk")[1].startswith("501 5.1.3")
