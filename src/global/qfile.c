/*
 * NAME
 *	qfile - write a new queue file
 * SYNOPSIS
 *	#include <qfile.h>
 *
 *	QF_WRITER *qf_create(const char *queue_dir, VSTRING *why);
 *	const char *qf_writer_id(QF_WRITER *w);
 *	void	qf_set_sender(QF_WRITER *w, const char *sender);
 *	void	qf_set_arrival(QF_WRITER *w, time_t when);
 *	void	qf_set_arrival_usec(QF_WRITER *w, long usec);
 *	void	qf_set_family(QF_WRITER *w, int af);
 *	void	qf_set_dsn(QF_WRITER *w, const char *envid, int ret);
 *	void	qf_set_origin(QF_WRITER *w, const char *origin);
 *	void	qf_set_attr(QF_WRITER *w, const char *name, const char *value);
 *	const char *qf_writer_attr(QF_WRITER *w, const char *name);
 *	uint64_t qf_add_rcpt(QF_WRITER *w, const char *addr,
 *		    const char *orcpt, int notify);
 *	int	qf_write_content(QF_WRITER *w, const char *buf, size_t len);
 *	off_t	qf_content_size(QF_WRITER *w);
 *	int	qf_commit(QF_WRITER *w, const char *queue, VSTRING *why);
 *	void	qf_abort(QF_WRITER *w);
 *
 *	int	qf_del_rcpt(QF_WRITER *w, const char *addr);
 *	off_t	qf_content_offset(QF_WRITER *w);
 *	ssize_t	qf_writer_read(QF_WRITER *w, off_t off, void *buf,
 *		    size_t len);
 *	int	qf_content_restart(QF_WRITER *w, off_t *old_off,
 *		    off_t *old_len);
 * DESCRIPTION
 *	qf_create() picks a random 32-bit message-id, creates
 *	queue_dir/tmp/.<id> with O_EXCL (retrying on collision) and returns
 *	a writer. That name is the id's reservation: qf_commit() links the
 *	queue file to it and it stays until qf_remove(), so the one O_EXCL
 *	create tells whether the id is in use in any queue directory (no
 *	probe of incoming, active, deferred, hold and corrupt; qf_tmp_reclaim(3)
 *	reserves the ids of files written by an earlier build). The envelope is kept in memory until the first
 *	content write; then the header placeholder, the envelope records
 *	and the per-recipient state slots are written, and content follows
 *	as raw bytes (the caller supplies LF line endings). Envelope
 *	changes after content has started are allowed: qf_commit() then
 *	writes the whole envelope again after the content and points the
 *	header at that copy. The arrival time is the creation time, to the
 *	microsecond, unless qf_set_arrival() and qf_set_arrival_usec() say
 *	otherwise.
 *
 *	qf_set_attr() sets (or replaces) an envelope attribute, name=value;
 *	qf_writer_attr() returns the value set for name, or null.
 *
 *	qf_add_rcpt() returns the recipient's envelope-id: the message-id
 *	in the upper 32 bits, a random number (unique within the message,
 *	never zero) below. notify is a QF_NOTIFY_* mask, orcpt may be null.
 *
 *	qf_commit() writes the header (sizes, counts, checksum, and what
 *	the writer learned: whether a content byte has the high bit set,
 *	which qf_write_content() notes as the content goes by, and that no
 *	per-message log exists yet; see qf_open(3)), fsyncs the
 *	file once, links it into queue_dir/<queue> (never replacing an
 *	existing file; the tmp/ name stays as the reservation), and fsyncs
 *	that directory. Only then is the message
 *	durable and may be acknowledged. qf_commit() always destroys the
 *	writer: on failure it removes the temporary file (and so the
 *	reservation) and returns -1 with the reason in why. qf_abort() removes the temporary file and
 *	destroys the writer.
 *
 *	qf_del_rcpt() removes every recipient whose address equals addr
 *	(case does not matter) and returns how many.
 *
 *	Editing content already written (the cleanup stage's end-of-message
 *	step, cleanup(3)): qf_content_offset() is the file offset where the
 *	content starts, qf_writer_read() reads back what was written
 *	(file offsets; the temporary file is open read-write for this),
 *	and qf_content_restart() abandons the content
 *	written so far: what follows is the new content, written after the
 *	old, which stays in the file as dead space. *old_off and *old_len
 *	say where the old content is, so that the caller can copy from it.
 *
 *
 *	The writer holds an exclusive flock(2) on its file in tmp/ until
 *	qf_commit() or qf_abort(), so that qf_tmp_reclaim() can tell a file
 *	being written from one that a crash left behind.
 *	A crash before qf_commit() returns leaves at worst a stale file in
 *	tmp/ (never a partial file in a queue directory); qf_make_dirs()
 *	removes such files when they are older than a day.
 * DIAGNOSTICS
 *	qf_create() returns a null pointer with the reason in why. Write
 *	errors are remembered: qf_write_content() returns -1 and the commit
 *	fails. Calling a setter after qf_commit() is a caller bug.
 */
