/*
 * mail_version_test - unit tests for mail_version: the build's version
 * is the table default of mail_version, and -V/--version print it.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mail_conf.h"
#include "mail_version.h"
#include "ptest.h"

PTEST(same_as_parameter)
{
	const CONF_PARAM *p = conf_param_find("mail_version");

	PT_ASSERT(p != NULL);
	PT_STREQ(p->defval, mail_version());
	PT_ASSERT(strcmp(mail_version(), "unknown") != 0);
}

PTEST(version_option)
{
	char	*args[] = {"prog", "--version", NULL}, buf[200], want[200];
	int	 fds[2], status;
	ssize_t	 n;
	pid_t	 pid;

	PT_ASSERT(pipe(fds) == 0);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		dup2(fds[1], 1);
		mail_version_arg(2, args, "prog");
		_exit(3);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	close(fds[0]);
	waitpid(pid, &status, 0);
	PT_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	buf[n > 0 ? n : 0] = 0;
	snprintf(want, sizeof(want), "prog (Postern) %s\n", mail_version());
	PT_STREQ(buf, want);
}

int
main(void)
{
	PT_RUN(same_as_parameter);
	PT_RUN(version_option);
	return PT_DONE();
}
