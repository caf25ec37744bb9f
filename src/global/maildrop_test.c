/*
 * maildrop_test - unit tests for maildrop.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "maildrop.h"
#include "msg.h"
#include "mymalloc.h"
#include "ptest.h"
#include "qfile.h"

static char path[] = "/tmp/mdtest.XXXXXX";

/* reread - parse the file; return 0/-1, reason in why, content in rest. */
static int
reread(MAILDROP_ENV *env, VSTRING *why, VSTRING *rest)
{
	int	 fd = open(path, O_RDONLY);
	VSTREAM	*fp = vstream_fdopen(fd, VSTREAM_FLAG_READ);
	char	 buf[100];
	ssize_t	 n;
	int	 ret = maildrop_env_read(fp, env, why);

	vstring_reset(rest);
	while (ret == 0 && (n = vstream_read(fp, buf, sizeof(buf))) > 0)
		vstring_memcat(rest, buf, (size_t)n);
	vstream_fclose(fp);
	return ret;
}

static void
put_file(const char *text)
{
	int	 fd = open(path, O_WRONLY | O_TRUNC);

	if (write(fd, text, strlen(text)) < 0)
		perror(path);
	close(fd);
}

PTEST(round_trip)
{
	MAILDROP_ENV *env = maildrop_env_alloc(), *got = maildrop_env_alloc();
	VSTRING	*why = vstring_alloc(10), *rest = vstring_alloc(10);
	VSTREAM	*fp;
	int	 fd = mkstemp(path);

	PT_ASSERT(fd >= 0);
	env->sender = mystrdup("");
	env->fullname = mystrdup("Joe \"J\" Bloggs");
	env->envid = mystrdup("ENV1");
	env->ret = QF_RET_HDRS;
	env->notify = QF_NOTIFY_SUCCESS | QF_NOTIFY_DELAY;
	argv_add(env->rcpt, "a@example.com");
	argv_add(env->rcpt, "\"b c\"@example.com");
	fp = vstream_fdopen(fd, VSTREAM_FLAG_WRITE);
	PT_INTEQ(maildrop_env_write(fp, env), 0);
	vstream_fputs(fp, "Subject: x\n\nbody\n");
	PT_INTEQ(vstream_fclose(fp), 0);
	PT_INTEQ(reread(got, why, rest), 0);
	PT_STREQ(got->sender, "");
	PT_STREQ(got->fullname, "Joe \"J\" Bloggs");
	PT_STREQ(got->envid, "ENV1");
	PT_INTEQ(got->ret, QF_RET_HDRS);
	PT_INTEQ(got->notify, QF_NOTIFY_SUCCESS | QF_NOTIFY_DELAY);
	PT_INTEQ(got->rcpt->argc, 2);
	PT_STREQ(got->rcpt->argv[1], "\"b c\"@example.com");
	PT_STREQ(vstring_str(rest), "Subject: x\n\nbody\n");
	maildrop_env_free(env);
	maildrop_env_free(got);
	env = maildrop_env_alloc();
	argv_add(env->rcpt, "evil\nrcpt x@y");
	fp = vstream_fdopen(open(path, O_WRONLY | O_TRUNC), VSTREAM_FLAG_WRITE);
	PT_INTEQ(maildrop_env_write(fp, env), -1);
	vstream_fclose(fp);
	maildrop_env_free(env);
	vstring_free(why);
	vstring_free(rest);
}

PTEST(hostile)
{
	static const char *bad[] = {
		"",
		"POSTERN-MAILDROP 2\ncontent\n",
		"POSTERN-MAILDROP 1\n",
		"POSTERN-MAILDROP 1\nrcpt a@b\n",
		"POSTERN-MAILDROP 1\nbogus x\ncontent\n",
		"POSTERN-MAILDROP 1\nsender a\nsender b\ncontent\n",
		"POSTERN-MAILDROP 1\nnotify 99\ncontent\n",
		"POSTERN-MAILDROP 1\nnotify 1x\ncontent\n",
		"POSTERN-MAILDROP 1\nret some\ncontent\n",
		"POSTERN-MAILDROP 1\nrcpt a\001b\ncontent\n",
		"POSTERN-MAILDROP 1\nnospace\ncontent\n",
		NULL,
	};
	VSTRING	*why = vstring_alloc(10), *rest = vstring_alloc(10), *big = vstring_alloc(10);
	MAILDROP_ENV *env;
	int	 i;

	for (i = 0; bad[i]; i++) {
		put_file(bad[i]);
		env = maildrop_env_alloc();
		if (reread(env, why, rest) == 0)
			PT_FAILED("accepted: %s", bad[i]);
		maildrop_env_free(env);
	}
	vstring_strcpy(big, "POSTERN-MAILDROP 1\nrcpt ");
	for (i = 0; i < 5000; i++)
		vstring_addch(big, 'a');
	vstring_strcat(big, "\ncontent\n");
	put_file(vstring_str(big));
	env = maildrop_env_alloc();
	PT_INTEQ(reread(env, why, rest), -1);
	maildrop_env_free(env);
	put_file("POSTERN-MAILDROP 1\ncontent\n");
	env = maildrop_env_alloc();
	PT_INTEQ(reread(env, why, rest), 0);
	PT_ASSERT(env->sender == NULL);
	PT_INTEQ(env->rcpt->argc, 0);
	maildrop_env_free(env);
	vstring_free(why);
	vstring_free(rest);
	vstring_free(big);
}

int
main(void)
{
	msg_init("postern", "maildrop_test");
	PT_RUN(round_trip);
	PT_RUN(hostile);
	unlink(path);
	return PT_DONE();
}
