/*
 * NAME
 *	safe_file - careful file creation, syncing and renaming
 * SYNOPSIS
 *	#include <safe_file.h>
 *
 *	int open_excl(const char *path, mode_t mode);
 *	int fsync_file(int fd);
 *	int fsync_dir(const char *path);
 *	int rename_noreplace(const char *old, const char *new);
 *	int mkdir_mode(const char *path, mode_t mode, uid_t uid, gid_t gid);
 *	int safe_file_read(const char *path, VSTRING *buf, size_t limit);
 *	int safe_file_replace(const char *path, const void *data, size_t len,
 *	    mode_t mode);
 *	void *safe_file_map(const char *path, size_t size);
 * DESCRIPTION
 *	The file operations the queue's durability rests on.
 *
 *	open_excl() creates a new file and never follows a symbolic link
 *	or reuses an existing file: O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|
 *	O_CLOEXEC.
 *
 *	fsync_file() makes a file's data and metadata durable.
 *	fsync_dir() makes a directory's entries durable (after a create,
 *	rename or unlink in it): the step that makes a rename survive a
 *	crash. Both retry EINTR.
 *
 *	rename_noreplace() renames without ever replacing: the new name
 *	must not exist (EEXIST). It uses renameat2(RENAME_NOREPLACE);
 *	where that is missing (EINVAL, ENOSYS, some file systems) it links
 *	the new name and unlinks the old, which is equally exclusive but
 *	may, after a crash between the two steps, leave both names: callers
 *	must treat a file seen under two names as one.
 *
 *	mkdir_mode() creates a directory with an exact mode (chmod after
 *	mkdir, so the umask does not interfere) and owner, or fixes the mode
 *	and owner of an existing one. A symbolic link is refused.
 *
 *	safe_file_read() reads a whole small file (configuration, pid file,
 *	a table) into buf, refusing more than limit bytes (EFBIG).
 *
 *	safe_file_replace() replaces a file's content atomically: a
 *	temporary file beside it, fsync, rename, fsync of the directory.
 *
 *	safe_file_map() maps a small file that processes share (counters,
 *	rate tables): it opens path read-write, creating it with mode 0600
 *	and never through a symbolic link, makes it exactly size bytes long
 *	(a new file is zero-filled; a file of another size, an earlier
 *	layout, is cut or extended) and maps it MAP_SHARED, read-write. The
 *	descriptor is not kept. munmap(addr, size) undoes it.
 * DIAGNOSTICS
 *	All return -1 with errno on failure; safe_file_map() a null pointer.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "iostuff.h"
#include "mymalloc.h"
#include "safe_file.h"

int
open_excl(const char *path, mode_t mode)
{
	int	 fd;

	do {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    mode);
	} while (fd < 0 && errno == EINTR);
	return fd;
}

int
fsync_file(int fd)
{
	int	 r;

	while ((r = fsync(fd)) < 0 && errno == EINTR)
		;
	return r;
}

int
fsync_dir(const char *path)
{
	int	 fd, r, saved;

	do {
		fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	r = fsync_file(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return r;
}

static int
rename_by_link(const char *old, const char *new)
{
	if (link(old, new) < 0)
		return -1;
	if (unlink(old) < 0) {
		int	 saved = errno;

		(void)unlink(new);
		errno = saved;
		return -1;
	}
	return 0;
}

int
rename_noreplace(const char *old, const char *new)
{
	if (renameat2(AT_FDCWD, old, AT_FDCWD, new, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	return rename_by_link(old, new);
}

int
mkdir_mode(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;
	int	 chowned = 0;

	if (mkdir(path, mode & 07777) < 0 && errno != EEXIST)
		return -1;
	if (lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if ((uid != (uid_t)-1 && st.st_uid != uid) ||
	    (gid != (gid_t)-1 && st.st_gid != gid)) {
		if (lchown(path, uid, gid) < 0)
			return -1;
		chowned = 1;
	}
	/* chown may clear set-id bits: set the mode last. */
	if (chowned || (st.st_mode & 07777) != (mode & 07777)) {
		if (chmod(path, mode & 07777) < 0)
			return -1;
	}
	return 0;
}

int
safe_file_read(const char *path, VSTRING *buf, size_t limit)
{
	char	 chunk[8192];
	ssize_t	 n;
	int	 fd, saved;

	vstring_reset(buf);
	do {
		fd = open(path, O_RDONLY | O_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (vstring_len(buf) + (size_t)n > limit) {
			errno = EFBIG;
			n = -1;
			break;
		}
		vstring_memcat(buf, chunk, (size_t)n);
	}
	saved = errno;
	close(fd);
	errno = saved;
	return n < 0 ? -1 : 0;
}

/* The directory part of path ("." when there is none). */
static char *
safe_file_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return mystrdup(".");
	if (slash == path)
		return mystrdup("/");
	return mystrndup(path, slash - path);
}

int
safe_file_replace(const char *path, const void *data, size_t len, mode_t mode)
{
	VSTRING	*tmp = vstring_alloc(100);
	char	*dir = safe_file_dirname(path);
	int	 fd = -1, saved, ret = -1;

	vstring_sprintf(tmp, "%s.tmp.%ld", path, (long)getpid());
	(void)unlink(vstring_str(tmp));
	if ((fd = open_excl(vstring_str(tmp), mode)) < 0)
		goto out;
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 ||
	    fsync_file(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(vstring_str(tmp), path) < 0)
		goto fail;
	ret = fsync_dir(dir);
	goto out;
fail:
	saved = errno;
	if (fd >= 0)
		close(fd);
	(void)unlink(vstring_str(tmp));
	errno = saved;
out:
	saved = errno;
	vstring_free(tmp);
	myfree(dir);
	errno = saved;
	return ret;
}

void   *
safe_file_map(const char *path, size_t size)
{
	struct stat st;
	void	*map;
	int	 fd, err;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || (st.st_size != (off_t)size
	    && ftruncate(fd, (off_t)size) < 0)) {
		err = errno;
		close(fd);
		errno = err;
		return NULL;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);
	if (map == MAP_FAILED) {
		errno = err;
		return NULL;
	}
	return map;
}
