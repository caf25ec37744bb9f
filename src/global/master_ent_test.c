/*
 * master_ent_test - unit tests for master.cf parsing (master_ent).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "mail_conf.h"
#include "master_ent.h"
#include "mymalloc.h"
#include "ptest.h"
#include "vstring.h"

static char dir[] = "/tmp/master_ent_test.XXXXXX";
static char path[300];

static MASTER_TABLE *
load(const char *text, VSTRING *why)
{
	FILE	*fp = fopen(path, "w");

	if (fp == NULL)
		abort();
	fputs(text, fp);
	fclose(fp);
	return master_ent_load(path, why);
}

static MASTER_ENT *
parse(const char *line, VSTRING *why)
{
	return master_ent_parse(line, "master.cf", 7, why);
}

PTEST(default_file)
{
	VSTRING	*why = vstring_alloc(64);
	MASTER_TABLE *t = load(
	    "# service type  private unpriv  chroot  wakeup  maxproc command\n"
	    "smtp      inet  n       -       n       -       -       smtpd\n"
	    "pickup    unix  n       -       n       60      1       pickup\n"
	    "qmgr      unix  n       -       n       300     1       qmgr\n"
	    "\n"
	    "relay     unix  -       -       n       -       -       smtp\n"
	    "  # a comment inside the entry\n"
	    "        -o smtp_helo_timeout=5s\n"
	    "\t-o { smtp_helo_name = relay host }\n"
	    "smtp      unix  -       -       n       -       -       smtp\n",
	    why);
	const MASTER_ENT *e;

	PT_ASSERT(t != NULL);
	PT_INTEQ(t->count, 5);
	e = master_ent_find(t, "smtp", MASTER_ENT_INET);
	PT_ASSERT(e != NULL);
	PT_INTEQ(e->private, 0);
	PT_INTEQ(e->unpriv, 1);
	PT_STREQ(e->inet_port, "25");
	PT_ASSERT(e->inet_host == NULL);
	PT_INTEQ(e->maxproc, 100);
	PT_INTEQ(e->maxproc_default, 1);
	PT_INTEQ(e->line, 2);
	e = master_ent_find(t, "smtp", MASTER_ENT_UNIX);
	PT_ASSERT(e != NULL && e->line == 10 && e->private == 1);
	e = master_ent_find(t, "qmgr", MASTER_ENT_UNIX);
	PT_INTEQ(e->wakeup, 300);
	PT_INTEQ(e->maxproc, 1);
	e = master_ent_find(t, "relay", MASTER_ENT_UNIX);
	PT_INTEQ(e->line, 6);
	PT_STREQ(e->command, "smtp");
	PT_INTEQ(e->overrides->argc, 2);
	PT_STREQ(e->overrides->argv[0], "smtp_helo_timeout=5s");
	PT_STREQ(e->overrides->argv[1], "smtp_helo_name=relay host");
	PT_INTEQ(e->args->argc, 0);
	master_ent_table_free(t);
	vstring_free(why);
}

PTEST(columns)
{
	static const struct {
		const char *line, *host, *port;
	} inet[] = {
		{ "[::1]:24 inet n - n - 4 lmtp", "::1", "24" },
		{ "*:submission inet n - n - - smtpd", NULL, "587" },
		{ ":2525 inet n - n - - smtpd", NULL, "2525" },
		{ "mx.example:smtp inet n - n - - smtpd", "mx.example", "25" },
	};
	VSTRING	*why = vstring_alloc(64);
	MASTER_ENT *e;
	size_t	 i;
	char	*s;

	e = parse("127.0.0.2:2525 inet n - y 0 0 smtpd -v -ofoo_x=1 -o smtpd_banner=hi "
	    "{ arg with spaces } tail", why);
	PT_ASSERT(e != NULL);
	PT_STREQ(e->inet_host, "127.0.0.2");
	PT_STREQ(e->inet_port, "2525");
	PT_INTEQ(e->chroot, 1);
	PT_INTEQ(e->maxproc, 0);
	PT_INTEQ(e->maxproc_default, 0);
	PT_INTEQ(e->args->argc, 3);
	PT_STREQ(e->args->argv[0], "-v");
	PT_STREQ(e->args->argv[1], "arg with spaces");
	PT_STREQ(e->overrides->argv[0], "foo_x=1");
	s = master_ent_format(e);
	PT_STREQ(s, "127.0.0.2:2525 inet  n       -       y       0       0       "
	    "smtpd -o foo_x=1 -o smtpd_banner=hi -v { arg with spaces } tail");
	myfree(s);
	master_ent_free(e);

	/* Issue 13 #8: pipe arguments are printed as written. */
	e = parse("procmail unix - n n - - pipe flags=R user=nobody "
	    "argv=/usr/bin/procmail -d ${recipient} -a $extension", why);
	PT_ASSERT(e != NULL);
	s = master_ent_format(e);
	PT_STREQ(s, "procmail   unix  -       n       n       -       -       "
	    "pipe flags=R user=nobody argv=/usr/bin/procmail -d ${recipient} -a $extension");
	myfree(s);
	master_ent_free(e);

	for (i = 0; i < sizeof(inet) / sizeof(inet[0]); i++) {
		e = parse(inet[i].line, why);
		PT_ASSERT(e != NULL);
		if (inet[i].host == NULL)
			PT_ASSERT(e->inet_host == NULL);
		else
			PT_STREQ(e->inet_host, inet[i].host);
		PT_STREQ(e->inet_port, inet[i].port);
		master_ent_free(e);
	}
	PT_ASSERT(parse("[::1] inet n - n - - smtpd", why) == NULL);
	PT_ASSERT(parse("[::1]x:25 inet n - n - - smtpd", why) == NULL);
	PT_ASSERT(parse("host: inet n - n - - smtpd", why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "bad inet service") != NULL);
	e = parse("flush unix n - n 1000? 0 flush", why);
	PT_ASSERT(e != NULL);
	PT_INTEQ(e->wakeup, 1000);
	PT_INTEQ(e->wakeup_if_used, 1);
	PT_STREQ(e->columns[5], "1000?");
	master_ent_free(e);
	vstring_free(why);
}

