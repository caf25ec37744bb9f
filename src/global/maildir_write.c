/*
 * NAME
 *	maildir_write - deliver into a Maildir
 * SYNOPSIS
 *	#include <mail_copy.h>
 *
 *	int	maildir_write(const MAIL_COPY_SRC *src, const char *path,
 *		    int flags, long long size_limit, const char *myhostname,
 *		    VSTRING *why, char *dsn);
 * DESCRIPTION
 *	maildir_write(), shared by local(8) and virtual(8), delivers the
 *	message (mail_copy(3), with the header lines flags ask for) into
 *	the Maildir path (a directory name ending in "/"), with the
 *	current privileges: the
 *	directories path, path/tmp, path/new and path/cur are made (mode
 *	0700) when missing; the message (no "From " line, no quoting) is
 *	written to tmp/ under a unique name
 *	"seconds.PpidMmicrosecondsQn.host", fsynced, and renamed into new/,
 *	whose directory is then fsynced. A reader never sees a partial
 *	message. size_limit (when > 0) applies to the message file.
 * DIAGNOSTICS
 *	MAIL_COPY_OK, or MAIL_COPY_SOFT / MAIL_COPY_HARD with dsn and why.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mail_copy.h"
#include "safe_file.h"

/* maildir_write_dirs - path, tmp, new, cur */

static int
maildir_write_dirs(const char *path, VSTRING *why)
{
	static const char *sub[] = { "", "tmp", "new", "cur" };
	VSTRING	*dir = vstring_alloc(100);
	struct stat st;
	size_t	 i;
	int	 ret = 0;

	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		vstring_sprintf(dir, "%s%s", path, sub[i]);
		if (mkdir(vstring_str(dir), 0700) < 0 && errno != EEXIST) {
			vstring_sprintf(why, "cannot create maildir %s: %m", vstring_str(dir));
			ret = -1;
			break;
		}
		if (lstat(vstring_str(dir), &st) < 0 || !S_ISDIR(st.st_mode)) {
			vstring_sprintf(why, "%s: not a directory", vstring_str(dir));
			ret = -1;
			break;
		}
	}
	vstring_free(dir);
	return ret;
}

/* maildir_write_name - a unique file name */

static void
maildir_write_name(VSTRING *name, const char *myhostname)
{
	static unsigned count;
	struct timeval tv;
	const char *cp;

	gettimeofday(&tv, NULL);
	vstring_sprintf(name, "%ld.P%ldM%06ldQ%u.", (long)tv.tv_sec,
	    (long)getpid(), (long)tv.tv_usec, ++count);
	for (cp = myhostname; *cp; cp++) {
		if (*cp == '/')
			vstring_strcat(name, "\\057");
		else if (*cp == ':')
			vstring_strcat(name, "\\072");
		else
			vstring_addch(name, *cp);
	}
}

int
maildir_write(const MAIL_COPY_SRC *src, const char *path, int flags,
    long long size_limit, const char *myhostname, VSTRING *why, char *dsn)
{
	VSTRING	*name = vstring_alloc(100), *tmp = vstring_alloc(100);
	VSTRING	*new = vstring_alloc(100), *newdir = vstring_alloc(100);
	int	 fd = -1, rc = MAIL_COPY_SOFT;

	snprintf(dsn, 16, "4.2.0");
	if (maildir_write_dirs(path, why) < 0)
		goto out;
	maildir_write_name(name, myhostname);
	vstring_sprintf(tmp, "%stmp/%s", path, vstring_str(name));
	vstring_sprintf(new, "%snew/%s", path, vstring_str(name));
	vstring_sprintf(newdir, "%snew", path);
	if ((fd = open_excl(vstring_str(tmp), 0600)) < 0) {
		vstring_sprintf(why, "cannot create %s: %m", vstring_str(tmp));
		goto out;
	}
	if (mail_copy_fd(src, fd, flags, (off_t)size_limit, why) < 0) {
		if (errno == EFBIG) {
			snprintf(dsn, 16, "5.2.2");
			rc = MAIL_COPY_HARD;
		}
		goto unlink;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		vstring_sprintf(why, "cannot write %s: %m", vstring_str(tmp));
		goto unlink;
	}
	fd = -1;
	if (rename_noreplace(vstring_str(tmp), vstring_str(new)) < 0) {
		vstring_sprintf(why, "cannot rename %s: %m", vstring_str(tmp));
		goto unlink;
	}
	(void)fsync_dir(vstring_str(newdir));
	rc = MAIL_COPY_OK;
	goto out;
unlink:
	(void)unlink(vstring_str(tmp));
out:
	if (fd >= 0)
		close(fd);
	vstring_free(name);
	vstring_free(tmp);
	vstring_free(new);
	vstring_free(newdir);
	return rc;
}
