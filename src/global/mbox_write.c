/*
 * NAME
 *	mbox_write - append to a UNIX mailbox file, locked
 * SYNOPSIS
 *	#include <mail_copy.h>
 *
 *	int	mbox_write(const MAIL_COPY_SRC *src, const char *path,
 *		    int flags, const MBOX_OPTS *opts, VSTRING *why, char *dsn);
 * DESCRIPTION
 *	mbox_write() appends the message (mail_copy(3)) to the mbox file
 *	path, with the current privileges, as Postfix's local(8) and
 *	virtual(8) do; both use this one writer:
 *	    lock    path.lock created exclusively (opts->lock_dotlock; a
 *		    lock older than opts->stale_lock_time is removed) and an
 *		    fcntl() write lock on the file (opts->lock_fcntl), each
 *		    tried opts->lock_attempts times opts->lock_delay apart;
 *	    open    O_APPEND, O_NOFOLLOW, created with mode 0600 when
 *		    missing; it must be a regular file with one link and,
 *		    with opts->owner_check, owned by opts->uid (a file
 *		    created while running as root is given to opts->uid and
 *		    opts->gid);
 *	    mend    a last message without its final newline (a
 *		    delivery killed mid-write) gets "\n\n" first;
 *	    write   what flags (MAIL_COPY_*) ask for: the "From " line,
 *		    Return-Path:, X-Original-To:, Delivered-To:, the
 *		    content with ">From " quoting and an empty line, within
 *		    opts->size_limit for the whole file, then fsync;
 *	    undo    on any write failure the file is truncated back to
 *		    its size before the delivery, so that a mailbox never
 *		    holds a partial message.
 *	Termination signals are held from the lock to the unlock.
 * DIAGNOSTICS
 *	MAIL_COPY_OK, or MAIL_COPY_SOFT / MAIL_COPY_HARD with dsn and why: a lock that
 *	cannot be had and I/O errors are soft; an unsafe file, and a
 *	mailbox over its size limit (5.2.2), are hard.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail_copy.h"
#include "msg.h"
#include "safe_file.h"
#include "vstring.h"

/*
 * mbox_write_tries - lock attempts. Postfix waits deliver_lock_delay
 * between deliver_lock_attempts; we try every 50ms for the same total
 * time, so that concurrent deliveries to one mailbox do not idle.
 */
static long long
mbox_write_tries(const MBOX_OPTS *opts)
{
	long long delay = opts->lock_delay > 0 ? opts->lock_delay : 1;

	return opts->lock_attempts * delay * 20;
}

static void
mbox_write_pause(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* mbox_write_dotlock - create path.lock; 1, 0 (not possible), -1 */

static int
mbox_write_dotlock(const char *lock, const MBOX_OPTS *opts, VSTRING *why)
{
	struct stat st;
	long long i;
	int	 fd;

	for (i = 0; i < mbox_write_tries(opts); i++) {
		if ((fd = open_excl(lock, 0600)) >= 0) {
			close(fd);
			return 1;
		}
		if (errno == EACCES || errno == EROFS) {
			msg_warn("cannot create lock file %s: %m; using fcntl "
			    "locking only", lock);
			return 0;
		}
		if (errno != EEXIST) {
			vstring_sprintf(why, "cannot create lock file %s: %m", lock);
			return -1;
		}
		if (lstat(lock, &st) == 0
		    && time(NULL) - st.st_mtime > opts->stale_lock_time) {
			msg_warn("removing stale lock file %s", lock);
			(void)unlink(lock);
			continue;
		}
		mbox_write_pause();
	}
	vstring_sprintf(why, "cannot lock %s: lock file exists", lock);
	return -1;
}

/* mbox_write_fcntl - an exclusive fcntl() lock */

static int
mbox_write_fcntl(int fd, const char *path, const MBOX_OPTS *opts, VSTRING *why)
{
	struct flock fl;
	long long i;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (i = 0; i < mbox_write_tries(opts); i++) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			break;
		mbox_write_pause();
	}
	vstring_sprintf(why, "cannot lock %s: %m", path);
	return -1;
}

/* mbox_write_open - open or create the mailbox, and check it */

