/* bounce_template_test - unit tests for bounce_template(3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce_template.h"
#include "mail_conf.h"
#include "ptest.h"

static char dir[] = "/tmp/bounce_template_test.XXXXXX";

/* file - write text to dir/name; its path */
#define file(name, text) pt_write(dir, (name), (text))

/* load_err - the reason a file is refused ("" if it loads) */
static const char *
load_err(const char *text)
{
	static VSTRING *why;
	BOUNCE_TEMPLATES *tp;

	if (why == NULL)
		why = vstring_alloc(100);
	vstring_reset(why);
	if ((tp = bounce_template_load(file("t.cf", text), why)) != NULL) {
		bounce_template_free(tp);
		return "";
	}
	return vstring_str(why);
}

PTEST(parse_postfix_format)
{
	VSTRING	*why = vstring_alloc(100);
	BOUNCE_TEMPLATES *tp = bounce_template_load(file("b.cf",
	    "# comment\n\n   \n"
	    "failure_template = <<EOF\n"
	    "charset: us-ascii\n"
	    "FROM: MAILER-DAEMON (Mail Delivery System)\n"
	    "Subject: Undelivered Mail Returned to Sender\n"
	    "Postmaster-Subject: Postmaster Copy: Undelivered Mail\n"
	    "\n"
	    "This is the mail system at host $myhostname.\n"
	    "# not a comment inside\n"
	    "\n"
	    "   indented, \\ literal\n"
	    "EOF\n"
	    "delay_template=<<END_1\r\n"
	    "Only text, no headers: $$5.\r\n"
	    "END_1\r\n"), why);
	const BOUNCE_TEMPLATE *t;

	PT_ASSERT(tp != NULL);
	t = bounce_template_get(tp, BOUNCE_TMPL_FAILURE);
	PT_ASSERT(t != NULL);
	PT_STREQ(t->charset, "us-ascii");
	PT_STREQ(t->from, "MAILER-DAEMON (Mail Delivery System)");
	PT_STREQ(t->subject, "Undelivered Mail Returned to Sender");
	PT_STREQ(t->pm_subject, "Postmaster Copy: Undelivered Mail");
	PT_STREQ(t->text, "This is the mail system at host $myhostname.\n"
	    "# not a comment inside\n\n   indented, \\ literal\n");
	t = bounce_template_get(tp, BOUNCE_TMPL_DELAY);
	PT_ASSERT(t != NULL && t->subject == NULL && t->charset == NULL);
	PT_STREQ(t->text, "Only text, no headers: $$5.\n");
	PT_ASSERT(bounce_template_get(tp, BOUNCE_TMPL_SUCCESS) == NULL);
	PT_ASSERT(bounce_template_get(tp, BOUNCE_TMPL_VERIFY) == NULL);
	bounce_template_free(tp);
	vstring_free(why);
}

PTEST(refused_files)
{
	VSTRING	*why = vstring_alloc(10);

	PT_ASSERT(strstr(load_err("bogus_template = <<EOF\nx\nEOF\n"),
	    "line 1: expected") != NULL);
	PT_ASSERT(strstr(load_err("failure_template = <<EOF\nx\n"),
	    "has no \"EOF\" line") != NULL);
	PT_ASSERT(strstr(load_err("failure_template = <<EOF\nEOF\n"
	    "failure_template = <<EOF\nEOF\n"), "defined twice") != NULL);
	PT_ASSERT(strstr(load_err("failure_template = <<EOF\nX-Other: 1\n\n"
	    "t\nEOF\n"), "unknown template header \"X-Other\"") != NULL);
	PT_ASSERT(strstr(load_err("failure_template = <<EOF\nSubject: \xc3\xa9\n"
	    "\nt\nEOF\n"), "printable ASCII") != NULL);
	PT_ASSERT(strstr(load_err("failure_template = <<EOF\n\n\xc3\xa9\nEOF\n"),
	    "non-ASCII") != NULL);
	PT_STREQ(load_err("failure_template = <<EOF\nCharset: utf-8\n\n"
	    "\xc3\xa9\nEOF\n"), "");
	PT_STREQ(load_err(""), "");
	PT_ASSERT(bounce_template_load("/nonexistent/b.cf", why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "/nonexistent/b.cf") != NULL);
	vstring_free(why);
}

PTEST(expansion)
{
	VSTRING	*out = vstring_alloc(100), *why = vstring_alloc(100);

	file("main.cf", "myhostname = mx.example\ndelay_warning_time = 4h\n"
	    "maximal_queue_lifetime = 5d\nloop = $loop\n");
	mail_conf_read(dir);
	PT_INTEQ(bounce_template_expand(out, "host $myhostname, ${myhostname}"
	    " $(myhostname); $$ $ $unset_name_x.\n", why), 0);
	PT_STREQ(vstring_str(out), "host mx.example, mx.example mx.example; "
	    "$ $ .\n");
	PT_INTEQ(bounce_template_expand(out, "$delay_warning_time_hours h, "
	    "$delay_warning_time_minutes m, $maximal_queue_lifetime_days d, "
	    "${maximal_queue_lifetime_weeks} w, $delay_warning_time", why), 0);
	PT_STREQ(vstring_str(out), "4 h, 240 m, 5 d, 0 w, 4h");
	PT_INTEQ(bounce_template_expand(out, "x $loop", why), -1);
	vstring_free(out);
	vstring_free(why);
}

int
main(void)
{
	int	 rc;

	if (mkdtemp(dir) == NULL)
		abort();
	PT_RUN(parse_postfix_format);
	PT_RUN(refused_files);
	PT_RUN(expansion);
	rc = PT_DONE();
	pt_rmtree(dir);
	return rc;
}
