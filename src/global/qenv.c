/*
 * NAME
 *	qenv - the queue's envelopes: select, hold, release, remove, view
 * SYNOPSIS
 *	#include "qenv.h"
 *
 *	int	qenv_sel_parse(QENV_SEL *sel, const char *id, int flags);
 *	int	qenv_sel_msg(const QENV_SEL *sel, const char *msgid);
 *	int	qenv_sel_rcpt(const QENV_SEL *sel, const QF_MSG *qf, int i);
 *	int	qenv_walk(const char *queue_dir, const char **queues,
 *		    const QENV_SEL *sel, QENV_FILE_FN fn, void *ctx);
 *	int	qenv_walk_dirs(const char *queue_dir, const char **queues,
 *		    const QENV_SEL *sel, QENV_FILE_FN fn, void *ctx,
 *		    int *unlisted);
 *
 *	int	qenv_rcpt_change(QF_MSG *qf, int i, int op, QENV_LOG_FN log);
 *	int	qenv_file_change(const char *queue_dir, const char *queue,
 *		    const char *id, const QENV_SEL *sel, int op,
 *		    QENV_LOG_FN log, int *gone, VSTRING *why);
 *	int	qenv_all_done(const QF_MSG *qf);
 *	void	qenv_logs_remove(const char *queue_dir, const char *id);
 *
 *	int	qenv_held(const QF_MSG *qf, int i, const char *queue);
 *	int	qenv_is_bounce(const QF_MSG *qf);
 *	time_t	qenv_expires(const QF_MSG *qf, long max_lifetime,
 *		    long bounce_lifetime);
 *
 *	int	qenv_lock(const char *queue_dir, int wait, VSTRING *why);
 *
 *	void	qenv_view(ATTR *list, const QF_MSG *qf, int i,
 *		    const QENV_VIEW *view);
 *	void	qenv_dump_msg(ATTR *list, const QF_MSG *qf, const char *queue);
 *	void	qenv_dump_rcpt(ATTR *list, const QF_MSG *qf, int i);
 *	int	qenv_dump_numeric(const char *name);
 * DESCRIPTION
 *	What smtpctl(8) does to the queue, written once. The qmgr serves
 *	smtpctl's requests with it (qmgr_ctl_env.c, qmgr_show.c: messages
 *	in memory are changed through their open file, the others by
 *	opening them), and smtpctl with nothing running calls the same
 *	functions on the files (smtpctl_offline.c). An envelope is one
 *	recipient of one queue file (qfile(3)); its state bits are in
 *	queue_flags.h.
 *
 *	qenv_sel_parse() reads smtpctl's id: an envelope-id (16 hex
 *	digits: that recipient), a message-id (8: every recipient of the
 *	message) or, with QENV_SEL_ALLOW_ALL in flags, "all". The caller
 *	may then set sel->sender to keep only the messages of one sender
 *	("" the null sender; compared without regard to case).
 *	qenv_sel_msg() tells whether a message-id may be selected (the
 *	sender is known only once the file is open), qenv_sel_rcpt()
 *	whether recipient i of an open message is selected.
 *
 *	qenv_walk() calls fn(queue, id, ctx) for every message of the named
 *	queue directories (a null-terminated list, searched in that order,
 *	ids in order within one) that sel may select, and returns the sum
 *	of what fn returned. One message-id costs one access(2) per
 *	directory, not a listing. A directory whose files are not in
 *	memory (a cold page cache) is first read whole in inode order, in
 *	batches of reads submitted at once (io_uring(7), where the system
 *	has it and the memory available holds the files): files created
 *	one after the other lie side by side on the disk, so that the reads
 *	merge into few requests. Then, walking it, the kernel is asked to
 *	start reading the files a few dozen ahead of the one fn is given
 *	(qf_prefetch(), while they are not in memory already), so that
 *	what is still cold costs parallel disk reads, not one wait per file.
 *	A directory that cannot be listed (opendir(3) or readdir(3)
 *	fails), or in which a message-id cannot be looked up for another
 *	reason than its absence, is skipped with a warning "cannot list
 *	queue directory PATH: REASON", except a missing one (a queue not
 *	made yet is empty).
 *
 *	qenv_walk_dirs() is qenv_walk() that also warns about a missing
 *	directory and adds the number of directories skipped to *unlisted,
 *	so that a listing can say that it is incomplete (postern queue,
 *	smtpctl show queue with nothing running).
 *
 *	qenv_rcpt_change() applies op to recipient i of a message open
 *	read-write: QENV_HOLD sets the held mark (the qmgr skips it until
 *	released), QENV_RELEASE clears it, QENV_REMOVE marks it done
 *	(removed) and logs "ID: to=<addr>, envelope ENVID removed" with log
 *	(when not null). A recipient already done is not changed. The new
 *	state is made durable with qf_update_rcpt(). It returns 1 when the
 *	recipient changed, 0 when it did not, -1 (errno set) when the change
 *	could not be written; the copy in memory is changed anyway.
 *
 *	qenv_file_change() does that for the selected recipients of
 *	queue_dir/queue/id and, when a removal leaves nothing to deliver,
 *	deletes the file and its per-message logs (qenv_logs_remove()) and
 *	logs "ID: removed"; *gone (when not null) then is 1. It returns the
 *	number of recipients changed.
 *
 *	qenv_held() tells whether recipient i is held (its mark, or the
 *	message sits in hold/). qenv_is_bounce() tells whether the message
 *	is a DSN written by bounce(8). qenv_expires() is when the message
 *	expires: its arrival plus max_lifetime (maximal_queue_lifetime) or,
 *	for the null sender, bounce_lifetime (bounce_queue_lifetime).
 *
 *	qenv_view() appends one envelope as smtpctl show queue and show
 *	envelope list it (the names of qmgr_ctl.h, in this order): envelope
 *	and message id, queue, family, destination, type, flags (bounce,
 *	held), sender, recipient, original recipient, created, expires,
 *	last try, attempts, runstate, the delay view->delay_name names, and
 *	the last error. What only the caller knows (the queue shown, route,
 *	type, runstate, delay, expiry) comes in view.
 *
 *	qenv_dump_msg() appends a message's records (postern queue-dump):
 *	queue_name, queue_id, arrival_time, arrival_usec, sender, origin,
 *	family, dsn_envid and dsn_ret (when given), one "attribute" record
 *	"name=value" per envelope attribute, content_offset, content_size
 *	and recipient_count. qenv_dump_rcpt() appends recipient i's:
 *	address, envelope_id, orcpt (when given), notify (DSN NOTIFY words,
 *	"" unspecified), status (pending, done), flags (held, bounced,
 *	removed, delivered, warned), attempts, last_try, next_try and
 *	last_error. qenv_dump_numeric() tells which of those names have
 *	numbers for values (for JSON output).
 * LOCKING
 *	A qmgr holds an exclusive fcntl(2) lock on $queue_directory/
 *	pid/qmgr.lock from its start to its end (resident or qmgr -1):
 *	while it runs, it alone changes the envelopes of the queue files it
 *	has not handed to a delivery agent. qenv_lock() takes that same lock
 *	and returns its descriptor (close it to let go); smtpctl takes it
 *	before it changes queue files with nothing running, so a qmgr that
 *	starts meanwhile waits until smtpctl is done and then reads the new
 *	state, and smtpctl refuses to work offline while a qmgr holds it.
 *	With the lock busy, qenv_lock() retries every 50 ms for up to wait
 *	seconds (logging once that it waits). Run as root, it gives a lock
 *	file it creates to the owner of pid/, so that a qmgr running as
 *	mail_owner can open it later. Reading (show queue, show envelope,
 *	queue-dump) takes no lock: a recipient's state is one sector,
 *	written whole.
 * DIAGNOSTICS
 *	qenv_sel_parse() returns -1 for a malformed id. qenv_file_change()
 *	returns -1 with the reason in why when the file cannot be opened
 *	(errno ENOENT: gone meanwhile) or a change cannot be written.
 *	qenv_lock() returns -1 with the reason in why (errno EAGAIN: another
 *	process holds the lock, its pid in the reason).
 */
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#if defined(__linux__) && defined(__has_include)
#if __has_include(<linux/io_uring.h>)
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#if defined(__NR_io_uring_setup) && defined(__NR_io_uring_enter)
#define QENV_URING			/* batched reads in inode order */
#endif
#endif
#endif

