/*
 * NAME
 *	local_mbox - append to a UNIX mailbox file, locked
 * SYNOPSIS
 *	#include "local.h"
 *
 *	int	local_mbox(LOCAL_STATE *state, const char *path, int flags,
 *		    VSTRING *why, char *dsn);
 * DESCRIPTION
 *	local_mbox() appends the message to the mbox file path, with the
 *	current privileges (see local_priv.c), as Postfix's local(8) does:
 *	    lock    path.lock created exclusively (mailbox_delivery_lock
 *		    "dotlock"; a lock older than stale_lock_time is removed)
 *		    and an fcntl() write lock on the file ("fcntl"), each
 *		    tried deliver_lock_attempts times deliver_lock_delay
 *		    apart;
 *	    open    O_APPEND, O_NOFOLLOW, created with mode 0600 when
 *		    missing; it must be a regular file with one link and,
 *		    with LOCAL_MBOX_OWNER and strict_mailbox_ownership,
 *		    owned by the recipient (a file created while running as
 *		    root is given to the recipient);
 *	    mend    a last message without its final newline (a
 *		    delivery killed mid-write) gets "\n\n" first;
 *	    write   the "From " line, Return-Path:, X-Original-To:,
 *		    Delivered-To:, the content with ">From " quoting and an
 *		    empty line, within mailbox_size_limit, then fsync;
 *	    undo    on any write failure the file is truncated back to
 *		    its size before the delivery, so that a mailbox never
 *		    holds a partial message.
 *	Termination signals are held from the lock to the unlock.
 *	flags: LOCAL_MBOX_OWNER (a mailbox of the recipient: ownership
 *	rules above) and the LOCAL_COPY_* header flags to use.
 * DIAGNOSTICS
 *	LOCAL_OK, or LOCAL_SOFT / LOCAL_HARD with dsn and why: a lock that
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

#include "local.h"
#include "msg.h"
#include "safe_file.h"
#include "vstring.h"

/*
 * local_mbox_tries - lock attempts. Postfix waits deliver_lock_delay
 * between deliver_lock_attempts; we try every 50ms for the same total
 * time, so that concurrent deliveries to one mailbox do not idle.
 */
static long long
local_mbox_tries(void)
{
	long long delay = local_cf.lock_delay > 0 ? local_cf.lock_delay : 1;

	return local_cf.lock_attempts * delay * 20;
}

static void
local_mbox_pause(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	nanosleep(&ts, NULL);
}

/* local_mbox_dotlock - create path.lock; 1, 0 (not possible), -1 */

static int
local_mbox_dotlock(const char *lock, VSTRING *why)
{
	struct stat st;
	long long i;
	int	 fd;

	for (i = 0; i < local_mbox_tries(); i++) {
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
		    && time(NULL) - st.st_mtime > local_cf.stale_lock_time) {
			msg_warn("removing stale lock file %s", lock);
			(void)unlink(lock);
			continue;
		}
		local_mbox_pause();
	}
	vstring_sprintf(why, "cannot lock %s: lock file exists", lock);
	return -1;
}

/* local_mbox_fcntl - an exclusive fcntl() lock */

static int
local_mbox_fcntl(int fd, const char *path, VSTRING *why)
{
	struct flock fl;
	long long i;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	for (i = 0; i < local_mbox_tries(); i++) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES && errno != EINTR)
			break;
		local_mbox_pause();
	}
	vstring_sprintf(why, "cannot lock %s: %m", path);
	return -1;
}

/* local_mbox_open - open or create the mailbox, and check it */

static int
local_mbox_open(LOCAL_STATE *state, const char *path, int flags,
    VSTRING *why, char *dsn)
{
	struct stat st;
	int	 fd, created = 0;

	/* Read access lets local_mbox_mend() look at the last byte. */
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
	if (created && geteuid() == 0 && st.st_uid != state->priv.uid
	    && fchown(fd, state->priv.uid, state->priv.gid) < 0) {
		vstring_sprintf(why, "cannot change the owner of %s: %m", path);
		goto fail;
	}
	if (!created && (flags & LOCAL_MBOX_OWNER) && local_cf.strict_ownership
	    && st.st_uid != state->priv.uid) {
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
 * local_mbox_mend - a delivery killed mid-write (SIGKILL, a crash) can
 * leave a message without its final newline; end that line and add the
 * separating empty line, so that the next "From " line starts a line.
 * The truncation on failure (st_size) takes this back as well.
 */
static int
local_mbox_mend(int fd, const struct stat *st)
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

/* local_mbox_write - append and sync, or truncate back */

static int
local_mbox_write(LOCAL_STATE *state, int fd, const char *path, int flags,
    VSTRING *why, char *dsn)
{
	struct stat st;
	off_t	 limit = 0;

	if (fstat(fd, &st) < 0) {
		vstring_sprintf(why, "cannot stat %s: %m", path);
		return LOCAL_SOFT;
	}
	if (local_mbox_mend(fd, &st) < 0) {
		vstring_sprintf(why, "cannot update mailbox %s: %m", path);
		return LOCAL_SOFT;
	}
	if (local_cf.size_limit > 0)
		limit = (off_t)local_cf.size_limit - st.st_size;
	if (limit <= 0 && local_cf.size_limit > 0)
		limit = -1;
	if (limit >= 0 && local_copy_fd(state, fd, flags & ~LOCAL_MBOX_OWNER,
	    limit, why) == 0 && fsync(fd) == 0)
		return LOCAL_OK;
	if (limit < 0 || errno == EFBIG) {
		snprintf(dsn, 16, "5.2.2");
		vstring_sprintf(why, "cannot update mailbox %s: mailbox is full "
		    "(mailbox_size_limit %lld)", path, local_cf.size_limit);
	} else if (vstring_len(why) == 0) {
		vstring_sprintf(why, "cannot update mailbox %s: %m", path);
	}
	if (ftruncate(fd, st.st_size) < 0)
		msg_warn("cannot truncate %s back to %lld bytes: %m", path,
		    (long long)st.st_size);
	return dsn[0] == '5' ? LOCAL_HARD : LOCAL_SOFT;
}

int
local_mbox(LOCAL_STATE *state, const char *path, int flags, VSTRING *why,
    char *dsn)
{
	VSTRING	*lock = vstring_alloc(100);
	sigset_t block, saved;
	int	 fd = -1, locked = 0, rc = LOCAL_SOFT;

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
	if (local_cf.lock_dotlock) {
		if ((locked = local_mbox_dotlock(vstring_str(lock), why)) < 0) {
			locked = 0;
			goto out;
		}
	}
	if ((fd = local_mbox_open(state, path, flags, why, dsn)) < 0) {
		rc = dsn[0] == '5' ? LOCAL_HARD : LOCAL_SOFT;
		goto out;
	}
	if (local_cf.lock_fcntl && local_mbox_fcntl(fd, path, why) < 0)
		goto out;
	rc = local_mbox_write(state, fd, path, flags, why, dsn);
out:
	if (fd >= 0)
		close(fd);
	if (locked)
		(void)unlink(vstring_str(lock));
	vstring_free(lock);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	return rc;
}
