/*
 * NAME
 *	qfile_open - read and update an existing queue file
 * SYNOPSIS
 *	#include <qfile.h>
 *
 *	QF_MSG	*qf_open(const char *queue_dir, const char *queue,
 *		    const char *id, int mode, VSTRING *why);
 *	QF_MSG	*qf_open_content(const char *queue_dir, const char *queue,
 *		    const char *id, int mode, off_t content_offset,
 *		    off_t content_size, VSTRING *why);
 *	int	qf_prefetch(const char *queue_dir, const char *queue,
 *		    const char *id);
 *	int	qf_arrival_at(int dir_fd, const char *id, struct timeval *tv);
 *	int	qf_logs_begin(QF_MSG *msg);
 *	void	qf_close(QF_MSG *msg);
 *	const char *qf_attr(const QF_MSG *msg, const char *name);
 *	ssize_t	qf_read_content(QF_MSG *msg, off_t offset, void *buf,
 *		    size_t len);
 *	int	qf_update_rcpt(QF_MSG *msg, int index);
 *	int	qf_mark_rcpt(QF_MSG *msg, int index);
 *	int	qf_slot_delivered(QF_MSG *msg, int index);
 *	void	qf_release(QF_MSG *msg);
 *	int	qf_lock_agent(QF_MSG *msg);
 *	int	qf_agent_busy(const char *queue_dir, const char *queue,
 *		    const char *id);
 * DESCRIPTION
 *	qf_open() opens queue_dir/queue/id (QF_OPEN_RDONLY or QF_OPEN_RDWR)
 *	and parses the header, the envelope records and the recipient state
 *	slots without trusting any of them: magic, version, the message-id
 *	against the file name, every offset and length against the file
 *	size, sections that must not overlap, the checksum over header and
 *	envelope, every record length, and the recipient count. It reads
 *	the start of the file once (QF_OPEN_READ bytes): header, envelope
 *	and slots of a message with a few recipients, and the content of a
 *	small one, which is then kept in memory until qf_release() or
 *	qf_close(). A file opened read-only keeps its access time
 *	(O_NOATIME where the system has it and the caller owns the file):
 *	listing a queue whose files were deferred since they were last
 *	read does not write their inodes. qf_read_content() reads len
 *	bytes of the content from offset (relative to the content start),
 *	from that memory or from the file, and returns the byte count (0
 *	at the end), or -1.
 *
 *	qf_open_content() is qf_open() for a delivery agent whose request
 *	says where the content is (from a previous qf_open() by the queue
 *	manager): the first read then reaches the content end, up to
 *	QF_OPEN_MAX bytes, so that the agent reads the file once. The file
 *	is authoritative: msg->content_offset and msg->content_size come
 *	from its header; a hint that differs only costs reads.
 *
 *	qf_prefetch() has the kernel start reading what qf_open() will
 *	read of queue_dir/queue/id (posix_fadvise(2) WILLNEED), for a
 *	caller about to open many files (a queue listing). It returns 1
 *	when it did, 0 when the start of the file is in memory already
 *	(preadv2(2) RWF_NOWAIT, where the system has it: else it always
 *	reads ahead), -1 when the file cannot be opened.
 *
 *	qf_arrival_at() reads only the header of the queue file id in the
 *	directory dir_fd and stores its arrival time (to the microsecond)
 *	in tv: an order of arrival finer than the file system's time
 *	stamps. It returns 0, or -1 when the file cannot be read or its
 *	header is not one of this format.
 *
 *	The header also says what its writer learned (qfile(3)):
 *	msg->content_8bit is QF_8BIT_YES when a content byte has the high
 *	bit set, QF_8BIT_NO when none has, QF_8BIT_UNKNOWN for a file of an
 *	earlier build. msg->nologs is 1 when no bounce, defer or trace log
 *	of this message exists, so that a reader need not look (0: unknown,
 *	look). qf_logs_begin() must precede the creation of such a log:
 *	when the header says none exist, it clears that in place (one
 *	aligned 8-byte pwrite, then fdatasync, so that a log that survives
 *	a crash is always announced). It returns 0, or -1 with errno set.
 *
 *	A state slot whose checksum does not match (it cannot happen with
 *	sector-atomic writes, but disks lie) is treated as a pending
 *	recipient with no history, with a warning: at worst a recipient is
 *	delivered twice, never lost.
 *
 *	qf_update_rcpt() writes msg->rcpt[index]'s status, flags, attempts,
 *	times and last error into its slot with one pwrite of one aligned
 *	512-byte block and fdatasync()s the file. It returns 0, or -1 with
 *	errno set. A message opened read-only, or released, is opened
 *	read-write by path for just this update (a delivery agent that
 *	records a result the queue manager could not take, deliver_reply(3)).
 *	qf_mark_rcpt() writes the slot the same way without the fdatasync():
 *	the update survives a killed process, not a lost machine (a
 *	delivery agent's early note of a delivered recipient, which the
 *	queue manager then makes durable). qf_slot_delivered() reads
 *	rcpt[index]'s slot back from the file, leaving msg alone: 1 when a
 *	delivery agent marked it delivered, 0 when not, -1 when the file
 *	cannot be read (the queue manager asks when an agent died before it
 *	reported).
 *
 *	qf_release() closes msg's descriptor and keeps everything parsed:
 *	a program that holds many messages in memory (the queue manager)
 *	then needs no descriptor per message. qf_read_content() and
 *	qf_update_rcpt() on a released message open the file by its path
 *	for the call; the caller must not have moved it meanwhile.
 *
 *	qf_lock_agent() takes a shared lock (flock) on msg's open file, held
 *	until qf_close(): a delivery agent holds it while it works on the
 *	message. qf_agent_busy() tells whether such a lock is held (1), not
 *	held (0), or the file cannot be opened (-1, errno ENOENT when it is
 *	gone). A queue manager that starts after a crash of its predecessor
 *	leaves a busy file in active/ until the agent is done: the agent may
 *	still record there the results it could not report
 *	(deliver_reply(3)), and the new queue manager must see them.
 *
 *	qf_attr() returns the value of an envelope attribute set with
 *	qf_set_attr(), or a null pointer.
 * DIAGNOSTICS
 *	qf_open() returns a null pointer with the reason in why; errno is
 *	ENOENT when the file does not exist and EINVAL when it does not
 *	parse (the caller moves such a file to corrupt/).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"
#include "qfile_priv.h"

typedef struct QF_HDR {
	uint32_t msgid, nrcpt;
	uint64_t env_off, env_len, slot_off, data_off, data_len;
	int64_t	 arrival;
	uint32_t usec, family, ret, sum;
} QF_HDR;

static int
qf_pread_all(int fd, void *buf, size_t len, off_t off)
{
	char	*p = buf;
	ssize_t	 n;

	while (len > 0) {
		if ((n = pread(fd, p, len, off)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EINVAL;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/*
 * qf_pread_upto - up to len bytes at off: the count, or -1. A regular
 * file reads short only at its end, so a short read is not retried.
 */