#include "attr.h"
#include "msg.h"
#include "mymalloc.h"
#include "qenv.h"
#include "qmgr_clnt.h"

int
qenv_sel_parse(QENV_SEL *sel, const char *id, int flags)
{
	memset(sel, 0, sizeof(*sel));
	if (id == NULL)
		return -1;
	if (strcmp(id, "all") == 0) {
		sel->all = 1;
		return (flags & QENV_SEL_ALLOW_ALL) ? 0 : -1;
	}
	if (qf_valid_id(id)) {
		memcpy(sel->msgid, id, QF_ID_LEN + 1);
		return 0;
	}
	if (qf_envid_parse(id, &sel->envid) == 0 && sel->envid != 0) {
		snprintf(sel->msgid, sizeof(sel->msgid), "%08x",
		    (unsigned)(sel->envid >> 32));
		return 0;
	}
	sel->envid = 0;
	return -1;
}

int
qenv_sel_msg(const QENV_SEL *sel, const char *msgid)
{
	return sel->all || strcmp(sel->msgid, msgid) == 0;
}

int
qenv_sel_rcpt(const QENV_SEL *sel, const QF_MSG *qf, int i)
{
	if (sel->envid != 0 && qf->rcpt[i].envid != sel->envid)
		return 0;
	return sel->sender == NULL || strcasecmp(sel->sender, qf->sender) == 0;
}