#include <sys/file.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "has8bit.h"
#include "htable.h"
#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"
#include "qfile_priv.h"
#include "safe_file.h"

#define QF_WBUF_SIZE	65536

typedef struct QF_WRCPT {
	char	*addr;
	char	*orcpt;
	int	 notify;
	uint64_t envid;
} QF_WRCPT;

struct QF_WRITER {
	char	 id[QF_ID_LEN + 1];
	uint32_t msgid;
	char	*queue_dir;
	char	*tmp_path;
	int	 fd;
	int	 err;			/* sticky errno of a failed write */
	char	*sender;
	char	*origin;
	char	*dsn_envid;
	int	 dsn_ret;
	int	 family;
	time_t	 arrival;
	long	 usec;
	ARGV	*attr_names;
	ARGV	*attr_values;
	QF_WRCPT *rcpt;
	size_t	 nrcpt;
	size_t	 rcpt_size;
	HTABLE	*envids;		/* lower 32 bits in use */
	int	 started;		/* envelope written, content follows */
	int	 late;			/* envelope changed after content began */
	uint64_t env_off, env_len, slot_off;
	uint64_t data_off, data_len;
	uint64_t file_off;		/* end of what has been written */
	int	 eightbit;		/* a content byte has the high bit set */
	VSTRING	*env;			/* encoded envelope */
	unsigned char *wbuf;
	size_t	 wlen;
};