static ssize_t
qf_pread_upto(int fd, void *buf, size_t len, off_t off)
{
	ssize_t	 n;

	while ((n = pread(fd, buf, len, off)) < 0 && errno == EINTR)
		;
	return n;
}

/* qf_parse_hdr - decode and check the fixed header against the file size. */
static const char *
qf_parse_hdr(const unsigned char *h, QF_HDR *hp, uint32_t msgid, uint64_t size)
{
	uint64_t slot_end;

	if (memcmp(h + QF_H_MAGIC, QF_MAGIC, 4) != 0)
		return "bad magic (incomplete or foreign file)";
	if (qf_get32(h + QF_H_VERSION) != QF_VERSION)
		return "unsupported version";
	hp->msgid = qf_get32(h + QF_H_MSGID);
	hp->nrcpt = qf_get32(h + QF_H_NRCPT);
	hp->env_off = qf_get64(h + QF_H_ENV_OFF);
	hp->env_len = qf_get64(h + QF_H_ENV_LEN);
	hp->slot_off = qf_get64(h + QF_H_SLOT_OFF);
	hp->data_off = qf_get64(h + QF_H_DATA_OFF);
	hp->data_len = qf_get64(h + QF_H_DATA_LEN);
	hp->arrival = (int64_t)qf_get64(h + QF_H_ARRIVAL);
	hp->usec = qf_get32(h + QF_H_USEC);
	hp->family = qf_get32(h + QF_H_FAMILY);
	hp->ret = qf_get32(h + QF_H_RET);
	hp->sum = qf_get32(h + QF_H_SUM);
	if (hp->msgid != msgid)
		return "message-id does not match the file name";
	if (hp->nrcpt > QF_MAX_RCPT || hp->env_len > QF_MAX_ENV)
		return "recipient count or envelope size out of bounds";
	if (hp->usec >= 1000000 || hp->ret > QF_RET_HDRS)
		return "bad header field";
	if (hp->env_off < QF_HDR_SIZE || hp->env_off > size ||
	    hp->env_len > size - hp->env_off)
		return "envelope outside the file";
	if (hp->slot_off % QF_SLOT_SIZE != 0 || hp->slot_off < hp->env_off + hp->env_len)
		return "misplaced state slots";
	slot_end = hp->slot_off + (uint64_t)hp->nrcpt * QF_SLOT_SIZE;
	if (hp->slot_off > size || slot_end > size)
		return "state slots outside the file";
	if (hp->data_off < QF_HDR_SIZE || hp->data_off > size ||
	    hp->data_len > size - hp->data_off)
		return "content outside the file";
	if (hp->data_off < slot_end && hp->data_off + hp->data_len > hp->env_off)
		return "content overlaps the envelope";
	return NULL;
}