/*
 * A listing reads every file of a queue directory one after the other.
 * With the page cache cold (a queue that built up over a long outage)
 * each read waits for the disk in turn: 50,000 deferred files took 8 s
 * to list. The walk asks the kernel to start reading the files
 * QENV_PREFETCH ahead of the one being read, so the disk works on many
 * at once and the reads find their data in memory. Where the system can
 * tell that a file is in memory already (qf_prefetch()), a run of
 * QENV_PREFETCH such files stops the read-ahead for the next
 * QENV_PREFETCH_SKIP files: a warm cache costs few extra system calls.
 */
#define QENV_PREFETCH		64	/* files read ahead */
#define QENV_PREFETCH_SKIP	4096	/* files not read ahead when warm */

typedef struct QENV_AHEAD {
	int	 warm;			/* files found in memory in a row */
	size_t	 skip;			/* files not to read ahead */
} QENV_AHEAD;

static void
qenv_prefetch(QENV_AHEAD *ra, const char *queue_dir, const char *queue,
    const char *id)
{
	if (ra->skip > 0) {
		ra->skip--;
		return;
	}
	if (qf_prefetch(queue_dir, queue, id) != 0)
		ra->warm = 0;
	else if (++ra->warm >= QENV_PREFETCH) {
		ra->warm = 0;
		ra->skip = QENV_PREFETCH_SKIP;
	}
}

/* One message of a directory listing. */
typedef struct QENV_ENT {
	ino_t	 ino;
	unsigned char type;		/* d_type */
	char	 id[QF_ID_LEN + 1];
} QENV_ENT;

static int
qenv_ent_id_cmp(const void *a, const void *b)
{
	return strcmp(((const QENV_ENT *)a)->id, ((const QENV_ENT *)b)->id);
}

#ifdef QENV_URING

/*
 * A cold directory is read ahead whole before the walk, in inode order
 * and in batches that the kernel submits together: inodes and data of
 * files created one after the other lie side by side on the disk, so
 * that a batch merges into few large requests (50,000 files of 5 KB:
 * about 7,500 disk reads instead of 52,000, one each). The reads of a
 * batch go through one io_uring(7) submission; the data lands in the
 * page cache, where the walk's qf_open() then finds it. A directory
 * whose first files are in memory already is not read ahead, nor one
 * that would not fit in half of the memory available (MemAvailable:
 * free and reclaimable); they are left to the walk's own read-ahead.
 */
#define QENV_BATCH	128		/* reads submitted at once */
#define QENV_READ	8192		/* what qf_open() reads first */

typedef struct QENV_RING {
	int	 fd;
	unsigned *sq_tail, *sq_mask, *sq_array;
	unsigned *cq_head, *cq_tail;
	struct io_uring_sqe *sqes;
	void	*sq_map, *cq_map;
	size_t	 sq_len, cq_len, sqes_len;
} QENV_RING;

/*
 * Where the reads go, all of them: only the page cache keeps what they
 * read. Never freed (after an error the kernel may still write to it).
 */
static char qenv_sink[QENV_READ];

static void
qenv_ring_close(QENV_RING *r)
{
	if (r->sqes != NULL && r->sqes != MAP_FAILED)
		(void)munmap(r->sqes, r->sqes_len);
	if (r->cq_map != NULL && r->cq_map != MAP_FAILED
	    && r->cq_map != r->sq_map)
		(void)munmap(r->cq_map, r->cq_len);
	if (r->sq_map != NULL && r->sq_map != MAP_FAILED)
		(void)munmap(r->sq_map, r->sq_len);
	if (r->fd >= 0)
		(void)close(r->fd);
}