static int
mbox_write_open(const char *path, const MBOX_OPTS *opts, VSTRING *why,
    char *dsn)
{
	struct stat st;
	int	 fd, created = 0;

	/* Read access lets mbox_write_mend() look at the last byte. */
	if ((fd = open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK
	    | O_CLOEXEC)) < 0 && errno == EACCES)
		fd = open(path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_NONBLOCK
		    | O_CLOEXEC);
	if (fd < 0
	    && errno == ENOENT) {
		fd = open_excl(path, 0600);
		created = fd >= 0;
	}
	if (fd < 0) {
		vstring_sprintf(why, "cannot open %s: %m", path);
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		snprintf(dsn, 16, "5.2.0");
		vstring_sprintf(why, "%s: not a regular file with one link", path);
		goto fail;
	}
	if (created && geteuid() == 0 && st.st_uid != opts->uid
	    && fchown(fd, opts->uid, opts->gid) < 0) {
		vstring_sprintf(why, "cannot change the owner of %s: %m", path);
		goto fail;
	}
	if (!created && opts->owner_check && st.st_uid != opts->uid) {
		snprintf(dsn, 16, "5.2.0");
		vstring_sprintf(why, "%s: mailbox is not owned by the recipient", path);
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/*
 * mbox_write_mend - a delivery killed mid-write (SIGKILL, a crash) can
 * leave a message without its final newline; end that line and add the
 * separating empty line, so that the next "From " line starts a line.
 * The truncation on failure (st_size) takes this back as well.
 */
static int
mbox_write_mend(int fd, const struct stat *st)
{
	char	 last;

	if (st->st_size == 0)
		return 0;
	if (pread(fd, &last, 1, st->st_size - 1) != 1) {
		if (errno == EBADF)		/* opened write-only */
			return 0;
		return -1;
	}
	if (last == '\n')
		return 0;
	return write(fd, "\n\n", 2) == 2 ? 0 : -1;
}

/* mbox_write_append - append and sync, or truncate back */

static int
mbox_write_append(const MAIL_COPY_SRC *src, int fd, const char *path,
    int flags, const MBOX_OPTS *opts, VSTRING *why, char *dsn)
{
	struct stat st;
	off_t	 limit = 0;

	if (fstat(fd, &st) < 0) {
		vstring_sprintf(why, "cannot stat %s: %m", path);
		return MAIL_COPY_SOFT;
	}
	if (mbox_write_mend(fd, &st) < 0) {
		vstring_sprintf(why, "cannot update mailbox %s: %m", path);
		return MAIL_COPY_SOFT;
	}
	if (opts->size_limit > 0)
		limit = (off_t)opts->size_limit - st.st_size;
	if (limit <= 0 && opts->size_limit > 0)
		limit = -1;
	if (limit >= 0 && mail_copy_fd(src, fd, flags, limit, why) == 0 &&
	    fsync(fd) == 0)
		return MAIL_COPY_OK;
	if (limit < 0 || errno == EFBIG) {
		snprintf(dsn, 16, "5.2.2");
		vstring_sprintf(why, "cannot update mailbox %s: mailbox is full "
		    "(size limit %lld)", path, opts->size_limit);
	} else if (vstring_len(why) == 0) {
		vstring_sprintf(why, "cannot update mailbox %s: %m", path);
	}
	if (ftruncate(fd, st.st_size) < 0)
		msg_warn("cannot truncate %s back to %lld bytes: %m", path,
		    (long long)st.st_size);
	return dsn[0] == '5' ? MAIL_COPY_HARD : MAIL_COPY_SOFT;
}

int
mbox_write(const MAIL_COPY_SRC *src, const char *path, int flags,
    const MBOX_OPTS *opts, VSTRING *why, char *dsn)
{
	VSTRING	*lock = vstring_alloc(100);
	sigset_t block, saved;
	int	 fd = -1, locked = 0, rc = MAIL_COPY_SOFT;

	/*
	 * A termination signal between the lock and the unlock would leave a
	 * partial message or a lock file behind: hold such signals until the
	 * mailbox is consistent again (the wait is bounded by the lock
	 * attempts and the write itself).
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &saved);
	snprintf(dsn, 16, "4.2.0");
	vstring_sprintf(lock, "%s.lock", path);
	if (opts->lock_dotlock) {
		if ((locked = mbox_write_dotlock(vstring_str(lock), opts, why)) < 0) {
			locked = 0;
			goto out;
		}
	}
	if ((fd = mbox_write_open(path, opts, why, dsn)) < 0) {
		rc = dsn[0] == '5' ? MAIL_COPY_HARD : MAIL_COPY_SOFT;
		goto out;
	}
	if (opts->lock_fcntl && mbox_write_fcntl(fd, path, opts, why) < 0)
		goto out;
	rc = mbox_write_append(src, fd, path, flags, opts, why, dsn);
out:
	if (fd >= 0)
		close(fd);
	if (locked)
		(void)unlink(vstring_str(lock));
	vstring_free(lock);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return rc;
}