/* qf_str - copy a record payload as a string, refusing embedded nulls. */
static char *
qf_str(const unsigned char *p, size_t len)
{
	if (len > QF_MAX_STR || memchr(p, 0, len) != NULL)
		return NULL;
	return mystrndup((const char *)p, len);
}

static const char *
qf_parse_rcpt(QF_MSG *msg, const unsigned char *p, size_t len)
{
	QF_RCPT	*rp;
	uint32_t alen;

	if ((uint32_t)msg->nrcpt >= msg->nrcpt_max)
		return "more recipient records than the header says";
	if (len < 17)
		return "short recipient record";
	alen = qf_get32(p + 12);
	if (alen > len - 17)
		return "bad recipient address length";
	rp = msg->rcpt + msg->nrcpt;
	rp->envid = qf_get64(p);
	rp->notify = (int)qf_get32(p + 8);
	if ((uint32_t)(rp->envid >> 32) != msg->msgid)
		return "envelope-id does not belong to this message";
	if ((rp->address = qf_str(p + 16, alen)) == NULL)
		return "bad recipient address";
	msg->nrcpt++;
	if (p[16 + alen] > 1)
		return "bad recipient record";
	if (p[16 + alen] == 1 &&
	    (rp->orcpt = qf_str(p + 17 + alen, len - 17 - alen)) == NULL)
		return "bad original recipient";
	if (p[16 + alen] == 0 && len != 17 + alen)
		return "trailing bytes in recipient record";
	return NULL;
}

static const char *
qf_parse_attr(QF_MSG *msg, const unsigned char *p, size_t len)
{
	const unsigned char *nul = memchr(p, 0, len);
	char	*name, *value;

	if (nul == NULL || nul == p)
		return "bad attribute record";
	if ((name = qf_str(p, (size_t)(nul - p))) == NULL)
		return "bad attribute name";
	if ((value = qf_str(nul + 1, len - (size_t)(nul - p) - 1)) == NULL) {
		myfree(name);
		return "bad attribute value";
	}
	argv_add(msg->attr_names, name);
	argv_add(msg->attr_values, value);
	myfree(name);
	myfree(value);
	return NULL;
}

