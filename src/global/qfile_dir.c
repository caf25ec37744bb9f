/*
 * NAME
 *	qfile_dir - queue directories, message-ids and envelope-ids
 * SYNOPSIS
 *	#include <qfile.h>
 *
 *	int	qf_move(const char *queue_dir, const char *from,
 *		    const char *to, const char *id);
 *	int	qf_remove(const char *queue_dir, const char *queue,
 *		    const char *id);
 *	ARGV	*qf_list(const char *queue_dir, const char *queue);
 *	int	qf_valid_id(const char *id);
 *	int	qf_find(const char *queue_dir, const char *id,
 *		    char *queue_out, size_t len);
 *	int	qf_make_dirs(const char *queue_dir, uid_t owner, gid_t group,
 *		    VSTRING *why);
 *	int	qf_tmp_reclaim(const char *queue_dir);
 *
 *	uint32_t qf_id_value(const char *id);
 *	void	qf_envid_format(uint64_t envid, char buf[17]);
 *	int	qf_envid_parse(const char *text, uint64_t *envid);
 * DESCRIPTION
 *	qf_move() renames queue_dir/from/id to queue_dir/to/id; it never
 *	replaces an existing file (EEXIST). State changes are such renames;
 *	a lost rename after a crash leaves the file in its previous state,
 *	which the queue manager handles. qf_remove() unlinks a queue file,
 *	then its message-id's reservation tmp/.<id> (qf_create(3)). Both
 *	return 0, or -1 with errno set.
 *
 *	qf_list() returns the valid message-ids found in one queue
 *	directory, sorted (an empty list when the directory is missing).
 *	qf_valid_id() accepts exactly 8 lower-case hex digits. qf_find()
 *	looks for an id in incoming, active, deferred, hold and corrupt (in
 *	that order), copies the directory name to queue_out and returns 0,
 *	or returns -1 when the id is nowhere.
 *
 *	qf_make_dirs() creates queue_dir and every directory beneath it that
 *	is missing, and fixes mode and ownership of those it finds: maildrop
 *	1730 and public 0710 (group: group, the setgid_group), all others
 *	0700; everything owned by owner (mail_owner). Files in tmp/ older
 *	than a day (left by a crash) are removed, not the reservations of
 *	queued messages.
 *
 *	qf_tmp_reclaim() removes every regular file in tmp/ that no writer
 *	holds (qf_create() keeps an exclusive lock on its file until commit
 *	or abort) and that is not the reservation of a queued message (a
 *	second link: the queue file): what the processes of an earlier run
 *	left when they were killed, empty or partial, never acknowledged,
 *	and the reservation of a message whose removal a crash cut short.
 *	Then, unless tmp/.reserved says that it was done, it reserves the
 *	ids of the queue files that an earlier build wrote (linking each to
 *	tmp/.<id>) and creates tmp/.reserved. The master calls it at start,
 *	once it holds its lock and before any writer runs. It returns the
 *	number of files removed, or -1 when tmp/ cannot be read.
 *
 *	Envelope-ids are 16 hex digits: the message-id, then 32 random bits.
 *	qf_envid_parse() accepts 16 hex digits in either case and returns 0,
 *	or -1 for anything else. qf_id_value() returns the number of a
 *	message-id (0 for an invalid one).
 * DIAGNOSTICS
 *	qf_make_dirs() returns -1 with the reason in why.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "mymalloc.h"
#include "myrandom.h"
#include "qfile.h"
#include "qfile_priv.h"
#include "safe_file.h"

#define QF_STALE_AGE	(24 * 3600)

void
qf_why(VSTRING *why, const char *fmt, ...)
{
	va_list	 ap;

	if (why == NULL)
		return;
	vstring_reset(why);
	va_start(ap, fmt);
	vstring_vsprintf_append(why, fmt, ap);
	va_end(ap);
}

uint32_t
qf_random32(void)
{
	return myrandom32();
}

int
qf_fam_encode(int af)
{
	switch (af) {
	case AF_UNIX:
		return QF_FAM_LOCAL;
	case AF_INET:
		return QF_FAM_INET;
	case AF_INET6:
		return QF_FAM_INET6;
	default:
		return QF_FAM_UNKNOWN;
	}
}

int
qf_fam_decode(int code)
{
	switch (code) {
	case QF_FAM_LOCAL:
		return AF_UNIX;
	case QF_FAM_INET:
		return AF_INET;
	case QF_FAM_INET6:
		return AF_INET6;
	default:
		return AF_UNSPEC;
	}
}

void
qf_slot_encode(unsigned char *s, uint32_t index, int status, int flags,
    int attempts, int64_t last, int64_t next, const char *err)
{
	size_t	 len = strnlen(err, QF_ERR_MAX);

	memset(s, 0, QF_SLOT_SIZE);
	qf_put32(s + QF_S_INDEX, index);
	s[QF_S_STATUS] = (unsigned char)status;
	s[QF_S_FLAGS] = (unsigned char)flags;
	s[QF_S_ERRLEN] = (unsigned char)len;
	s[QF_S_ERRLEN + 1] = (unsigned char)(len >> 8);
	qf_put32(s + QF_S_ATTEMPTS, (uint32_t)attempts);
	qf_put64(s + QF_S_LAST, (uint64_t)last);
	qf_put64(s + QF_S_NEXT, (uint64_t)next);
	memcpy(s + QF_S_ERR, err, len);
	qf_put32(s + QF_S_SUM, qf_fnv(QF_FNV_INIT, s, QF_S_SUM));
}

int
qf_move(const char *queue_dir, const char *from, const char *to, const char *id)
{
	char	 src[4096], dst[4096];

	if (!qf_valid_id(id)) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)snprintf(src, sizeof(src), "%s/%s/%s", queue_dir, from, id) >= sizeof(src) ||
	    (size_t)snprintf(dst, sizeof(dst), "%s/%s/%s", queue_dir, to, id) >= sizeof(dst)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return rename_noreplace(src, dst);
}

int
qf_remove(const char *queue_dir, const char *queue, const char *id)
{
	char	 path[4096];

	if (!qf_valid_id(id)) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", queue_dir, queue, id) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (unlink(path) < 0)
		return -1;
	/* A crash here leaves the reservation to qf_tmp_reclaim(). */
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/.%s", queue_dir, QF_TMP,
	    id) < sizeof(path) && unlink(path) < 0 && errno != ENOENT)
		msg_warn("cannot remove %s: %m", path);
	return 0;
}

