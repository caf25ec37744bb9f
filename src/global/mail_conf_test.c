/*
 * mail_conf_test - unit tests for main.cf parsing, expansion and typed
 * access (mail_conf, mail_conf_expand, mail_conf_type, mail_params).
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "mail_conf.h"
#include "mymalloc.h"
#include "ptest.h"
#include "vstring.h"

static char dir[] = "/tmp/mail_conf_test.XXXXXX";
static char errfile[300];

static void
write_main_cf(const char *text)
{
	char	path[300];
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/main.cf", dir);
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
}

/* load - write main.cf and read it, stderr to errfile. */
static void
load(const char *text)
{
	int	fd, saved = dup(2);

	write_main_cf(text);
	fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 2);
	close(fd);
	mail_conf_read(dir);
	dup2(saved, 2);
	close(saved);
}

/* errtext - what the code under test wrote to stderr (errfile). */
static const char *
errtext(void)
{
	static char buf[8192];

	(void)pt_slurp(errfile, buf, sizeof(buf));
	return buf;
}

/* in_child - run fn in a child with stderr captured; exit status. */
static int
in_child(void (*fn)(void))
{
	pid_t	pid;
	int	status, fd;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		fd = open(errfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

PTEST(syntax)
{
	load("# comment\n"
	    "myorigin = example.com\n"
	    "\n"
	    "mydestination = a.example,\n"
	    "    b.example\n"
	    "  # indented comment inside a continuation\n"
	    "\tc.example\n"
	    "smtpd_banner = $myhostname # not a comment\n"
	    "myorigin=last.example\r\n"
	    "relayhost =\n");
	PT_STREQ(conf_str("myorigin"), "last.example");
	PT_STREQ(conf_raw("mydestination", NULL), "a.example, b.example c.example");
	PT_STREQ(conf_raw("smtpd_banner", NULL), "$myhostname # not a comment");
	PT_STREQ(conf_str("relayhost"), "");
	PT_STREQ(errtext(), "");
}

PTEST(expansion)
{
	VSTRING	*out = vstring_alloc(16), *why = vstring_alloc(16);

	load("myhostname = mx.example.org\n"
	    "mydomain = example.org\n"
	    "a = A\n"
	    "empty =\n"
	    "x = [$a|${a}|$(a)|${a?yes}|${a:no}|${empty?yes}|${empty:no}]\n"
	    "y = ${a?{T}:{F}} ${empty?{T}:{F}} $$a $undefined. $ end$\n");
	PT_ASSERT(conf_expand_to(out, "$x", why) == 0);
	PT_STREQ(vstring_str(out), "[A|A|A|yes|||no]");
	PT_ASSERT(conf_expand_to(out, "$y", why) == 0);
	PT_STREQ(vstring_str(out), "T F $a . $ end$");
	PT_STREQ(conf_str("myorigin"), "mx.example.org");
	PT_STREQ(conf_str("mydestination"),
	    "mx.example.org, localhost.example.org, localhost");
	PT_ASSERT(conf_expand_to(out, "${a", why) < 0);
	PT_STREQ(conf_str("forward_path"),
	    "$home/.forward${recipient_delimiter}${extension}, $home/.forward");
	vstring_free(out);
	vstring_free(why);
}

PTEST(expansion_loop)
{
	VSTRING	*out = vstring_alloc(16), *why = vstring_alloc(16);

	load("a = x$b\nb = y${c}\nc = $a\nself = $self\n");
	PT_ASSERT(conf_expand_to(out, "$a", why) < 0);
	PT_STREQ(vstring_str(why), "parameter expansion loop: $a -> $b -> $c -> $a");
	PT_ASSERT(conf_expand_param(out, "self", why) < 0);
	PT_ASSERT(strstr(vstring_str(why), "loop") != NULL);
	vstring_free(out);
	vstring_free(why);
}

static void
loop_child(void)
{
	(void)conf_str("myorigin");
}

PTEST(expansion_loop_fatal)
{
	load("myorigin = $mydomain\nmydomain = ${myorigin}.x\n");
	PT_INTEQ(in_child(loop_child), 1);
	PT_ASSERT(strstr(errtext(), "fatal:") != NULL);
	PT_ASSERT(strstr(errtext(), "line 1") != NULL);
	PT_ASSERT(strstr(errtext(), "$myorigin -> $mydomain -> $myorigin") != NULL);
}

PTEST(expansion_depth)
{
	VSTRING	*text = vstring_alloc(4096), *out = vstring_alloc(16);
	VSTRING	*why = vstring_alloc(16);
	int	i;

	for (i = 0; i < 150; i++)
		vstring_sprintf_append(text, "p%d = $p%d\n", i, i + 1);
	vstring_sprintf_append(text, "p150 = bottom\n");
	load(vstring_str(text));
	PT_ASSERT(conf_expand_to(out, "$p60", why) == 0);
	PT_STREQ(vstring_str(out), "bottom");
	PT_ASSERT(conf_expand_to(out, "$p0", why) < 0);
	PT_ASSERT(strstr(vstring_str(why), "deeper") != NULL);
	vstring_free(text);
	vstring_free(out);
	vstring_free(why);
}

PTEST(time_units)
{
	VSTRING	*why = vstring_alloc(16);
	long long n;

	PT_ASSERT(conf_parse_time("300s", 's', &n, why) == 0 && n == 300);
	PT_ASSERT(conf_parse_time("5d", 's', &n, why) == 0 && n == 432000);
	PT_ASSERT(conf_parse_time("2w", 's', &n, why) == 0 && n == 1209600);
	PT_ASSERT(conf_parse_time("1h30m", 's', &n, why) == 0 && n == 5400);
	PT_ASSERT(conf_parse_time("3", 'd', &n, why) == 0 && n == 259200);
	PT_ASSERT(conf_parse_time("10y", 's', &n, why) < 0);
	PT_ASSERT(strstr(vstring_str(why), "bad time unit") != NULL);
	PT_ASSERT(conf_parse_time("", 's', &n, why) < 0);
	PT_ASSERT(conf_parse_time("-5s", 's', &n, why) < 0);
	PT_ASSERT(conf_parse_time("s", 's', &n, why) < 0);
	PT_ASSERT(conf_parse_time("99999999999999999999s", 's', &n, why) < 0);
	load("maximal_queue_lifetime = 2\ndelay_warning_time = 4\nsmtpd_timeout = 1m\n");
	PT_INTEQ(conf_time("maximal_queue_lifetime"), 2 * 86400);
	PT_INTEQ(conf_time("delay_warning_time"), 4 * 3600);
	PT_INTEQ(conf_time("smtpd_timeout"), 60);
	PT_INTEQ(conf_time("minimal_backoff_time"), 300);
	vstring_free(why);
}

static void
bad_time_child(void)
{
	(void)conf_time("maximal_queue_lifetime");
}

PTEST(bad_unit_fatal)
{
	load("# x\nmaximal_queue_lifetime = 5y\n");
	PT_INTEQ(in_child(bad_time_child), 1);
	PT_ASSERT(strstr(errtext(), "main.cf, line 2") != NULL);
	PT_ASSERT(strstr(errtext(), "maximal_queue_lifetime") != NULL);
}

static void
bad_int_child(void)
{
	(void)conf_int("max_use");
}

PTEST(typed_values)
{
	ARGV	*list;

	load("max_use = 7\nmessage_size_limit = 1000\nsmtpd_delay_reject = No\n"
	    "disable_vrfy_command = true\n"
	    "smtpd_recipient_restrictions = permit_mynetworks,\n"
	    "  check_recipient_access inline:{ a=OK, b=REJECT },reject\n");
	PT_INTEQ(conf_int("max_use"), 7);
	PT_INTEQ(conf_size("message_size_limit"), 1000);
	PT_INTEQ(conf_bool("smtpd_delay_reject"), 0);
	PT_INTEQ(conf_bool("disable_vrfy_command"), 1);
	PT_INTEQ(conf_int("default_process_limit"), 100);
	list = conf_list("smtpd_recipient_restrictions");
	PT_INTEQ(list->argc, 4);
	PT_STREQ(list->argv[2], "inline:{ a=OK, b=REJECT }");
	PT_STREQ(list->argv[3], "reject");
	argv_free(list);
	load("max_use = 0\n");
	PT_INTEQ(in_child(bad_int_child), 1);
	PT_ASSERT(strstr(errtext(), "max_use") != NULL);
	load("max_use = 12abc\n");
	PT_INTEQ(in_child(bad_int_child), 1);
	PT_ASSERT(strstr(errtext(), "line 1") != NULL);
}

PTEST(unknown_warning)
{
	const char *err;

	load("bogus_parameter = 1\n"
	    "relay_destination_concurrency_limit = 3\n"
	    "my_own_list = a b\n"
	    "mydestination = $my_own_list\n");
	err = errtext();
	PT_ASSERT(strstr(err, "line 1: unknown parameter bogus_parameter") != NULL);
	PT_ASSERT(strstr(err, "relay_destination") == NULL);
	PT_ASSERT(strstr(err, "my_own_list") == NULL);
	PT_ASSERT(strchr(err, '\n') == strrchr(err, '\n'));
	PT_STREQ(conf_lookup("relay_destination_concurrency_limit"), "3");
	PT_ASSERT(conf_lookup("smtp-x_destination_concurrency_limit") == NULL);
	PT_STREQ(conf_str("mydestination"), "a b");
}

PTEST(overrides)
{
	const char *old, *dirp;

	load("mydomain = example.com\nmyhostname = host.$mydomain\n");
	PT_STREQ(conf_str("myorigin"), "host.example.com");
	old = conf_str("myorigin");
	mail_conf_override("mydomain", "example.net");
	PT_STREQ(conf_str("myorigin"), "host.example.net");
	PT_STREQ(old, "host.example.com");	/* still valid */
	PT_ASSERT(mail_conf_override_arg("smtpd_banner = hi $mydomain") == 0);
	PT_STREQ(conf_str("smtpd_banner"), "hi example.net");
	PT_ASSERT(mail_conf_override_arg("no equals sign") < 0);
	PT_ASSERT(mail_conf_override_arg("bad name=1") < 0);
	dirp = mail_conf_dir();
	mail_conf_read(dirp);		/* the master re-reads like this */
	PT_STREQ(conf_str("mydomain"), "example.com");
	PT_STREQ(dirp, dir);
	PT_STREQ(old, "host.example.com");
}

static void
missing_child(void)
{
	mail_conf_read("/nonexistent/postern-test");
}

PTEST(config_dir)
{
	load("myorigin = env.example\n");
	setenv("MAIL_CONFIG", dir, 1);
	mail_conf_read(NULL);
	PT_STREQ(conf_str("myorigin"), "env.example");
	PT_STREQ(mail_conf_dir(), dir);
	PT_STREQ(conf_str("config_directory"), dir);
	unsetenv("MAIL_CONFIG");
	PT_INTEQ(in_child(missing_child), 1);
	PT_ASSERT(strstr(errtext(), "/nonexistent/postern-test/main.cf") != NULL);
	mail_conf_read_flags("/nonexistent/postern-test", MAIL_CONF_OPTIONAL);
	PT_STREQ(conf_str("myorigin"), conf_str("myhostname"));
}

static void
syntax_child(void)
{
	mail_conf_read(dir);
}

PTEST(syntax_errors)
{
	write_main_cf("myorigin = x\nthis line has no equals sign\n");
	PT_INTEQ(in_child(syntax_child), 1);
	PT_ASSERT(strstr(errtext(), "line 2: missing '='") != NULL);
	write_main_cf("bad/name = x\n");
	PT_INTEQ(in_child(syntax_child), 1);
	PT_ASSERT(strstr(errtext(), "line 1: bad parameter name") != NULL);
}

PTEST(validate)
{
	VSTRING	*errs = vstring_alloc(64);
	int	n;

	load("max_use = -1\nsmtpd_timeout = 10q\nmyorigin = ok\n"
	    "relay_destination_concurrency_limit = x\nalias_maps = /etc/aliases\n");
	mail_conf_override("smtp-x_destination_rate_delay", "1y");
	n = mail_conf_validate(errs);
	PT_INTEQ(n, 6);		/* local_recipient_maps = ... $alias_maps too */
	PT_ASSERT(strstr(vstring_str(errs), "line 1: parameter max_use") != NULL);
	PT_ASSERT(strstr(vstring_str(errs), "line 2: parameter smtpd_timeout") != NULL);
	PT_ASSERT(strstr(vstring_str(errs), "line 4: parameter relay_destination_concurrency_limit") != NULL);
	PT_ASSERT(strstr(vstring_str(errs), "line 5: parameter alias_maps: bad table") != NULL);
	PT_ASSERT(strstr(vstring_str(errs), "-o smtp-x_destination_rate_delay") != NULL);
	load("mynetworks_style = subnet\nnotify_classes = bounce, Delay\n"
	    "inet_protocols = ipv4 ipv6\nsmtp_tls_security_level =\n");
	PT_INTEQ(mail_conf_validate(errs), 0);
	load("mynetworks_style = hosts\nnotify_classes = bounce, sometimes\n"
	    "inet_protocols =\nsmtpd_forbid_bare_newline = maybe\n");
	vstring_reset(errs);
	PT_INTEQ(mail_conf_validate(errs), 4);
	PT_ASSERT(strstr(vstring_str(errs), "bad value \"hosts\" (use one of: host subnet class)") != NULL);
	PT_ASSERT(strstr(vstring_str(errs), "line 2: parameter notify_classes: bad value \"sometimes\"") != NULL);
	PT_ASSERT(strstr(vstring_str(errs), "parameter inet_protocols: empty value") != NULL);
	vstring_free(errs);
}

PTEST(table_sane)
{
	const CONF_PARAM *p;
	VSTRING	*why = vstring_alloc(16);
	int	bad = 0;

	mail_conf_read_flags("/nonexistent/postern-test", MAIL_CONF_OPTIONAL);
	for (p = conf_param_table; p->name; p++) {
		PT_ASSERT(conf_param_find(p->name) == p);
		if (conf_check_value(p, conf_str(p->name), why) < 0) {
			printf("default of %s: %s\n", p->name, vstring_str(why));
			bad++;
		}
	}
	PT_INTEQ(bad, 0);
	PT_ASSERT(strchr(conf_str("myhostname"), '.') != NULL);
	PT_ASSERT(strstr(conf_str("mynetworks"), "127.0.0.0/8") != NULL);
	vstring_free(why);
}

/* write_file - dir/name with text; the path in a static buffer. */
#define write_file(name, text) pt_write(dir, (name), (text))

static void
fatal_missing_file(void)
{
	(void)conf_str("myorigin");
}

/* Issue 13 #2: "/file/name" values, read as Postfix reads them. */
PTEST(file_values)
{
	char	buf[2048];
	ARGV	*a;

	write_file("mailname", "# Debian's /etc/mailname\n\nmail.example.org\n");
	write_file("dests", "d1.example, d2.example # comment, /x\n!!d3.example\n");
	write_file("nets", "10.0.0.0/8\n");
	write_file("nested", "192.0.2.0/24 ");
	snprintf(buf, sizeof(buf),
	    "myorigin = %s/mailname\n"
	    "mydestination = localhost, %s/dests\n"
	    "mynetworks = 127.0.0.0/8 %s/nets !%s/nested\n"
	    "alternate_config_directories = /not/a/file\n", dir, dir, dir, dir);
	load(buf);
	PT_STREQ(conf_str("myorigin"), "mail.example.org");
	a = conf_list("mydestination");
	PT_INTEQ(a->argc, 4);
	PT_STREQ(a->argv[1], "d1.example");
	PT_STREQ(a->argv[2], "d2.example");
	PT_STREQ(a->argv[3], "d3.example");	/* "!!" cancels out */
	argv_free(a);
	a = conf_list("mynetworks");
	PT_INTEQ(a->argc, 3);
	PT_STREQ(a->argv[1], "10.0.0.0/8");
	PT_STREQ(a->argv[2], "!192.0.2.0/24");
	argv_free(a);
	/* A parameter whose Postfix form takes no file keeps the text. */
	a = conf_list("alternate_config_directories");
	PT_STREQ(a->argv[0], "/not/a/file");
	argv_free(a);
	snprintf(buf, sizeof(buf), "myorigin = %s/nonexistent\n", dir);
	load(buf);
	PT_ASSERT(in_child(fatal_missing_file) != 0);
	PT_ASSERT(strstr(errtext(), "parameter myorigin: open ") != NULL);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(errfile, sizeof(errfile), "%s/stderr", dir);
	PT_RUN(syntax);
	PT_RUN(expansion);
	PT_RUN(expansion_loop);
	PT_RUN(expansion_loop_fatal);
	PT_RUN(expansion_depth);
	PT_RUN(time_units);
	PT_RUN(bad_unit_fatal);
	PT_RUN(typed_values);
	PT_RUN(unknown_warning);
	PT_RUN(overrides);
	PT_RUN(config_dir);
	PT_RUN(syntax_errors);
	PT_RUN(validate);
	PT_RUN(table_sane);
	PT_RUN(file_values);
	unlink(errfile);
	snprintf(errfile, sizeof(errfile), "%s/main.cf", dir);
	unlink(errfile);
	rmdir(dir);
	return PT_DONE();
}