/* qf_parse_rec - one envelope record. */
static const char *
qf_parse_rec(QF_MSG *msg, int type, const unsigned char *p, size_t len,
    int *have_sender)
{
	char	**dst;

	switch (type) {
	case QF_REC_RCPT:
		return qf_parse_rcpt(msg, p, len);
	case QF_REC_ATTR:
		return qf_parse_attr(msg, p, len);
	case QF_REC_SENDER:
		*have_sender += 1;
		dst = &msg->sender;
		break;
	case QF_REC_ORIGIN:
		dst = &msg->origin;
		break;
	case QF_REC_ENVID:
		dst = &msg->dsn_envid;
		break;
	default:
		if (type >= 'a' && type <= 'z')
			return NULL;	/* optional record of a later version */
		return "unknown envelope record type";
	}
	if (*dst != NULL)
		return "duplicate envelope record";
	if ((*dst = qf_str(p, len)) == NULL)
		return "bad envelope string";
	return NULL;
}

static const char *
qf_parse_env(QF_MSG *msg, const unsigned char *env, size_t len)
{
	const char *err;
	size_t	 pos = 0;
	uint32_t rlen;
	int	 have_sender = 0;

	while (pos < len) {
		if (len - pos < QF_REC_HLEN)
			return "truncated envelope record";
		rlen = qf_get32(env + pos + 1);
		if (rlen > len - pos - QF_REC_HLEN)
			return "envelope record length out of bounds";
		err = qf_parse_rec(msg, env[pos], env + pos + QF_REC_HLEN, rlen,
		    &have_sender);
		if (err != NULL)
			return err;
		pos += QF_REC_HLEN + rlen;
	}
	if (have_sender != 1)
		return "missing sender record";
	if ((uint32_t)msg->nrcpt != msg->nrcpt_max)
		return "fewer recipient records than the header says";
	return NULL;
}

/* qf_slot_decode - one recipient's mutable state from its slot, or -1 */
/*
 * A recipient's last error is kept only when there is one: most have
 * none, and the queue manager holds many recipients at once.
 */
static char qf_no_error[1];

void
qf_rcpt_set_error(QF_RCPT *rp, const char *fmt, ...)
{
	char	 buf[QF_ERR_MAX + 1];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (rp->last_error != NULL && rp->last_error != qf_no_error)
		myfree(rp->last_error);
	rp->last_error = *buf ? mystrdup(buf) : qf_no_error;
}

static int
qf_slot_decode(QF_RCPT *rp, int i, const unsigned char *s)
{
	size_t	 elen = s[QF_S_ERRLEN] | (size_t)s[QF_S_ERRLEN + 1] << 8;

	if (qf_get32(s + QF_S_SUM) != qf_fnv(QF_FNV_INIT, s, QF_S_SUM) ||
	    qf_get32(s + QF_S_INDEX) != (uint32_t)i || s[QF_S_STATUS] > 1 ||
	    elen > QF_ERR_MAX || memchr(s + QF_S_ERR, 0, elen) != NULL)
		return -1;
	rp->status = s[QF_S_STATUS];
	rp->flags = s[QF_S_FLAGS];
	rp->attempts = (int)qf_get32(s + QF_S_ATTEMPTS);
	rp->last_attempt = (time_t)(int64_t)qf_get64(s + QF_S_LAST);
	rp->next_attempt = (time_t)(int64_t)qf_get64(s + QF_S_NEXT);
	qf_rcpt_set_error(rp, "%.*s", (int)elen, (const char *)s + QF_S_ERR);
	return 0;
}

