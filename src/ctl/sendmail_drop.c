/*
 * NAME
 *	sendmail_drop - write one file into maildrop/
 * SYNOPSIS
 *	#include "sendmail.h"
 *
 *	SM_DROP	*sendmail_drop_open(VSTRING *why);
 *	VSTREAM	*sendmail_drop_stream(SM_DROP *drop);
 *	int	sendmail_drop_commit(SM_DROP *drop, VSTRING *why);
 *	void	sendmail_drop_abort(SM_DROP *drop);
 * DESCRIPTION
 *	sendmail_drop_open() creates $queue_directory/maildrop/.<random>
 *	(O_EXCL, mode 0644 so that pickup, running as mail_owner, can read
 *	it; the directory itself is closed to others) with only the
 *	privileges of the caller plus the setgid group.
 *	sendmail_drop_stream() is where the caller writes the maildrop(3)
 *	envelope and the content.
 *
 *	sendmail_drop_commit() flushes and fsyncs the file, renames it to
 *	its name without the dot (pickup ignores dot files, so it never
 *	sees a partial file), makes the rename durable (fsync of the
 *	directory, or syncfs(2) when the directory cannot be opened, as
 *	maildrop's mode 1730 prevents for the setgid group), and triggers
 *	pickup. Only after it returns 0 may sendmail exit 0. It destroys
 *	drop either way; on failure the file is removed.
 *	sendmail_drop_abort() removes the file and destroys drop.
 * DIAGNOSTICS
 *	-1 or a null pointer with the reason in why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail_conf.h"
#include "mail_trigger.h"
#include "msg.h"
#include "mymalloc.h"
#include "myrandom.h"
#include "qfile.h"
#include "sendmail.h"

struct SM_DROP {
	char	*dir;
	char	*tmp_path;
	char	*path;
	VSTREAM	*fp;
};

SM_DROP *
sendmail_drop_open(VSTRING *why)
{
	unsigned char rnd[8];
	VSTRING	*name = vstring_alloc(32);
	SM_DROP	*drop;
	int	 fd, i;

	myrandom_bytes(rnd, sizeof(rnd));
	for (i = 0; i < 8; i++)
		vstring_sprintf_append(name, "%02x", rnd[i]);
	drop = mycalloc(1, sizeof(*drop));
	drop->dir = mystrdup(conf_str("queue_directory"));
	drop->path = mymalloc(strlen(drop->dir) + 64);
	drop->tmp_path = mymalloc(strlen(drop->dir) + 64);
	sprintf(drop->path, "%s/%s/%s", drop->dir, QF_MAILDROP, vstring_str(name));
	sprintf(drop->tmp_path, "%s/%s/.%s", drop->dir, QF_MAILDROP, vstring_str(name));
	vstring_free(name);
	fd = open(drop->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || fchmod(fd, 0644) < 0) {
		vstring_sprintf(why, "cannot create a file in %s/%s: %s", drop->dir,
		    QF_MAILDROP, strerror(errno));
		if (fd >= 0) {
			(void)unlink(drop->tmp_path);
			(void)close(fd);
		}
		drop->fp = NULL;
		sendmail_drop_abort(drop);
		return NULL;
	}
	drop->fp = vstream_fdopen(fd, VSTREAM_FLAG_WRITE);
	return drop;
}

VSTREAM *
sendmail_drop_stream(SM_DROP *drop)
{
	return drop->fp;
}

static void
sendmail_drop_free(SM_DROP *drop)
{
	myfree(drop->dir);
	myfree(drop->path);
	myfree(drop->tmp_path);
	myfree(drop);
}

/* sendmail_drop_sync_dir - make the rename durable. */
static int
sendmail_drop_sync_dir(int file_fd, const char *dir)
{
	int	 fd, ret;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		ret = fsync(fd);
		(void)close(fd);
		return ret;
	}
	if (errno != EACCES)
		return -1;
	return syncfs(file_fd);
}

int
sendmail_drop_commit(SM_DROP *drop, VSTRING *why)
{
	char	 dir[4096];
	int	 fd = vstream_fileno(drop->fp);

	snprintf(dir, sizeof(dir), "%s/%s", drop->dir, QF_MAILDROP);
	if (vstream_fflush(drop->fp) < 0 || vstream_ferror(drop->fp) || fsync(fd) < 0) {
		vstring_sprintf(why, "write %s: %s", drop->tmp_path, strerror(errno));
		goto fail;
	}
	if (rename(drop->tmp_path, drop->path) < 0) {
		vstring_sprintf(why, "rename %s: %s", drop->tmp_path, strerror(errno));
		goto fail;
	}
	if (sendmail_drop_sync_dir(fd, dir) < 0) {
		vstring_sprintf(why, "sync %s: %s", dir, strerror(errno));
		(void)unlink(drop->path);
		goto fail;
	}
	if (vstream_fclose(drop->fp) < 0) {
		drop->fp = NULL;
		vstring_sprintf(why, "close %s: %s", drop->path, strerror(errno));
		(void)unlink(drop->path);
		goto fail;
	}
	drop->fp = NULL;
	(void)mail_trigger(conf_str("pickup_service_name"));
	sendmail_drop_free(drop);
	return 0;
fail:
	sendmail_drop_abort(drop);
	return -1;
}

void
sendmail_drop_abort(SM_DROP *drop)
{
	if (drop->fp) {
		(void)unlink(drop->tmp_path);
		(void)vstream_fclose(drop->fp);
	}
	sendmail_drop_free(drop);
}
