/*
 * NAME
 *	bounce_compose_test - unit tests for bounce_compose and bounce_log
 * SYNOPSIS
 *	bounce_compose_test
 * DESCRIPTION
 *	The RFC 3464 structure of a non-delivery report (full message and
 *	headers only), a delay warning, Diagnostic-Code extraction, header
 *	length, and reading a log with repeated and malformed records.
 * DIAGNOSTICS
 *	ptest.h output; exit status 1 on failure.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mymalloc.h"
#include "ptest.h"
#include "bounce.h"

static const char orig[] = "From: a@x.test\nSubject: hi\n\nbody line\n\xc3\xa9t\xc3\xa9\n";

static BOUNCE_LOG *
make_log(void)
{
	static BOUNCE_LOG log;
	BOUNCE_RCPT r;

	memset(&log, 0, sizeof(log));
	memset(&r, 0, sizeof(r));
	r.index = 0;
	r.rcpt = "bad@y.test";
	r.orcpt = "rfc822;Bad@Y.test";
	r.status = "5.1.1";
	r.action = "failed";
	r.reason = "host mx.y.test[127.0.0.2] said: 550 5.1.1 no such user "
	    "(in reply to RCPT TO command)";
	r.relay = "mx.y.test[127.0.0.2]:25";
	r.time = 1700000000;
	bounce_log_add(&log, &r);
	return &log;
}

static void
make_info(BOUNCE_INFO *info, int kind, int full, const BOUNCE_LOG *log)
{
	memset(info, 0, sizeof(*info));
	info->kind = kind;
	info->myhostname = "mta.test";
	info->mail_name = "Postern";
	info->queue_id = "0123abcd";
	info->new_id = "89abcdef";
	info->sender = "a@x.test";
	info->to = "a@x.test";
	info->from = "MAILER-DAEMON@mta.test";
	info->arrival = 1700000000;
	info->now = 1700000100;
	info->expires = 1700432000;
	info->envid = "ENV-1";
	info->log = log;
	info->full = full;
}

PTEST(ndr_full)
{
	BOUNCE_LOG *log = make_log();
	BOUNCE_INFO info;
	VSTRING	*out = vstring_alloc(100);
	const char *s;

	make_info(&info, BOUNCE_FAIL, 1, log);
	bounce_compose(out, &info, orig, sizeof(orig) - 1);
	s = vstring_str(out);
	PT_ASSERT(strstr(s, "Subject: Undelivered Mail Returned to Sender\n"));
	PT_ASSERT(strstr(s, "To: a@x.test\n"));
	PT_ASSERT(strstr(s, "Content-Type: multipart/report; "
	    "report-type=delivery-status;\n\tboundary=\"89abcdef.1700000100/mta.test\""));
	PT_ASSERT(strstr(s, "Content-Transfer-Encoding: 8bit\n"));
	PT_ASSERT(strstr(s, "Content-Type: message/delivery-status\n"));
	PT_ASSERT(strstr(s, "\nReporting-MTA: dns; mta.test\n"));
	PT_ASSERT(strstr(s, "\nOriginal-Envelope-Id: ENV-1\n"));
	PT_ASSERT(strstr(s, "\nArrival-Date: "));
	PT_ASSERT(strstr(s, "\n\nFinal-Recipient: rfc822; bad@y.test\n"
	    "Original-Recipient: rfc822; Bad@Y.test\nAction: failed\n"
	    "Status: 5.1.1\nRemote-MTA: dns; mx.y.test\n"
	    "Diagnostic-Code: smtp; 550 5.1.1 no such user\n"
	    "Last-Attempt-Date: "));
	PT_ASSERT(strstr(s, "Content-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: 8bit\n\nFrom: a@x.test\n"));
	PT_ASSERT(strstr(s, "body line\n"));
	PT_ASSERT(strstr(s, "\n--89abcdef.1700000100/mta.test--\n"));
	vstring_free(out);
	bounce_log_free(log);
}

PTEST(ndr_template)
{
	BOUNCE_LOG *log = make_log();
	BOUNCE_TEMPLATE t = {
		.charset = "iso-8859-1", .from = "x",
		.subject = "Returned mail", .pm_subject = "PM copy",
		.text = "ignored: the caller expands it",
	};
	BOUNCE_INFO info;
	VSTRING	*out = vstring_alloc(100);
	const char *s;

	make_info(&info, BOUNCE_FAIL, 0, log);
	info.tmpl = &t;
	info.tmpl_text = "Sorry, host mta.test could not deliver it.";
	info.from_header = "Mail System <mailer-daemon@x.test>";
	bounce_compose(out, &info, orig, sizeof(orig) - 1);
	s = vstring_str(out);
	PT_ASSERT(strstr(s, "From: Mail System <mailer-daemon@x.test>\n"));
	PT_ASSERT(strstr(s, "Subject: Returned mail\n"));
	PT_ASSERT(strstr(s, "Content-Type: text/plain; charset=iso-8859-1\n\n"
	    "Sorry, host mta.test could not deliver it.\n\n"
	    "<bad@y.test>: host mx.y.test[127.0.0.2] said:"));
	PT_ASSERT(strstr(s, "This is the") == NULL);
	/* A postmaster copy: its subject, and the built-in text. */
	info.postmaster = 1;
	info.tmpl_text = NULL;
	bounce_compose(out, &info, orig, sizeof(orig) - 1);
	s = vstring_str(out);
	PT_ASSERT(strstr(s, "Subject: PM copy\n"));
	PT_ASSERT(strstr(s, "charset=utf-8\n\nThis is the Postern mail system"));
	vstring_free(out);
	bounce_log_free(log);
}

