/*
 * qfile.h - the queue file API: the only code that reads or writes queue
 * files. See qfile.c and postern-queue(5) for the on-disk format.
 */
#ifndef QFILE_H
#define QFILE_H

#include <sys/time.h>
#include <sys/types.h>
#include <stdint.h>
#include <time.h>

#include "argv.h"
#include "queue_flags.h"
#include "vstring.h"

/* Queue directory names. */
#define QF_MAILDROP	"maildrop"
#define QF_INCOMING	"incoming"
#define QF_ACTIVE	"active"
#define QF_DEFERRED	"deferred"
#define QF_HOLD		"hold"
#define QF_CORRUPT	"corrupt"
#define QF_TMP		"tmp"

#define QF_ID_LEN	8		/* message-id: 8 hex digits */
#define QF_ERR_MAX	400		/* last-error text kept per recipient */

/* DSN NOTIFY bits (0 = not specified: Postfix's default FAILURE,DELAY). */
#define QF_NOTIFY_NEVER		(1 << 0)
#define QF_NOTIFY_SUCCESS	(1 << 1)
#define QF_NOTIFY_FAILURE	(1 << 2)
#define QF_NOTIFY_DELAY		(1 << 3)

/* DSN RET. */
#define QF_RET_NONE	0
#define QF_RET_FULL	1
#define QF_RET_HDRS	2

/* Per-recipient status and flags: queue_flags.h. */

typedef struct QF_RCPT {
	char	*address;		/* envelope recipient (after rewriting) */
	char	*orcpt;			/* DSN ORCPT "rfc822;addr" or null */
	int	 notify;		/* QF_NOTIFY_* */
	uint64_t envid;			/* msgid << 32 | random */
	/* Mutable state, persisted in the recipient's fixed-size slot. */
	int	 status;		/* QF_RCPT_PENDING or QF_RCPT_DONE */
	int	 flags;			/* QF_RCPT_FLAG_* */
	int	 attempts;
	time_t	 last_attempt;
	time_t	 next_attempt;
	char	*last_error;		/* never null; qf_rcpt_set_error() */
	off_t	 slot;			/* file offset of the slot (private) */
} QF_RCPT;

typedef struct QF_MSG {
	char	 id[QF_ID_LEN + 1];	/* message-id, hex */
	uint32_t msgid;
	char	*queue;			/* directory name it was opened in */
	char	*sender;		/* "" for the null sender */
	time_t	 arrival;
	int	 family;		/* AF_INET, AF_INET6, AF_UNIX (local) */
	char	*dsn_envid;		/* or null */
	int	 dsn_ret;		/* QF_RET_* */
	char	*origin;		/* "smtp", "local", "bounce" */
	ARGV	*attr_names;		/* other envelope attributes: client_name, */
	ARGV	*attr_values;		/* client_addr, helo, protocol, sasl_username... */
	int	 nrcpt;
	QF_RCPT	*rcpt;
	off_t	 content_offset;	/* message content: header + body, LF lines */
	off_t	 content_size;
	int	 fd;
	/* Added after the interface was fixed. */
	long	 arrival_usec;		/* microseconds of arrival */
	uint64_t slot_off;		/* private */
	uint32_t nrcpt_max;		/* private: recipients the header says */
	int	 writable;		/* private: opened QF_OPEN_RDWR */
	char	*path;			/* private: queue_dir/queue/id */
	int	 content_8bit;		/* QF_8BIT_*, from the header */
	int	 nologs;		/* header: no bounce/defer/trace log */
	uint32_t hflags;		/* private: header flags (QF_HF_*) */
	unsigned char *head;		/* private: file start read by qf_open */
	size_t	 head_len;		/* private */
} QF_MSG;

/* QF_MSG.content_8bit: whether a content byte has the high bit set. */
#define QF_8BIT_UNKNOWN	0		/* a file of an earlier build */
#define QF_8BIT_NO	1
#define QF_8BIT_YES	2

typedef struct QF_WRITER QF_WRITER;