/* qf_parse_slot - load one recipient's mutable state. */
static void
qf_parse_slot(QF_MSG *msg, int i, const unsigned char *s)
{
	QF_RCPT	*rp = msg->rcpt + i;

	rp->slot = (off_t)(msg->slot_off + (uint64_t)i * QF_SLOT_SIZE);
	if (qf_slot_decode(rp, i, s) < 0)
		msg_warn("%s: recipient %d: damaged state slot, treated as pending",
		    msg->id, i);
}

/*
 * qf_section - len bytes at off: in the file start that qf_open() read
 * (no copy, *tofree null), or read now into memory the caller frees.
 */
static const unsigned char *
qf_section(QF_MSG *msg, uint64_t off, size_t len, unsigned char **tofree)
{
	*tofree = NULL;
	if (off <= msg->head_len && len <= msg->head_len - off)
		return msg->head + off;
	*tofree = mymalloc(len ? len : 1);
	if (qf_pread_all(msg->fd, *tofree, len, (off_t)off) < 0) {
		myfree(*tofree);
		*tofree = NULL;
		return NULL;
	}
	return *tofree;
}

/* qf_load - check everything but the content; the header is in msg->head. */
static const char *
qf_load(QF_MSG *msg, uint64_t size)
{
	const unsigned char *h = msg->head, *env, *slots;
	unsigned char *tofree = NULL;
	const char *err = NULL;
	QF_HDR	 hdr;
	uint32_t i;

	if ((err = qf_parse_hdr(h, &hdr, msg->msgid, size)) != NULL)
		return err;
	if ((env = qf_section(msg, hdr.env_off, hdr.env_len, &tofree)) == NULL)
		return "cannot read envelope";
	if (qf_fnv(qf_fnv(QF_FNV_INIT, h, QF_H_SUM), env, hdr.env_len) != hdr.sum) {
		err = "header or envelope checksum mismatch";
		goto out;
	}
	msg->arrival = (time_t)hdr.arrival;
	msg->arrival_usec = (long)hdr.usec;
	msg->family = qf_fam_decode((int)hdr.family);
	msg->dsn_ret = (int)hdr.ret;
	msg->content_offset = (off_t)hdr.data_off;
	msg->content_size = (off_t)hdr.data_len;
	msg->hflags = qf_flags_decode(h + QF_H_FLAGS);
	msg->content_8bit = !(msg->hflags & QF_HF_SCANNED) ? QF_8BIT_UNKNOWN :
	    (msg->hflags & QF_HF_8BIT) ? QF_8BIT_YES : QF_8BIT_NO;
	msg->nologs = (msg->hflags & QF_HF_NOLOGS) != 0;
	msg->slot_off = hdr.slot_off;
	msg->nrcpt_max = hdr.nrcpt;
	msg->rcpt = mycalloc(hdr.nrcpt ? hdr.nrcpt : 1, sizeof(QF_RCPT));
	for (i = 0; i < hdr.nrcpt; i++)
		msg->rcpt[i].last_error = qf_no_error;
	if ((err = qf_parse_env(msg, env, hdr.env_len)) != NULL)
		goto out;
	myfree(tofree);
	if ((slots = qf_section(msg, hdr.slot_off, (size_t)hdr.nrcpt *
	    QF_SLOT_SIZE, &tofree)) == NULL)
		return "cannot read state slots";
	for (i = 0; i < hdr.nrcpt; i++)
		qf_parse_slot(msg, (int)i, slots + (size_t)i * QF_SLOT_SIZE);
out:
	myfree(tofree);
	return err;
}

/* qf_content_in_head - is the whole content in the file start read? */
static int
qf_content_in_head(const QF_MSG *msg)
{
	return msg->head != NULL && (uint64_t)msg->content_offset <= msg->head_len
	    && (uint64_t)msg->content_size <= msg->head_len -
	    (uint64_t)msg->content_offset;
}