PTEST(ndr_headers)
{
	BOUNCE_LOG *log = make_log();
	BOUNCE_INFO info;
	VSTRING	*out = vstring_alloc(100);
	const char *s;

	make_info(&info, BOUNCE_FAIL, 0, log);
	bounce_compose(out, &info, orig, sizeof(orig) - 1);
	s = vstring_str(out);
	PT_ASSERT(strstr(s, "Content-Type: text/rfc822-headers\n\n"
	    "From: a@x.test\nSubject: hi\n\n"));
	PT_ASSERT(strstr(s, "body line") == NULL);
	PT_ASSERT(strstr(s, "Content-Transfer-Encoding: 7bit\n"));
	vstring_free(out);
	bounce_log_free(log);
}

PTEST(delay)
{
	BOUNCE_LOG *log = make_log();
	BOUNCE_INFO info;
	VSTRING	*out = vstring_alloc(100);
	const char *s;

	myfree(log->rcpt[0].action);
	log->rcpt[0].action = mystrdup("delayed");
	make_info(&info, BOUNCE_DELAY, 0, log);
	bounce_compose(out, &info, orig, sizeof(orig) - 1);
	s = vstring_str(out);
	PT_ASSERT(strstr(s, "Subject: Delayed Mail (still being retried)\n"));
	PT_ASSERT(strstr(s, "Action: delayed\n"));
	PT_ASSERT(strstr(s, "Will-Retry-Until: "));
	vstring_free(out);
	bounce_log_free(log);
}

PTEST(orcpt_default)
{
	BOUNCE_LOG *log = make_log();
	BOUNCE_INFO info;
	VSTRING	*out = vstring_alloc(100);

	/* Without DSN ORCPT, Original-Recipient is the address received. */
	myfree(log->rcpt[0].orcpt);
	log->rcpt[0].orcpt = mystrdup("");
	make_info(&info, BOUNCE_FAIL, 0, log);
	bounce_compose(out, &info, orig, sizeof(orig) - 1);
	PT_ASSERT(strstr(vstring_str(out), "\n\nFinal-Recipient: rfc822; "
	    "bad@y.test\nOriginal-Recipient: rfc822; bad@y.test\n"
	    "Action: failed\n"));
	vstring_free(out);
	bounce_log_free(log);
}

PTEST(diagnostic)
{
	VSTRING	*buf = vstring_alloc(10);

	bounce_diagnostic(buf, "host h[1.2.3.4] said: 554 go away "
	    "(in reply to end of DATA command)");
	PT_STREQ(vstring_str(buf), "smtp; 554 go away");
	bounce_diagnostic(buf, "connect to h[1.2.3.4]:25: refused\r\nx");
	PT_STREQ(vstring_str(buf), "X-Postern; connect to h[1.2.3.4]:25: "
	    "refused  x");
	vstring_free(buf);
}

PTEST(header_len)
{
	PT_INTEQ(bounce_header_len("a: b\n\nbody", 10), 6);
	PT_INTEQ(bounce_header_len("a: b\n", 5), 5);
	PT_INTEQ(bounce_header_len("\nbody", 5), 1);
}

PTEST(log_read)
{
	char	 dir[] = "/tmp/bounce_test.XXXXXX";
	char	 path[256];
	BOUNCE_LOG log;
	VSTRING	*why = vstring_alloc(10);
	FILE	*fp;

	PT_ASSERT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/bounce", dir);
	PT_ASSERT(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/bounce/0123abcd", dir);
	PT_ASSERT((fp = fopen(path, "w")) != NULL);
	fputs("rcpt_index=0\nrcpt=a@b\nstatus=4.0.0\nreason=first\n\n"
	    "rcpt_index=1\nrcpt=c@d\nstatus=bogus\n\n"
	    "rcpt_index=0\nrcpt=a@b\nstatus=5.0.0\nreason=sec%0Aond\n\n"
	    "rcpt_index=2\nrcpt=e@f\nstat", fp);
	fclose(fp);
	PT_INTEQ(bounce_log_read(dir, "bounce", "0123abcd", &log, why), 0);
	PT_INTEQ(log.count, 1);
	PT_STREQ(log.rcpt[0].status, "5.0.0");
	PT_STREQ(log.rcpt[0].reason, "sec\nond");
	bounce_log_free(&log);
	PT_INTEQ(bounce_log_read(dir, "bounce", "99999999", &log, why), 0);
	PT_INTEQ(log.count, 0);
	PT_INTEQ(bounce_log_remove(dir, "bounce", "0123abcd"), 0);
	PT_INTEQ(bounce_log_remove(dir, "bounce", "0123abcd"), 0);
	snprintf(path, sizeof(path), "%s/bounce", dir);
	rmdir(path);
	rmdir(dir);
	vstring_free(why);
}

int
main(void)
{
	PT_RUN(ndr_full);
	PT_RUN(ndr_template);
	PT_RUN(ndr_headers);
	PT_RUN(delay);
	PT_RUN(orcpt_default);
	PT_RUN(diagnostic);
	PT_RUN(header_len);
	PT_RUN(log_read);
	return PT_DONE();
}