/* qenv_ring_open - an io_uring of QENV_BATCH entries; -1 without one */
static int
qenv_ring_open(QENV_RING *r)
{
	struct io_uring_params p;
	char	*sq, *cq;

	memset(r, 0, sizeof(*r));
	memset(&p, 0, sizeof(p));
	if ((r->fd = (int)syscall(__NR_io_uring_setup, QENV_BATCH, &p)) < 0)
		return -1;		/* ENOSYS, EPERM: not here */
	r->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
	r->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	r->sqes_len = p.sq_entries * sizeof(struct io_uring_sqe);
	if ((p.features & IORING_FEAT_SINGLE_MMAP) && r->cq_len > r->sq_len)
		r->sq_len = r->cq_len;
	r->sq_map = mmap(NULL, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED
	    | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	if (r->sq_map == MAP_FAILED)
		goto fail;
	r->cq_map = (p.features & IORING_FEAT_SINGLE_MMAP) ? r->sq_map :
	    mmap(NULL, r->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED
	    | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	if (r->cq_map == MAP_FAILED)
		goto fail;
	r->sqes = mmap(NULL, r->sqes_len, PROT_READ | PROT_WRITE, MAP_SHARED
	    | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (r->sqes == MAP_FAILED)
		goto fail;
	sq = r->sq_map;
	cq = r->cq_map;
	r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)(sq + p.sq_off.array);
	r->cq_head = (unsigned *)(cq + p.cq_off.head);
	r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
	return 0;
fail:
	qenv_ring_close(r);
	return -1;
}

/* qenv_ring_read - read the start of n open files at once; 0 or -1 */
static int
qenv_ring_read(QENV_RING *r, const int *fds, unsigned n)
{
	struct io_uring_sqe *sqe;
	unsigned tail = *r->sq_tail, done, i;
	long	 ret;

	for (i = 0; i < n; i++, tail++) {
		sqe = &r->sqes[tail & *r->sq_mask];
		memset(sqe, 0, sizeof(*sqe));
		sqe->opcode = IORING_OP_READ;
		sqe->fd = fds[i];
		sqe->addr = (unsigned long)qenv_sink;
		sqe->len = QENV_READ;
		r->sq_array[tail & *r->sq_mask] = tail & *r->sq_mask;
	}
	__atomic_store_n(r->sq_tail, tail, __ATOMIC_RELEASE);
	for (done = 0; done < n; done += (unsigned)ret) {
		ret = syscall(__NR_io_uring_enter, r->fd, n - done, 0, 0, NULL, 0);
		if (ret < 0 && errno == EINTR)
			ret = 0;
		else if (ret <= 0)
			return -1;
	}
	/* Wait until each read is done or failed (the walk reads anyway). */
	for (done = 0; done < n; done += i) {
		if (syscall(__NR_io_uring_enter, r->fd, 0, n - done,
		    IORING_ENTER_GETEVENTS, NULL, 0) < 0 && errno != EINTR)
			return -1;
		i = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) - *r->cq_head;
		__atomic_store_n(r->cq_head, *r->cq_head + i, __ATOMIC_RELEASE);
	}
	return 0;
}

/* qenv_preload_fd - a file to read ahead, opened as qf_open() opens it */
static int
qenv_preload_fd(int dirfd, const char *id)
{
	int	 flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, fd;

#ifdef O_NOATIME
	if ((fd = openat(dirfd, id, flags | O_NOATIME)) >= 0 || errno != EPERM)
		return fd;		/* EPERM: not the file's owner */
#endif
	return openat(dirfd, id, flags);
}

/* qenv_mem_available - bytes the system can give without swapping */
static double
qenv_mem_available(void)
{
	char	 line[128];
	double	 kb;
	FILE	*fp;

	if ((fp = fopen("/proc/meminfo", "re")) != NULL) {
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "MemAvailable: %lf kB", &kb) == 1) {
				(void)fclose(fp);
				return kb * 1024;
			}
		(void)fclose(fp);
	}
	return (double)sysconf(_SC_AVPHYS_PAGES) * sysconf(_SC_PAGESIZE);
}

