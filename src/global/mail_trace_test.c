/*
 * NAME
 *	mail_trace_test - unit tests for mail_trace
 * DESCRIPTION
 *	Which programs a pid/trace text traces, and mail_trace_check()
 *	turning msg_verbose on and back off as the file appears, changes
 *	and goes (in a temporary directory as the queue directory).
 */
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail_trace.h"
#include "msg.h"
#include "ptest.h"

PTEST(match)
{
	PT_ASSERT(mail_trace_match("smtpd", "smtp\n"));
	PT_ASSERT(mail_trace_match("smtpd", "bounce\nrules\n"));
	PT_ASSERT(!mail_trace_match("smtpd", "mta\n"));
	PT_ASSERT(mail_trace_match("smtp", "mta\n"));
	PT_ASSERT(mail_trace_match("lmtp", "io"));
	PT_ASSERT(!mail_trace_match("smtp", "smtp\n"));
	PT_ASSERT(mail_trace_match("bounce", "all\n"));
	PT_ASSERT(mail_trace_match("whatever", "all\n"));
	PT_ASSERT(!mail_trace_match("whatever", "smtp\n"));
	PT_ASSERT(!mail_trace_match("local", "expan\nlookups\n"));
	PT_ASSERT(mail_trace_match("local", "expand\n"));
	PT_ASSERT(!mail_trace_match("smtpd", ""));
}

static void
wait_next_second(void)
{
	time_t	 t = time(NULL);

	while (time(NULL) == t)
		usleep(10000);
}

PTEST(check)
{
	char	 dir[] = "/tmp/mail_trace_test.XXXXXX";
	FILE	*fp;

	PT_ASSERT(mkdtemp(dir) != NULL);
	PT_ASSERT(chdir(dir) == 0);
	PT_ASSERT(mkdir("pid", 0755) == 0);
	msg_verbose = 0;
	PT_INTEQ(mail_trace_check("smtpd"), 0);
	PT_INTEQ(msg_verbose, 0);
	fp = fopen("pid/trace", "w");
	PT_ASSERT(fp != NULL);
	fputs("smtp\n", fp);
	fclose(fp);
	wait_next_second();
	PT_INTEQ(mail_trace_check("smtpd"), 1);
	PT_INTEQ(msg_verbose, 1);
	PT_INTEQ(mail_trace_check("smtpd"), 1);	/* same second: cached */
	PT_ASSERT(unlink("pid/trace") == 0);
	wait_next_second();
	PT_INTEQ(mail_trace_check("smtpd"), 0);
	PT_INTEQ(msg_verbose, 0);
	PT_ASSERT(rmdir("pid") == 0);
	PT_ASSERT(chdir("/") == 0);
	PT_ASSERT(rmdir(dir) == 0);
}

int
main(void)
{
	PT_RUN(match);
	PT_RUN(check);
	return PT_DONE();
}
