/*
 * anvil_test - shared client counts and rates across processes, and
 * recovery from a process killed while it held a client.
 */
#include <sys/wait.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "anvil.h"
#include "mymalloc.h"
#include "ptest.h"

static char path[] = "/tmp/anvil_test.XXXXXX";

/* A child that takes a client and waits to be killed; 0 on success. */
static pid_t
holder(const char *addr, int pipefd)
{
	pid_t	 pid;
	int	 count, rate;

	if ((pid = fork()) != 0)
		return pid;
	if (anvil_attach(path, "smtp", 60) < 0 ||
	    anvil_connect(addr, 0, &count, &rate) < 0)
		_exit(1);
	if (write(pipefd, "x", 1) != 1)
		_exit(1);
	pause();
	_exit(0);
}

static ANVIL_INFO *
find(ANVIL_INFO *list, int n, const char *key)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i].key, key) == 0)
			return list + i;
	return NULL;
}

PTEST(counts_rates_and_kills)
{
	int	 pfd[2], count, rate, n, status;
	pid_t	 kids[3];
	char	 ch;
	ANVIL_INFO *list, *info;
	VSTRING	*why = vstring_alloc(100);

	PT_ASSERT(pipe(pfd) == 0);
	for (int i = 0; i < 3; i++) {
		kids[i] = holder("192.0.2.1", pfd[1]);
		PT_ASSERT(kids[i] > 0);
		PT_ASSERT(read(pfd[0], &ch, 1) == 1);
	}
	PT_INTEQ(anvil_attach(path, "smtp", 60), 0);
	PT_INTEQ(anvil_connect("192.0.2.1", 10, &count, &rate), 0);
	PT_INTEQ(count, 4);
	PT_INTEQ(rate, 4);
	PT_INTEQ(anvil_event(ANVIL_MAIL), 1);
	PT_INTEQ(anvil_event(ANVIL_MAIL), 2);
	PT_INTEQ(anvil_event(ANVIL_RCPT), 1);

	n = anvil_snapshot(path, &list, why);
	PT_INTEQ(n, 1);
	info = find(list, n, "smtp:192.0.2.1");
	PT_ASSERT(info != NULL);
	PT_INTEQ(info->count, 4);
	PT_INTEQ(info->rate[ANVIL_MAIL], 2);
	myfree(list);

	/* Two holders killed: below the limit the count is taken as is... */
	kill(kids[0], SIGKILL);
	kill(kids[1], SIGKILL);
	PT_ASSERT(waitpid(kids[0], &status, 0) == kids[0]);
	PT_ASSERT(waitpid(kids[1], &status, 0) == kids[1]);
	anvil_disconnect();
	PT_INTEQ(anvil_connect("192.0.2.1", 0, &count, &rate), 0);
	PT_INTEQ(count, 4);
	/* ...and over it the dead are found and no longer count. */
	anvil_disconnect();
	PT_INTEQ(anvil_connect("192.0.2.1", 2, &count, &rate), 0);
	PT_INTEQ(count, 2);
	PT_INTEQ(rate, 6);

	/* Another client is counted apart. */
	anvil_disconnect();
	PT_INTEQ(anvil_connect("192.0.2.2", 1, &count, &rate), 0);
	PT_INTEQ(count, 1);
	PT_INTEQ(rate, 1);
	n = anvil_snapshot(path, &list, why);
	PT_INTEQ(n, 2);
	PT_INTEQ(find(list, n, "smtp:192.0.2.1")->count, 1);
	PT_INTEQ(find(list, n, "smtp:192.0.2.2")->count, 1);
	myfree(list);
	kill(kids[2], SIGKILL);
	PT_ASSERT(waitpid(kids[2], &status, 0) == kids[2]);
	vstring_free(why);
}

PTEST(many_processes_agree)
{
	pid_t	 pid;
	int	 i, status, count, rate;

	for (i = 0; i < 4; i++) {
		if ((pid = fork()) == 0) {
			if (anvil_attach(path, "smtp", 60) < 0)
				_exit(1);
			for (int k = 0; k < 500; k++) {
				if (anvil_connect("198.51.100.7", 0, &count,
				    &rate) < 0)
					_exit(1);
				anvil_disconnect();
			}
			_exit(0);
		}
		PT_ASSERT(pid > 0);
	}
	for (i = 0; i < 4; i++) {
		PT_ASSERT(wait(&status) > 0);
		PT_INTEQ(status, 0);
	}
	PT_INTEQ(anvil_connect("198.51.100.7", 0, &count, &rate), 0);
	PT_INTEQ(rate, 2001);
	PT_INTEQ(count, 1);
	anvil_disconnect();
}

int
main(void)
{
	if (pt_tempname(path) < 0)
		return 1;
	PT_RUN(counts_rates_and_kills);
	PT_RUN(many_processes_agree);
	unlink(path);
	return PT_DONE();
}
