/*
 * safe_file.h - careful file creation, syncing and renaming. See safe_file.c.
 */
#ifndef SAFE_FILE_H
#define SAFE_FILE_H

#include <sys/types.h>

#include "vstring.h"

/*
 * open_excl(path, mode): create a new file O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC|
 * O_NOFOLLOW with permissions mode (umask applies); fd or -1 (EEXIST when
 * it exists).
 */
int	 open_excl(const char *, mode_t);

/* fsync a file / a directory by name; 0 or -1 (errno). EINTR retried. */
int	 fsync_file(int);
int	 fsync_dir(const char *);

/*
 * rename_noreplace(old, new): atomic rename that fails with EEXIST instead
 * of replacing new. Uses renameat2(RENAME_NOREPLACE), falling back to
 * link()+unlink() where the kernel or file system lacks it.
 */
int	 rename_noreplace(const char *, const char *);

/*
 * mkdir_mode(path, mode, uid, gid): make sure path is a directory with
 * exactly this mode and owner (uid/gid (uid_t)-1 / (gid_t)-1: leave owner
 * alone): created if missing, fixed if it exists. Refuses a symlink or a
 * non-directory (ENOTDIR). 0 or -1 (errno).
 */
int	 mkdir_mode(const char *, mode_t, uid_t, gid_t);

/*
 * safe_file_read(path, buf, limit): replace buf with the whole file. Fails
 * with EFBIG if the file holds more than limit bytes. 0 or -1 (errno).
 */
int	 safe_file_read(const char *, VSTRING *, size_t);

/*
 * safe_file_replace(path, data, len, mode): write path.tmp.<pid>, fsync,
 * rename over path, fsync the directory. Readers see the old or the new
 * content, never a mix. 0 or -1 (errno).
 */
int	 safe_file_replace(const char *, const void *, size_t, mode_t);

/*
 * safe_file_map(path, size): a file shared between processes, created
 * 0600 when missing, sized to size bytes, mapped read-write MAP_SHARED;
 * null (errno) on failure.
 */
void	*safe_file_map(const char *, size_t);

#endif