int
qf_valid_id(const char *id)
{
	int	 i;

	if (id == NULL)
		return 0;
	for (i = 0; i < QF_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return 0;
	return id[QF_ID_LEN] == 0;
}

static int
qf_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

ARGV *
qf_list(const char *queue_dir, const char *queue)
{
	ARGV	*list = argv_alloc(16);
	VSTRING	*path = vstring_alloc(100);
	struct dirent *de;
	DIR	*dp;

	vstring_sprintf(path, "%s/%s", queue_dir, queue);
	if ((dp = opendir(vstring_str(path))) != NULL) {
		while ((de = readdir(dp)) != NULL)
			if (qf_valid_id(de->d_name))
				argv_add(list, de->d_name);
		(void)closedir(dp);
	}
	qsort(list->argv, list->argc, sizeof(char *), qf_cmp);
	vstring_free(path);
	return list;
}

int
qf_find(const char *queue_dir, const char *id, char *queue_out, size_t len)
{
	static const char *dirs[] = {
		QF_INCOMING, QF_ACTIVE, QF_DEFERRED, QF_HOLD, QF_CORRUPT, NULL,
	};
	const char **dp;
	char	 path[4096];

	if (!qf_valid_id(id))
		return -1;
	for (dp = dirs; *dp; dp++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", queue_dir, *dp, id) >= sizeof(path))
			return -1;
		if (access(path, F_OK) == 0) {
			if (queue_out && len > 0)
				snprintf(queue_out, len, "%s", *dp);
			return 0;
		}
	}
	return -1;
}

/* qf_make_dir - create or fix one directory. */
static int
qf_make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid, VSTRING *why)
{
	struct stat st;

	if (mkdir(path, mode & 0777) < 0 && errno != EEXIST) {
		qf_why(why, "mkdir %s: %s", path, strerror(errno));
		return -1;
	}
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		qf_why(why, "%s: not a directory", path);
		return -1;
	}
	if ((st.st_uid != uid || st.st_gid != gid) && chown(path, uid, gid) < 0) {
		qf_why(why, "chown %s to %ld:%ld: %s", path, (long)uid, (long)gid,
		    strerror(errno));
		return -1;
	}
	if ((st.st_mode & 07777) != mode && chmod(path, mode) < 0) {
		qf_why(why, "chmod %s to %04o: %s", path, (unsigned)mode, strerror(errno));
		return -1;
	}
	return 0;
}

/* qf_tmp_name - a writer's or a reservation's name: 8 hex digits, a dot before. */
static int
qf_tmp_name(const char *name)
{
	return qf_valid_id(name + (name[0] == '.'));
}

/* qf_clean_tmp - remove files a crash left in tmp/. */
static void
qf_clean_tmp(const char *tmp)
{
	char	 path[4096];
	struct dirent *de;
	struct stat st;
	time_t	 now = time(NULL);
	DIR	*dp;

	if ((dp = opendir(tmp)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' && !qf_tmp_name(de->d_name))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", tmp, de->d_name) >= sizeof(path))
			continue;
		/* A second link is a queued message's reservation. */
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_nlink == 1 && st.st_mtime < now - QF_STALE_AGE) {
			msg_warn("removing stale temporary file %s", path);
			(void)unlink(path);
		}
	}
	(void)closedir(dp);
}