static int
qenv_ent_ino_cmp(const void *a, const void *b)
{
	ino_t	 x = ((const QENV_ENT *)a)->ino, y = ((const QENV_ENT *)b)->ino;

	return x < y ? -1 : x > y;
}

/* qenv_preload - read a cold directory ahead; ents end up by inode */
static void
qenv_preload(const char *queue_dir, const char *queue, const char *path,
    QENV_ENT *ents, size_t count)
{
	QENV_RING ring;
	int	 fds[QENV_BATCH], dirfd, cold = 0;
	size_t	 i, j;
	unsigned n;

	if (count < QENV_PREFETCH)
		return;
	qsort(ents, count, sizeof(*ents), qenv_ent_ino_cmp);
	for (i = 0; i < QENV_PREFETCH; i++)
		cold += qf_prefetch(queue_dir, queue, ents[i].id) > 0;
	if (cold < QENV_PREFETCH / 8	/* in memory already */
	    || (double)count * QENV_READ > qenv_mem_available() / 2)
		return;
	if ((dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return;
	if (qenv_ring_open(&ring) < 0) {
		(void)close(dirfd);
		return;
	}
	for (i = QENV_PREFETCH; i < count; i = j) {
		for (n = 0, j = i; j < count && n < QENV_BATCH; j++)
			if ((ents[j].type == DT_REG || ents[j].type == DT_UNKNOWN)
			    && (fds[n] = qenv_preload_fd(dirfd, ents[j].id)) >= 0)
				n++;
		if (n > 0 && qenv_ring_read(&ring, fds, n) < 0)
			j = count;	/* give up: the walk reads on its own */
		while (n > 0)
			(void)close(fds[--n]);
	}
	qenv_ring_close(&ring);
	(void)close(dirfd);
}

#endif

/*
 * qenv_list - the messages of directory path, by id, in *ents (myfree()
 * it); their number, or -1 with errno set when path cannot be read whole.
 */
static ssize_t
qenv_list(const char *path, QENV_ENT **ents)
{
	struct dirent *de;
	size_t	 n = 0, size = 64;
	DIR	*dp;
	int	 err;

	*ents = NULL;
	if ((dp = opendir(path)) == NULL)
		return -1;
	*ents = mymalloc(size * sizeof(**ents));
	for (;;) {
		errno = 0;
		if ((de = readdir(dp)) == NULL)
			break;
		if (!qf_valid_id(de->d_name))
			continue;
		if (n == size) {
			size *= 2;
			*ents = myrealloc(*ents, size * sizeof(**ents));
		}
		(*ents)[n].ino = de->d_ino;
		(*ents)[n].type = de->d_type;
		memcpy((*ents)[n++].id, de->d_name, QF_ID_LEN + 1);
	}
	err = errno;
	(void)closedir(dp);
	if (err != 0) {
		myfree(*ents);
		*ents = NULL;
		errno = err;
		return -1;
	}
	return (ssize_t)n;
}

/*
 * qenv_unlisted - a directory the walk cannot read (errno): a warning,
 * counted when unlisted is given, and else not for a missing one.
 */
static void
qenv_unlisted(const char *path, int *unlisted)
{
	if (unlisted != NULL)
		(*unlisted)++;
	else if (errno == ENOENT)
		return;
	msg_warn("cannot list queue directory %s: %m", path);
}

int
qenv_walk(const char *queue_dir, const char **queues, const QENV_SEL *sel,
    QENV_FILE_FN fn, void *ctx)
{
	return qenv_walk_dirs(queue_dir, queues, sel, fn, ctx, NULL);
}

int
qenv_walk_dirs(const char *queue_dir, const char **queues,
    const QENV_SEL *sel, QENV_FILE_FN fn, void *ctx, int *unlisted)
{
	QENV_AHEAD ra;
	QENV_ENT *ents;
	VSTRING	*path;
	ssize_t	 count, i;
	int	 n = 0;

	if (!sel->all && !qf_valid_id(sel->msgid))
		return 0;		/* a selection that did not parse */
	path = vstring_alloc(128);
	ra.warm = 0;
	ra.skip = 0;
	for (; *queues; queues++) {
		if (!sel->all) {
			vstring_sprintf(path, "%s/%s/%s", queue_dir, *queues,
			    sel->msgid);
			if (access(vstring_str(path), F_OK) == 0)
				n += fn(*queues, sel->msgid, ctx);
			else if (errno != ENOENT)
				qenv_unlisted(vstring_str(path), unlisted);
			continue;
		}
		vstring_sprintf(path, "%s/%s", queue_dir, *queues);
		if ((count = qenv_list(vstring_str(path), &ents)) < 0) {
			qenv_unlisted(vstring_str(path), unlisted);
			continue;
		}
#ifdef QENV_URING
		qenv_preload(queue_dir, *queues, vstring_str(path), ents,
		    (size_t)count);
#endif
		qsort(ents, count, sizeof(*ents), qenv_ent_id_cmp);
		for (i = 0; i < count && i < QENV_PREFETCH; i++)
			qenv_prefetch(&ra, queue_dir, *queues, ents[i].id);
		for (i = 0; i < count; i++) {
			if (i + QENV_PREFETCH < count)
				qenv_prefetch(&ra, queue_dir, *queues,
				    ents[i + QENV_PREFETCH].id);
			n += fn(*queues, ents[i].id, ctx);
		}
		myfree(ents);
	}
	vstring_free(path);
	return n;
}

int
qenv_rcpt_change(QF_MSG *qf, int i, int op, QENV_LOG_FN log)
{
	QF_RCPT	*rp = &qf->rcpt[i];
	char	 envid[17];

	if (rp->status == QF_RCPT_DONE)
		return 0;
	switch (op) {
	case QENV_HOLD:
		if (rp->flags & QF_RCPT_FLAG_HELD)
			return 0;
		rp->flags |= QF_RCPT_FLAG_HELD;
		break;
	case QENV_RELEASE:
		if (!(rp->flags & QF_RCPT_FLAG_HELD))
			return 0;
		rp->flags &= ~QF_RCPT_FLAG_HELD;
		break;
	case QENV_REMOVE:
		rp->status = QF_RCPT_DONE;
		rp->flags |= QF_RCPT_FLAG_REMOVED;
		if (log != NULL) {
			qf_envid_format(rp->envid, envid);
			log("%s: to=<%s>, envelope %s removed", qf->id,
			    rp->address, envid);
		}
		break;
	default:
		msg_panic("qenv_rcpt_change: unknown operation %d", op);
	}
	return qf_update_rcpt(qf, i) < 0 ? -1 : 1;
}

int
qenv_all_done(const QF_MSG *qf)
{
	int	 i;

	for (i = 0; i < qf->nrcpt; i++)
		if (qf->rcpt[i].status != QF_RCPT_DONE)
			return 0;
	return 1;
}

void
qenv_logs_remove(const char *queue_dir, const char *id)
{
	static const char *logs[] = {"bounce", "defer", "trace", NULL};
	VSTRING	*path = vstring_alloc(128);
	const char **lp;

	for (lp = logs; *lp; lp++) {
		vstring_sprintf(path, "%s/%s/%s", queue_dir, *lp, id);
		if (unlink(vstring_str(path)) < 0 && errno != ENOENT)
			msg_warn("%s: cannot remove %s: %m", id,
			    vstring_str(path));
	}
	vstring_free(path);
}

int
qenv_file_change(const char *queue_dir, const char *queue, const char *id,
    const QENV_SEL *sel, int op, QENV_LOG_FN log, int *gone, VSTRING *why)
{
	QF_MSG	*qf;
	int	 i, rc, n = 0;

	if (gone != NULL)
		*gone = 0;
	if ((qf = qf_open(queue_dir, queue, id, QF_OPEN_RDWR, why)) == NULL)
		return -1;
	for (i = 0; i < qf->nrcpt; i++) {
		if (!qenv_sel_rcpt(sel, qf, i))
			continue;
		if ((rc = qenv_rcpt_change(qf, i, op, log)) < 0) {
			vstring_sprintf(why, "%s: cannot update recipient %d: %m",
			    id, i);
			qf_close(qf);
			return -1;
		}
		n += rc;
	}
	rc = op == QENV_REMOVE && n > 0 && qenv_all_done(qf);
	qf_close(qf);
	if (rc && qf_remove(queue_dir, queue, id) == 0) {
		qenv_logs_remove(queue_dir, id);
		if (log != NULL)
			log("%s: removed", id);
		if (gone != NULL)
			*gone = 1;
	}
	return n;
}

int
qenv_held(const QF_MSG *qf, int i, const char *queue)
{
	return (qf->rcpt[i].flags & QF_RCPT_FLAG_HELD) != 0
	    || strcmp(queue, QF_HOLD) == 0;
}

int
qenv_is_bounce(const QF_MSG *qf)
{
	return qf->origin != NULL && strcmp(qf->origin, "bounce") == 0;
}

time_t
qenv_expires(const QF_MSG *qf, long max_lifetime, long bounce_lifetime)
{
	return qf->arrival + (*qf->sender ? max_lifetime : bounce_lifetime);
}

/* qenv_lock_try - 0 when locked, -2 on error, else the holder (or -1). */
static long
qenv_lock_try(int fd)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_SETLK, &fl) == 0)
		return 0;
	if (errno != EAGAIN && errno != EACCES)
		return -2;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
		return (long)fl.l_pid;
	return -1;
}

