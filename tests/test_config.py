"""Black-box tests of `postern config` and `postern check` (no daemons needed).

Each test writes its own main.cf/master.cf in a temporary directory and
runs the postern binary from $POSTERN_BUILD/bin.
"""

import os
import pwd
import grp
import stat
import subprocess

import pytest

from harness import BIN

POSTERN = os.path.join(BIN, "postern")

pytestmark = pytest.mark.skipif(not os.access(POSTERN, os.X_OK), reason="postern not built")

# Every SMTP-client and general parameter issue 2 requires `config -d` to list.
REQUIRED = """ignore_mx_lookup_error smtp_always_send_ehlo smtp_never_send_ehlo
smtp_defer_if_no_mx_address_found smtp_line_length_limit smtp_pix_workaround_delay_time
smtp_pix_workaround_threshold_time smtp_quote_rfc821_envelope smtp_skip_5xx_greeting
smtp_skip_quit_response disable_mime_output_conversion mime_boundary_length_limit
mime_nesting_limit smtp_send_xforward_command smtp_sasl_auth_enable smtp_sasl_password_maps
smtp_sasl_security_options smtp_destination_concurrency_limit smtp_destination_recipient_limit
smtp_connect_timeout smtp_helo_timeout smtp_xforward_timeout smtp_mail_timeout smtp_rcpt_timeout
smtp_data_init_timeout smtp_data_xfer_timeout smtp_data_done_timeout smtp_quit_timeout
smtp_mx_address_limit smtp_mx_session_limit smtp_rset_timeout debug_peer_level debug_peer_list
error_notice_recipient notify_classes best_mx_transport config_directory daemon_timeout
disable_dns_lookups fallback_relay inet_interfaces ipc_timeout max_idle max_use process_id
process_name proxy_interfaces smtp_bind_address smtp_helo_name smtp_host_lookup
smtp_randomize_addresses syslog_facility syslog_name""".split()

# A sample of Postfix's defaults (Postern keeps them).
POSTFIX_DEFAULTS = {
    "smtp_connect_timeout": "30s",
    "smtp_helo_timeout": "300s",
    "smtp_rset_timeout": "20s",
    "smtp_data_done_timeout": "600s",
    "smtp_mx_address_limit": "5",
    "smtp_mx_session_limit": "2",
    "smtp_skip_5xx_greeting": "yes",
    "smtp_quote_rfc821_envelope": "yes",
    "smtp_sasl_security_options": "noplaintext, noanonymous",
    "smtp_destination_concurrency_limit": "$default_destination_concurrency_limit",
    "default_destination_concurrency_limit": "20",
    "default_destination_recipient_limit": "50",
    "notify_classes": "resource, software",
    "max_idle": "100s",
    "max_use": "100",
    "ipc_timeout": "3600s",
    "daemon_timeout": "18000s",
    "maximal_queue_lifetime": "5d",
    "bounce_queue_lifetime": "5d",
    "minimal_backoff_time": "300s",
    "maximal_backoff_time": "4000s",
    "queue_run_delay": "300s",
    "message_size_limit": "10240000",
    "smtpd_banner": "$myhostname ESMTP $mail_name",
    "myorigin": "$myhostname",
    "mydestination": "$myhostname, localhost.$mydomain, localhost",
    "smtpd_relay_restrictions": "permit_mynetworks, permit_sasl_authenticated, defer_unauth_destination",
    "syslog_name": "postern",
    "mail_owner": "postern",
    "setgid_group": "postdrop",
    "queue_directory": "/var/spool/postern",
    "smtpd_forbid_bare_newline": "normalize",
    "smtpd_forbid_bare_newline_exclusions": "",
    "dns_resolver_address": "",
}


def run(*args, env=None, check=None):
    e = dict(os.environ)
    e.pop("MAIL_CONFIG", None)
    if env:
        e.update(env)
    p = subprocess.run([POSTERN] + list(args), capture_output=True, text=True, env=e,
                       timeout=30)
    if check is not None:
        assert p.returncode == check, (p.returncode, p.stdout, p.stderr)
    return p


def parse(out):
    """name = value lines -> dict."""
    result = {}
    for line in out.splitlines():
        name, sep, value = line.partition(" = ")
        assert sep, line
        result[name] = value
    return result


def owner_settings():
    if os.geteuid() == 0:
        return "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
    return pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name