/*
 * qf_open_fd - open a queue file; a reader leaves its access time alone
 * (a file deferred since it was last read would have its inode written:
 * smtpctl show queue over a big deferred queue), where allowed.
 */
static int
qf_open_fd(const char *path, int mode)
{
	int	 flags = O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;

	if (mode == QF_OPEN_RDWR)
		return open(path, O_RDWR | flags);
#ifdef O_NOATIME
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_NOATIME | flags)) >= 0
	    || errno != EPERM)
		return fd;		/* EPERM: not the file's owner */
#endif
	return open(path, O_RDONLY | flags);
}

int
qf_prefetch(const char *queue_dir, const char *queue, const char *id)
{
	char	 path[4096];
	int	 fd, cold = 1;

	if (!qf_valid_id(id) || (size_t)snprintf(path, sizeof(path),
	    "%s/%s/%s", queue_dir, queue, id) >= sizeof(path)
	    || (fd = qf_open_fd(path, QF_OPEN_RDONLY)) < 0)
		return -1;
#ifdef RWF_NOWAIT
	{
		char	 byte;
		struct iovec iov = {&byte, 1};

		cold = preadv2(fd, &iov, 1, 0, RWF_NOWAIT) < 0;
	}
#endif
	if (cold)
		(void)posix_fadvise(fd, 0, QF_OPEN_READ, POSIX_FADV_WILLNEED);
	(void)close(fd);
	return cold;
}

int
qf_arrival_at(int dir_fd, const char *id, struct timeval *tv)
{
	unsigned char h[QF_HDR_SIZE];
	int	 fd;
	ssize_t	 n;

	if (!qf_valid_id(id) || (fd = openat(dir_fd, id, O_RDONLY | O_CLOEXEC
	    | O_NOFOLLOW | O_NONBLOCK)) < 0)
		return -1;
	n = qf_pread_upto(fd, h, sizeof(h), 0);
	(void)close(fd);
	if (n != (ssize_t)sizeof(h) || memcmp(h + QF_H_MAGIC, QF_MAGIC, 4) != 0)
		return -1;
	tv->tv_sec = (time_t)(int64_t)qf_get64(h + QF_H_ARRIVAL);
	tv->tv_usec = (suseconds_t)(qf_get32(h + QF_H_USEC) % 1000000);
	return 0;
}

QF_MSG *
qf_open(const char *queue_dir, const char *queue, const char *id, int mode,
    VSTRING *why)
{
	return qf_open_content(queue_dir, queue, id, mode, -1, -1, why);
}