QF_WRITER *
qf_create(const char *queue_dir, VSTRING *why)
{
	VSTRING	*path = vstring_alloc(100);
	QF_WRITER *w;
	uint32_t msgid;
	int	 fd = -1, tries;
	struct timeval now;

	/*
	 * tmp/.<id> is the id's reservation for the message's whole life
	 * (qf_commit links the queue file to it): O_EXCL there is the one
	 * test that the id is free in every queue.
	 */
	for (tries = 0; tries < 100; tries++) {
		msgid = qf_random32();
		vstring_sprintf(path, "%s/%s/.%08x", queue_dir, QF_TMP, msgid);
		fd = open(vstring_str(path), O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		if (errno == EEXIST)
			qf_why(why, "create queue file: no free message-id after %d tries", tries);
		else
			qf_why(why, "create %s: %s", vstring_str(path), strerror(errno));
		vstring_free(path);
		return NULL;
	}
	/* A live writer: the master's tmp/ clean-up leaves the file alone. */
	(void)flock(fd, LOCK_EX | LOCK_NB);
	w = mycalloc(1, sizeof(*w));
	snprintf(w->id, sizeof(w->id), "%08x", msgid);
	w->msgid = msgid;
	w->queue_dir = mystrdup(queue_dir);
	w->tmp_path = vstring_export(path);
	w->fd = fd;
	w->sender = mystrdup("");
	gettimeofday(&now, NULL);
	w->arrival = now.tv_sec;
	w->usec = (long)now.tv_usec;
	w->attr_names = argv_alloc(8);
	w->attr_values = argv_alloc(8);
	w->envids = htable_create(16);
	w->env = vstring_alloc(512);
	w->wbuf = mymalloc(QF_WBUF_SIZE);
	return w;
}

const char *
qf_writer_id(QF_WRITER *w)
{
	return w->id;
}

/* qf_changed - note an envelope change; after content it needs a rewrite. */
static void
qf_changed(QF_WRITER *w)
{
	if (w->fd < 0)
		msg_panic("qf: envelope change on a finished writer");
	if (w->started)
		w->late = 1;
}

static void
qf_replace(char **dst, const char *src)
{
	myfree(*dst);
	*dst = src ? mystrdup(src) : NULL;
}

void
qf_set_sender(QF_WRITER *w, const char *sender)
{
	qf_changed(w);
	qf_replace(&w->sender, sender ? sender : "");
}

void
qf_set_arrival(QF_WRITER *w, time_t when)
{
	qf_changed(w);
	w->arrival = when;
}

void
qf_set_arrival_usec(QF_WRITER *w, long usec)
{
	qf_changed(w);
	w->usec = usec >= 0 && usec < 1000000 ? usec : 0;
}

void
qf_set_family(QF_WRITER *w, int af)
{
	qf_changed(w);
	w->family = af;
}

void
qf_set_dsn(QF_WRITER *w, const char *envid, int ret)
{
	qf_changed(w);
	qf_replace(&w->dsn_envid, envid);
	w->dsn_ret = ret;
}

void
qf_set_origin(QF_WRITER *w, const char *origin)
{
	qf_changed(w);
	qf_replace(&w->origin, origin);
}

void
qf_set_attr(QF_WRITER *w, const char *name, const char *value)
{
	ssize_t	 i;

	qf_changed(w);
	if (*name == 0 || value == NULL)
		msg_panic("qf_set_attr: empty name or null value");
	if ((i = qf_attr_index(w->attr_names, name)) >= 0) {
		qf_replace(&w->attr_values->argv[i], value);
		return;
	}
	argv_add(w->attr_names, name);
	argv_add(w->attr_values, value);
}

const char *
qf_writer_attr(QF_WRITER *w, const char *name)
{
	ssize_t	 i = qf_attr_index(w->attr_names, name);

	return i < 0 ? NULL : w->attr_values->argv[i];
}

uint64_t
qf_add_rcpt(QF_WRITER *w, const char *addr, const char *orcpt, int notify)
{
	char	 key[QF_ID_LEN + 1];
	uint32_t low;
	QF_WRCPT *rp;

	qf_changed(w);
	if (w->nrcpt >= QF_MAX_RCPT)
		msg_panic("qf_add_rcpt: more than %d recipients", QF_MAX_RCPT);
	do {
		low = qf_random32();
		snprintf(key, sizeof(key), "%08x", low);
	} while (low == 0 || htable_find(w->envids, key) != NULL);
	htable_enter(w->envids, key, w);
	if (w->nrcpt == w->rcpt_size) {
		w->rcpt_size = w->rcpt_size ? 2 * w->rcpt_size : 8;
		w->rcpt = myrealloc(w->rcpt, w->rcpt_size * sizeof(*w->rcpt));
	}
	rp = w->rcpt + w->nrcpt++;
	rp->addr = mystrdup(addr);
	rp->orcpt = orcpt ? mystrdup(orcpt) : NULL;
	rp->notify = notify;
	rp->envid = (uint64_t)w->msgid << 32 | low;
	return rp->envid;
}

/* qf_rec - append one envelope record. */
static void
qf_rec(VSTRING *env, int type, const void *a, size_t alen,
    const void *b, size_t blen)
{
	unsigned char hdr[QF_REC_HLEN];

	hdr[0] = type;
	qf_put32(hdr + 1, (uint32_t)(alen + blen));
	vstring_memcat(env, hdr, sizeof(hdr));
	vstring_memcat(env, a, alen);
	if (blen)
		vstring_memcat(env, b, blen);
}

static void
qf_rec_rcpt(VSTRING *env, const QF_WRCPT *rp)
{
	VSTRING	*buf = vstring_alloc(64);
	unsigned char fix[16];
	size_t	 alen = strlen(rp->addr);

	qf_put64(fix, rp->envid);
	qf_put32(fix + 8, (uint32_t)rp->notify);
	qf_put32(fix + 12, (uint32_t)alen);
	vstring_memcpy(buf, fix, sizeof(fix));
	vstring_memcat(buf, rp->addr, alen);
	vstring_addch(buf, rp->orcpt != NULL);
	if (rp->orcpt)
		vstring_strcat(buf, rp->orcpt);
	qf_rec(env, QF_REC_RCPT, vstring_str(buf), vstring_len(buf), NULL, 0);
	vstring_free(buf);
}

/* qf_encode_env - the envelope records, in w->env. */
static void
qf_encode_env(QF_WRITER *w)
{
	size_t	 i;

	vstring_reset(w->env);
	qf_rec(w->env, QF_REC_SENDER, w->sender, strlen(w->sender), NULL, 0);
	if (w->origin)
		qf_rec(w->env, QF_REC_ORIGIN, w->origin, strlen(w->origin), NULL, 0);
	if (w->dsn_envid)
		qf_rec(w->env, QF_REC_ENVID, w->dsn_envid, strlen(w->dsn_envid), NULL, 0);
	for (i = 0; i < w->attr_names->argc; i++)
		qf_rec(w->env, QF_REC_ATTR, w->attr_names->argv[i],
		    strlen(w->attr_names->argv[i]) + 1, w->attr_values->argv[i],
		    strlen(w->attr_values->argv[i]));
	for (i = 0; i < w->nrcpt; i++)
		qf_rec_rcpt(w->env, w->rcpt + i);
}

/* qf_raw_write - write all bytes at the current file position. */
static int
qf_raw_write(QF_WRITER *w, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t	 n;

	if (w->err)
		return -1;
	while (len > 0) {
		if ((n = write(w->fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			w->err = errno;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		w->file_off += (uint64_t)n;
	}
	return 0;
}

static int
qf_flush(QF_WRITER *w)
{
	int	 ret = qf_raw_write(w, w->wbuf, w->wlen);

	w->wlen = 0;
	return ret;
}

static int
qf_buf_write(QF_WRITER *w, const void *buf, size_t len)
{
	if (w->wlen + len > QF_WBUF_SIZE && qf_flush(w) < 0)
		return -1;
	if (len >= QF_WBUF_SIZE)
		return qf_raw_write(w, buf, len);
	memcpy(w->wbuf + w->wlen, buf, len);
	w->wlen += len;
	return 0;
}

/* qf_put_env - write envelope + padding + fresh slots at the end. */
static int
qf_put_env(QF_WRITER *w)
{
	unsigned char slot[QF_SLOT_SIZE];
	static const unsigned char zero[QF_SLOT_SIZE];
	uint64_t pos;
	size_t	 i, pad;

	qf_encode_env(w);
	pos = w->file_off + w->wlen;
	w->env_off = pos;
	w->env_len = vstring_len(w->env);
	if (qf_buf_write(w, vstring_str(w->env), vstring_len(w->env)) < 0)
		return -1;
	pos += w->env_len;
	pad = (QF_SLOT_SIZE - pos % QF_SLOT_SIZE) % QF_SLOT_SIZE;
	if (qf_buf_write(w, zero, pad) < 0)
		return -1;
	w->slot_off = pos + pad;
	for (i = 0; i < w->nrcpt; i++) {
		qf_slot_encode(slot, (uint32_t)i, QF_RCPT_PENDING, 0, 0, 0, 0, "");
		if (qf_buf_write(w, slot, sizeof(slot)) < 0)
			return -1;
	}
	return 0;
}

/* qf_start - header placeholder, envelope and slots; content follows. */
static int
qf_start(QF_WRITER *w)
{
	static const unsigned char zero[QF_HDR_SIZE];

	w->started = 1;
	if (qf_buf_write(w, zero, sizeof(zero)) < 0 || qf_put_env(w) < 0)
		return -1;
	w->data_off = w->file_off + w->wlen;
	return 0;
}

int
qf_write_content(QF_WRITER *w, const char *buf, size_t len)
{
	if (w->fd < 0)
		msg_panic("qf_write_content: finished writer");
	if (!w->started && qf_start(w) < 0)
		return -1;
	if (qf_buf_write(w, buf, len) < 0)
		return -1;
	if (!w->eightbit)
		w->eightbit = has8bit(buf, len);
	w->data_len += len;
	return 0;
}

off_t
qf_content_size(QF_WRITER *w)
{
	return (off_t)w->data_len;
}

/* qf_header - encode the final header. */
static void
qf_header(QF_WRITER *w, unsigned char *h)
{
	uint32_t sum;

	memset(h, 0, QF_HDR_SIZE);
	memcpy(h + QF_H_MAGIC, QF_MAGIC, 4);
	qf_put32(h + QF_H_VERSION, QF_VERSION);
	qf_put32(h + QF_H_MSGID, w->msgid);
	qf_put32(h + QF_H_NRCPT, (uint32_t)w->nrcpt);
	qf_put64(h + QF_H_ENV_OFF, w->env_off);
	qf_put64(h + QF_H_ENV_LEN, w->env_len);
	qf_put64(h + QF_H_SLOT_OFF, w->slot_off);
	qf_put64(h + QF_H_DATA_OFF, w->data_off);
	qf_put64(h + QF_H_DATA_LEN, w->data_len);
	qf_put64(h + QF_H_ARRIVAL, (uint64_t)(int64_t)w->arrival);
	qf_put32(h + QF_H_USEC, (uint32_t)w->usec);
	qf_put32(h + QF_H_FAMILY, (uint32_t)qf_fam_encode(w->family));
	qf_put32(h + QF_H_RET, (uint32_t)w->dsn_ret);
	sum = qf_fnv(QF_FNV_INIT, h, QF_H_SUM);
	sum = qf_fnv(sum, vstring_str(w->env), vstring_len(w->env));
	qf_put32(h + QF_H_SUM, sum);
	/* A new message-id has no logs yet (qf_logs_begin). */
	qf_flags_encode(h + QF_H_FLAGS, QF_HF_SCANNED | QF_HF_NOLOGS |
	    (w->eightbit ? QF_HF_8BIT : 0));
}

/* qf_finish - complete the file on disk and fsync it. */
static int
qf_finish(QF_WRITER *w)
{
	unsigned char h[QF_HDR_SIZE];
	ssize_t	 n;

	if (!w->started && qf_start(w) < 0)
		return -1;
	if (w->late && qf_put_env(w) < 0)
		return -1;
	if (qf_flush(w) < 0)
		return -1;
	qf_header(w, h);
	if ((n = pwrite(w->fd, h, sizeof(h), 0)) != (ssize_t)sizeof(h)) {
		w->err = n < 0 ? errno : EIO;
		return -1;
	}
	if (fsync(w->fd) < 0) {
		w->err = errno;
		return -1;
	}
	return 0;
}

static void
qf_free_writer(QF_WRITER *w)
{
	size_t	 i;

	if (w->fd >= 0)
		(void)close(w->fd);
	for (i = 0; i < w->nrcpt; i++) {
		myfree(w->rcpt[i].addr);
		myfree(w->rcpt[i].orcpt);
	}
	myfree(w->rcpt);
	htable_free(w->envids, NULL);
	argv_free(w->attr_names);
	argv_free(w->attr_values);
	myfree(w->sender);
	myfree(w->origin);
	myfree(w->dsn_envid);
	myfree(w->queue_dir);
	myfree(w->tmp_path);
	vstring_free(w->env);
	myfree(w->wbuf);
	myfree(w);
}

/*
 * qf_sync_dir - fsync(2) a queue directory after a link into it. Its
 * descriptor stays open for the next commit of this process (the
 * same directory, as a rule): an open and a close less per message.
 */
static int
qf_sync_dir(const char *dir)
{
	static char *cached;
	static int fd = -1;

	if (fd < 0 || strcmp(cached, dir) != 0) {
		if (fd >= 0)
			(void)close(fd);
		myfree(cached);
		cached = NULL;
		while ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			if (errno != EINTR)
				return -1;
		cached = mystrdup(dir);
	}
	return fsync_file(fd);
}

int
qf_commit(QF_WRITER *w, const char *queue, VSTRING *why)
{
	VSTRING	*dir = vstring_alloc(100);
	VSTRING	*path = vstring_alloc(100);
	int	 ret = -1;

	if (w->fd < 0)
		msg_panic("qf_commit: finished writer");
	vstring_sprintf(dir, "%s/%s", w->queue_dir, queue);
	vstring_sprintf(path, "%s/%s", vstring_str(dir), w->id);
	if (qf_finish(w) < 0) {
		qf_why(why, "write queue file %s: %s", w->id, strerror(w->err));
		goto out;
	}
	/* A link, not a rename: the tmp/ name stays, as the reservation. */
	if (link(w->tmp_path, vstring_str(path)) < 0) {
		qf_why(why, "link %s to %s: %s", w->tmp_path, vstring_str(path),
		    strerror(errno));
		goto out;
	}
	if (qf_sync_dir(vstring_str(dir)) < 0) {
		/* The file is in place; only its durability is in doubt. */
		qf_why(why, "fsync %s: %s", vstring_str(dir), strerror(errno));
		(void)unlink(vstring_str(path));
		goto out;
	}
	ret = 0;
	goto out_freed;
out:
	(void)unlink(w->tmp_path);
out_freed:
	qf_free_writer(w);
	vstring_free(dir);
	vstring_free(path);
	return ret;
}

void
qf_abort(QF_WRITER *w)
{
	if (w->fd < 0)
		msg_panic("qf_abort: finished writer");
	(void)unlink(w->tmp_path);
	qf_free_writer(w);
}

int
qf_del_rcpt(QF_WRITER *w, const char *addr)
{
	size_t	 i, j;
	int	 n = 0;

	qf_changed(w);
	for (i = j = 0; i < w->nrcpt; i++) {
		if (strcasecmp(w->rcpt[i].addr, addr) == 0) {
			myfree(w->rcpt[i].addr);
			myfree(w->rcpt[i].orcpt);
			n++;
		} else {
			w->rcpt[j++] = w->rcpt[i];
		}
	}
	w->nrcpt = j;
	return n;
}

off_t
qf_content_offset(QF_WRITER *w)
{
	if (!w->started && qf_start(w) < 0)
		return -1;
	return (off_t)w->data_off;
}

ssize_t
qf_writer_read(QF_WRITER *w, off_t off, void *buf, size_t len)
{
	ssize_t	 n;

	if (w->fd < 0)
		msg_panic("qf_writer_read: finished writer");
	if (qf_flush(w) < 0)
		return -1;
	while ((n = pread(w->fd, buf, len, off)) < 0 && errno == EINTR)
		;
	return n;
}

int
qf_content_restart(QF_WRITER *w, off_t *old_off, off_t *old_len)
{
	if (w->fd < 0)
		msg_panic("qf_content_restart: finished writer");
	if (!w->started && qf_start(w) < 0)
		return -1;
	if (qf_flush(w) < 0)
		return -1;
	*old_off = (off_t)w->data_off;
	*old_len = (off_t)w->data_len;
	w->data_off = w->file_off;
	w->data_len = 0;
	w->eightbit = 0;
	return 0;
}
