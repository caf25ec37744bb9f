/*
 * safe_file_test - unit tests for safe_file, in a private temporary
 * directory.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iostuff.h"
#include "ptest.h"
#include "safe_file.h"

static char tmpdir[64];

static const char *
tpath(VSTRING *buf, const char *name)
{
	vstring_sprintf(buf, "%s/%s", tmpdir, name);
	return vstring_str(buf);
}

PTEST(excl_and_rename)
{
	VSTRING	*a = vstring_alloc(64), *b = vstring_alloc(64);
	VSTRING	*content = vstring_alloc(16);
	int	 fd;

	fd = open_excl(tpath(a, "one"), 0600);
	PT_ASSERT(fd >= 0);
	PT_ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	PT_INTEQ(write_all(fd, "first", 5), 5);
	PT_INTEQ(fsync_file(fd), 0);
	close(fd);
	PT_INTEQ(open_excl(vstring_str(a), 0600), -1);
	PT_INTEQ(errno, EEXIST);
	/* Never through a symlink, not even a dangling one. */
	PT_INTEQ(symlink("/nonexistent/target", tpath(b, "link")), 0);
	PT_INTEQ(open_excl(vstring_str(b), 0600), -1);
	PT_INTEQ(errno, EEXIST);
	unlink(vstring_str(b));

	fd = open_excl(tpath(b, "two"), 0600);
	PT_ASSERT(fd >= 0);
	close(fd);
	PT_INTEQ(rename_noreplace(vstring_str(a), vstring_str(b)), -1);
	PT_INTEQ(errno, EEXIST);
	PT_INTEQ(safe_file_read(vstring_str(a), content, 100), 0);
	PT_STREQ(vstring_str(content), "first");
	unlink(vstring_str(b));
	PT_INTEQ(rename_noreplace(vstring_str(a), vstring_str(b)), 0);
	PT_INTEQ(access(vstring_str(a), F_OK), -1);
	PT_INTEQ(safe_file_read(vstring_str(b), content, 100), 0);
	PT_STREQ(vstring_str(content), "first");
	PT_INTEQ(safe_file_read(vstring_str(b), content, 4), -1);
	PT_INTEQ(errno, EFBIG);
	PT_INTEQ(fsync_dir(tmpdir), 0);
	PT_INTEQ(fsync_dir(vstring_str(b)), -1);
	unlink(vstring_str(b));
	vstring_free(a);
	vstring_free(b);
	vstring_free(content);
}

PTEST(directories)
{
	VSTRING	*d = vstring_alloc(64), *f = vstring_alloc(64);
	struct stat st;
	mode_t	 old = umask(077);
	int	 fd;

	PT_INTEQ(mkdir_mode(tpath(d, "dir"), 02755, (uid_t)-1, (gid_t)-1), 0);
	PT_INTEQ(stat(vstring_str(d), &st), 0);
	PT_ASSERT(S_ISDIR(st.st_mode));
	PT_INTEQ(st.st_mode & 07777, 02755);
	PT_INTEQ(chmod(vstring_str(d), 0700), 0);
	PT_INTEQ(mkdir_mode(vstring_str(d), 0730, getuid(), getgid()), 0);
	PT_INTEQ(stat(vstring_str(d), &st), 0);
	PT_INTEQ(st.st_mode & 07777, 0730);
	PT_INTEQ(rmdir(vstring_str(d)), 0);
	fd = open_excl(tpath(f, "file"), 0600);
	close(fd);
	PT_INTEQ(mkdir_mode(vstring_str(f), 0755, (uid_t)-1, (gid_t)-1), -1);
	PT_INTEQ(errno, ENOTDIR);
	unlink(vstring_str(f));
	PT_INTEQ(symlink(tmpdir, tpath(f, "dirlink")), 0);
	PT_INTEQ(mkdir_mode(vstring_str(f), 0755, (uid_t)-1, (gid_t)-1), -1);
	PT_INTEQ(errno, ENOTDIR);
	unlink(vstring_str(f));
	umask(old);
	vstring_free(d);
	vstring_free(f);
}

PTEST(replace)
{
	VSTRING	*p = vstring_alloc(64), *c = vstring_alloc(64);
	struct stat st;

	PT_INTEQ(safe_file_replace(tpath(p, "conf"), "a = 1\n", 6, 0644), 0);
	PT_INTEQ(safe_file_replace(vstring_str(p), "a = 2\n", 6, 0640), 0);
	PT_INTEQ(safe_file_read(vstring_str(p), c, 1000), 0);
	PT_STREQ(vstring_str(c), "a = 2\n");
	PT_INTEQ(stat(vstring_str(p), &st), 0);
	PT_INTEQ(st.st_mode & 0777, 0640);
	PT_INTEQ(safe_file_replace("/nonexistent/dir/file", "x", 1, 0644), -1);
	unlink(vstring_str(p));
	vstring_free(p);
	vstring_free(c);
}

PTEST(map)
{
	VSTRING	*p = vstring_alloc(64);
	struct stat st;
	long long *a, *b;

	a = safe_file_map(tpath(p, "counters"), 4 * sizeof(long long));
	PT_ASSERT(a != NULL);
	PT_INTEQ(stat(vstring_str(p), &st), 0);
	PT_INTEQ(st.st_size, 4 * sizeof(long long));
	PT_INTEQ(st.st_mode & 0777, 0600);
	PT_INTEQ(a[3], 0);
	a[3] = 42;
	/* A second mapping (another process, as a rule) shares the bytes. */
	b = safe_file_map(vstring_str(p), 4 * sizeof(long long));
	PT_ASSERT(b != NULL);
	PT_INTEQ(b[3], 42);
	munmap(b, 4 * sizeof(long long));
	/* Another size: the file is made that size. */
	b = safe_file_map(vstring_str(p), 2 * sizeof(long long));
	PT_ASSERT(b != NULL);
	PT_INTEQ(stat(vstring_str(p), &st), 0);
	PT_INTEQ(st.st_size, 2 * sizeof(long long));
	munmap(b, 2 * sizeof(long long));
	munmap(a, 4 * sizeof(long long));
	unlink(vstring_str(p));
	/* Never through a symbolic link. */
	PT_INTEQ(symlink("/nonexistent", tpath(p, "link")), 0);
	PT_ASSERT(safe_file_map(vstring_str(p), 8) == NULL);
	unlink(vstring_str(p));
	PT_ASSERT(safe_file_map("/nonexistent/dir/file", 8) == NULL);
	vstring_free(p);
}

int
main(void)
{
	int	 rc;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/safe_file_test.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	PT_RUN(excl_and_rename);
	PT_RUN(directories);
	PT_RUN(replace);
	PT_RUN(map);
	rc = PT_DONE();
	if (rmdir(tmpdir) < 0)
		perror(tmpdir);
	return rc;
}