/* qenv_lock_owner - a lock file root made belongs to the owner of pid/. */
static void
qenv_lock_owner(int fd, const char *queue_dir)
{
	VSTRING	*dir = vstring_alloc(128);
	struct stat st, fst;

	vstring_sprintf(dir, "%s/pid", queue_dir);
	if (geteuid() == 0 && stat(vstring_str(dir), &st) == 0
	    && fstat(fd, &fst) == 0 && (fst.st_uid != st.st_uid
	    || fst.st_gid != st.st_gid)
	    && fchown(fd, st.st_uid, st.st_gid) < 0)
		msg_warn("cannot give %s/%s to uid %ld: %m", queue_dir,
		    QENV_LOCK_FILE, (long)st.st_uid);
	vstring_free(dir);
}

int
qenv_lock(const char *queue_dir, int wait, VSTRING *why)
{
	struct timespec ts = {0, 50 * 1000 * 1000};
	VSTRING	*path = vstring_alloc(128);
	time_t	 deadline = time(NULL) + wait;
	long	 holder;
	int	 fd, err, told = 0;

	vstring_sprintf(path, "%s/%s", queue_dir, QENV_LOCK_FILE);
	if ((fd = open(vstring_str(path), O_RDWR | O_CREAT | O_CLOEXEC
	    | O_NOFOLLOW, 0600)) < 0) {
		err = errno;
		vstring_sprintf(why, "open %s: %m", vstring_str(path));
		vstring_free(path);
		errno = err;
		return -1;
	}
	qenv_lock_owner(fd, queue_dir);
	while ((holder = qenv_lock_try(fd)) != 0) {
		if (holder == -2 || time(NULL) >= deadline) {
			err = holder == -2 ? errno : EAGAIN;
			if (holder == -2)
				vstring_sprintf(why, "lock %s: %m",
				    vstring_str(path));
			else
				vstring_sprintf(why, "%s is locked by pid %ld",
				    vstring_str(path), holder);
			(void)close(fd);
			vstring_free(path);
			errno = err;
			return -1;
		}
		if (!told++)
			msg_info("waiting for pid %ld to release %s", holder,
			    vstring_str(path));
		(void)nanosleep(&ts, NULL);
	}
	if (told)
		msg_info("%s released by the earlier holder",
		    vstring_str(path));
	vstring_free(path);
	return fd;
}