@pytest.fixture
def conf(tmp_path):
    d = tmp_path / "etc"
    d.mkdir()
    user, group = owner_settings()
    (d / "main.cf").write_text(
        "# a comment that must survive edits\n"
        "queue_directory = %s\n"
        "mail_owner = %s\n"
        "setgid_group = %s\n"
        "daemon_directory = %s\n"
        "myhostname = mx.example.com\n"
        "mydestination = $myhostname,\n"
        "    localhost.$mydomain\n"
        "  # indented comment inside the entry\n"
        "\tlocalhost\n"
        "mydomain = example.com\n" % (tmp_path / "queue", user, group, BIN))
    with open(os.path.join(os.path.dirname(os.path.dirname(__file__)), "conf", "master.cf")) as f:
        (d / "master.cf").write_text(f.read())
    return d


def test_defaults_list_required_parameters(conf):
    p = run("config", "-d", check=0)
    values = parse(p.stdout)
    missing = [n for n in REQUIRED if n not in values]
    assert not missing
    for name, value in POSTFIX_DEFAULTS.items():
        assert values[name] == value, name
    names = [line.split(" = ")[0] for line in p.stdout.splitlines()]
    assert names == sorted(names)
    assert "." in values["myhostname"]


def test_show_set_expand_select(conf):
    p = run("-c", str(conf), "config", "-n", check=0)
    values = parse(p.stdout)
    assert set(values) == {"queue_directory", "mail_owner", "setgid_group", "daemon_directory",
                           "myhostname", "mydestination", "mydomain"}
    assert values["mydestination"] == "$myhostname, localhost.$mydomain localhost"
    p = run("-c", str(conf), "config", "-x", "mydestination", "myorigin", check=0)
    assert p.stdout == ("mydestination = mx.example.com, localhost.example.com localhost\n"
                        "myorigin = mx.example.com\n")
    p = run("-c", str(conf), "config", "-h", "myorigin", check=0)
    assert p.stdout == "$myhostname\n"
    p = run("-c", str(conf), "config", "-h", "-x", "config_directory", check=0)
    assert p.stdout == "%s\n" % os.path.realpath(conf)
    # MAIL_CONFIG works as -c does; the subcommand takes -c too.
    p = run("config", "-hx", "myorigin", env={"MAIL_CONFIG": str(conf)}, check=0)
    assert p.stdout == "mx.example.com\n"
    p = run("config", "-c", str(conf), "-h", "mydomain", check=0)
    assert p.stdout == "example.com\n"
    # A name nobody knows is an error, the others are still printed.
    p = run("-c", str(conf), "config", "myorigin", "no_such_parameter", check=1)
    assert p.stdout == "myorigin = $myhostname\n"
    assert "no_such_parameter: unknown parameter" in p.stderr


def test_edit_keeps_comments_and_is_atomic(conf):
    main_cf = conf / "main.cf"
    os.chmod(main_cf, 0o640)
    run("-c", str(conf), "config", "-e", "mydestination=a.example, b.example",
        "relayhost = [127.0.0.1]:2525", "myhostname=host2.example.com", check=0)
    text = main_cf.read_text()
    assert text.startswith("# a comment that must survive edits\n")
    assert "mydestination = a.example, b.example\nmydomain = example.com\n" in text
    assert "indented comment" not in text          # was part of the replaced entry
    assert text.endswith("relayhost = [127.0.0.1]:2525\n")
    assert text.count("myhostname") == 1
    assert stat.S_IMODE(os.stat(main_cf).st_mode) == 0o640
    assert sorted(os.listdir(conf)) == ["main.cf", "master.cf"]   # no temporary file left
    p = run("-c", str(conf), "config", "-hx", "mydestination", "relayhost", check=0)
    assert p.stdout == "a.example, b.example\n[127.0.0.1]:2525\n"
    # Invalid values are refused and change nothing.
    before = main_cf.read_text()
    p = run("-c", str(conf), "config", "-e", "max_use=many", "smtpd_timeout=10y", check=1)
    assert "max_use" in p.stderr and "smtpd_timeout" in p.stderr
    assert main_cf.read_text() == before
    # -X removes, -# comments out.
    run("-c", str(conf), "config", "-X", "relayhost", check=0)
    run("-c", str(conf), "config", "-#", "mydomain", check=0)
    text = main_cf.read_text()
    assert "relayhost" not in text
    assert "\n#mydomain = example.com\n" in text


