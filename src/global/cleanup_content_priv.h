/*
 * cleanup_content_priv.h - shared by cleanup_content.c (header and body
 * checks, content_filter) and cleanup_milter.c (milters) only.
 */
#ifndef CLEANUP_CONTENT_PRIV_H
#define CLEANUP_CONTENT_PRIV_H

#include "cleanup_content.h"
#include "cleanup_priv.h"
#include "hbc.h"
#include "mime_state.h"

struct CLEANUP_CONTENT {
	int	 smtpd;
	HBC	*hbc;			/* null: no header/body checks */
	HBC	*milter_hbc;		/* milter_header_checks */
	int	 mime_opts;
	int	 need_body;		/* body lines needed */
	long long body_limit;		/* body_checks_size_limit */
	size_t	 hdr_limit;
	int	 nest_limit;
	size_t	 boundary_limit;
	MILTERS	*milters;		/* smtpd: the session's */
	const char *non_smtpd;		/* non_smtpd_milters */
	const char *filter;		/* content_filter */
	int	 want_milters;
	int	 chars;			/* message_reject/strip_characters set */
	unsigned char reject_chars[256];	/* 1: the byte rejects */
	unsigned char strip_chars[256];		/* 1: the byte is removed */
};

/* Per message. */
typedef struct CC_MSG {
	CLEANUP	*c;
	CLEANUP_CONTENT *cc;
	MIME_STATE *ms;
	VSTRING	*out;			/* body hook output */
	VSTRING	*ctx;			/* log context */
	VSTRING	*reply;
	int	 in_primary;		/* feeding the primary header */
	int	 done;			/* rejected/discarded: no more checks */
	int	 chars;			/* character checks apply to this message */
	ARGV	*redirect;
	ARGV	*bcc;
	VSTRING	*body;			/* milter replacement body */
} CC_MSG;

const char *cc_context(CC_MSG *);
char	*cc_strip_brackets(const char *);
int	 cc_action(CC_MSG *, HBC_RESULT *, const char *, VSTRING *);
void	 cc_m_eom(CLEANUP *, void *);

#endif