void
qenv_view(ATTR *a, const QF_MSG *qf, int i, const QENV_VIEW *view)
{
	const QF_RCPT *rp = &qf->rcpt[i];
	int	 bounce = qenv_is_bounce(qf);
	int	 held = qenv_held(qf, i, view->queue);
	char	 envid[17];

	qf_envid_format(rp->envid, envid);
	attr_add(a, QC_ENVID, envid);
	attr_add(a, QC_MSGID, qf->id);
	attr_add(a, QC_QUEUE, view->queue);
	attr_add(a, QC_FAMILY, qf->family == AF_INET ? "inet4" :
	    qf->family == AF_INET6 ? "inet6" : "local");
	attr_add(a, QC_DEST, view->dest);
	attr_add(a, QC_TYPE, bounce ? "bounce" : view->type);
	attr_addf(a, QC_FLAGS, "%s%s%s", bounce ? "bounce" : "",
	    bounce && held ? "," : "", held ? "held" : "");
	attr_add(a, QC_SENDER, qf->sender);
	attr_add(a, QC_RCPT, rp->address);
	attr_add(a, QC_ORCPT, rp->orcpt && strchr(rp->orcpt, ';') ?
	    strchr(rp->orcpt, ';') + 1 : rp->address);
	attr_add_long(a, QC_CREATED, (long long)qf->arrival);
	attr_add_long(a, QC_EXPIRES, (long long)view->expires);
	attr_add_long(a, QC_LAST_TRY, (long long)rp->last_attempt);
	attr_add_long(a, QC_ATTEMPTS, rp->attempts);
	attr_add(a, QC_RUNSTATE, view->runstate);
	if (view->delay_name != NULL)
		attr_add_long(a, view->delay_name, view->delay);
	attr_add(a, QC_LAST_ERROR, rp->last_error);
}