def test_unknown_parameter_warns_once_with_line(conf):
    with open(conf / "main.cf", "a") as f:
        f.write("bogus_parameter = 1\nrelay_destination_concurrency_limit = 2\n"
                "my_list = a b\nmynetworks = $my_list\n")
    p = run("-c", str(conf), "config", "-n", check=0)
    lines = [l for l in p.stderr.splitlines() if "unknown parameter" in l]
    assert len(lines) == 1
    assert "main.cf, line 12: unknown parameter bogus_parameter" in lines[0]
    assert parse(p.stdout)["bogus_parameter"] == "1"


def test_check_reports_invalid_values_with_file_and_line(conf):
    with open(conf / "main.cf", "a") as f:
        f.write("maximal_queue_lifetime = 5y\nmax_use = 0\nsmtpd_delay_reject = maybe\n"
                "myorigin = $loop_a\nloop_a = $loop_b\nloop_b = $loop_a\n")
    p = run("-c", str(conf), "check", check=1)
    err = p.stderr
    assert "main.cf, line 12: parameter maximal_queue_lifetime: bad time unit 'y'" in err
    assert "main.cf, line 13: parameter max_use" in err
    assert "main.cf, line 14: parameter smtpd_delay_reject: bad boolean" in err
    assert "main.cf, line 15: parameter myorigin: parameter expansion loop" in err


def test_master_cf_listing_and_errors(conf):
    with open(conf / "master.cf", "a") as f:
        f.write("127.0.0.1:2525 inet n - n - 10 smtpd\n"
                "  -o smtpd_banner=test\n  -o { smtpd_client_restrictions = permit_mynetworks, reject }\n")
    p = run("-c", str(conf), "config", "-M", "127.0.0.1:2525", "qmgr/unix", check=0)
    assert p.stdout.splitlines() == [
        "127.0.0.1:2525 inet  n       -       n       -       10      smtpd -o smtpd_banner=test"
        " -o { smtpd_client_restrictions = permit_mynetworks, reject }",
        "qmgr       unix  n       -       n       300     1       qmgr",
    ]
    p = run("-c", str(conf), "config", "-M", check=0)
    assert len(p.stdout.splitlines()) == 12
    with open(conf / "master.cf", "a") as f:
        f.write("qmgr unix n - n 300 1 qmgr\n")
    p = run("-c", str(conf), "config", "-M", check=1)
    assert "duplicate unix service \"qmgr\"" in p.stderr
    p = run("-c", str(conf), "check", check=1)
    last = len(open(conf / "master.cf").read().splitlines())   # the line just added
    assert "master.cf, line %d: duplicate" % last in p.stderr


def test_check_creates_and_repairs_queue(conf, tmp_path):
    queue = tmp_path / "queue"
    p = run("-c", str(conf), "check", check=0)
    assert "queue directory" in p.stderr
    modes = {d: stat.S_IMODE(os.stat(queue / d).st_mode) for d in os.listdir(queue)}
    assert modes["maildrop"] == 0o1730 and modes["public"] == 0o710
    for d in ("incoming", "active", "deferred", "hold", "corrupt", "tmp", "bounce",
              "defer", "trace", "private", "pid"):
        assert modes[d] == 0o700, d
    user, group = owner_settings()
    st = os.stat(queue / "maildrop")
    assert st.st_uid == pwd.getpwnam(user).pw_uid and st.st_gid == grp.getgrnam(group).gr_gid
    # A wrong mode is reported (and only reported with -n), then fixed.
    os.chmod(queue / "incoming", 0o755)
    p = run("-c", str(conf), "check", "-n", check=1)
    assert "incoming: mode 0755" in p.stderr
    assert stat.S_IMODE(os.stat(queue / "incoming").st_mode) == 0o755
    run("-c", str(conf), "check", check=0)
    assert stat.S_IMODE(os.stat(queue / "incoming").st_mode) == 0o700
    p = run("-c", str(conf), "check", check=0)
    assert p.stderr.count("queue directory") == 0


def test_command_abbreviation(conf):
    p = run("-c", str(conf), "conf", "-h", "mydomain", check=0)
    assert p.stdout == "example.com\n"
    p = run("-c", str(conf), "zzz", check=1)
    assert "unknown command" in p.stderr
    p = run("help", check=0)
    assert "config" in p.stdout and "check" in p.stdout
