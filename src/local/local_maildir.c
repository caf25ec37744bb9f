/*
 * NAME
 *	local_maildir - deliver into a Maildir
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_maildir(LOCAL_STATE *state, const char *path,
 *		    VSTRING *why, char *dsn);
 * DESCRIPTION
 *	local_maildir() delivers the message into the Maildir path (a
 *	directory name ending in "/"), with the current privileges: the
 *	directories path, path/tmp, path/new and path/cur are made (mode
 *	0700) when missing; the message (Return-Path:, X-Original-To:,
 *	Delivered-To:, content; no "From " line, no quoting) is written
 *	to tmp/ under a unique name "seconds.PpidMmicrosecondsQn.host",
 *	fsynced, and renamed into new/, whose directory is then fsynced.
 *	A reader never sees a partial message. mailbox_size_limit applies
 *	to the message file.
 * DIAGNOSTICS
 *	LOCAL_OK, or LOCAL_SOFT / LOCAL_HARD with dsn and why.
 */
#include <sys/stat.h>
#include <sys/time.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "local.h"
#include "safe_file.h"

/* local_maildir_dirs - path, tmp, new, cur */

static int
local_maildir_dirs(const char *path, VSTRING *why)
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

/* local_maildir_name - a unique file name */

static void
local_maildir_name(VSTRING *name)
{
	static unsigned count;
	struct timeval tv;
	const char *cp;

	gettimeofday(&tv, NULL);
	vstring_sprintf(name, "%ld.P%ldM%06ldQ%u.", (long)tv.tv_sec,
	    (long)getpid(), (long)tv.tv_usec, ++count);
	for (cp = local_cf.myhostname; *cp; cp++) {
		if (*cp == '/')
			vstring_strcat(name, "\\057");
		else if (*cp == ':')
			vstring_strcat(name, "\\072");
		else
			vstring_addch(name, *cp);
	}
}

int
local_maildir(LOCAL_STATE *state, const char *path, VSTRING *why, char *dsn)
{
	VSTRING	*name = vstring_alloc(100), *tmp = vstring_alloc(100);
	VSTRING	*new = vstring_alloc(100), *newdir = vstring_alloc(100);
	int	 fd = -1, rc = LOCAL_SOFT, flags;

	snprintf(dsn, 16, "4.2.0");
	flags = LOCAL_COPY_RETURN | LOCAL_COPY_ORIG | LOCAL_COPY_DELIVERED;
	if (local_maildir_dirs(path, why) < 0)
		goto out;
	local_maildir_name(name);
	vstring_sprintf(tmp, "%stmp/%s", path, vstring_str(name));
	vstring_sprintf(new, "%snew/%s", path, vstring_str(name));
	vstring_sprintf(newdir, "%snew", path);
	if ((fd = open_excl(vstring_str(tmp), 0600)) < 0) {
		vstring_sprintf(why, "cannot create %s: %m", vstring_str(tmp));
		goto out;
	}
	if (local_copy_fd(state, fd, flags, (off_t)local_cf.size_limit, why) < 0) {
		if (errno == EFBIG) {
			snprintf(dsn, 16, "5.2.2");
			rc = LOCAL_HARD;
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
	rc = LOCAL_OK;
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
