/*
 * bounce_log_test - unit tests for bounce_log.c
 */
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounce_log.h"
#include "ptest.h"
#include "bounce_clnt.h"

PTEST(append)
{
	char	 dir[] = "/tmp/bounce_log_test.XXXXXX", path[256], buf[4096];
	QF_RCPT	 rp;
	VSTRING	*why = vstring_alloc(10);
	struct stat st;

	memset(&rp, 0, sizeof(rp));
	rp.address = "a@example.com";
	rp.orcpt = "rfc822;b@example.com";
	rp.notify = QF_NOTIFY_FAILURE;
	PT_ASSERT(mkdtemp(dir) != NULL);
	/* No log directory: an error with a reason. */
	PT_INTEQ(bounce_log_append(dir, QB_LOG_BOUNCE, "0123abcd", &rp, 2,
	    "5.1.1", "failed", "no such user", NULL, 1700000000, why), -1);
	PT_ASSERT(strstr(vstring_str(why), "cannot open") != NULL);
	snprintf(path, sizeof(path), "%s/%s", dir, QB_LOG_BOUNCE);
	PT_INTEQ(mkdir(path, 0700), 0);
	PT_INTEQ(bounce_log_append(dir, QB_LOG_BOUNCE, "0123abcd", &rp, 2,
	    "5.1.1", "failed", "no such user", NULL, 1700000000, why), 0);
	PT_INTEQ(bounce_log_append(dir, QB_LOG_BOUNCE, "0123abcd", &rp, 3,
	    "5.0.0", "failed", "other", "mx[1.2.3.4]:25", 1700000001, NULL), 0);
	snprintf(path, sizeof(path), "%s/%s/0123abcd", dir, QB_LOG_BOUNCE);
	PT_INTEQ(stat(path, &st), 0);
	PT_INTEQ(st.st_mode & 0777, 0600);
	PT_ASSERT(pt_slurp(path, buf, sizeof(buf)) != NULL);
	PT_ASSERT(strstr(buf, "rcpt_index=2\n") != NULL);
	PT_ASSERT(strstr(buf, "rcpt_index=3\n") != NULL);
	PT_ASSERT(strstr(buf, "relay=none\n") != NULL);
	PT_ASSERT(strstr(buf, "time=1700000001\n") != NULL);
	vstring_free(why);
	pt_rmtree(dir);
}

int
main(void)
{
	PT_RUN(append);
	return PT_DONE();
}
