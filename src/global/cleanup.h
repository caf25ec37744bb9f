/*
 * cleanup.h - the cleanup stage every entry path (smtpd, pickup, bounce,
 * re-injection) writes its queue file through. See cleanup.c for the
 * manual (the API, the hook points and the order of operations).
 */
#ifndef CLEANUP_H
#define CLEANUP_H

#include <sys/types.h>

#include "argv.h"
#include "qfile.h"
#include "vstring.h"

typedef struct CLEANUP_CONF CLEANUP_CONF;	/* per process, read once */
typedef struct CLEANUP CLEANUP;			/* per message */

/* cleanup_open() flags: what this entry path's mail gets. */
#define CLEANUP_FLAG_MAP	(1 << 0)	/* canonical, masquerade, virtual */
#define CLEANUP_FLAG_BCC	(1 << 1)	/* always_bcc, sender/recipient_bcc_maps */
#define CLEANUP_FLAG_FILTER	(1 << 2)	/* hooks: header/body checks, milters */
#define CLEANUP_FLAG_LOCAL	(1 << 3)	/* local_header_rewrite_clients matched,
						 * or a local submission */
#define CLEANUP_FLAG_RCPT_SOFT	(1 << 4)	/* the caller refuses a recipient that
						 * cleanup_rcpt() failed (smtpd, 451
						 * at RCPT); else the message defers */
#define CLEANUP_FLAG_NO_HBC	(1 << 5)	/* receive_override_options:
						 * no_header_body_checks */
#define CLEANUP_FLAG_NO_MILTER	(1 << 6)	/* ... no_milters */
#define CLEANUP_FLAG_SMTPD	(CLEANUP_FLAG_MAP | CLEANUP_FLAG_BCC | \
				 CLEANUP_FLAG_FILTER | CLEANUP_FLAG_RCPT_SOFT)
#define CLEANUP_FLAG_PICKUP	(CLEANUP_FLAG_MAP | CLEANUP_FLAG_BCC | \
				 CLEANUP_FLAG_FILTER | CLEANUP_FLAG_LOCAL)
#define CLEANUP_FLAG_BOUNCE	(CLEANUP_FLAG_MAP | CLEANUP_FLAG_LOCAL)

/* cleanup_close() results. */
#define CLEANUP_OK		0	/* queued (or held): reply 250 */
#define CLEANUP_DISCARD		1	/* accepted and dropped: reply 250 */
#define CLEANUP_REJECT		2	/* permanent: reply is "5XX X.X.X text" */
#define CLEANUP_DEFER		3	/* temporary: reply is "4XX 4.X.X text" */

/* Hook results (header and body callbacks). */
#define CLEANUP_KEEP		0	/* keep the (possibly edited) text */
#define CLEANUP_DELETE		1	/* drop this field / body line */

/*
 * A hook: header_checks, body_checks, milters. Every member may be null.
 * begin() returns the per-message context handed to the others (or null);
 * end() is called once per message that began, also when it is aborted.
 */
typedef struct CLEANUP_HOOK {
	const char *name;
	void	*(*begin)(CLEANUP *, void *hook_ctx);
	int	 (*header)(CLEANUP *, void *msg_ctx, VSTRING *field);
	void	 (*header_end)(CLEANUP *, void *msg_ctx);
	int	 (*body)(CLEANUP *, void *msg_ctx, VSTRING *line);
	void	 (*eom)(CLEANUP *, void *msg_ctx);
	void	 (*end)(CLEANUP *, void *msg_ctx);
	void	*hook_ctx;
} CLEANUP_HOOK;

/* Per process. */
CLEANUP_CONF *cleanup_conf_load(void);
void	 cleanup_conf_free(CLEANUP_CONF *);
void	 cleanup_conf_hook(CLEANUP_CONF *, const CLEANUP_HOOK *);

/* One message: open, envelope, content, close. */
CLEANUP	*cleanup_open(CLEANUP_CONF *, const char *queue_dir, int flags,
	    VSTRING *why);
const char *cleanup_id(const CLEANUP *);
int	 cleanup_flags(const CLEANUP *);
QF_WRITER *cleanup_qf(CLEANUP *);		/* arrival, family, dsn, origin */
void	 cleanup_attr(CLEANUP *, const char *name, const char *value);
const char *cleanup_get_attr(const CLEANUP *, const char *name);
void	 cleanup_sender(CLEANUP *, const char *addr);
void	 cleanup_fullname(CLEANUP *, const char *);
int	 cleanup_rcpt(CLEANUP *, const char *addr, const char *orcpt, int notify);
void	 cleanup_line(CLEANUP *, const char *data, size_t len, int complete);
void	 cleanup_write(CLEANUP *, const char *buf, size_t len);
off_t	 cleanup_size(CLEANUP *);
int	 cleanup_close(CLEANUP *, const char *queue, VSTRING *reply);
void	 cleanup_abort(CLEANUP *);
int	 cleanup_last_held(const CLEANUP_CONF *);	/* last close: hold/ */

/* Queries (hooks, callers). */
const char *cleanup_get_sender(const CLEANUP *);
size_t	 cleanup_rcpt_count(const CLEANUP *);
const char *cleanup_rcpt_addr(const CLEANUP *, size_t);
const char *cleanup_message_id(const CLEANUP *);
int	 cleanup_errors(const CLEANUP *);
int	 cleanup_in_header(const CLEANUP *);

/* Editing: from the eom step (headers anywhere after header_end). */
size_t	 cleanup_hdr_count(const CLEANUP *);
const char *cleanup_hdr_get(const CLEANUP *, size_t);
void	 cleanup_hdr_insert(CLEANUP *, size_t index, const char *field);
void	 cleanup_hdr_add(CLEANUP *, const char *field);
void	 cleanup_hdr_change(CLEANUP *, size_t index, const char *field);
void	 cleanup_hdr_delete(CLEANUP *, size_t index);
int	 cleanup_rcpt_add(CLEANUP *, const char *addr);
int	 cleanup_rcpt_delete(CLEANUP *, const char *addr);
void	 cleanup_sender_change(CLEANUP *, const char *addr);
void	 cleanup_body_replace(CLEANUP *, const char *buf, size_t len);
void	 cleanup_hold(CLEANUP *, const char *reason);
void	 cleanup_discard(CLEANUP *, const char *reason);
void	 cleanup_reject(CLEANUP *, const char *reply);
void	 cleanup_defer(CLEANUP *, const char *reply);

/* Address rewriting, for smtpd's and the commands' use (cleanup_addr.c). */
#define CLEANUP_CLASS_ENV_SENDER	(1 << 0)
#define CLEANUP_CLASS_ENV_RCPT		(1 << 1)
#define CLEANUP_CLASS_HDR_SENDER	(1 << 2)
#define CLEANUP_CLASS_HDR_RCPT		(1 << 3)
int	 cleanup_addr_rewrite(CLEANUP_CONF *, int class, int local, VSTRING *);

#endif
