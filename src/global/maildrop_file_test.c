/*
 * maildrop_file_test - unit tests for maildrop_file.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail_conf.h"
#include "maildrop.h"
#include "msg.h"
#include "mymalloc.h"
#include "ptest.h"

static char qdir[100];
static char ddir[200];

/* The names in maildrop/, space-separated, sorted by the directory. */
static int
drop_names(VSTRING *out)
{
	DIR	*d = opendir(ddir);
	struct dirent *e;
	int	 n = 0;

	vstring_reset(out);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		vstring_sprintf_append(out, "%s%s", n++ ? " " : "", e->d_name);
	}
	closedir(d);
	return n;
}

static void
remove_all(void)
{
	VSTRING	*names = vstring_alloc(100), *path = vstring_alloc(100);
	ARGV	*list;

	drop_names(names);
	list = argv_split(vstring_str(names), " ");
	for (size_t i = 0; i < list->argc; i++) {
		vstring_sprintf(path, "%s/%s", ddir, list->argv[i]);
		unlink(vstring_str(path));
	}
	argv_free(list);
	vstring_free(names);
	vstring_free(path);
}

PTEST(commit_makes_a_complete_file)
{
	VSTRING	*why = vstring_alloc(10), *names = vstring_alloc(10);
	VSTRING	*path = vstring_alloc(10);
	MAILDROP_ENV *env = maildrop_env_alloc(), *got = maildrop_env_alloc();
	MAILDROP_FILE *drop = maildrop_file_open(why);
	VSTREAM	*fp;
	char	 buf[64];
	ssize_t	 n;
	int	 fd;

	PT_ASSERT(drop != NULL);
	env->sender = mystrdup("s@example.org");
	argv_add(env->rcpt, "r@example.com");
	PT_INTEQ(maildrop_env_write(maildrop_file_stream(drop), env), 0);
	vstream_fputs(maildrop_file_stream(drop), "Subject: x\n\nbody\n");
	/* Before the commit pickup sees only a dot file. */
	PT_INTEQ(drop_names(names), 1);
	PT_ASSERT(vstring_str(names)[0] == '.');
	PT_INTEQ(maildrop_file_commit(drop, why), 0);
	PT_INTEQ(drop_names(names), 1);
	PT_ASSERT(vstring_str(names)[0] != '.');
	PT_INTEQ(strlen(vstring_str(names)), 16);
	vstring_sprintf(path, "%s/%s", ddir, vstring_str(names));
	fd = open(vstring_str(path), O_RDONLY);
	PT_ASSERT(fd >= 0);
	fp = vstream_fdopen(fd, VSTREAM_FLAG_READ);
	PT_INTEQ(maildrop_env_read(fp, got, why), 0);
	PT_STREQ(got->sender, "s@example.org");
	PT_INTEQ(got->rcpt->argc, 1);
	n = vstream_read(fp, buf, sizeof(buf) - 1);
	PT_ASSERT(n > 0);
	buf[n] = 0;
	PT_STREQ(buf, "Subject: x\n\nbody\n");
	vstream_fclose(fp);
	remove_all();
	maildrop_env_free(env);
	maildrop_env_free(got);
	vstring_free(why);
	vstring_free(names);
	vstring_free(path);
}

PTEST(abort_leaves_nothing)
{
	VSTRING	*why = vstring_alloc(10), *names = vstring_alloc(10);
	MAILDROP_FILE *drop = maildrop_file_open(why);

	PT_ASSERT(drop != NULL);
	vstream_fputs(maildrop_file_stream(drop), "partial");
	maildrop_file_abort(drop);
	PT_INTEQ(drop_names(names), 0);
	vstring_free(why);
	vstring_free(names);
}

PTEST(open_failure_says_why)
{
	VSTRING	*why = vstring_alloc(10);

	PT_INTEQ(rmdir(ddir), 0);
	PT_ASSERT(maildrop_file_open(why) == NULL);
	PT_ASSERT(strstr(vstring_str(why), "cannot create a file in") != NULL);
	PT_INTEQ(mkdir(ddir, 0755), 0);
	vstring_free(why);
}

int
main(void)
{
	int	 rc;

	msg_init("postern", "maildrop_file_test");
	snprintf(qdir, sizeof(qdir), "/tmp/maildrop_file_test.XXXXXX");
	if (mkdtemp(qdir) == NULL)
		return 1;
	snprintf(ddir, sizeof(ddir), "%s/maildrop", qdir);
	if (mkdir(ddir, 0755) < 0)
		return 1;
	mail_conf_override("queue_directory", qdir);
	PT_RUN(commit_makes_a_complete_file);
	PT_RUN(abort_leaves_nothing);
	PT_RUN(open_failure_says_why);
	rc = PT_DONE();
	remove_all();
	rmdir(ddir);
	if (rmdir(qdir) < 0)
		perror(qdir);
	return rc;
}