/*
 * Writing a new message: create, envelope, content, commit (or abort).
 * qf_commit() always destroys the writer, also when it fails (the
 * temporary file is then removed): never call qf_abort() after it.
 * Addresses are stored in external form (as inside <> in SMTP).
 */
QF_WRITER *qf_create(const char *queue_dir, VSTRING *why);
const char *qf_writer_id(QF_WRITER *);
void	 qf_set_sender(QF_WRITER *, const char *);
void	 qf_set_arrival(QF_WRITER *, time_t);
void	 qf_set_arrival_usec(QF_WRITER *, long);
void	 qf_set_family(QF_WRITER *, int);
void	 qf_set_dsn(QF_WRITER *, const char *envid, int ret);
void	 qf_set_origin(QF_WRITER *, const char *);
void	 qf_set_attr(QF_WRITER *, const char *, const char *);
const char *qf_writer_attr(QF_WRITER *, const char *);
uint64_t qf_add_rcpt(QF_WRITER *, const char *addr, const char *orcpt, int notify);
int	 qf_write_content(QF_WRITER *, const char *, size_t);
off_t	 qf_content_size(QF_WRITER *);
int	 qf_commit(QF_WRITER *, const char *queue, VSTRING *why);
void	 qf_abort(QF_WRITER *);
int	 qf_del_rcpt(QF_WRITER *, const char *);
off_t	 qf_content_offset(QF_WRITER *);
ssize_t	 qf_writer_read(QF_WRITER *, off_t, void *, size_t);
int	 qf_content_restart(QF_WRITER *, off_t *, off_t *);

/* Reading and updating an existing message. */
#define QF_OPEN_RDONLY	0
#define QF_OPEN_RDWR	1
QF_MSG	*qf_open(const char *queue_dir, const char *queue, const char *id, int mode, VSTRING *why);
QF_MSG	*qf_open_content(const char *queue_dir, const char *queue, const char *id,
	    int mode, off_t content_offset, off_t content_size, VSTRING *why);
int	 qf_prefetch(const char *queue_dir, const char *queue, const char *id);
int	 qf_arrival_at(int dir_fd, const char *id, struct timeval *tv);
int	 qf_logs_begin(QF_MSG *);	/* before the first bounce/defer/trace log */
void	 qf_close(QF_MSG *);
const char *qf_attr(const QF_MSG *, const char *);
ssize_t	 qf_read_content(QF_MSG *, off_t, void *, size_t);
int	 qf_update_rcpt(QF_MSG *, int index);	/* persist rcpt[index] state durably */
/* Set rcpt's last_error (printf-style, at most QF_ERR_MAX bytes kept). */
void	 qf_rcpt_set_error(QF_RCPT *, const char *, ...) PRINTFLIKE(2, 3);
int	 qf_mark_rcpt(QF_MSG *, int index);	/* the same, not synced */
int	 qf_slot_delivered(QF_MSG *, int index);	/* on disk: done, delivered */
void	 qf_release(QF_MSG *);		/* close the descriptor, keep the envelope */
int	 qf_lock_agent(QF_MSG *);	/* a delivery agent works on it */
int	 qf_agent_busy(const char *queue_dir, const char *queue, const char *id);

/* Moving and listing. */
int	 qf_move(const char *queue_dir, const char *from, const char *to, const char *id);
int	 qf_remove(const char *queue_dir, const char *queue, const char *id);
ARGV	*qf_list(const char *queue_dir, const char *queue);
int	 qf_valid_id(const char *);
int	 qf_find(const char *queue_dir, const char *id, char *queue_out, size_t);
int	 qf_make_dirs(const char *queue_dir, uid_t, gid_t, VSTRING *why);
int	 qf_tmp_reclaim(const char *queue_dir);	/* files no writer holds */

/* Envelope-ids. */
uint32_t qf_id_value(const char *);
void	 qf_envid_format(uint64_t, char buf[17]);
int	 qf_envid_parse(const char *, uint64_t *);

#endif
