/*
 * NAME
 *	maildrop_file - write one file into maildrop/
 * SYNOPSIS
 *	#include <maildrop.h>
 *
 *	MAILDROP_FILE	*maildrop_file_open(VSTRING *why);
 *	VSTREAM	*maildrop_file_stream(MAILDROP_FILE *drop);
 *	int	maildrop_file_commit(MAILDROP_FILE *drop, VSTRING *why);
 *	void	maildrop_file_abort(MAILDROP_FILE *drop);
 * DESCRIPTION
 *	maildrop_file_open() creates $queue_directory/maildrop/.<random>
 *	(O_EXCL, mode 0644 so that pickup, running as mail_owner, can read
 *	it; the directory itself is closed to others) with only the
 *	privileges of the caller plus the setgid group. It is the way every
 *	unprivileged submission enters the mail system: sendmail(1), and
 *	smtpd(8) in stand-alone mode (sendmail -bs).
 *	maildrop_file_stream() is where the caller writes the maildrop(3)
 *	envelope and the content.
 *
 *	maildrop_file_commit() flushes and fsyncs the file, renames it to
 *	its name without the dot (pickup ignores dot files, so it never
 *	sees a partial file), makes the rename durable (fsync of the
 *	directory, or syncfs(2) when the directory cannot be opened, as
 *	maildrop's mode 1730 prevents for the setgid group), and triggers
 *	pickup. Only after it returns 0 may the caller report success
 *	(sendmail exit 0, smtpd 250). It destroys
 *	drop either way; on failure the file is removed.
 *	maildrop_file_abort() removes the file and destroys drop.
 * DIAGNOSTICS
 *	-1 or a null pointer with the reason in why.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail_conf.h"
#include "mail_trigger.h"
#include "maildrop.h"
#include "msg.h"
#include "mymalloc.h"
#include "myrandom.h"
#include "qfile.h"
#include "safe_file.h"

struct MAILDROP_FILE {
	char	*dir;
	char	*tmp_path;
	char	*path;
	VSTREAM	*fp;
};

MAILDROP_FILE *
maildrop_file_open(VSTRING *why)
{
	unsigned char rnd[8];
	VSTRING	*name = vstring_alloc(32);
	MAILDROP_FILE *drop;
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
	fd = open_excl(drop->tmp_path, 0644);
	if (fd < 0 || fchmod(fd, 0644) < 0) {
		vstring_sprintf(why, "cannot create a file in %s/%s: %s", drop->dir,
		    QF_MAILDROP, strerror(errno));
		if (fd >= 0) {
			(void)unlink(drop->tmp_path);
			(void)close(fd);
		}
		drop->fp = NULL;
		maildrop_file_abort(drop);
		return NULL;
	}
	drop->fp = vstream_fdopen(fd, VSTREAM_FLAG_WRITE);
	return drop;
}

VSTREAM *
maildrop_file_stream(MAILDROP_FILE *drop)
{
	return drop->fp;
}

static void
maildrop_file_free(MAILDROP_FILE *drop)
{
	myfree(drop->dir);
	myfree(drop->path);
	myfree(drop->tmp_path);
	myfree(drop);
}

/* maildrop_file_sync_dir - make the rename durable. */
static int
maildrop_file_sync_dir(int file_fd, const char *dir)
{
	if (fsync_dir(dir) == 0)
		return 0;
	if (errno != EACCES)
		return -1;
	return syncfs(file_fd);
}

int
maildrop_file_commit(MAILDROP_FILE *drop, VSTRING *why)
{
	char	 dir[4096];
	int	 fd = vstream_fileno(drop->fp);

	snprintf(dir, sizeof(dir), "%s/%s", drop->dir, QF_MAILDROP);
	if (vstream_fflush(drop->fp) < 0 || vstream_ferror(drop->fp) ||
	    fsync_file(fd) < 0) {
		vstring_sprintf(why, "write %s: %s", drop->tmp_path, strerror(errno));
		goto fail;
	}
	if (rename(drop->tmp_path, drop->path) < 0) {
		vstring_sprintf(why, "rename %s: %s", drop->tmp_path, strerror(errno));
		goto fail;
	}
	if (maildrop_file_sync_dir(fd, dir) < 0) {
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
	maildrop_file_free(drop);
	return 0;
fail:
	maildrop_file_abort(drop);
	return -1;
}

void
maildrop_file_abort(MAILDROP_FILE *drop)
{
	if (drop->fp) {
		(void)unlink(drop->tmp_path);
		(void)vstream_fclose(drop->fp);
	}
	maildrop_file_free(drop);
}