/* qf_reserve_queued - reserve the ids of files an earlier build wrote. */
static void
qf_reserve_queued(const char *queue_dir)
{
	static const char *queues[] = {
		QF_INCOMING, QF_ACTIVE, QF_DEFERRED, QF_HOLD, QF_CORRUPT, NULL,
	};
	char	 path[4096], res[4096];
	const char **qp;
	ARGV	*ids;
	size_t	 i;
	int	 fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", queue_dir, QF_TMP,
	    QF_RESERVED) >= sizeof(path) || access(path, F_OK) == 0)
		return;
	for (qp = queues; *qp; qp++) {
		if ((ids = qf_list(queue_dir, *qp)) == NULL)
			continue;
		for (i = 0; i < ids->argc; i++) {
			if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s",
			    queue_dir, *qp, ids->argv[i]) >= sizeof(path)
			    || (size_t)snprintf(res, sizeof(res), "%s/%s/.%s",
			    queue_dir, QF_TMP, ids->argv[i]) >= sizeof(res))
				continue;
			if (link(path, res) < 0 && errno != EEXIST && errno != ENOENT)
				msg_warn("cannot reserve message-id: link %s to %s: %m",
				    path, res);
		}
		argv_free(ids);
	}
	(void)snprintf(path, sizeof(path), "%s/%s/%s", queue_dir, QF_TMP,
	    QF_RESERVED);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600)) < 0)
		msg_warn("cannot create %s: %m", path);
	else
		(void)close(fd);
}

int
qf_tmp_reclaim(const char *queue_dir)
{
	char	 path[4096];
	struct dirent *de;
	struct stat st;
	DIR	*dp;
	int	 fd, n = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", queue_dir, QF_TMP)
	    >= sizeof(path) || (dp = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL) {
		/* Names of this build (.<id>) and of earlier ones (<id>). */
		if (de->d_name[0] == '.' && !qf_tmp_name(de->d_name))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", queue_dir,
		    QF_TMP, de->d_name) >= sizeof(path))
			continue;
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC)) < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1
		    && flock(fd, LOCK_EX | LOCK_NB) == 0 && unlink(path) == 0)
			n++;
		(void)close(fd);
	}
	(void)closedir(dp);
	qf_reserve_queued(queue_dir);
	return n;
}

int
qf_make_dirs(const char *queue_dir, uid_t owner, gid_t group, VSTRING *why)
{
	static const struct {
		const char *name;
		mode_t	 mode;
	} dirs[] = {
		{ QF_MAILDROP, 01730 }, { "public", 0710 }, { "private", 0700 },
		{ QF_INCOMING, 0700 }, { QF_ACTIVE, 0700 }, { QF_DEFERRED, 0700 },
		{ QF_HOLD, 0700 }, { QF_CORRUPT, 0700 }, { QF_TMP, 0700 },
		{ "bounce", 0700 }, { "defer", 0700 }, { "trace", 0700 },
		{ "pid", 0700 }, { NULL, 0 },
	};
	char	 path[4096];
	struct stat st;
	int	 i;

	if (mkdir(queue_dir, 0755) < 0 && errno != EEXIST) {
		qf_why(why, "mkdir %s: %s", queue_dir, strerror(errno));
		return -1;
	}
	if (stat(queue_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		qf_why(why, "%s: not a directory", queue_dir);
		return -1;
	}
	for (i = 0; dirs[i].name; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", queue_dir,
		    dirs[i].name) >= sizeof(path)) {
			qf_why(why, "%s: path too long", queue_dir);
			return -1;
		}
		if (qf_make_dir(path, dirs[i].mode, owner, group, why) < 0)
			return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", queue_dir, QF_TMP);
	qf_clean_tmp(path);
	return 0;
}

uint32_t
qf_id_value(const char *id)
{
	if (!qf_valid_id(id))
		return 0;
	return (uint32_t)strtoul(id, NULL, 16);
}

void
qf_envid_format(uint64_t envid, char buf[17])
{
	snprintf(buf, 17, "%016llx", (unsigned long long)envid);
}

int
qf_envid_parse(const char *text, uint64_t *envid)
{
	uint64_t v = 0;
	int	 i, c;

	if (text == NULL)
		return -1;
	for (i = 0; i < 16; i++) {
		c = text[i];
		if (c >= '0' && c <= '9')
			v = v << 4 | (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint64_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (uint64_t)(c - 'A' + 10);
		else
			return -1;
	}
	if (text[16] != 0)
		return -1;
	*envid = v;
	return 0;
}