QF_MSG *
qf_open_content(const char *queue_dir, const char *queue, const char *id,
    int mode, off_t content_offset, off_t content_size, VSTRING *why)
{
	char	 path[4096];
	uint64_t want = QF_OPEN_READ, size;
	struct stat st;
	const char *err;
	unsigned char *head;
	ssize_t	 got;
	QF_MSG	*msg;
	int	 fd;

	if (!qf_valid_id(id)) {
		qf_why(why, "invalid queue id");
		errno = EINVAL;
		return NULL;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", queue_dir, queue, id) >= sizeof(path)) {
		qf_why(why, "queue file path too long");
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = qf_open_fd(path, mode);
	if (fd < 0) {
		qf_why(why, "open %s: %s", path, strerror(errno));
		return NULL;
	}
	/*
	 * One read: header, envelope, slots and, if small, the content. A
	 * short read ends at the end of the file, which gives its size; only
	 * a file that fills the read costs an fstat() (a directory, FIFO or
	 * device fails the read or that check).
	 */
	if (content_offset >= 0 && content_size >= 0
	    && content_size <= QF_OPEN_MAX - content_offset
	    && (uint64_t)(content_offset + content_size) > want)
		want = (uint64_t)(content_offset + content_size);
	head = mymalloc(want);
	if ((got = qf_pread_upto(fd, head, want, 0)) < 0
	    || ((uint64_t)got == want && (fstat(fd, &st) < 0
	    || !S_ISREG(st.st_mode)))) {
		qf_why(why, "%s: not a regular file", path);
		myfree(head);
		(void)close(fd);
		errno = EINVAL;
		return NULL;
	}
	size = (uint64_t)got < want ? (uint64_t)got : (uint64_t)st.st_size;
	msg = mycalloc(1, sizeof(*msg));
	msg->fd = fd;
	memcpy(msg->id, id, QF_ID_LEN + 1);
	msg->msgid = qf_id_value(id);
	msg->queue = mystrdup(queue);
	msg->path = mystrdup(path);
	msg->attr_names = argv_alloc(8);
	msg->attr_values = argv_alloc(8);
	msg->head = head;
	msg->head_len = (size_t)got;
	if (msg->head_len < QF_HDR_SIZE)
		err = "file too short";
	else
		err = qf_load(msg, size);
	if (err != NULL) {
		qf_why(why, "%s: %s", path, err);
		qf_close(msg);
		errno = EINVAL;
		return NULL;
	}
	msg->writable = (mode == QF_OPEN_RDWR);
	if (!qf_content_in_head(msg)) {
		myfree(msg->head);
		msg->head = NULL;
		msg->head_len = 0;
	}
	return msg;
}

void
qf_close(QF_MSG *msg)
{
	int	 i;

	if (msg->fd >= 0)
		(void)close(msg->fd);
	for (i = 0; i < msg->nrcpt; i++) {
		myfree(msg->rcpt[i].address);
		myfree(msg->rcpt[i].orcpt);
		if (msg->rcpt[i].last_error != qf_no_error)
			myfree(msg->rcpt[i].last_error);
	}
	myfree(msg->rcpt);
	myfree(msg->queue);
	myfree(msg->path);
	myfree(msg->sender);
	myfree(msg->dsn_envid);
	myfree(msg->origin);
	argv_free(msg->attr_names);
	argv_free(msg->attr_values);
	myfree(msg->head);
	myfree(msg);
}

const char *
qf_attr(const QF_MSG *msg, const char *name)
{
	ssize_t	 i = qf_attr_index(msg->attr_names, name);

	return i < 0 ? NULL : msg->attr_values->argv[i];
}

/* qf_reopen - a descriptor for one call on a released message. */
static int
qf_reopen(QF_MSG *msg, int flags)
{
	if (msg->path == NULL) {
		errno = EBADF;
		return -1;
	}
	return open(msg->path, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
}

int
qf_lock_agent(QF_MSG *msg)
{
	int	 rc;

	if (msg->fd < 0) {
		errno = EBADF;
		return -1;
	}
	while ((rc = flock(msg->fd, LOCK_SH)) < 0 && errno == EINTR)
		continue;
	return rc;
}

int
qf_agent_busy(const char *queue_dir, const char *queue, const char *id)
{
	char	 path[4096];
	int	 fd, busy;

	if (!qf_valid_id(id) || (size_t)snprintf(path, sizeof(path),
	    "%s/%s/%s", queue_dir, queue, id) >= sizeof(path)) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
		return -1;
	busy = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	(void)close(fd);		/* drops the lock, if taken */
	return busy;
}

void
qf_release(QF_MSG *msg)
{
	if (msg->fd >= 0)
		(void)close(msg->fd);
	msg->fd = -1;
	myfree(msg->head);
	msg->head = NULL;
	msg->head_len = 0;
}

ssize_t
qf_read_content(QF_MSG *msg, off_t offset, void *buf, size_t len)
{
	ssize_t	 n;
	int	 fd = msg->fd, saved;

	if (offset < 0 || offset > msg->content_size) {
		errno = EINVAL;
		return -1;
	}
	if ((off_t)len > msg->content_size - offset)
		len = (size_t)(msg->content_size - offset);
	if (len == 0)
		return 0;
	if (qf_content_in_head(msg)) {
		memcpy(buf, msg->head + msg->content_offset + offset, len);
		return (ssize_t)len;
	}
	if (fd < 0 && (fd = qf_reopen(msg, O_RDONLY)) < 0)
		return -1;
	do {
		n = pread(fd, buf, len, msg->content_offset + offset);
	} while (n < 0 && errno == EINTR);
	if (fd != msg->fd) {
		saved = errno;
		(void)close(fd);
		errno = saved;
	}
	return n;
}

int
qf_slot_delivered(QF_MSG *msg, int index)
{
	unsigned char s[QF_SLOT_SIZE];
	QF_RCPT	 r;
	int	 fd = msg->fd, rc, saved;

	if (index < 0 || index >= msg->nrcpt)
		msg_panic("qf_slot_delivered: index %d out of range", index);
	memset(&r, 0, sizeof(r));
	if (fd < 0 && (fd = qf_reopen(msg, O_RDONLY)) < 0)
		return -1;
	rc = qf_pread_all(fd, s, sizeof(s), msg->rcpt[index].slot);
	if (fd != msg->fd) {
		saved = errno;
		(void)close(fd);
		errno = saved;
	}
	if (rc < 0)
		return -1;
	rc = qf_slot_decode(&r, index, s) == 0 && r.status == QF_RCPT_DONE
	    && (r.flags & QF_RCPT_FLAG_DELIVERED) != 0;
	if (r.last_error != NULL && r.last_error != qf_no_error)
		myfree(r.last_error);
	return rc;
}

/*
 * qf_write_at - len bytes at off (one pwrite), then fdatasync unless
 * sync is 0, on a descriptor opened read-write by path when msg has none
 * or a read-only one.
 */
static int
qf_write_at(QF_MSG *msg, const void *buf, size_t len, off_t off, int sync)
{
	ssize_t	 n;
	int	 fd = msg->fd, rc, saved;

	if ((fd < 0 || !msg->writable) && (fd = qf_reopen(msg, O_RDWR)) < 0)
		return -1;
	do {
		n = pwrite(fd, buf, len, off);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		if (n >= 0)
			errno = EIO;
		rc = -1;
	} else {
		rc = sync ? fdatasync(fd) : 0;
	}
	if (fd != msg->fd) {
		saved = errno;
		(void)close(fd);
		errno = saved;
	}
	return rc;
}

/* qf_write_rcpt - write rcpt[index]'s slot, synced or not */
static int
qf_write_rcpt(QF_MSG *msg, int index, int sync)
{
	unsigned char s[QF_SLOT_SIZE];
	QF_RCPT	*rp;

	if (index < 0 || index >= msg->nrcpt)
		msg_panic("qf_write_rcpt: index %d out of range", index);
	rp = msg->rcpt + index;
	qf_slot_encode(s, (uint32_t)index, rp->status, rp->flags, rp->attempts,
	    (int64_t)rp->last_attempt, (int64_t)rp->next_attempt, rp->last_error);
	return qf_write_at(msg, s, sizeof(s), rp->slot, sync);
}

int
qf_update_rcpt(QF_MSG *msg, int index)
{
	return qf_write_rcpt(msg, index, 1);
}

int
qf_mark_rcpt(QF_MSG *msg, int index)
{
	return qf_write_rcpt(msg, index, 0);
}

int
qf_logs_begin(QF_MSG *msg)
{
	unsigned char f[8];
	uint32_t flags;

	if (!(msg->hflags & QF_HF_NOLOGS))
		return 0;
	flags = msg->hflags & ~(uint32_t)QF_HF_NOLOGS;
	qf_flags_encode(f, flags);
	if (qf_write_at(msg, f, sizeof(f), QF_H_FLAGS, 1) < 0)
		return -1;
	msg->hflags = flags;
	msg->nologs = 0;
	return 0;
}
