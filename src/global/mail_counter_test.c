/*
 * mail_counter_test - shared counters across processes.
 */
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include "mail_counter.h"
#include "ptest.h"

static char path[] = "/tmp/mail_counter_test.XXXXXX";

PTEST(counts_across_processes)
{
	long long v[MAIL_COUNTER_COUNT];
	pid_t	 pid;
	int	 i, status;

	PT_INTEQ(mail_counter_read(path, v, 2), 0);	/* absent: zeros */
	PT_INTEQ(v[0], 0);
	for (i = 0; i < 4; i++) {
		if ((pid = fork()) == 0) {
			int	 k;

			if (mail_counter_attach(path) < 0)
				_exit(1);
			for (k = 0; k < 1000; k++)
				mail_counter_add(MAIL_COUNTER_SMTPD_CONN, 1);
			mail_counter_add(MAIL_COUNTER_SMTPD_DISC, 2);
			_exit(0);
		}
		PT_ASSERT(pid > 0);
	}
	for (i = 0; i < 4; i++) {
		PT_ASSERT(wait(&status) > 0);
		PT_INTEQ(status, 0);
	}
	PT_INTEQ(mail_counter_read(path, v, MAIL_COUNTER_COUNT), 0);
	PT_INTEQ(v[MAIL_COUNTER_SMTPD_CONN], 4000);
	PT_INTEQ(v[MAIL_COUNTER_SMTPD_DISC], 8);
	PT_INTEQ(mail_counter_reset(path), 0);
	PT_INTEQ(mail_counter_read(path, v, 2), 0);
	PT_INTEQ(v[0], 0);
}

int
main(void)
{
	if (pt_tempname(path) < 0)
		return 1;
	PT_RUN(counts_across_processes);
	unlink(path);
	return PT_DONE();
}