/* The dump's numeric records. */
static const char *qenv_numeric_names[] = {
	"arrival_time", "arrival_usec", "content_offset", "content_size",
	"recipient_count", "attempts", "last_try", "next_try", NULL,
};

int
qenv_dump_numeric(const char *name)
{
	const char **np;

	for (np = qenv_numeric_names; *np; np++)
		if (strcmp(*np, name) == 0)
			return 1;
	return 0;
}

void
qenv_dump_msg(ATTR *a, const QF_MSG *qf, const char *queue)
{
	size_t	 i;

	attr_add(a, "queue_name", queue);
	attr_add(a, "queue_id", qf->id);
	attr_add_long(a, "arrival_time", (long long)qf->arrival);
	attr_add_long(a, "arrival_usec", qf->arrival_usec);
	attr_add(a, "sender", qf->sender);
	attr_add(a, "origin", qf->origin ? qf->origin : "");
	attr_add(a, "family", qf->family == AF_INET ? "inet4" :
	    qf->family == AF_INET6 ? "inet6" : qf->family == AF_UNIX ?
	    "local" : "unknown");
	if (qf->dsn_envid != NULL)
		attr_add(a, "dsn_envid", qf->dsn_envid);
	if (qf->dsn_ret != QF_RET_NONE)
		attr_add(a, "dsn_ret", qf->dsn_ret == QF_RET_FULL ? "FULL" :
		    "HDRS");
	for (i = 0; qf->attr_names && i < qf->attr_names->argc; i++)
		attr_addf(a, "attribute", "%s=%s", qf->attr_names->argv[i],
		    qf->attr_values->argv[i]);
	attr_add_long(a, "content_offset", (long long)qf->content_offset);
	attr_add_long(a, "content_size", (long long)qf->content_size);
	attr_add_long(a, "recipient_count", qf->nrcpt);
}

/* qenv_words - bits as a comma list of names. */
static void
qenv_words(VSTRING *out, int bits, const int *values, const char **names)
{
	vstring_reset(out);
	for (; *names; names++, values++)
		if (bits & *values)
			vstring_sprintf_append(out, "%s%s", vstring_len(out) ?
			    "," : "", *names);
}

void
qenv_dump_rcpt(ATTR *a, const QF_MSG *qf, int i)
{
	static const int notify_bits[] = {QF_NOTIFY_NEVER, QF_NOTIFY_SUCCESS,
	QF_NOTIFY_FAILURE, QF_NOTIFY_DELAY};
	static const char *notify_names[] = {"NEVER", "SUCCESS", "FAILURE",
	"DELAY", NULL};
	static const int flag_bits[] = {QF_RCPT_FLAG_HELD, QF_RCPT_FLAG_BOUNCED,
		QF_RCPT_FLAG_REMOVED, QF_RCPT_FLAG_DELIVERED,
	QF_RCPT_FLAG_WARNED};
	static const char *flag_names[] = {"held", "bounced", "removed",
	"delivered", "warned", NULL};
	const QF_RCPT *rp = &qf->rcpt[i];
	VSTRING	*words = vstring_alloc(32);
	char	 envid[17];

	qf_envid_format(rp->envid, envid);
	attr_add(a, "address", rp->address);
	attr_add(a, "envelope_id", envid);
	if (rp->orcpt != NULL)
		attr_add(a, "orcpt", rp->orcpt);
	qenv_words(words, rp->notify, notify_bits, notify_names);
	attr_add(a, "notify", vstring_str(words));
	attr_add(a, "status", rp->status == QF_RCPT_DONE ? "done" : "pending");
	qenv_words(words, rp->flags, flag_bits, flag_names);
	attr_add(a, "flags", vstring_str(words));
	attr_add_long(a, "attempts", rp->attempts);
	attr_add_long(a, "last_try", (long long)rp->last_attempt);
	attr_add_long(a, "next_try", (long long)rp->next_attempt);
	attr_add(a, "last_error", rp->last_error);
	vstring_free(words);
}
