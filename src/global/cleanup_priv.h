/*
 * cleanup_priv.h - the cleanup stage's internals, shared by cleanup*.c
 * only. Callers use cleanup.h.
 */
#ifndef CLEANUP_PRIV_H
#define CLEANUP_PRIV_H

#include "cleanup.h"
#include "htable.h"
#include "mail_addr_find.h"
#include "resolve_class.h"
#include "rfc822_hdr.h"

/* propagate_unmatched_extensions */
#define CLEANUP_EXT_CANONICAL	(1 << 0)
#define CLEANUP_EXT_VIRTUAL	(1 << 1)
#define CLEANUP_EXT_ALIAS	(1 << 2)
#define CLEANUP_EXT_FORWARD	(1 << 3)
#define CLEANUP_EXT_INCLUDE	(1 << 4)
#define CLEANUP_EXT_GENERIC	(1 << 5)

#define CLEANUP_CANON_NEST	10	/* canonical map nesting, as Postfix */
#define CLEANUP_HDR_TOTAL	(1024 * 1024)	/* header section kept in memory */
#define CLEANUP_MAX_HOOKS	16
#define CLEANUP_BODY_PIECE	65536	/* body hook line pieces */

/* cleanup->errs bits */
#define CLEANUP_ERR_WRITE	(1 << 0)	/* 451 4.3.0 queue file write error */
#define CLEANUP_ERR_MAP		(1 << 1)	/* 451 4.3.0 (a table failed) */
#define CLEANUP_ERR_REPLY	(1 << 2)	/* c->reply holds the answer */

struct CLEANUP_CONF {
	char	*myorigin;
	char	*mydomain;
	char	*myhostname;
	char	*rcpt_delim;
	char	*remote_domain;		/* remote_header_rewrite_domain */
	int	 append_at_myorigin;
	int	 append_dot_mydomain;
	int	 always_add;		/* always_add_missing_headers */
	size_t	 hdr_limit;		/* header_size_limit */
	int	 hop_limit;		/* hopcount_limit */
	MAIL_ADDR_MAPS *canon;		/* null: none configured */
	MAIL_ADDR_MAPS *send_canon;
	MAIL_ADDR_MAPS *rcpt_canon;
	int	 canon_classes;
	int	 send_canon_classes;
	int	 rcpt_canon_classes;
	int	 masq_classes;
	ARGV	*masq_domains;		/* null: none */
	ARGV	*masq_except;
	int	 propagate;		/* CLEANUP_EXT_* */
	MAIL_ADDR_MAPS *virt;		/* virtual_alias_maps */
	int	 virt_recursion;
	int	 virt_expansion;
	long long dup_limit;		/* duplicate_filter_limit; 0: none */
	char	*empty_rcpt;		/* empty_address_recipient */
	char	*always_bcc;
	MAIL_ADDR_MAPS *send_bcc;
	MAIL_ADDR_MAPS *rcpt_bcc;
	ARGV	*drop_headers;		/* message_drop_headers */
	char	*undisclosed;		/* undisclosed_recipients_header */
	int	 orig_rcpt;		/* enable_original_recipient */
	RESOLVE_CLASS *resolve;		/* is a domain local ("user" keys) */
	size_t	 nhooks;
	CLEANUP_HOOK hooks[CLEANUP_MAX_HOOKS];
	int	 last_held;		/* the last cleanup_close() went to hold/ */
};

struct CLEANUP {
	CLEANUP_CONF *conf;
	QF_WRITER *qf;
	char	 id[QF_ID_LEN + 1];
	int	 flags;
	int	 errs;			/* CLEANUP_ERR_* */
	int	 hold;
	int	 discard;
	char	*why;			/* hold/discard reason */
	VSTRING	*reply;			/* reject/defer text */
	char	*sender;		/* after rewriting, external form */
	char	*fullname;		/* pickup: for a From: it adds */
	ARGV	*rcpts;			/* recipients written, external form */
	HTABLE	*dups;			/* lower-cased recipients written */
	ARGV	*bcc;			/* recipient_bcc_maps results, pending */
	/* Content. */
	int	 in_header;
	int	 hdr_end;		/* how it ended: RFC822_HDR_END/BODY/0 */
	RFC822_HDRS *hdrs;
	VSTRING	*line;			/* header line being assembled */
	int	 line_cut;		/* a header line was over the limit */
	int	 partial;		/* body line not yet ended */
	int	 ended;			/* content complete */
	int	 last_nl;		/* cleanup_write: last byte was LF */
	int	 hdr_dirty;		/* edited after being written */
	int	 body_dirty;		/* cleanup_body_replace() */
	VSTRING	*body;			/* replacement body */
	off_t	 body_off;		/* content offset of the body */
	char	*msgid;			/* Message-ID value, for the log */
	int	 hops;			/* Received: fields */
	size_t	 nhooks;
	void	*hook_msg[CLEANUP_MAX_HOOKS];
	int	 hook_begun;
	VSTRING	*scratch;
};

/* cleanup_hdr.c */
void	 cleanup_hdr_line(CLEANUP *, const char *, size_t);
void	 cleanup_hdr_done(CLEANUP *, int how);
int	 cleanup_hdr_output(CLEANUP *);

/* cleanup_rcpt.c */
int	 cleanup_rcpt_out(CLEANUP *, const char *, const char *, int);
void	 cleanup_rcpt_bcc(CLEANUP *);

/* cleanup_addr.c */
int	 cleanup_addr_list(CLEANUP *, int class, VSTRING *field);
int	 cleanup_addr_map(CLEANUP_CONF *, MAIL_ADDR_MAPS *, int, const char *, ARGV *);
void	 cleanup_addr_qualify(CLEANUP_CONF *, VSTRING *, const char *);
void	 cleanup_map_fail(CLEANUP *, const char *, const char *);
void	 cleanup_addr_bcc(CLEANUP *, MAIL_ADDR_MAPS *, const char *key,
	    const char *addr);

/* cleanup_conf.c */
int	 cleanup_conf_classes(const char *, const char *);

#endif