static void
expect_bad(const char *line, const char *text)
{
	VSTRING	*why = vstring_alloc(64);
	MASTER_ENT *e = parse(line, why);

	if (e != NULL || strstr(vstring_str(why), text) == NULL ||
	    strncmp(vstring_str(why), "master.cf, line 7: ", 19) != 0) {
		printf("line \"%s\": got \"%s\", want \"%s\"\n", line,
		    e ? "(accepted)" : vstring_str(why), text);
		pt_cur_failed = 1;
	}
	master_ent_free(e);
	vstring_free(why);
}

PTEST(errors)
{
	expect_bad("smtp inet n - n - -", "need 8 columns");
	expect_bad("smtp tcp n - n - - smtpd", "bad service type");
	expect_bad("smtp inet y - n - - smtpd", "cannot be private");
	expect_bad("smtp inet n x n - - smtpd", "bad unpriv column");
	expect_bad("smtp inet n - n soon - smtpd", "bad wakeup column");
	expect_bad("smtp inet n - n - -3 smtpd", "bad maxproc column");
	expect_bad("70000 inet n - n - - smtpd", "bad port");
	expect_bad("host:nosuchservice inet n - n - - smtpd", "bad port");
	expect_bad("[::1]25 inet n - n - - smtpd", "bad inet service");
	expect_bad("../evil unix n - n - - smtpd", "bad unix service name");
	expect_bad("a/b unix n - n - - smtpd", "bad unix service name");
	expect_bad("x unix n - n - - /bin/sh", "bad command");
	expect_bad("x unix n - n - - smtp -o", "-o without a value");
	expect_bad("x unix n - n - - smtp -o novalue", "missing '='");
	expect_bad("x unix n - n - - smtp -o { bad name = 1 }", "bad parameter name");
	expect_bad("x unix n - n - - smtp { unterminated", "missing '}'");
}

PTEST(file_errors)
{
	VSTRING	*why = vstring_alloc(64);

	PT_ASSERT(load("a unix n - n - - x\n\nb unix n - n - - y\na unix n - n - - z\n",
	    why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "line 4: duplicate unix service \"a\" "
	    "(first at line 1)") != NULL);
	PT_ASSERT(load("  leading unix n - n - - x\n", why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "line 1: text starts with white space") != NULL);
	PT_ASSERT(load("a unix n - n - - x\nb bogus\n", why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "line 2:") != NULL);
	PT_ASSERT(master_ent_load("/nonexistent/master.cf", why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "open /nonexistent/master.cf") != NULL);
	vstring_free(why);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/master.cf", dir);
	mail_conf_read_flags(dir, MAIL_CONF_OPTIONAL);
	PT_RUN(default_file);
	PT_RUN(columns);
	PT_RUN(errors);
	PT_RUN(file_errors);
	unlink(path);
	rmdir(dir);
	return PT_DONE();
}
